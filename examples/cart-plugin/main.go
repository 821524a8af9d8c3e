// Command cart-plugin is a merchant's Shopify app written in Go. Registered as the shop's
// fulfillment service, it embeds Tobira to send the shop's orders to OPENLOGI (オープンロジ), the
// merchant's fulfillment company, and to bring tracking numbers and stock back to Shopify.
//
// The shop is a shopifytest fake and the warehouse an openlogitest fake, both on one virtual
// clock, so the program runs anywhere the Shopify schema file is (see shopifytest.FindSchema; set
// TOBIRA_SHOPIFY_SCHEMA). The engine keeps its ledger in SQLite (sync/sqlstore over
// modernc.org/sqlite) in a temporary directory, and the app restarts itself half-way: a new
// engine, new connectors and a new database handle over the same file carry on where the first
// left off, with nothing sent twice.
//
// It ends with one line, computed from what the two fakes hold:
//
//	cart-plugin: orders=N shipments=N stock_updates=N lost=0 duplicates=0
//
// and exits non-zero when it cannot run or when an order was lost or doubled.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

const (
	merchant  = "sakura-tea"
	channel   = "shopify"
	warehouse = "openlogi"
)

var skus = []string{"SENCHA-100G", "MATCHA-30G", "HOJICHA-200G"}

func main() {
	verbose := len(os.Args) > 1 && os.Args[1] == "-v"
	sum, err := run(context.Background(), verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cart-plugin:", err)
		os.Exit(1)
	}
	fmt.Println(sum.line())
	if sum.lost > 0 || sum.duplicates > 0 {
		os.Exit(1)
	}
}

type summary struct{ orders, shipments, stockUpdates, lost, duplicates int }

// line is the summary in the quick start's form.
func (s summary) line() string {
	return fmt.Sprintf("cart-plugin: orders=%d shipments=%d stock_updates=%d lost=%d duplicates=%d",
		s.orders, s.shipments, s.stockUpdates, s.lost, s.duplicates)
}

// clockAdapter lets the Shopify connector pace itself on the virtual clock.
type clockAdapter struct{ c *tobirasync.ManualClock }

func (a clockAdapter) Now() time.Time { return a.c.Now() }
func (a clockAdapter) Sleep(ctx context.Context, d time.Duration) error {
	a.c.Advance(d)
	return ctx.Err()
}

// app is one run of the plugin process: its database handle, its connectors and its engine.
type app struct {
	db     *sql.DB
	engine *tobirasync.Engine
	shop   *shopify.Client
	ol     *openlogi.Client
}

