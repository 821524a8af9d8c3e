package sync_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// rig is one merchant with memory channels and warehouses on a manual clock.
type rig struct {
	t      testing.TB
	ctx    context.Context
	clock  *tobirasync.ManualClock
	store  ledger.Store
	eng    *tobirasync.Engine
	m      tobirasync.Merchant
	chans  map[string]*memory.Channel
	whs    map[string]*memory.Warehouse
	mu     gosync.Mutex
	events []tobirasync.Event
}

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// newRig builds merchant "m1" with the given channels and one warehouse "wh" (more with
// addWarehouse), every channel pushing stock.
func newRig(t testing.TB, channels ...string) *rig {
	r := &rig{t: t, ctx: context.Background(), clock: tobirasync.NewManualClock(t0), store: memstore.New(),
		chans: map[string]*memory.Channel{}, whs: map[string]*memory.Warehouse{}}
	r.m = tobirasync.Merchant{ID: "m1"}
	for _, id := range channels {
		ch := &memory.Channel{Now: r.clock.Now, PageSize: 3}
		r.chans[id] = ch
		r.m.Channels = append(r.m.Channels, tobirasync.Channel{ID: id, Source: ch, Sink: ch, Target: ch})
	}
	r.addWarehouse("wh")
	r.restart()
	return r
}

func (r *rig) addWarehouse(id string) *memory.Warehouse {
	w := &memory.Warehouse{Now: r.clock.Now, PageSize: 2}
	r.whs[id] = w
	r.m.Warehouses = append(r.m.Warehouses, tobirasync.Warehouse{ID: id, Fulfiller: w, Shipments: w, Stock: w})
	return w
}

// restart builds a new engine on the same store, as a process restart does.
func (r *rig) restart() {
	r.eng = tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Settle: time.Second, Overlap: time.Minute,
		PageLimit: 3, Observer: tobirasync.ObserverFunc(r.observe)})
	r.apply()
}

// apply pushes the rig's merchant configuration into the engine.
func (r *rig) apply() {
	if err := r.eng.PutMerchant(r.m); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) channel(id string) *tobirasync.Channel {
	for i := range r.m.Channels {
		if r.m.Channels[i].ID == id {
			return &r.m.Channels[i]
		}
	}
	r.t.Fatalf("no channel %s", id)
	return nil
}

func (r *rig) observe(e tobirasync.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// eventsOf returns the events of one kind.
func eventsOf[E tobirasync.Event](r *rig) []E {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []E
	for _, e := range r.events {
		if v, ok := e.(E); ok {
			out = append(out, v)
		}
	}
	return out
}

func addr() order.Address {
	return order.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-1-1"}
}

// newOrder returns a valid order; lines are (SKU, quantity) pairs.
func newOrder(id string, lines ...any) order.Order {
	o := order.Order{ID: id, Status: order.StatusOpen, ShipTo: addr()}
	for i := 0; i+1 < len(lines); i += 2 {
		o.Lines = append(o.Lines, order.Line{ID: fmt.Sprintf("L%d", i/2+1), SKU: lines[i].(string), Quantity: lines[i+1].(int), UnitPrice: order.Yen(1000)})
	}
	return o
}

// place places an order on a channel and lets the clock pass the settle delay.
func (r *rig) place(ch string, o order.Order) {
	r.chans[ch].Place(o)
	r.clock.Advance(2 * time.Second)
}

func (r *rig) syncOrders(ch string) tobirasync.OrdersRun {
	r.t.Helper()
	r.clock.Advance(2 * time.Second)
	res, err := r.eng.SyncOrders(r.ctx, "m1", ch)
	if err != nil {
		r.t.Fatalf("SyncOrders(%s): %v", ch, err)
	}
	return res
}

func (r *rig) syncShipments() {
	r.t.Helper()
	for id := range r.whs {
		if _, err := r.eng.SyncShipments(r.ctx, "m1", id); err != nil {
			r.t.Fatalf("SyncShipments(%s): %v", id, err)
		}
	}
}

// catchUp lets a minute pass and runs every flow twice, channels in name order: once faults
// stop, the engine must then be where it would be had there been none.
func (r *rig) catchUp() {
	r.t.Helper()
	r.clock.Advance(time.Minute)
	chans := slices.Sorted(maps.Keys(r.chans))
	for range 2 {
		for _, ch := range chans {
			r.syncOrders(ch)
		}
		r.syncShipments()
		r.syncStock()
	}
}

// shipments returns every shipment warehouse wh made, through its listing.
func (r *rig) shipments(wh string) []shipment.Shipment {
	r.t.Helper()
	var out []shipment.Shipment
	for after := connector.Cursor(""); ; {
		p, err := r.whs[wh].ListShipments(r.ctx, after)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, p.Shipments...)
		if after = p.Next; !p.More {
			return out
		}
	}
}

// calm stops every fault injected into the doubles.
func calm(faults ...*memory.Faults) {
	for _, f := range faults {
		f.FailNext(0, nil)
		f.FailAfter(0, nil)
		f.RepeatPage(0)
	}
}

// leaving returns, per SKU, the open units of the warehouse's requests not shipped yet (received
// or picked); the tests that use it ship requests whole.
func (r *rig) leaving(wh string) map[string]int {
	out := map[string]int{}
	for _, req := range r.whs[wh].Requests() {
		if req.State == memory.Received || req.State == memory.Picked {
			for _, l := range req.Order.Lines {
				out[l.SKU] += l.Open()
			}
		}
	}
	return out
}

func (r *rig) syncStock() {
	r.t.Helper()
	if _, err := r.eng.SyncStock(r.ctx, "m1"); err != nil {
		r.t.Fatalf("SyncStock: %v", err)
	}
}

// requestFor returns the warehouse's request for a channel order.
func (r *rig) requestFor(wh, ch, id string) (memory.Request, bool) {
	return r.whs[wh].Request(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}, wh))
}

// ship ships a whole request and lets the clock move on.
func (r *rig) ship(wh, ch, id string) {
	r.t.Helper()
	if _, err := r.whs[wh].Ship(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}, wh), nil); err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(time.Second)
}

func (r *rig) stock(ch, sku string) int {
	r.t.Helper()
	n, ok := r.chans[ch].Stock(sku)
	if !ok {
		r.t.Fatalf("channel %s shows no stock for %s", ch, sku)
	}
	return n
}

// setOnHand counts stock at the warehouse and syncs it.
func (r *rig) setOnHand(sku string, n int) {
	r.t.Helper()
	r.whs["wh"].SetOnHand(sku, n)
	r.syncStock()
}

// shipRequest ships a request by its key.
func (r *rig) shipRequest(key string) {
	r.t.Helper()
	if _, err := r.whs["wh"].Ship(key, nil); err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(time.Second)
}
