package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
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
		k := ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: o.ID}
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
		if err == nil && rec.State == ledger.StateQuarantined && first > 0 {
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

// extraShipments is a warehouse's shipment listing with shipments added after its own, as a
// warehouse with a broken export would report them.
type extraShipments struct {
	connector.ShipmentSource
	extra []shipment.Shipment
}

func (x *extraShipments) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	if after == "extra" {
		return &connector.ShipmentPage{Next: "extra"}, nil
	}
	p, err := x.ShipmentSource.ListShipments(ctx, after)
	if err != nil || p.More {
		return p, err
	}
	return &connector.ShipmentPage{Shipments: append(p.Shipments, x.extra...), Rejects: p.Rejects, Next: "extra"}, nil
}

// FuzzShipment feeds an arbitrary shipment, as a warehouse could report it, for an order that is
// at the warehouse. Whatever it holds, the engine must not panic or fail the run, must never
// confirm more units of a line than the order has, and must still confirm the warehouse's real
// shipment listed beside it.
func TestShipmentNamedBySKUIsConfirmedOnItsLine(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 2, "CUP", 1))
	r.syncOrders("shop")
	x := &extraShipments{ShipmentSource: r.whs["wh"], extra: []shipment.Shipment{{ID: "S1", Channel: "shop", OrderID: "o1",
		Lines: []shipment.Line{{SKU: "CUP", Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "1"}}}}}
	r.m.Warehouses[0].Shipments = x
	r.apply()
	r.syncShipments()
	log := r.chans["shop"].ConfirmationLog()
	if len(log) != 1 || len(log[0].Shipment.Lines) != 1 || log[0].Shipment.Lines[0].LineID != "L2" {
		t.Fatalf("confirmations = %+v, want one of line L2", log)
	}
}

func FuzzShipment(f *testing.F) {
	for _, s := range []shipment.Shipment{
		{ID: "x1", OrderID: "o1", Channel: "shop", Lines: []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "1"}}},
		{ID: "x2", OrderID: "o1", Channel: "shop", Lines: []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 99}}},
		{ID: "x3", OrderID: "o1", Channel: "shop", Lines: []shipment.Line{{LineID: "L9", SKU: "NOPE", Quantity: 1}}},
		{ID: "x4", OrderID: "o1", Channel: "shop", Lines: []shipment.Line{{SKU: "CUP", Quantity: -3}}},
		{ID: "", OrderID: "", Channel: "", Lines: nil},
		{ID: "x6", OrderID: "nope", Channel: "elsewhere", Lines: []shipment.Line{{LineID: "L1", Quantity: 1}}},
		{ID: "x7", RequestKey: "bogus", Lines: []shipment.Line{{LineID: "L2", Quantity: 1 << 62}}},
	} {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var s shipment.Shipment
		if json.Unmarshal(payload, &s) != nil {
			return // what a connector cannot decode it rejects itself (connector.Reject)
		}
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		r.setOnHand("CUP", 10)
		r.syncStock()
		r.place("shop", newOrder("o1", "TEA", 2, "CUP", 1))
		r.place("shop", newOrder("o2", "TEA", 1))
		r.syncOrders("shop")
		x := &extraShipments{ShipmentSource: r.whs["wh"], extra: []shipment.Shipment{s}}
		r.m.Warehouses[0].Shipments = x
		r.apply()
		r.ship("wh", "shop", "o2")
		if _, err := r.eng.SyncShipments(r.ctx, "m1", "wh"); err != nil {
			t.Fatalf("SyncShipments: %v", err)
		}
		if _, err := r.eng.SyncShipments(r.ctx, "m1", "wh"); err != nil {
			t.Fatalf("SyncShipments again: %v", err)
		}
		ordered := map[string]map[string]int{"o1": {"L1": 2, "L2": 1}, "o2": {"L1": 1}}
		confirmed := map[string]map[string]int{"o1": {}, "o2": {}}
		for _, c := range r.chans["shop"].ConfirmationLog() {
			got, ok := confirmed[c.Order.ID]
			if !ok {
				t.Fatalf("confirmed an order the channel does not have: %q", c.Order.ID)
			}
			for _, l := range c.Shipment.Lines {
				got[l.LineID] += l.Quantity
			}
		}
		for id, lines := range confirmed {
			for line, n := range lines {
				if n < 0 || n > ordered[id][line] {
					t.Fatalf("order %s line %q: %d units confirmed of %d ordered", id, line, n, ordered[id][line])
				}
			}
		}
		if confirmed["o2"]["L1"] != 1 {
			t.Fatalf("the real shipment of o2 was not confirmed: %v", confirmed["o2"])
		}
	})
}