// start opens the plugin as a process start would: the database file, the connectors (with no
// memory of an earlier run) and the engine.
func start(ctx context.Context, dbPath string, clock *tobirasync.ManualClock, shop *shopifytest.Server, wh *openlogitest.Server, story func(string, ...any)) (*app, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	store, err := sqlstore.New(db, sqlstore.Options{Dialect: sqlstore.SQLite})
	if err == nil {
		err = store.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	sc, err := shopify.New(shopify.Config{Shop: shop.Shop(), BaseURL: shop.URL(), AccessToken: shop.Token(),
		LocationID: shop.LocationID(), Clock: clockAdapter{clock}, AcceptOnAcknowledge: true})
	if err != nil {
		db.Close()
		return nil, err
	}
	ol, err := openlogi.New(openlogi.Config{BaseURL: wh.URL(), Token: wh.Token(), AccountID: wh.AccountID(),
		Channel: channel, Items: wh.ItemIDs, Clock: clock, Carrier: "yamato",
		// The fake counts OPENLOGI's 60 requests a minute on the virtual clock, where a minute
		// passes in milliseconds; a real deployment keeps the default pacing of 60.
		RequestsPerMinute: 6000})
	if err != nil {
		db.Close()
		return nil, err
	}
	engine := tobirasync.New(store, tobirasync.Options{Clock: clock, Observer: tobirasync.ObserverFunc(func(e tobirasync.Event) {
		switch ev := e.(type) {
		case tobirasync.OrderSent:
			story("  sent %s to OPENLOGI", ev.Key.OrderID)
		case tobirasync.OrderChanged:
			story("  OPENLOGI took the change of %s", ev.Key.OrderID)
		case tobirasync.ChangeRefused:
			story("  OPENLOGI refused the change of %s (%s): the app tells the merchant", ev.Key.OrderID, ev.Reason)
		}
	})})
	err = engine.PutMerchant(tobirasync.Merchant{ID: merchant,
		Channels:   []tobirasync.Channel{{ID: channel, Source: sc, Sink: sc, Target: sc}},
		Warehouses: []tobirasync.Warehouse{{ID: warehouse, Fulfiller: ol, Shipments: ol, Stock: ol}}})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &app{db: db, engine: engine, shop: sc, ol: ol}, nil
}

// tick is one round of the plugin's scheduler: orders out, shipments and stock in.
func (a *app) tick(ctx context.Context, clock *tobirasync.ManualClock) error {
	clock.Advance(time.Minute)
	if _, err := a.engine.SyncOrders(ctx, merchant, channel); err != nil {
		return fmt.Errorf("orders: %w", err)
	}
	if _, err := a.engine.SyncShipments(ctx, merchant, warehouse); err != nil {
		return fmt.Errorf("shipments: %w", err)
	}
	if _, err := a.engine.SyncStock(ctx, merchant); err != nil {
		return fmt.Errorf("stock: %w", err)
	}
	return nil
}

func run(ctx context.Context, verbose bool) (summary, error) {
	story := func(format string, args ...any) {
		if verbose {
			fmt.Printf(format+"\n", args...)
		}
	}
	path, err := shopifytest.FindSchema()
	if err != nil {
		return summary{}, fmt.Errorf("cannot run: the Shopify Admin schema the fake shop is built from is missing (%v); "+
			"set %s to the admin_%s.json.gz file (the project keeps it in ../shared/specs/shopify)", err, shopifytest.SchemaEnv, shopifytest.APIVersion)
	}
	schema, err := shopifytest.LoadSchemaFile(path)
	if err != nil {
		return summary{}, fmt.Errorf("cannot run: reading the Shopify schema: %w", err)
	}
	dir, err := os.MkdirTemp("", "cart-plugin-")
	if err != nil {
		return summary{}, fmt.Errorf("cannot run: no temporary directory for the database: %w", err)
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "tobira.db")

	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) // 09:00 in Tokyo
	shop, err := shopifytest.New(shopifytest.Options{Parsed: schema, Shop: merchant + ".myshopify.com", Now: clock.Now})
	if err != nil {
		return summary{}, err
	}
	defer shop.Close()
	wh := openlogitest.New(openlogitest.Options{Now: clock.Now})
	defer wh.Close()
	for i, sku := range skus {
		shop.AddVariant(sku, 0)
		wh.AddItem(sku, sku, 30+10*i) // the merchant's stock on OPENLOGI's shelves
	}

	a, err := start(ctx, dbPath, clock, shop, wh, story)
	if err != nil {
		return summary{}, err
	}
	defer func() { a.db.Close() }()

	addr := shopifytest.Address{LastName: "山田", FirstName: "花子", Address1: "神宮前1-2-3", City: "渋谷区",
		Province: "Tokyo", ProvinceCode: "JP-13", Zip: "1500001", CountryCode: "JP"}
	var orders []string
	place := func(n int) error {
		for range n {
			i := len(orders)
			id := shop.CreateOrder(shopifytest.OrderInput{ShipTo: addr,
				Attributes: []shopifytest.Attribute{{Key: "配送希望時間帯", Value: "午前中"}},
				Lines: []shopifytest.LineInput{{SKU: skus[i%len(skus)], Quantity: 1 + i%2, Price: 1500},
					{SKU: skus[(i+1)%len(skus)], Quantity: 1, Price: 2400}}})
			// The merchant's shop assigns the order to the app's location and asks it to fulfil.
			for _, fo := range shop.FulfillmentOrderIDs(id) {
				if err := shop.RequestFulfillment(fo, ""); err != nil {
					return err
				}
			}
			orders = append(orders, id)
		}
		return nil
	}
	identifier := func(orderID string) string {
		return openlogi.Identifier(tobirasync.RequestKey(ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: orderID}, warehouse))
	}

	story("Four buyers order on Shopify; the app sends the orders to OPENLOGI:")
	if err := place(4); err != nil {
		return summary{}, err
	}
	if err := a.tick(ctx, clock); err != nil {
		return summary{}, err
	}
	// Shopify offers what OPENLOGI has not allocated to the orders: the engine's reservations and
	// OPENLOGI's allocations of the same orders are not counted twice.
	for _, sku := range skus {
		n, _ := shop.Available(sku)
		it, _ := wh.Item(sku)
		story("  Shopify offers %d of %s; OPENLOGI holds %d, %d of them not yet allocated", n, sku, it.Quantity, it.Available())
		if n != it.Available() {
			return summary{}, fmt.Errorf("the shop offers %d of %s while OPENLOGI has %d unallocated", n, sku, it.Available())
		}
	}
	story("The buyer of the fourth order moves house before OPENLOGI starts on it:")
	moved := addr
	moved.Address1 = "代官山2-2-2"
	shop.ChangeAddress(orders[3], moved)
	if err := a.tick(ctx, clock); err != nil {
		return summary{}, err
	}
	story("OPENLOGI starts picking the first two orders; the first buyer asks for another address, too late:")
	for _, id := range orders[:2] {
		if err := wh.Pick(identifier(id)); err != nil {
			return summary{}, err
		}
	}
	shop.ChangeAddress(orders[0], moved)
	if err := a.tick(ctx, clock); err != nil {
		return summary{}, err
	}
	story("OPENLOGI packs and ships them:")
	for i, id := range orders[:2] {
		if _, err := wh.Ship(identifier(id), fmt.Sprintf("4901-2345-%04d", i+1)); err != nil {
			return summary{}, err
		}
	}
	if err := a.tick(ctx, clock); err != nil {
		return summary{}, err
	}

	story("The app restarts (a deploy); its ledger is in SQLite, its connectors start afresh:")
	a.db.Close()
	if a, err = start(ctx, dbPath, clock, shop, wh, story); err != nil {
		return summary{}, err
	}
	if err := place(2); err != nil {
		return summary{}, err
	}
	for range 2 {
		if err := a.tick(ctx, clock); err != nil {
			return summary{}, err
		}
	}
	story("OPENLOGI ships the rest, and a delivery of matcha arrives:")
	for i, id := range orders[2:] {
		if _, err := wh.Ship(identifier(id), fmt.Sprintf("4901-2345-%04d", i+3)); err != nil {
			return summary{}, err
		}
	}
	if err := wh.SetQuantity("MATCHA-30G", 100); err != nil {
		return summary{}, err
	}
	for range 2 {
		if err := a.tick(ctx, clock); err != nil {
			return summary{}, err
		}
	}

	// What the two platforms hold now.
	var sum summary
	sum.orders = len(orders)
	sent := map[string]int{}
	shipped := map[string][]string{} // order → OPENLOGI shipment IDs
	for _, s := range wh.Shipments() {
		sent[s.OrderNo]++
		if s.Status == "shipped" {
			shipped[s.OrderNo] = append(shipped[s.OrderNo], s.ID)
		}
	}
	for _, id := range orders {
		fs := shop.Fulfillments(id)
		for _, f := range fs {
			story("Shopify shows %s shipped by %s, tracking %v", id, f.Company, f.Numbers)
		}
		sum.shipments += len(fs)
		switch n := sent[id]; {
		case n == 0:
			sum.lost++
		case n > 1:
			sum.duplicates += n - 1
		}
		// Every OPENLOGI shipment reaches Shopify once.
		if len(fs) < len(shipped[id]) {
			sum.lost += len(shipped[id]) - len(fs)
		} else {
			sum.duplicates += len(fs) - len(shipped[id])
		}
	}
	if sh, ok := wh.Shipment(identifier(orders[3])); ok {
		rc, _ := sh.Fields["recipient"].(map[string]any)
		story("OPENLOGI ships the fourth order to %v", rc["address1"])
	}
	for _, sku := range skus {
		n, _ := shop.Available(sku)
		it, _ := wh.Item(sku)
		story("Shopify offers %d of %s; OPENLOGI holds %d, %d of them available", n, sku, it.Quantity, it.Available())
		if n != it.Available() {
			return sum, fmt.Errorf("the shop offers %d of %s, OPENLOGI has %d available", n, sku, it.Available())
		}
	}
	sum.stockUpdates = shop.Stats().Operations["inventorySetQuantities"]
	if sum.orders != len(slices.Compact(slices.Sorted(slices.Values(orders)))) {
		return sum, errors.New("the shop gave two orders one ID")
	}
	return sum, nil
}
