package sync_test

import (
	"encoding/json"
	"testing"

	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// FuzzIngestOrder feeds arbitrary orders (as a platform could send them) to the engine, pushed and
// listed next to a good order. Whatever the order holds, the engine must not panic or fail the
// call, must send it at most once and never once quarantined, must treat a repeat as no news, and
// must deliver the good order beside it.
func FuzzIngestOrder(f *testing.F) {
	for _, o := range []order.Order{
		newOrder("f1", "TEA", 2),
		newOrder("f2", "TEA", -1),
		newOrder("f3", "UNKNOWN", 1),
		newOrder("f4", "TEA", 1<<62, "TEA", 1<<62),
		newOrder("", "TEA", 1),
		{ID: "f6", Status: order.StatusOpen, ShipTo: addr()},
		{ID: "f7", Status: "strange", Lines: []order.Line{{ID: "L1", SKU: "TEA", Quantity: 1, Cancelled: 5}}},
		{ID: "f8", Status: order.StatusCancelled, ShipTo: addr(), Lines: []order.Line{{ID: "L1", SKU: "TEA", Quantity: 1}}},
	} {
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"f9","status":"open","lines":[{"id":"L1","sku":"TEA","quantity":1},{"id":"L1","sku":"TEA","quantity":2}],"ship_to":{"name":"x","postal_code":"1500001","line1":"y"}}`))
	f.Add([]byte(`{"id":"f10","status":"open","lines":null,"delivery":{"date":"2026-02-30","slot":"99"},"payment":{"method":"cod","collect_amount":{"amount":-5,"currency":"XXX"}}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var o order.Order
		if json.Unmarshal(payload, &o) != nil || o.ID == "good" {
			return // what a connector cannot decode it rejects itself (connector.Reject)
		}
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		r.syncStock()
		k := tobirasync.OrderKey{Merchant: "m1", Channel: "shop", OrderID: o.ID}
		sent := func() int {
			n := 0
			for _, req := range r.whs["wh"].Requests() {
				if req.Order.ID == o.ID {
					n++
				}
			}
			return n
		}

		if err := r.eng.IngestOrder(r.ctx, "m1", "shop", o); err != nil {
			t.Fatalf("IngestOrder: %v", err)
		}
		first := sent()
		if first > 1 {
			t.Fatalf("the order was sent %d times", first)
		}
		if first == 0 && o.Validate() == nil && o.Status == order.StatusOpen && onlyTea(o) {
			t.Fatal("a valid open order was not sent")
		}
		rec, err := r.eng.Order(r.ctx, k)
		if err == nil && rec.State == tobirasync.StateQuarantined && first > 0 {
			t.Fatalf("the order was quarantined and sent")
		}
		if err := r.eng.IngestOrder(r.ctx, "m1", "shop", o); err != nil {
			t.Fatalf("IngestOrder again: %v", err)
		}
		if n := sent(); n != first {
			t.Fatalf("a repeat of the order changed what was sent: %d, then %d", first, n)
		}

		// Listed in a page beside a good order, it holds nothing up.
		r.place("shop", o)
		r.place("shop", newOrder("good", "TEA", 1))
		if _, err := r.eng.SyncOrders(r.ctx, "m1", "shop"); err != nil {
			t.Fatalf("SyncOrders: %v", err)
		}
		if _, ok := r.requestFor("wh", "shop", "good"); !ok {
			t.Fatal("the good order listed beside it was not sent")
		}
		if n := sent(); n > 1 {
			t.Fatalf("the order was sent %d times", n)
		}
	})
}

func onlyTea(o order.Order) bool {
	for _, l := range o.Lines {
		if l.SKU != "TEA" {
			return false
		}
	}
	return true
}