// FuzzOrderChange changes an order that is at the warehouse into an arbitrary new version, as a
// shop could edit it. The warehouse must then hold exactly the new version's open units when that
// version is valid and open, the old content untouched when it is not valid, and a cancelled
// request when the order was cancelled; never a second request. Once the warehouse has picked,
// it keeps the old content, and the merchant is told of every refused change or cancellation.
func FuzzOrderChange(f *testing.F) {
	for _, o := range []order.Order{
		newOrder("o1", "TEA", 1, "CUP", 1),
		newOrder("o1", "TEA", 2),
		newOrder("o1", "TEA", 2, "CUP", 1, "TEA", 4),
		newOrder("o1", "TEA", -2, "CUP", 1),
		newOrder("o1", "", 1),
		{ID: "o1", Status: order.StatusCancelled, ShipTo: addr(), Lines: newOrder("o1", "TEA", 2, "CUP", 1).Lines},
		{ID: "o1", Status: order.StatusOpen, ShipTo: addr(), Lines: []order.Line{{ID: "L1", SKU: "TEA", Quantity: 2, Cancelled: 2}, {ID: "L2", SKU: "CUP", Quantity: 1}}},
		{ID: "o1", Status: order.StatusOpen, ShipTo: order.Address{Name: "x", PostalCode: "100-0001", Line1: "y"}, Lines: newOrder("o1", "TEA", 2, "CUP", 1).Lines},
	} {
		b, err := json.Marshal(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, payload []byte, picked bool) {
		var next order.Order
		if json.Unmarshal(payload, &next) != nil {
			return
		}
		next.ID = "o1"
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		r.setOnHand("CUP", 10)
		r.syncStock()
		first := newOrder("o1", "TEA", 2, "CUP", 1)
		r.place("shop", first)
		r.syncOrders("shop")
		if picked {
			if err := r.whs["wh"].Pick(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "o1"}, "wh")); err != nil {
				t.Fatal(err)
			}
		}
		r.chans["shop"].Change("o1", func(o *order.Order) { *o = next })
		r.clock.Advance(2 * time.Second)
		if _, err := r.eng.SyncOrders(r.ctx, "m1", "shop"); err != nil {
			t.Fatalf("SyncOrders: %v", err)
		}
		if n := requestsPerOrder(r.whs["wh"])["shop/o1"]; n != 1 {
			t.Fatalf("the warehouse holds %d requests for the order", n)
		}
		req, _ := r.requestFor("wh", "shop", "o1")
		held := openByLine(req.Order.Lines)
		// The rig maps no SKUs: every SKU is the warehouse's own, so only Validate refuses a version.
		valid := next.Validate() == nil && uniqueLines(next)
		firstHeld := map[string]int{"L1/TEA": 2, "L2/CUP": 1}
		if picked {
			if !maps.Equal(held, firstHeld) || req.State != memory.Picked {
				t.Fatalf("a picked request changed: holds %v (%s)", held, req.State)
			}
			news := next.Status == order.StatusCancelled || next.Status == order.StatusOpen && next.Fingerprint() != first.Fingerprint()
			if valid && news && len(eventsOf[tobirasync.ChangeRefused](r))+len(eventsOf[tobirasync.CancelRefused](r)) == 0 {
				t.Fatal("the warehouse refused the new version and the merchant was not told")
			}
			return
		}
		switch {
		case next.Validate() != nil:
			if !maps.Equal(held, firstHeld) || req.Changes != 0 {
				t.Fatalf("a version that cannot be processed reached the warehouse: holds %v after %d changes", held, req.Changes)
			}
		case valid && next.Status == order.StatusCancelled:
			if req.State != memory.Cancelled {
				t.Fatalf("the order was cancelled; its request is %s", req.State)
			}
		case valid && next.Status == order.StatusOpen:
			want := openByLine(next.Lines)
			if len(want) == 0 {
				if req.State != memory.Cancelled {
					t.Fatalf("no units are wanted any more; the request is %s holding %v", req.State, held)
				}
			} else if req.State != memory.Received || !maps.Equal(held, want) {
				t.Fatalf("the warehouse holds %v (%s), want %v", held, req.State, want)
			}
		}
	})
}

