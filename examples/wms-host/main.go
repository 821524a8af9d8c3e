// Command wms-host is a 3PL's warehouse system (WMS) that embeds Tobira to serve two merchants,
// each selling on its own Shopify shop. The shops are shopifytest fakes, so the program runs
// anywhere the Shopify schema file is (see shopifytest.FindSchema; set TOBIRA_SHOPIFY_SCHEMA).
//
// The WMS owns its storage (an in-memory table of work orders here; a database in production)
// and its scheduler (a ticker). On every tick it lets the engine pull orders into its table,
// answers Shopify's fulfillment and cancellation requests as the fulfillment service, reports
// what it shipped, and pushes its stock. The story it prints: fulfillment requests accepted, a
// cancellation refused because the parcel had left, tracking numbers on Shopify, stock pushed, and
// an order quarantined because it asks for a product whose first units had not reached the
// warehouse. Without -console the WMS retries that order itself once the units arrive; with
// -console localhost:8080 it leaves it to an operator and serves the operations console
// (sync/console) under /ops/tobira/, printing its address, until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"sort"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/console"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// workOrder is a row of the WMS's own table.
type workOrder struct {
	key, merchant, channel string
	order                  order.Order
	state                  string // "received", "shipped", "cancelled"
	accepted               bool   // the Shopify fulfillment request was accepted
	reported               bool   // the shipment was handed to the engine
	shipment               shipment.Shipment
}

// wms is the warehouse system: its storage, and the connector.Fulfiller the engine calls.
type wms struct {
	mu     gosync.Mutex
	orders map[string]*workOrder
	onHand map[string]map[string]int // merchant → SKU → units
}

func (w *wms) Submit(_ context.Context, r connector.FulfillmentRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The item master: a SKU the warehouse never received cannot be picked, and asking again
	// will not change that until its first units arrive. The engine quarantines the order.
	for _, l := range r.Order.Lines {
		if _, ok := w.onHand[r.Merchant][l.SKU]; !ok {
			return fmt.Errorf("wms: %s is not in tokyo-dc's item master (no units received yet): %w", l.SKU, connector.ErrPermanent)
		}
	}
	if _, ok := w.orders[r.Key]; !ok { // idempotent on the key
		w.orders[r.Key] = &workOrder{key: r.Key, merchant: r.Merchant, channel: r.Channel, order: r.Order, state: "received"}
	}
	return nil
}

func (w *wms) Change(_ context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wo := w.orders[r.Key]
	if wo == nil {
		return connector.Answer{}, fmt.Errorf("wms: no work order %s: %w", r.Key, connector.ErrNotFound)
	}
	if wo.state == "shipped" {
		return connector.Answer{Reason: connector.RefusedShipped}, nil
	}
	wo.order = r.Order
	return connector.Answer{Accepted: true}, nil
}

func (w *wms) Cancel(_ context.Context, r connector.CancelRequest) (connector.Answer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wo := w.orders[r.Key]
	if wo == nil {
		return connector.Answer{Accepted: true}, nil
	}
	if wo.state == "shipped" {
		return connector.Answer{Reason: connector.RefusedShipped}, nil
	}
	wo.state = "cancelled"
	return connector.Answer{Accepted: true}, nil
}

// byOrder finds the work order of a Shopify order.
func (w *wms) byOrder(merchant, orderID string) *workOrder {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, wo := range w.orders {
		if wo.merchant == merchant && wo.order.ID == orderID {
			return wo
		}
	}
	return nil
}

// ship packs a work order and hands the parcel to Yamato.
func (w *wms) ship(key, tracking string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wo := w.orders[key]
	lines := make([]shipment.Line, 0, len(wo.order.Lines))
	for _, l := range wo.order.Lines {
		lines = append(lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Open()})
		w.onHand[wo.merchant][l.SKU] -= l.Open()
	}
	wo.state = "shipped"
	wo.shipment = shipment.Shipment{ID: "SHP-" + tracking, RequestKey: key, Channel: wo.channel, OrderID: wo.order.ID,
		Lines: lines, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: tracking}}, At: at}
}

func (w *wms) list(merchant string) []*workOrder {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*workOrder
	for _, wo := range w.orders {
		if wo.merchant == merchant {
			out = append(out, wo)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order.Number < out[j].order.Number })
	return out
}

// tenant is one merchant the 3PL serves: its fake shop and the connector talking to it.
type tenant struct {
	id     string
	shop   *shopifytest.Server
	client *shopify.Client
}

// clockAdapter lets the Shopify connector pace itself on the engine's manual clock.
type clockAdapter struct{ c *tobirasync.ManualClock }

func (a clockAdapter) Now() time.Time { return a.c.Now() }
func (a clockAdapter) Sleep(ctx context.Context, d time.Duration) error {
	a.c.Advance(d)
	return ctx.Err()
}

// consoleAddr, when set, keeps the program serving the operations console after the story.
var consoleAddr = flag.String("console", "", "after the story, serve the operations console on this address (such as localhost:8080) until interrupted")