// openByLine maps "lineID/SKU" to the open units of each line that has any.
func openByLine(lines []order.Line) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		if n := l.Open(); n > 0 {
			out[l.ID+"/"+l.SKU] += n
		}
	}
	return out
}

func uniqueLines(o order.Order) bool {
	seen := map[string]bool{}
	for _, l := range o.Lines {
		if seen[l.ID] {
			return false
		}
		seen[l.ID] = true
	}
	return true
}

// FuzzPushesOutOfOrder pushes versions of one order in an arbitrary order, as webhooks arrive:
// late, twice, or before the version they follow. Whatever the order of arrival, the warehouse
// ends up holding the newest version, in one request.
func FuzzPushesOutOfOrder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{3, 2, 1, 0})
	f.Add([]byte{2, 0, 2, 1, 3, 3})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, arrivals []byte) {
		if len(arrivals) == 0 || len(arrivals) > 12 {
			return
		}
		// Version i wants i+1 units of TEA; version 2 also cancels one of them, so that a partial
		// cancellation is among the versions.
		versions := make([]order.Order, 4)
		for i := range versions {
			versions[i] = newOrder("o1", "TEA", i+1, "CUP", 1)
			versions[i].UpdatedAt = t0.Add(time.Duration(i+1) * time.Minute)
		}
		versions[2].Lines[0].Cancelled = 1
		r := newRig(t, "shop")
		newest := -1
		for _, a := range arrivals {
			i := int(a) % len(versions)
			newest = max(newest, i)
			if err := r.eng.IngestOrder(r.ctx, "m1", "shop", versions[i]); err != nil {
				t.Fatalf("IngestOrder(version %d): %v", i, err)
			}
		}
		if n := requestsPerOrder(r.whs["wh"])["shop/o1"]; n != 1 {
			t.Fatalf("the warehouse holds %d requests for the order", n)
		}
		req, _ := r.requestFor("wh", "shop", "o1")
		if held, want := openByLine(req.Order.Lines), openByLine(versions[newest].Lines); !maps.Equal(held, want) {
			t.Fatalf("after arrivals %v the warehouse holds %v, want version %d's %v", arrivals, held, newest, want)
		}
	})
}

// FuzzRoutingChange places an order whose lines go to two warehouses, the merchant, a drop-ship
// supplier or nowhere, then changes it: lines move between destinations, grow, shrink or are
// cancelled. Afterwards each warehouse holds exactly the open units routed to it (its request
// cancelled when none are left), and the last LinesRoutedAway of each other destination lists
// exactly the open units going there.
func FuzzRoutingChange(f *testing.F) {
	f.Add([]byte{2, 0, 1, 0, 2, 2, 0}, []byte{2, 1, 1, 0, 2, 2, 1}, byte(0))
	f.Add([]byte{3, 0, 2, 0, 1, 1, 0, 3, 1, 0, 4, 1, 0}, []byte{1, 2, 3, 0}, byte(0))
	f.Add([]byte{0, 3, 1, 0}, []byte{0, 3, 1, 1}, byte(0))
	f.Add([]byte{2, 0, 1, 0, 1, 2, 0}, []byte{2, 0, 2, 0, 1, 1, 0}, byte(1|4))
	f.Add([]byte{2, 0, 1, 0, 1, 2, 0}, []byte{1, 1, 1, 0}, byte(2|8))
	f.Add([]byte("0200"), []byte("0800000"), byte(1|4|8)) // TEA to wh, answer lost, moved to wh2, now CAKE
	f.Fuzz(func(t *testing.T, first, second []byte, chaos byte) {
		skus := []string{"TEA", "CAKE", "POSTER", "VASE", "GIFT"}
		dest := map[string]string{"TEA": "wh", "CAKE": "wh2", "POSTER": tobirasync.RouteMerchant, "VASE": "dropship:kiln", "GIFT": tobirasync.RouteIgnore}
		// chaos: 1 and 2, a warehouse write to wh lands with its answer lost, or a call to wh2
		// fails, in the first run; 4, the merchant swaps the two warehouses' SKUs between the
		// runs; 8, a write to wh loses its answer in the second run.
		version := func(b []byte) (order.Order, bool) {
			if len(b) == 0 {
				return order.Order{}, false
			}
			n := 1 + int(b[0])%4
			if len(b) < 1+3*n {
				return order.Order{}, false
			}
			o := newOrder("o1")
			for i := range n {
				sku, qty := skus[int(b[1+3*i])%len(skus)], 1+int(b[2+3*i])%3
				o.Lines = append(o.Lines, order.Line{ID: fmt.Sprintf("L%d", i+1), SKU: sku, Quantity: qty, Cancelled: int(b[3+3*i]) % (qty + 1), UnitPrice: order.Yen(100)})
			}
			return o, true
		}
		v1, ok1 := version(first)
		v2, ok2 := version(second)
		if !ok1 || !ok2 {
			return
		}
		r := newRig(t, "shop")
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"CAKE": "wh2", "POSTER": tobirasync.RouteMerchant, "VASE": "dropship:kiln", "GIFT": tobirasync.RouteIgnore}}
		r.apply()
		r.place("shop", v1)
		if chaos&1 != 0 {
			r.whs["wh"].FailAfter(1, nil)
		}
		if chaos&2 != 0 {
			r.whs["wh2"].FailNext(1, nil)
		}
		_, _ = r.eng.SyncOrders(r.ctx, "m1", "shop")
		if chaos&4 != 0 {
			// Routing applies when an order is delivered: a new content goes where the lines are
			// routed now, an order delivered before and unchanged since stays where it is. Whether
			// the first delivery finished when a call failed depends on the lines; not checked.
			unchanged := v1.Fingerprint() == v2.Fingerprint()
			if unchanged && chaos&3 != 0 {
				return
			}
			r.m.Routing.SKU["TEA"], r.m.Routing.SKU["CAKE"] = "wh2", "wh"
			if !unchanged {
				dest["TEA"], dest["CAKE"] = "wh2", "wh"
			}
			r.apply()
		}
		r.chans["shop"].Change("o1", func(o *order.Order) { o.Lines = v2.Lines })
		if chaos&8 != 0 {
			r.whs["wh"].FailAfter(1, nil)
		}
		r.clock.Advance(2 * time.Second)
		_, _ = r.eng.SyncOrders(r.ctx, "m1", "shop")
		for _, w := range r.whs {
			w.FailNext(0, nil)
			w.FailAfter(0, nil)
		}
		r.syncOrders("shop")
		r.syncOrders("shop")

		want := map[string]map[string]int{}
		for _, l := range v2.Lines {
			if n := l.Open(); n > 0 {
				d := dest[l.SKU]
				if want[d] == nil {
					want[d] = map[string]int{}
				}
				want[d][l.ID+"/"+l.SKU] += n
			}
		}
		for _, wh := range []string{"wh", "wh2"} {
			reqs := requestsPerOrder(r.whs[wh])["shop/o1"]
			req, ok := r.requestFor(wh, "shop", "o1")
			switch {
			case reqs > 1:
				t.Fatalf("%s holds %d requests for the order", wh, reqs)
			case len(want[wh]) == 0 && ok && req.State != memory.Cancelled:
				t.Fatalf("%s should ship nothing of %v but holds %v (%s)", wh, v2.Lines, openByLine(req.Order.Lines), req.State)
			case len(want[wh]) > 0 && (!ok || req.State != memory.Received || !maps.Equal(openByLine(req.Order.Lines), want[wh])):
				t.Fatalf("%s holds %v (%v, %s), want %v", wh, openByLine(req.Order.Lines), ok, req.State, want[wh])
			}
		}
		last := map[string]map[string]int{}
		for _, ev := range eventsOf[tobirasync.LinesRoutedAway](r) {
			got := map[string]int{}
			for _, l := range ev.Lines {
				got[l.LineID+"/"+l.SKU] += l.Quantity
			}
			last[ev.Destination] = got
		}
		for _, d := range []string{tobirasync.RouteMerchant, "dropship:kiln", tobirasync.RouteIgnore} {
			if len(want[d])+len(last[d]) > 0 && !maps.Equal(last[d], want[d]) {
				t.Fatalf("last report for %s lists %v, want %v", d, last[d], want[d])
			}
		}
	})
}