func main() {
	flag.Parse()
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	path, err := shopifytest.FindSchema()
	if err != nil {
		return fmt.Errorf("wms-host needs the Shopify schema for its fake shops: set %s to the schema file (%w)", shopifytest.SchemaEnv, err)
	}
	schema, err := shopifytest.LoadSchemaFile(path)
	if err != nil {
		return err
	}
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	w := &wms{orders: map[string]*workOrder{}, onHand: map[string]map[string]int{}}
	events := console.NewRecorder(console.RecorderOptions{Clock: clock}) // what the console shows
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Observer: events})

	skus := map[string][]string{"tea-house": {"SENCHA-100G", "MATCHA-30G"}, "kimono-lab": {"YUKATA-M", "OBI-RED"}}
	var tenants []*tenant
	for _, id := range []string{"tea-house", "kimono-lab"} {
		shop, err := shopifytest.New(shopifytest.Options{Parsed: schema, Shop: id + ".myshopify.com", Now: clock.Now})
		if err != nil {
			return err
		}
		defer shop.Close()
		client, err := shopify.New(shopify.Config{Shop: shop.Shop(), BaseURL: shop.URL(), AccessToken: shop.Token(),
			AppSecret: shop.AppSecret(), LocationID: shop.LocationID(), Clock: clockAdapter{clock}, LinesPerOrder: 10})
		if err != nil {
			return err
		}
		w.onHand[id] = map[string]int{}
		for _, sku := range skus[id] {
			shop.AddVariant(sku, 0)
		}
		err = engine.PutMerchant(tobirasync.Merchant{
			ID:         id,
			Channels:   []tobirasync.Channel{{ID: "shopify", Source: client, Sink: client, Target: client}},
			Warehouses: []tobirasync.Warehouse{{ID: "tokyo-dc", Fulfiller: w}},
		})
		if err != nil {
			return err
		}
		tenants = append(tenants, &tenant{id: id, shop: shop, client: client})
	}

	// The merchants selling on other platforms.
	shops, err := w.openShops(ctx, engine, clock)
	for _, s := range shops {
		defer s.close()
	}
	if err != nil {
		return err
	}

	// The warehouse counts its shelves.
	for _, t := range tenants {
		for i, sku := range skus[t.id] {
			w.onHand[t.id][sku] = 20 + 10*i
		}
	}

	// Buyers order on both shops; the merchants ask the 3PL to fulfil.
	addr := shopifytest.Address{LastName: "山田", FirstName: "花子", Address1: "神宮前1-2-3", City: "渋谷区",
		Province: "Tokyo", ProvinceCode: "JP-13", Zip: "1500001", CountryCode: "JP"}
	for _, t := range tenants {
		for i := range 3 {
			id := t.shop.CreateOrder(shopifytest.OrderInput{ShipTo: addr,
				Attributes: []shopifytest.Attribute{{Key: "配送希望時間帯", Value: "午前中"}},
				Lines:      []shopifytest.LineInput{{SKU: skus[t.id][i%2], Quantity: 1 + i, Price: 1500}}})
			for _, fo := range t.shop.FulfillmentOrderIDs(id) {
				if err := t.shop.RequestFulfillment(fo, ""); err != nil {
					return err
				}
			}
		}
	}

	story := func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	var cancelAsked bool
	for tick := 1; tick <= 6; tick++ {
		<-ticker.C
		clock.Advance(time.Minute) // each tick stands for a minute of the warehouse's day
		for _, t := range tenants {
			if err := w.tick(ctx, engine, t, clock.Now(), story); err != nil {
				return fmt.Errorf("tick %d, %s: %w", tick, t.id, err)
			}
		}
		for _, s := range shops {
			if err := w.tickShop(ctx, engine, s, clock.Now(), story); err != nil {
				return fmt.Errorf("tick %d, %s: %w", tick, s.merchant, err)
			}
		}
		switch tick {
		case 2:
			// The first order of each shop leaves the dock.
			for n, t := range tenants {
				wos := w.list(t.id)
				w.ship(wos[0].key, fmt.Sprintf("4901-2345-%04d", n+1), clock.Now())
				story("%s: packed %s and handed it to Yamato", t.id, wos[0].order.Number)
			}
			for n, s := range shops {
				if wos := w.list(s.merchant); len(wos) > 0 {
					w.ship(wos[0].key, fmt.Sprintf("4901-3456-%04d", n+1), clock.Now())
					story("%s: packed %s and handed it to Yamato", s.merchant, wos[0].order.Number)
				}
			}
			// Meanwhile the tea house's buyer changes her mind about that very order.
			tea := tenants[0]
			wo := w.list(tea.id)[0]
			fo := tea.shop.FulfillmentOrderIDs(wo.order.ID)[0]
			if err := tea.shop.RequestCancellation(fo, "buyer changed her mind"); err == nil {
				cancelAsked = true
			}
		}
	}
	if !cancelAsked {
		return errors.New("the cancellation request was never sent")
	}

	// What Shopify shows now.
	for _, t := range tenants {
		for _, wo := range w.list(t.id) {
			for _, f := range t.shop.Fulfillments(wo.order.ID) {
				story("%s %s: Shopify shows fulfillment by %s, tracking %v", t.id, wo.order.Number, f.Company, f.Numbers)
			}
			st, _ := t.shop.FulfillmentOrder(t.shop.FulfillmentOrderIDs(wo.order.ID)[0])
			story("%s %s: fulfillment order %s / %s", t.id, wo.order.Number, st.Status, st.RequestStatus)
		}
		for _, sku := range skus[t.id] {
			n, _ := t.shop.Available(sku)
			story("%s: Shopify offers %d of %s (warehouse holds %d)", t.id, n, sku, w.onHand[t.id][sku])
		}
	}
	for _, s := range shops {
		if err := s.shows(ctx, story); err != nil {
			return fmt.Errorf("%s: %w", s.merchant, err)
		}
	}

	// What waits for an operator: the order of a product the warehouse had not received.
	stuck, err := engine.ListQuarantine(ctx, "")
	if err != nil {
		return err
	}
	if len(stuck) == 0 {
		return errors.New("no order was quarantined")
	}
	for _, q := range stuck {
		story("attention: %s %s of %s from %s quarantined: %s", q.Kind, q.ItemID, q.Merchant, q.Source, q.Reason)
	}
	// Its first carton arrives at the dock.
	for _, s := range shops {
		if s.newSKU != "" {
			w.mu.Lock()
			w.onHand[s.merchant][s.newSKU] = 12
			w.mu.Unlock()
			story("%s: the first 12 %s arrived at tokyo-dc", s.merchant, s.newSKU)
		}
	}
	if *consoleAddr == "" {
		// No operator to press Retry on the console: the WMS retries for them.
		for _, q := range stuck {
			if err := engine.Retry(ctx, q.ID); err != nil {
				return err
			}
		}
		left, err := engine.ListQuarantine(ctx, "")
		if err != nil {
			return err
		}
		story("attention: retried %d quarantined, %d left (with -console, an operator retries from the attention page)", len(stuck), len(left))
		return nil
	}
	// The console, mounted under the WMS's own path. A real WMS puts its operators' login in
	// front of it; this one listens where only this machine can reach it.
	ln, err := net.Listen("tcp", *consoleAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/ops/tobira/", http.StripPrefix("/ops/tobira", console.New(engine, console.Options{Recorder: events})))
	story("console: http://%s/ops/tobira/ (Ctrl-C to stop; the quarantined order waits on http://%s/ops/tobira/attention)", ln.Addr(), ln.Addr())
	return http.Serve(ln, mux)
}