// FuzzStockFollowsTheWarehouse runs an arbitrary day of a shop on two channels: orders placed,
// changed and cancelled, the warehouse picking, shipping and receiving stock, calls failing before
// or after their effect and pages handed out twice, the engine's flows run in any order in
// between. Once the faults stop and every flow has caught up, each channel shows for each SKU
// what the warehouse holds less what is still to leave it, and was told of every unit shipped
// (see checkConfirmations).
func FuzzStockFollowsTheWarehouse(f *testing.F) {
	f.Add([]byte{0, 3, 0, 1, 6, 0, 3, 0, 7, 0, 8, 0})
	f.Add([]byte{0, 2, 0, 9, 6, 0, 4, 0, 1, 0, 6, 0, 3, 0, 5, 7, 2, 1})
	f.Add([]byte{0, 5, 0, 5, 6, 1, 2, 0, 6, 0, 4, 1, 1, 1, 6, 1, 3, 1, 8, 0})
	f.Add([]byte{0, 3, 10, 0, 6, 0, 9, 1, 8, 0, 3, 0, 10, 0, 7, 0, 11, 1, 0, 2, 6, 1})
	f.Add([]byte{0, 0, 0, 9, 6, 0, 3, 0, 2, 9, 4, 1, 6, 0, 3, 1, 7, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			return
		}
		r := newRig(t, "shop", "mall")
		r.chans["mall"].NoPartial = true // the mall hears of an order's shipment once it is whole
		skus := []string{"TEA", "CUP"}
		chans := []string{"shop", "mall"}
		r.setOnHand("TEA", 10)
		r.setOnHand("CUP", 4)
		type placed struct{ ch, id string }
		var orders []placed
		key := func(p placed) string {
			return tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: p.ch, OrderID: p.id}, "wh")
		}
		pick := func(arg byte) (placed, bool) {
			if len(orders) == 0 {
				return placed{}, false
			}
			return orders[int(arg)%len(orders)], true
		}
		faults := []*memory.Faults{&r.whs["wh"].Faults, &r.chans["shop"].Faults, &r.chans["mall"].Faults}
		changed := map[string]bool{} // orders whose quantity the shop changed
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%12, ops[i+1]
			switch op {
			case 0: // a buyer orders
				p := placed{chans[int(arg)%2], fmt.Sprintf("o%d", len(orders))}
				orders = append(orders, p)
				r.chans[p.ch].Place(newOrder(p.id, skus[int(arg/2)%2], 1+int(arg/4)%3))
			case 1: // the shop cancels an order
				if p, ok := pick(arg); ok {
					r.chans[p.ch].Cancel(p.id)
				}
			case 2: // the shop changes an order's quantity
				if p, ok := pick(arg); ok {
					r.chans[p.ch].Change(p.id, func(o *order.Order) { o.Lines[0].Quantity = 1 + int(arg/8)%4 })
					changed[p.ch+"/"+p.id] = true
				}
			case 3: // the warehouse ships a request whole
				if p, ok := pick(arg); ok {
					_, _ = r.whs["wh"].Ship(key(p), nil)
				}
			case 4: // the warehouse picks a request
				if p, ok := pick(arg); ok {
					_ = r.whs["wh"].Pick(key(p))
				}
			case 5: // goods arrive
				sku := skus[int(arg)%2]
				r.whs["wh"].SetOnHand(sku, r.whs["wh"].OnHand(sku)+int(arg/2)%5)
			// The flows fail while faults are injected; what matters is where they end up.
			case 6:
				_, _ = r.eng.SyncOrders(r.ctx, "m1", chans[int(arg)%2])
			case 7:
				_, _ = r.eng.SyncShipments(r.ctx, "m1", "wh")
			case 8:
				_, _ = r.eng.SyncStock(r.ctx, "m1")
			case 9: // calls fail before their effect
				faults[int(arg)%3].FailNext(1+int(arg/3)%2, nil)
			case 10: // writes take effect, then report failure
				faults[int(arg)%3].FailAfter(1+int(arg/3)%2, nil)
			case 11: // a listing hands its page out twice
				faults[int(arg)%3].RepeatPage(1)
			}
			r.clock.Advance(time.Second)
		}
		calm(faults...)
		r.catchUp()
		checkConfirmations(t, r, chans, changed)
		toLeave := r.leaving("wh")
		for _, sku := range skus {
			want := max(0, max(0, r.whs["wh"].OnHand(sku))-toLeave[sku])
			for _, ch := range chans {
				if got := r.stock(ch, sku); got != want {
					t.Fatalf("%s shows %d of %s; the warehouse holds %d with %d still to leave", ch, got, sku, r.whs["wh"].OnHand(sku), toLeave[sku])
				}
			}
		}
	})
}

// checkConfirmations checks that each channel was told of what the warehouse shipped: never of
// more units of a line than shipped, and of every shipped unit of an order the channel neither
// cancelled nor changed. (A known gap: a confirmation is trimmed to what the channel wants when
// it is sent, so units trimmed while the shop had lowered the quantity, and shipped anyway, are
// not confirmed when the shop raises it again.)
func checkConfirmations(t *testing.T, r *rig, chans []string, changed map[string]bool) {
	t.Helper()
	shipped := map[string]map[string]int{} // channel/order -> line -> units
	for _, sh := range r.shipments("wh") {
		k := sh.Channel + "/" + sh.OrderID
		if shipped[k] == nil {
			shipped[k] = map[string]int{}
		}
		for _, l := range sh.Lines {
			shipped[k][l.LineID] += l.Quantity
		}
	}
	for _, ch := range chans {
		confirmed := map[string]map[string]int{}
		for _, c := range r.chans[ch].ConfirmationLog() {
			k := ch + "/" + c.Order.ID
			if confirmed[k] == nil {
				confirmed[k] = map[string]int{}
			}
			for _, l := range c.Shipment.Lines {
				confirmed[k][l.LineID] += l.Quantity
			}
		}
		for _, o := range r.chans[ch].Orders() {
			k := ch + "/" + o.ID
			for _, l := range o.Lines {
				got, left := confirmed[k][l.ID], shipped[k][l.ID]
				if got > left {
					t.Fatalf("%s: line %s confirmed %d units, %d shipped", k, l.ID, got, left)
				}
				if o.Status != order.StatusCancelled && !changed[k] && got != left {
					t.Fatalf("%s: line %s shipped %d units of %d wanted, %d confirmed", k, l.ID, left, l.Open(), got)
				}
			}
		}
	}
}