// tick is one round of the WMS's scheduler for one merchant.
func (w *wms) tick(ctx context.Context, engine *tobirasync.Engine, t *tenant, now time.Time, story func(string, ...any)) error {
	// 1. Orders into the WMS table (the engine calls Submit).
	if _, err := engine.SyncOrders(ctx, t.id, "shopify"); err != nil {
		return err
	}
	// 2. As the fulfillment service: accept the requests for orders we hold, promising to ship
	//    tomorrow; the rest wait for the next tick.
	page, err := t.client.FulfillmentRequests(ctx, "")
	if err != nil {
		return err
	}
	for _, o := range page.Orders {
		wo := w.byOrder(t.id, o.ID)
		if wo == nil {
			continue
		}
		if err := t.client.AcceptFulfillment(ctx, o.Refs[shopify.RefFulfillmentOrderID], "Received at Tokyo DC", now.Add(24*time.Hour)); err != nil {
			return err
		}
		wo.accepted = true
		story("%s: accepted the fulfillment request for %s", t.id, o.Number)
	}
	// 3. Cancellation requests: refused when the parcel has left, accepted otherwise.
	cpage, err := t.client.CancellationRequests(ctx, "")
	if err != nil {
		return err
	}
	for _, o := range cpage.Orders {
		answer := connector.Answer{Accepted: true}
		if wo := w.byOrder(t.id, o.ID); wo != nil && wo.state == "shipped" {
			answer = connector.Answer{Reason: connector.RefusedShipped}
		}
		if err := t.client.AnswerCancellation(ctx, o.Refs[shopify.RefFulfillmentOrderID], answer); err != nil {
			return err
		}
		verdict := "accepted"
		if !answer.Accepted {
			verdict = "refused: the parcel had already left"
		}
		story("%s: cancellation request for %s %s", t.id, o.Number, verdict)
	}
	// 4. Shipments go back with tracking numbers.
	for _, wo := range w.list(t.id) {
		if wo.state == "shipped" && !wo.reported {
			if err := engine.RecordShipment(ctx, t.id, "tokyo-dc", wo.shipment); err != nil {
				return err
			}
			wo.reported = true
			story("%s: reported %s shipped, tracking %s", t.id, wo.order.Number, wo.shipment.Parcels[0].TrackingNumber)
		}
	}
	// 5. Stock: what the shelves hold, and the engine pushes what each shop may sell.
	var levels []inventory.Level
	for sku, n := range w.onHand[t.id] {
		levels = append(levels, inventory.Level{SKU: sku, OnHand: n, AsOf: now})
	}
	if err := engine.SetOnHand(ctx, t.id, levels...); err != nil {
		return err
	}
	_, err = engine.SyncStock(ctx, t.id)
	return err
}