// FuzzSplitShipments runs orders whose lines two warehouses ship, each in parts, on a channel
// that takes partial shipments and one that hears of an order only once it shipped whole. The
// warehouses number their shipments alike (both start at S1), calls fail before or after their
// effect, pages are handed out twice and the engine restarts, in any order. Once the faults stop
// and the flows catch up, each channel was told of every unit shipped, of no unit twice, and the
// whole-order channel only of whole orders; a channel hears an order is complete exactly when it
// shipped whole, and then the ledger records it shipped.
func FuzzSplitShipments(f *testing.F) {
	f.Add([]byte{0, 5, 1, 0, 2, 0, 3, 0, 2, 8, 4, 1, 5, 0, 3, 1})
	f.Add([]byte{0, 13, 0, 6, 2, 0, 3, 0, 2, 1, 3, 1, 6, 1, 4, 0, 4, 1, 5, 0})
	f.Add([]byte{0, 9, 2, 0, 7, 6, 8, 2, 3, 0, 3, 1, 9, 3, 4, 0, 4, 1, 7, 0})
	f.Add([]byte{0, 2, 0, 3, 2, 0, 2, 2, 2, 4, 3, 0, 3, 1, 10, 0, 9, 1, 5, 0, 4, 1})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			return
		}
		r := newRig(t, "shop", "mall")
		r.chans["mall"].NoPartial = true
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"CAKE": "wh2"}}
		r.apply()
		whs, chans := []string{"wh", "wh2"}, []string{"shop", "mall"}
		type placed struct{ ch, id string }
		var orders []placed
		shipped := map[string]int{} // warehouse/channel/order/line -> units the test shipped
		faults := []*memory.Faults{&r.whs["wh"].Faults, &r.whs["wh2"].Faults, &r.chans["shop"].Faults, &r.chans["mall"].Faults}
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%11, ops[i+1]
			switch op {
			case 0: // a buyer orders tea, cake or both
				p := placed{chans[int(arg)%2], fmt.Sprintf("o%d", len(orders))}
				orders = append(orders, p)
				lines := [][]any{{"TEA", 1 + int(arg/2)%3}, {"CAKE", 1 + int(arg/2)%2}, {"TEA", 2, "CAKE", 3}}[int(arg/8)%3]
				r.chans[p.ch].Place(newOrder(p.id, lines...))
			case 1, 2: // a warehouse ships part of an order: some units of one line
				if len(orders) == 0 {
					break
				}
				wh, p := whs[int(op)-1], orders[int(arg)%len(orders)]
				req, ok := r.requestFor(wh, p.ch, p.id)
				if !ok || req.State == memory.Cancelled || len(req.Order.Lines) == 0 {
					break
				}
				l := req.Order.Lines[int(arg/16)%len(req.Order.Lines)]
				k := wh + "/" + p.ch + "/" + p.id + "/" + l.ID
				if n := min(1+int(arg/4)%2, l.Open()-shipped[k]); n > 0 {
					if _, err := r.whs[wh].Ship(req.Key, []shipment.Line{{LineID: l.ID, SKU: l.SKU, Quantity: n}}); err == nil {
						shipped[k] += n
					}
				}
			case 3:
				_, _ = r.eng.SyncOrders(r.ctx, "m1", chans[int(arg)%2])
			case 4:
				_, _ = r.eng.SyncShipments(r.ctx, "m1", whs[int(arg)%2])
			case 5: // the process restarts
				r.restart()
			case 6: // calls fail before their effect
				faults[int(arg)%4].FailNext(1+int(arg/4)%2, nil)
			case 7: // writes take effect, then report failure
				faults[int(arg)%4].FailAfter(1+int(arg/4)%2, nil)
			case 8: // a listing hands its page out twice
				faults[int(arg)%4].RepeatPage(1)
			case 9, 10: // a warehouse ships what is left of an order
				if len(orders) == 0 {
					break
				}
				wh, p := whs[int(op)-9], orders[int(arg)%len(orders)]
				req, ok := r.requestFor(wh, p.ch, p.id)
				if !ok || req.State == memory.Cancelled {
					break
				}
				if s, err := r.whs[wh].Ship(req.Key, nil); err == nil {
					for _, l := range s.Lines {
						shipped[wh+"/"+p.ch+"/"+p.id+"/"+l.LineID] += l.Quantity
					}
				}
			}
			r.clock.Advance(time.Second)
		}
		calm(faults...)
		r.catchUp()
		for _, p := range orders {
			o, ok := r.chans[p.ch].Order(p.id)
			if !ok {
				t.Fatalf("%s/%s is gone from its channel", p.ch, p.id)
			}
			left, whole := map[string]int{}, true
			for _, l := range o.Lines {
				for _, wh := range whs {
					left[l.ID] += shipped[wh+"/"+p.ch+"/"+p.id+"/"+l.ID]
				}
				whole = whole && left[l.ID] == l.Open()
			}
			confirmed, complete := map[string]int{}, false
			for _, c := range r.chans[p.ch].ConfirmationLog() {
				if c.Order.ID != p.id {
					continue
				}
				if p.ch == "mall" && !c.Complete {
					t.Fatalf("mall/%s: told of a partial shipment %v", p.id, c.Shipment.Lines)
				}
				complete = complete || c.Complete
				for _, l := range c.Shipment.Lines {
					confirmed[l.LineID] += l.Quantity
				}
			}
			if complete != whole {
				// A channel told too early shows the order shipped with units still to come.
				t.Fatalf("%s/%s: shipped whole %v, told complete %v", p.ch, p.id, whole, complete)
			}
			for _, l := range o.Lines {
				want := left[l.ID]
				if p.ch == "mall" && !whole {
					want = 0 // told once the order shipped whole
				}
				if confirmed[l.ID] != want {
					t.Fatalf("%s/%s: line %s (%s) shipped %d of %d, told %d, want %d", p.ch, p.id, l.ID, l.SKU, left[l.ID], l.Open(), confirmed[l.ID], want)
				}
			}
			rec, err := r.eng.Order(r.ctx, ledger.OrderKey{Merchant: "m1", Channel: p.ch, OrderID: p.id})
			if err != nil {
				t.Fatal(err)
			}
			if whole != (rec.State == ledger.StateShipped) {
				t.Fatalf("%s/%s: shipped whole %v, recorded %s", p.ch, p.id, whole, rec.State)
			}
		}
	})
}
