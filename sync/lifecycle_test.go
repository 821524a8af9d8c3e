package sync_test

import (
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// The lifecycle of an order after it was first sent: changes, cancellations, routing, holds and
// shipments. Each subtest checks what the warehouses and the channels end up holding, the events
// the host saw and the ledger.

func okey(ch, id string) ledger.OrderKey {
	return ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}
}

func reqKey(wh, ch, id string) string { return tobirasync.RequestKey(okey(ch, id), wh) }

// ledger returns the engine's record of an order.
func (r *rig) ledger(ch, id string) *ledger.OrderRecord {
	r.t.Helper()
	rec, err := r.eng.Order(r.ctx, okey(ch, id))
	if err != nil {
		r.t.Fatalf("Order(%s/%s): %v", ch, id, err)
	}
	return rec
}

// request returns the warehouse's request for an order, failing if it has none.
func (r *rig) request(wh, ch, id string) memory.Request {
	r.t.Helper()
	q, ok := r.requestFor(wh, ch, id)
	if !ok {
		r.t.Fatalf("warehouse %s holds no request for %s/%s", wh, ch, id)
	}
	return q
}

// change edits an order on its channel; the clock passes the settle delay at the next sync.
func (r *rig) change(ch, id string, edit func(o *order.Order)) {
	r.t.Helper()
	if !r.chans[ch].Change(id, edit) {
		r.t.Fatalf("no order %s on %s", id, ch)
	}
}

// shipLines ships some lines of a request in the given parcels.
func (r *rig) shipLines(wh, ch, id string, lines []shipment.Line, parcels ...shipment.Parcel) shipment.Shipment {
	r.t.Helper()
	s, err := r.whs[wh].Ship(reqKey(wh, ch, id), lines, parcels...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	return s
}

// clearEvents forgets the events seen so far.
func (r *rig) clearEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

// callCounter counts a memory connector's calls by operation.
type callCounter struct {
	mu gosync.Mutex
	n  map[string]int
}

func countCalls(f *memory.Faults) *callCounter {
	c := &callCounter{n: map[string]int{}}
	f.SetHook(func(op string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n[op]++
		return nil
	})
	return c
}

func (c *callCounter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// open returns what a warehouse request still wants of each line.
func open(q memory.Request) map[string]int {
	out := map[string]int{}
	for _, l := range q.Order.Lines {
		if n := l.Open(); n > 0 {
			out[l.ID] = n
		}
	}
	return out
}

func lq(id, sku string, n int) connector.LineQuantity {
	return connector.LineQuantity{LineID: id, SKU: sku, Quantity: n}
}

func parcel(n string) shipment.Parcel {
	return shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: n}
}

func TestLifecycle(t *testing.T) {
	t.Run("change_before_pick", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		require.Equal(t, 8, r.stock("mall", "TEA"))
		r.clearEvents()

		slot := order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 11, Day: 5}, Slot: order.Slot1416}
		r.change("shop", "A1", func(o *order.Order) {
			o.ShipTo.Line1 = "神宮前2-2-2"
			o.Delivery = slot
			o.Gift = &order.Gift{Wrapping: true, Noshi: "御歳暮"}
			o.Lines[0].Quantity = 3
		})
		res := r.syncOrders("shop")
		require.Equal(t, 1, res.Changed)

		q := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Received, q.State)
		require.Equal(t, 1, q.Changes)
		require.Equal(t, "神宮前2-2-2", q.Order.ShipTo.Line1)
		require.Equal(t, slot, q.Order.Delivery)
		require.Equal(t, &order.Gift{Wrapping: true, Noshi: "御歳暮"}, q.Order.Gift)
		require.Equal(t, map[string]int{"L1": 3}, open(q))
		require.Equal(t, 1, r.whs["wh"].Submissions())

		require.Equal(t, []tobirasync.OrderChanged{{Key: okey("shop", "A1"), Warehouse: "wh"}}, eventsOf[tobirasync.OrderChanged](r))
		require.Empty(t, eventsOf[tobirasync.ChangeRefused](r))
		require.Empty(t, eventsOf[tobirasync.OrderSent](r))

		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateSent, rec.State)
		require.False(t, rec.Pending)
		require.Len(t, rec.Requests, 1)
		require.Equal(t, []connector.LineQuantity{lq("L1", "TEA", 3)}, rec.Requests[0].Lines)
		require.Equal(t, rec.Order.ShippingFingerprint(), rec.Requests[0].ShippingFP)
		require.Equal(t, 7, r.stock("mall", "TEA"), "the extra unit is taken from every channel at once")
		require.Equal(t, 7, r.stock("shop", "TEA"))

		// Shipping the changed request ships the changed content.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		c := r.chans["shop"].Confirmations()
		require.Len(t, c, 1)
		for _, conf := range c {
			require.True(t, conf.Complete)
			require.Equal(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 3}}, conf.Shipment.Lines)
		}
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
	})

	t.Run("change_after_pick_refused", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "shop", "A1")))
		r.clearEvents()

		r.change("shop", "A1", func(o *order.Order) { o.ShipTo.Line1 = "神宮前2-2-2" })
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Picked, q.State)
		require.Equal(t, 0, q.Changes)
		require.Equal(t, "神宮前1-1-1", q.Order.ShipTo.Line1, "the warehouse keeps the content it picked")
		require.Equal(t, []tobirasync.ChangeRefused{{Key: okey("shop", "A1"), Warehouse: "wh", Reason: connector.RefusedPicked}},
			eventsOf[tobirasync.ChangeRefused](r))
		require.Empty(t, eventsOf[tobirasync.OrderChanged](r))
		require.Equal(t, 1, calls.get("Change"))

		rec := r.ledger("shop", "A1")
		require.Equal(t, connector.RefusedPicked, rec.Requests[0].RefusedReason)
		require.NotEmpty(t, rec.Requests[0].Refused)
		require.Equal(t, ledger.StateSent, rec.State)
		require.False(t, rec.Pending)

		// The refusal is recorded: the same change is not asked again.
		r.syncOrders("shop")
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", mustOrder(t, r, "shop", "A1")))
		require.Equal(t, 1, calls.get("Change"))
		require.Len(t, eventsOf[tobirasync.ChangeRefused](r), 1)

		// The parcel goes out as it was, and the order completes.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Len(t, r.chans["shop"].Confirmations(), 1)
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
	})

	t.Run("cancel_before_pick_releases_stock", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 3))
		r.syncOrders("shop")
		require.Equal(t, 7, r.stock("mall", "TEA"))
		r.clearEvents()

		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Cancelled, q.State)
		require.Equal(t, 10, r.stock("mall", "TEA"), "a cancellation gives stock back to every channel at once")
		require.Equal(t, 10, r.stock("shop", "TEA"))
		require.Equal(t, []tobirasync.OrderCancelled{{Key: okey("shop", "A1"), Warehouse: "wh"}}, eventsOf[tobirasync.OrderCancelled](r))
		require.Empty(t, eventsOf[tobirasync.CancelRefused](r))

		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateCancelled, rec.State)
		require.Equal(t, ledger.RequestCancelled, rec.Requests[0].State)
		require.False(t, rec.Pending)
		n, err := r.eng.Available(r.ctx, "m1", "mall", "TEA")
		require.NoError(t, err)
		require.Equal(t, 10, n)

		// Nothing more happens on later runs.
		r.syncOrders("shop")
		r.syncStock()
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)
		require.Equal(t, 10, r.stock("mall", "TEA"))
		require.Equal(t, 1, r.whs["wh"].Submissions())
	})

	t.Run("restored_after_cancel_sent_again", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 3))
		r.syncOrders("shop")
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State)
		require.Equal(t, 10, r.stock("mall", "TEA"))

		// The shop restores the order: the warehouse cancelled the first request, so a new one
		// under its own key carries the order, and the stock is held again.
		r.chans["shop"].Change("A1", func(o *order.Order) { o.Status = order.StatusOpen })
		r.syncOrders("shop")
		reqs := r.whs["wh"].Requests()
		require.Len(t, reqs, 2)
		require.Equal(t, memory.Cancelled, reqs[0].State)
		require.Equal(t, memory.Received, reqs[1].State)
		require.NotEqual(t, reqs[0].Key, reqs[1].Key)
		require.Equal(t, 3, reqs[1].Order.Lines[0].Quantity)
		require.Equal(t, 7, r.stock("mall", "TEA"))
		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateSent, rec.State)

		// It ships under the new request and the shop hears of it once.
		r.shipRequest(reqs[1].Key)
		r.syncShipments()
		require.Len(t, r.chans["shop"].Confirmations(), 1)
		r.syncOrders("shop")
		require.Len(t, r.whs["wh"].Requests(), 2, "nothing sent twice")
	})

	t.Run("cancel_after_ship_refused", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 1))
		r.syncOrders("shop")
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Len(t, r.chans["shop"].Confirmations(), 1)
		r.clearEvents()

		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		require.Equal(t, memory.Shipped, r.request("wh", "shop", "A1").State)
		require.Equal(t, []tobirasync.CancelRefused{{Key: okey("shop", "A1"), Warehouse: "wh", Reason: connector.RefusedShipped}},
			eventsOf[tobirasync.CancelRefused](r))
		require.Empty(t, eventsOf[tobirasync.OrderCancelled](r))
		rec := r.ledger("shop", "A1")
		require.Equal(t, connector.RefusedShipped, rec.Requests[0].RefusedReason)
		require.Equal(t, ledger.RequestSent, rec.Requests[0].State)
		require.Equal(t, ledger.StateShipped, rec.State, "the parcel left: the order stays shipped")
		require.False(t, rec.Pending)

		// Reported once, not asked again.
		r.syncOrders("shop")
		require.Len(t, eventsOf[tobirasync.CancelRefused](r), 1)
		require.Len(t, r.chans["shop"].Confirmations(), 1)
	})

	t.Run("partial_cancel", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.setOnHand("CAKE", 10)
		r.place("shop", newOrder("A1", "TEA", 3, "CAKE", 2, "JAM", 1))
		r.syncOrders("shop")
		require.Equal(t, 7, r.stock("mall", "TEA"))
		require.Equal(t, 8, r.stock("mall", "CAKE"))
		r.clearEvents()

		// One unit of L1 cancelled, L2 removed, L3 untouched.
		r.change("shop", "A1", func(o *order.Order) {
			o.Lines[0].Cancelled = 1
			o.Lines = append(o.Lines[:1], o.Lines[2])
		})
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Received, q.State)
		require.Equal(t, map[string]int{"L1": 2, "L3": 1}, open(q))
		require.Equal(t, 1, q.Changes)
		ev := eventsOf[tobirasync.OrderCancelled](r)
		require.Len(t, ev, 1)
		require.Equal(t, "wh", ev[0].Warehouse)
		require.ElementsMatch(t, []connector.LineQuantity{lq("L1", "TEA", 1), lq("L2", "CAKE", 2)}, ev[0].Lines)
		require.Empty(t, eventsOf[tobirasync.OrderChanged](r))
		require.Equal(t, 8, r.stock("mall", "TEA"), "cancelled units go back to every channel at once")
		require.Equal(t, 10, r.stock("mall", "CAKE"))

		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateSent, rec.State)
		require.ElementsMatch(t, []connector.LineQuantity{lq("L1", "TEA", 2), lq("L3", "JAM", 1)}, rec.Requests[0].Lines)

		// What ships is what is left; no cancelled unit is confirmed.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		c := r.chans["shop"].Confirmations()
		require.Len(t, c, 1)
		for _, conf := range c {
			require.True(t, conf.Complete)
			require.ElementsMatch(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}, {LineID: "L3", SKU: "JAM", Quantity: 1}}, conf.Shipment.Lines)
		}
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
		require.Len(t, eventsOf[tobirasync.OrderShipped](r), 1)
	})

	t.Run("duplicate_change_sent_once", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")

		r.change("shop", "A1", func(o *order.Order) { o.ShipTo.Line2 = "3F" })
		first := mustOrder(t, r, "shop", "A1")
		// The change lands but its answer is lost: the engine sends it again with the same key.
		r.whs["wh"].FailAfter(1, nil)
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		require.Equal(t, 1, r.request("wh", "shop", "A1").Changes)
		require.True(t, r.ledger("shop", "A1").Pending)

		r.syncOrders("shop")
		r.syncOrders("shop")
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", first), "the same content pushed by a webhook")
		again := first
		again.UpdatedAt = again.UpdatedAt.Add(time.Minute)
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", again), "the same content with a newer timestamp")
		q := r.request("wh", "shop", "A1")
		require.Equal(t, 1, q.Changes)
		require.Equal(t, "3F", q.Order.ShipTo.Line2)
		require.Equal(t, 2, calls.get("Change"), "one change and one retry with the same key")
		require.Len(t, eventsOf[tobirasync.OrderChanged](r), 1)
		require.False(t, r.ledger("shop", "A1").Pending)

		// A second, different change is a new change.
		r.change("shop", "A1", func(o *order.Order) { o.ShipTo.Line2 = "4F" })
		r.syncOrders("shop")
		q = r.request("wh", "shop", "A1")
		require.Equal(t, 2, q.Changes)
		require.Equal(t, "4F", q.Order.ShipTo.Line2)
		require.Len(t, eventsOf[tobirasync.OrderChanged](r), 2)

		// The first change arriving late (an old webhook) changes nothing.
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", first))
		r.syncOrders("shop")
		q = r.request("wh", "shop", "A1")
		require.Equal(t, 2, q.Changes)
		require.Equal(t, "4F", q.Order.ShipTo.Line2)
		require.Equal(t, 3, calls.get("Change"))
		require.Equal(t, 1, r.whs["wh"].Submissions())
	})

	t.Run("route_merchant_lines_not_sent", func(t *testing.T) {
		r := newRig(t, "shop")
		r.m.Routing = tobirasync.Routing{
			SKU:     map[string]string{"POSTER": tobirasync.RouteMerchant},
			Channel: map[string]map[string]string{"shop": {"GIFTCARD": tobirasync.RouteIgnore}},
		}
		r.apply()
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 1, "POSTER", 2, "GIFTCARD", 1))
		r.place("shop", newOrder("A2", "POSTER", 1))
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, map[string]int{"L1": 1}, open(q))
		require.Len(t, q.Order.Lines, 1, "lines routed away never reach the warehouse")
		_, ok := r.requestFor("wh", "shop", "A2")
		require.False(t, ok)
		require.Len(t, r.whs["wh"].Requests(), 1)

		away := eventsOf[tobirasync.LinesRoutedAway](r)
		require.ElementsMatch(t, []tobirasync.LinesRoutedAway{
			{Key: okey("shop", "A1"), Destination: tobirasync.RouteMerchant, Lines: []connector.LineQuantity{lq("L2", "POSTER", 2)}},
			{Key: okey("shop", "A1"), Destination: tobirasync.RouteIgnore, Lines: []connector.LineQuantity{lq("L3", "GIFTCARD", 1)}},
			{Key: okey("shop", "A2"), Destination: tobirasync.RouteMerchant, Lines: []connector.LineQuantity{lq("L1", "POSTER", 1)}},
		}, away)
		require.Equal(t, ledger.StateNotRouted, r.ledger("shop", "A2").State)
		require.Empty(t, r.ledger("shop", "A2").Requests)

		// The warehouse's lines complete the order.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
		c := r.chans["shop"].Confirmations()
		require.Len(t, c, 1)
		for _, conf := range c {
			require.True(t, conf.Complete)
		}
		r.syncOrders("shop")
		require.Len(t, eventsOf[tobirasync.LinesRoutedAway](r), 3, "reported once")
	})

	t.Run("split_two_warehouses", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{
			Default: "wh",
			SKU:     map[string]string{"CAKE": "wh2"},
			Channel: map[string]map[string]string{"mall": {"*": "wh2"}},
		}
		r.apply()
		r.setOnHand("TEA", 10)
		r.whs["wh2"].SetOnHand("CAKE", 10)
		r.syncStock()

		r.place("shop", newOrder("A1", "TEA", 1, "CAKE", 2))
		r.place("mall", newOrder("B1", "TEA", 1))
		r.syncOrders("shop")
		r.syncOrders("mall")

		q1 := r.request("wh", "shop", "A1")
		q2 := r.request("wh2", "shop", "A1")
		require.NotEqual(t, q1.Key, q2.Key)
		require.Equal(t, map[string]int{"L1": 1}, open(q1))
		require.Equal(t, map[string]int{"L2": 2}, open(q2))
		require.Len(t, r.whs["wh"].Requests(), 1)
		require.Len(t, r.whs["wh2"].Requests(), 2)
		require.Equal(t, map[string]int{"L1": 1}, open(r.request("wh2", "mall", "B1")), "the channel's default rule")
		require.Len(t, eventsOf[tobirasync.OrderSent](r), 3)
		require.Empty(t, eventsOf[tobirasync.LinesRoutedAway](r))
		rec := r.ledger("shop", "A1")
		require.Len(t, rec.Requests, 2)
		require.Equal(t, 8, r.stock("mall", "CAKE"))

		// Each warehouse ships its part; the order is shipped when both have.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A1").State)
		require.Empty(t, eventsOf[tobirasync.OrderShipped](r))
		r.ship("wh2", "shop", "A1")
		r.syncShipments()
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
		require.Equal(t, []tobirasync.OrderShipped{{Key: okey("shop", "A1")}}, eventsOf[tobirasync.OrderShipped](r))
		// Both warehouses number their shipments from 1: each shipment still reaches the channel.
		c := r.chans["shop"].ConfirmationLog()
		require.Len(t, c, 2, "one confirmation per warehouse shipment")
		require.Len(t, r.chans["shop"].Confirmations(), 2, "under distinct shipment IDs, which sinks are idempotent on")
		complete := 0
		var lines []shipment.Line
		for _, conf := range c {
			if conf.Complete {
				complete++
			}
			lines = append(lines, conf.Shipment.Lines...)
		}
		require.Equal(t, 1, complete)
		require.ElementsMatch(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 1}, {LineID: "L2", SKU: "CAKE", Quantity: 2}}, lines)

		// Cancelling the mall order cancels it at wh2 only.
		r.chans["mall"].Cancel("B1")
		r.syncOrders("mall")
		require.Equal(t, memory.Cancelled, r.request("wh2", "mall", "B1").State)
		require.Len(t, r.whs["wh"].Requests(), 1)
	})

	t.Run("dropship_event", func(t *testing.T) {
		r := newRig(t, "shop")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"VASE": "dropship:kiln"}}
		r.apply()
		r.setOnHand("TEA", 10)
		r.setOnHand("VASE", 5)
		r.place("shop", newOrder("A1", "TEA", 1, "VASE", 2))
		r.syncOrders("shop")

		require.Equal(t, []tobirasync.LinesRoutedAway{{Key: okey("shop", "A1"), Destination: "dropship:kiln",
			Lines: []connector.LineQuantity{lq("L2", "VASE", 2)}}}, eventsOf[tobirasync.LinesRoutedAway](r))
		q := r.request("wh", "shop", "A1")
		require.Equal(t, map[string]int{"L1": 1}, open(q))
		require.Len(t, q.Order.Lines, 1)
		require.Equal(t, 5, r.stock("shop", "VASE"), "lines shipped by a supplier take no warehouse stock")
		require.Equal(t, 9, r.stock("shop", "TEA"))

		r.syncOrders("shop")
		require.Len(t, eventsOf[tobirasync.LinesRoutedAway](r), 1)
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
	})

	t.Run("hold_until_paid", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.channel("mall").Hold = tobirasync.HoldPolicy{Statuses: []string{"100"}}
		r.apply()
		r.setOnHand("TEA", 10)
		unpaid := newOrder("A1", "TEA", 1)
		unpaid.Status = order.StatusPending
		r.place("shop", unpaid)
		review := newOrder("B1", "TEA", 2)
		review.ChannelStatus = "100"
		r.place("mall", review)
		r.syncOrders("shop")
		r.syncOrders("mall")
		r.syncOrders("shop")

		require.Empty(t, r.whs["wh"].Requests(), "nothing is sent while held")
		require.Equal(t, ledger.StateHeld, r.ledger("shop", "A1").State)
		require.Equal(t, ledger.StateHeld, r.ledger("mall", "B1").State)
		require.Len(t, eventsOf[tobirasync.OrderHeld](r), 2)
		require.Equal(t, 7, r.stock("shop", "TEA"), "held orders keep their stock")

		// A change while held is recorded, not sent.
		r.change("shop", "A1", func(o *order.Order) { o.ShipTo.Line2 = "3F" })
		r.syncOrders("shop")
		require.Empty(t, r.whs["wh"].Requests())

		r.change("shop", "A1", func(o *order.Order) { o.Status = order.StatusOpen })
		r.change("mall", "B1", func(o *order.Order) { o.ChannelStatus = "300" })
		r.syncOrders("shop")
		r.syncOrders("mall")
		q := r.request("wh", "shop", "A1")
		require.Equal(t, "3F", q.Order.ShipTo.Line2)
		require.Equal(t, 0, q.Changes)
		require.Equal(t, map[string]int{"L1": 2}, open(r.request("wh", "mall", "B1")))
		require.Len(t, eventsOf[tobirasync.OrderSent](r), 2)
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A1").State)
		require.Empty(t, r.ledger("shop", "A1").HoldReason)
		require.Len(t, eventsOf[tobirasync.OrderHeld](r), 2)
	})

	t.Run("manual_hold_release", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)

		// Held by hand before it was sent.
		unpaid := newOrder("A1", "TEA", 1)
		unpaid.Status = order.StatusPending
		r.place("shop", unpaid)
		r.syncOrders("shop")
		require.NoError(t, r.eng.Hold(r.ctx, okey("shop", "A1"), "address check"))
		r.change("shop", "A1", func(o *order.Order) { o.Status = order.StatusOpen })
		r.syncOrders("shop")
		_, ok := r.requestFor("wh", "shop", "A1")
		require.False(t, ok, "paid but held by hand: not sent")
		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateHeld, rec.State)
		require.Contains(t, rec.HoldReason, "address check")
		require.NoError(t, r.eng.Release(r.ctx, okey("shop", "A1")))
		r.syncOrders("shop")
		r.request("wh", "shop", "A1")
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A1").State)

		// Held by hand after it was sent: changes wait for the release.
		r.place("shop", newOrder("A2", "TEA", 1))
		r.syncOrders("shop")
		require.NoError(t, r.eng.Hold(r.ctx, okey("shop", "A2"), "fraud review"))
		r.syncOrders("shop")
		require.Equal(t, ledger.StateHeld, r.ledger("shop", "A2").State)
		r.change("shop", "A2", func(o *order.Order) { o.ShipTo.Line2 = "3F" })
		r.syncOrders("shop")
		require.Equal(t, 0, calls.get("Change"))
		require.Equal(t, 0, r.request("wh", "shop", "A2").Changes)
		require.NoError(t, r.eng.Release(r.ctx, okey("shop", "A2")))
		r.syncOrders("shop")
		q := r.request("wh", "shop", "A2")
		require.Equal(t, 1, q.Changes)
		require.Equal(t, "3F", q.Order.ShipTo.Line2)
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A2").State)
		require.Equal(t, 2, r.whs["wh"].Submissions())
		require.Len(t, eventsOf[tobirasync.OrderHeld](r), 3)
	})

	t.Run("partial_shipment_two_parcels", func(t *testing.T) {
		r := newRig(t, "shop", "mall", "outlet")
		r.channel("mall").Shipments = tobirasync.ShipWhenComplete
		r.chans["outlet"].NoPartial = true
		r.apply()
		r.setOnHand("TEA", 20)
		r.setOnHand("CAKE", 20)
		for _, ch := range []string{"shop", "mall", "outlet"} {
			r.place(ch, newOrder("A1", "TEA", 3, "CAKE", 1))
			r.syncOrders(ch)
		}
		first := map[string]shipment.Shipment{}
		for _, ch := range []string{"shop", "mall", "outlet"} {
			first[ch] = r.shipLines("wh", ch, "A1", []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}},
				parcel("400000000001"), parcel("400000000002"))
		}
		r.syncShipments()

		c := r.chans["shop"].Confirmations()
		require.Len(t, c, 1)
		conf := c[memory.ShipmentRef{OrderID: "A1", ShipmentID: first["shop"].ID}]
		require.False(t, conf.Complete)
		require.Len(t, conf.Shipment.Parcels, 2)
		require.Equal(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}}, conf.Shipment.Lines)
		o, _ := r.chans["shop"].Order("A1")
		require.NotEqual(t, "shipped", o.ChannelStatus)
		require.Empty(t, r.chans["mall"].Confirmations(), "ShipWhenComplete waits")
		require.Empty(t, r.chans["outlet"].Confirmations(), "a channel without partial shipments is never told all shipped early")
		for _, ch := range []string{"shop", "mall", "outlet"} {
			require.Equal(t, ledger.StateSent, r.ledger(ch, "A1").State)
		}
		require.Empty(t, eventsOf[tobirasync.OrderShipped](r))

		for _, ch := range []string{"shop", "mall", "outlet"} {
			r.shipLines("wh", ch, "A1", nil, parcel("400000000003"))
		}
		r.syncShipments()
		r.syncShipments()

		c = r.chans["shop"].Confirmations()
		require.Len(t, c, 2)
		var lines []shipment.Line
		for id, conf := range c {
			require.Equal(t, id.ShipmentID != first["shop"].ID, conf.Complete)
			lines = append(lines, conf.Shipment.Lines...)
		}
		require.ElementsMatch(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}, {LineID: "L1", SKU: "TEA", Quantity: 1}, {LineID: "L2", SKU: "CAKE", Quantity: 1}}, lines)
		for _, ch := range []string{"mall", "outlet"} {
			c := r.chans[ch].Confirmations()
			require.Len(t, c, 1, ch)
			for _, conf := range c {
				require.True(t, conf.Complete)
				require.Len(t, conf.Shipment.Parcels, 3, ch)
				require.ElementsMatch(t, lines, conf.Shipment.Lines, ch)
			}
			o, _ := r.chans[ch].Order("A1")
			require.Equal(t, "shipped", o.ChannelStatus)
		}
		for _, ch := range []string{"shop", "mall", "outlet"} {
			rec := r.ledger(ch, "A1")
			require.Equal(t, ledger.StateShipped, rec.State)
			require.Equal(t, map[string]int{"L1": 3, "L2": 1}, rec.Shipped())
		}
		require.Len(t, eventsOf[tobirasync.OrderShipped](r), 3)
		require.Len(t, eventsOf[tobirasync.ShipmentConfirmed](r), 4)
	})

	t.Run("shipment_for_unknown_order_quarantined", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		// The warehouse ships an order the engine never sent (keyed in by hand at the warehouse).
		stray := newOrder("ZZZ", "TEA", 1)
		require.NoError(t, r.whs["wh"].Submit(r.ctx, connector.FulfillmentRequest{Key: "manual-1", Merchant: "m1", Channel: "shop", Order: stray}))
		_, err := r.whs["wh"].Ship("manual-1", nil)
		require.NoError(t, err)
		r.place("shop", newOrder("A1", "TEA", 1))
		r.syncOrders("shop")
		r.ship("wh", "shop", "A1")
		r.syncShipments()

		c := r.chans["shop"].Confirmations()
		require.Len(t, c, 1, "the other shipment still goes through")
		for _, conf := range c {
			require.Equal(t, "A1", conf.Order.ID)
		}
		q, err := r.eng.ListQuarantine(r.ctx, "m1")
		require.NoError(t, err)
		require.Len(t, q, 1)
		require.Equal(t, "shipment", q[0].Kind)
		require.Equal(t, "wh", q[0].Source)
		require.Contains(t, q[0].Reason, "ZZZ")
		require.Len(t, eventsOf[tobirasync.ItemQuarantined](r), 1)
		_, err = r.eng.Order(r.ctx, okey("shop", "ZZZ"))
		require.ErrorIs(t, err, ledger.ErrNotFound)

		r.syncShipments()
		require.Len(t, r.chans["shop"].Confirmations(), 1)
		q, err = r.eng.ListQuarantine(r.ctx, "m1")
		require.NoError(t, err)
		require.Len(t, q, 1)
	})

	t.Run("crash_during_cancel_converges", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.setOnHand("CAKE", 10)
		r.place("shop", newOrder("A1", "TEA", 3))
		r.place("shop", newOrder("A2", "TEA", 1, "CAKE", 2))
		r.syncOrders("shop")
		require.Equal(t, 6, r.stock("mall", "TEA"))
		r.clearEvents()

		// A1 cancelled whole, A2 loses one line; both cancellations land and their answers are lost.
		r.chans["shop"].Cancel("A1")
		r.change("shop", "A2", func(o *order.Order) { o.Lines[1].Cancelled = 2 })
		// A retryable failure ends a run, so the first run stops at A1. In the second, A1's retry
		// (same key, no new effect) is answered, then A2's cancellation lands and loses its answer.
		r.whs["wh"].FailAfter(1, nil)
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State)
		require.Equal(t, 0, r.request("wh", "shop", "A2").Changes)
		require.Empty(t, eventsOf[tobirasync.OrderCancelled](r), "no answer, no event yet")
		done := 0
		r.whs["wh"].SetHook(func(op string) error {
			if op == "Cancel:done" {
				if done++; done == 2 {
					return connector.ErrOutcomeUnknown
				}
			}
			return nil
		})
		_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		r.whs["wh"].SetHook(nil)
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State)
		require.Equal(t, 1, r.request("wh", "shop", "A2").Changes)
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)

		// The process dies and starts again on the same store.
		r.restart()
		r.syncOrders("shop")
		r.syncOrders("shop")
		r.syncStock()

		q1 := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Cancelled, q1.State)
		q2 := r.request("wh", "shop", "A2")
		require.Equal(t, 1, q2.Changes, "the partial cancellation took effect once")
		require.Equal(t, map[string]int{"L1": 1}, open(q2))
		for _, l := range q2.Order.Lines {
			if l.ID == "L2" {
				require.Equal(t, 2, l.Cancelled)
			}
		}
		ev := eventsOf[tobirasync.OrderCancelled](r)
		require.Len(t, ev, 2, "one event per cancellation")
		require.Empty(t, eventsOf[tobirasync.CancelRefused](r))
		require.Equal(t, 9, r.stock("mall", "TEA"))
		require.Equal(t, 10, r.stock("mall", "CAKE"))
		require.Equal(t, 9, r.stock("shop", "TEA"))
		require.Equal(t, ledger.StateCancelled, r.ledger("shop", "A1").State)
		require.False(t, r.ledger("shop", "A1").Pending)
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A2").State)
		require.Equal(t, 2, r.whs["wh"].Submissions())

		// A crash before the call (the process dies as it is about to cancel) converges too.
		r.place("shop", newOrder("A3", "TEA", 2))
		r.syncOrders("shop")
		require.Equal(t, 7, r.stock("mall", "TEA"))
		r.chans["shop"].Cancel("A3")
		crash := errors.New("process killed")
		r.whs["wh"].SetHook(func(op string) error {
			if op == "Cancel" {
				return crash
			}
			return nil
		})
		r.clock.Advance(2 * time.Second)
		_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, crash)
		require.Equal(t, memory.Received, r.request("wh", "shop", "A3").State)
		r.whs["wh"].SetHook(nil)
		r.restart()
		r.syncOrders("shop")
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A3").State)
		require.Equal(t, 9, r.stock("mall", "TEA"))
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 3)
	})

	// Gaps beyond the list.

	t.Run("change_then_cancel", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Quantity = 4 })
		r.syncOrders("shop")
		require.Equal(t, 6, r.stock("mall", "TEA"))
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, memory.Cancelled, q.State)
		require.Equal(t, 1, q.Changes)
		require.Len(t, eventsOf[tobirasync.OrderChanged](r), 1)
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)
		require.Equal(t, 10, r.stock("mall", "TEA"))
		require.Equal(t, ledger.StateCancelled, r.ledger("shop", "A1").State)
	})

	t.Run("cancel_before_sent", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)
		// Cancelled before the engine first saw it.
		r.place("shop", newOrder("A1", "TEA", 2))
		r.chans["shop"].Cancel("A1")
		// Seen while held (unpaid), cancelled later.
		unpaid := newOrder("A2", "TEA", 3)
		unpaid.Status = order.StatusPending
		r.place("shop", unpaid)
		r.syncOrders("shop")
		require.Equal(t, 7, r.stock("mall", "TEA"))
		r.chans["shop"].Cancel("A2")
		r.syncOrders("shop")

		require.Empty(t, r.whs["wh"].Requests())
		require.Equal(t, 0, calls.get("Submit"))
		require.Equal(t, 10, r.stock("mall", "TEA"))
		for _, id := range []string{"A1", "A2"} {
			rec := r.ledger("shop", id)
			require.Equal(t, ledger.StateCancelled, rec.State, id)
			require.Empty(t, rec.Requests, id)
			require.False(t, rec.Pending, id)
		}
		require.Empty(t, eventsOf[tobirasync.OrderSent](r))
		require.Empty(t, eventsOf[tobirasync.CancelRefused](r))
	})

	t.Run("change_delivery_slot", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		o := newOrder("A1", "TEA", 1)
		o.Delivery = order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 11, Day: 5}, Slot: order.SlotMorning}
		r.place("shop", o)
		r.syncOrders("shop")
		r.change("shop", "A1", func(o *order.Order) { o.Delivery.Slot = order.Slot1921 })
		r.syncOrders("shop")
		q := r.request("wh", "shop", "A1")
		require.Equal(t, order.Slot1921, q.Order.Delivery.Slot)
		require.Equal(t, 1, q.Changes)
		require.Len(t, eventsOf[tobirasync.OrderChanged](r), 1)

		// A change the warehouse need not hear about (a product name) sends nothing.
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Name = "Green tea" })
		r.syncOrders("shop")
		require.Equal(t, 1, r.request("wh", "shop", "A1").Changes)
		require.Len(t, eventsOf[tobirasync.OrderChanged](r), 1)
	})

	t.Run("partial_cancel_after_pick_refused", func(t *testing.T) {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 3))
		r.syncOrders("shop")
		require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "shop", "A1")))
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Cancelled = 1 })
		r.syncOrders("shop")
		r.syncOrders("shop")

		require.Equal(t, []tobirasync.CancelRefused{{Key: okey("shop", "A1"), Warehouse: "wh",
			Lines: []connector.LineQuantity{lq("L1", "TEA", 1)}, Reason: connector.RefusedPicked}}, eventsOf[tobirasync.CancelRefused](r))
		q := r.request("wh", "shop", "A1")
		require.Equal(t, map[string]int{"L1": 3}, open(q))
		require.Equal(t, 0, q.Changes)
		require.Equal(t, connector.RefusedPicked, r.ledger("shop", "A1").Requests[0].RefusedReason)

		// The picked parcel leaves with 3 units; the channel is told of the 2 it still wants.
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		r.syncStock()
		c := r.chans["shop"].ConfirmationLog()
		require.Len(t, c, 1)
		require.True(t, c[0].Complete)
		require.Equal(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}}, c[0].Shipment.Lines)
		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateShipped, rec.State)
		require.Equal(t, map[string]int{"L1": 3}, rec.Shipped())
		require.Equal(t, 7, r.whs["wh"].OnHand("TEA"))
		require.Equal(t, 7, r.stock("shop", "TEA"))
		parked, err := r.eng.ListQuarantine(r.ctx, "m1")
		require.NoError(t, err)
		require.Empty(t, parked)
	})

	t.Run("cancel_refused_then_shipped", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "shop", "A1")))
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")
		require.Equal(t, []tobirasync.CancelRefused{{Key: okey("shop", "A1"), Warehouse: "wh", Reason: connector.RefusedPicked}},
			eventsOf[tobirasync.CancelRefused](r))
		require.Equal(t, 8, r.stock("mall", "TEA"), "the parcel will leave: its units stay taken")

		r.ship("wh", "shop", "A1")
		r.syncShipments()
		r.syncStock()
		require.Empty(t, r.chans["shop"].ConfirmationLog(), "never confirmed for a cancelled order")
		o, _ := r.chans["shop"].Order("A1")
		require.Equal(t, order.StatusCancelled, o.Status)
		require.Equal(t, 8, r.whs["wh"].OnHand("TEA"))
		require.Equal(t, 8, r.stock("mall", "TEA"), "the shipped units are counted once")
		require.Equal(t, map[string]int{"L1": 2}, r.ledger("shop", "A1").Shipped())
		q, err := r.eng.ListQuarantine(r.ctx, "m1")
		require.NoError(t, err)
		require.Empty(t, q, "a shipment the host was warned of (CancelRefused) is recorded, not parked")
		require.Len(t, eventsOf[tobirasync.CancelRefused](r), 1)
		require.Empty(t, eventsOf[tobirasync.ShipmentConfirmed](r))
	})

	t.Run("change_refused_then_shipped", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "shop", "A1")))
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Quantity = 3 })
		r.syncOrders("shop")
		require.Len(t, eventsOf[tobirasync.ChangeRefused](r), 1)
		require.Equal(t, 8, r.stock("mall", "TEA"), "the refused unit is not taken")

		r.ship("wh", "shop", "A1")
		r.syncShipments()
		r.syncStock()
		rec := r.ledger("shop", "A1")
		require.Equal(t, ledger.StateShipped, rec.State, "what the warehouse agreed to ship has shipped")
		require.Len(t, eventsOf[tobirasync.OrderShipped](r), 1)
		require.Equal(t, 8, r.stock("mall", "TEA"))
	})

	t.Run("split_ship_when_complete", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"CAKE": "wh2"}}
		r.channel("mall").Shipments = tobirasync.ShipWhenComplete
		r.apply()
		r.setOnHand("TEA", 10)
		r.whs["wh2"].SetOnHand("CAKE", 10)
		r.syncStock()
		r.place("mall", newOrder("B1", "TEA", 1, "CAKE", 1))
		r.syncOrders("mall")
		r.shipLines("wh", "mall", "B1", nil, parcel("400000000011"))
		r.syncShipments()
		require.Empty(t, r.chans["mall"].ConfirmationLog())
		r.shipLines("wh2", "mall", "B1", nil, parcel("400000000012"))
		r.syncShipments()
		r.syncShipments()

		c := r.chans["mall"].ConfirmationLog()
		require.Len(t, c, 1)
		require.True(t, c[0].Complete)
		require.ElementsMatch(t, []shipment.Parcel{parcel("400000000011"), parcel("400000000012")}, c[0].Shipment.Parcels)
		require.ElementsMatch(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 1}, {LineID: "L2", SKU: "CAKE", Quantity: 1}}, c[0].Shipment.Lines)
		require.Equal(t, ledger.StateShipped, r.ledger("mall", "B1").State)
		require.Len(t, eventsOf[tobirasync.ShipmentConfirmed](r), 1)
	})

	t.Run("hold_then_cancel", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 2))
		r.syncOrders("shop")
		require.NoError(t, r.eng.Hold(r.ctx, okey("shop", "A1"), "check"))
		r.syncOrders("shop")
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State, "a hold never keeps a cancellation from the warehouse")
		require.Equal(t, 10, r.stock("mall", "TEA"))
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)
	})

	t.Run("split_cancel_one_warehouse_refuses", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"CAKE": "wh2"}}
		r.apply()
		r.setOnHand("TEA", 10)
		r.whs["wh2"].SetOnHand("CAKE", 10)
		r.syncStock()
		r.place("shop", newOrder("A1", "TEA", 1, "CAKE", 2))
		r.syncOrders("shop")
		require.NoError(t, r.whs["wh2"].Pick(reqKey("wh2", "shop", "A1")))
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State)
		require.Equal(t, memory.Picked, r.request("wh2", "shop", "A1").State)
		require.Equal(t, []tobirasync.OrderCancelled{{Key: okey("shop", "A1"), Warehouse: "wh"}}, eventsOf[tobirasync.OrderCancelled](r))
		require.Equal(t, []tobirasync.CancelRefused{{Key: okey("shop", "A1"), Warehouse: "wh2", Reason: connector.RefusedPicked}}, eventsOf[tobirasync.CancelRefused](r))
		require.Equal(t, 10, r.stock("mall", "TEA"), "the accepted part is released at once")
		require.Equal(t, 8, r.stock("mall", "CAKE"), "the refused part will leave")
		rec := r.ledger("shop", "A1")
		require.NotEqual(t, ledger.StateCancelled, rec.State, "one warehouse still ships")
		require.False(t, rec.Pending)

		r.ship("wh2", "shop", "A1")
		r.syncShipments()
		r.syncStock()
		require.Empty(t, r.chans["shop"].ConfirmationLog())
		require.Equal(t, 8, r.stock("mall", "CAKE"))
		require.Equal(t, 10, r.stock("mall", "TEA"))
	})

	t.Run("change_moves_lines_between_warehouses", func(t *testing.T) {
		r := newRig(t, "shop")
		r.addWarehouse("wh2")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"CAKE": "wh2"}}
		r.apply()
		r.setOnHand("TEA", 10)
		r.whs["wh2"].SetOnHand("CAKE", 10)
		r.syncStock()
		r.place("shop", newOrder("A1", "TEA", 1))
		r.syncOrders("shop")
		_, ok := r.requestFor("wh2", "shop", "A1")
		require.False(t, ok)

		// A line for the second warehouse is added: it gets its own request.
		r.change("shop", "A1", func(o *order.Order) {
			o.Lines = append(o.Lines, order.Line{ID: "L2", SKU: "CAKE", Quantity: 1, UnitPrice: order.Yen(1000)})
		})
		r.syncOrders("shop")
		require.Equal(t, map[string]int{"L2": 1}, open(r.request("wh2", "shop", "A1")))
		q := r.request("wh", "shop", "A1")
		require.Equal(t, 0, q.Changes, "the first warehouse's part did not change")
		require.Equal(t, 9, r.stock("shop", "CAKE"))

		// The line is removed again: the second request is cancelled, the first left alone.
		r.change("shop", "A1", func(o *order.Order) { o.Lines = o.Lines[:1] })
		r.syncOrders("shop")
		require.Equal(t, memory.Cancelled, r.request("wh2", "shop", "A1").State)
		require.Equal(t, memory.Received, r.request("wh", "shop", "A1").State)
		require.Equal(t, 10, r.stock("shop", "CAKE"))
		require.Equal(t, []tobirasync.OrderCancelled{{Key: okey("shop", "A1"), Warehouse: "wh2"}}, eventsOf[tobirasync.OrderCancelled](r))
		r.ship("wh", "shop", "A1")
		r.syncShipments()
		require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
	})

	t.Run("hold_delivery_date_far_ahead", func(t *testing.T) {
		r := newRig(t, "shop")
		r.channel("shop").Hold = tobirasync.HoldPolicy{DeliveryBeyond: 7 * 24 * time.Hour}
		r.apply()
		r.setOnHand("TEA", 10)
		o := newOrder("A1", "TEA", 1)
		o.Delivery = order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 11, Day: 20}}
		r.place("shop", o)
		r.syncOrders("shop")
		r.syncOrders("shop")
		_, ok := r.requestFor("wh", "shop", "A1")
		require.False(t, ok, "sent too early the warehouse would ship too early")
		require.Equal(t, ledger.StateHeld, r.ledger("shop", "A1").State)
		require.Len(t, eventsOf[tobirasync.OrderHeld](r), 1)

		r.clock.Advance(13 * 24 * time.Hour)
		r.syncOrders("shop")
		r.request("wh", "shop", "A1")
		require.Equal(t, ledger.StateSent, r.ledger("shop", "A1").State)
	})

	t.Run("routed_away_lines_changed_later", func(t *testing.T) {
		r := newRig(t, "shop")
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"POSTER": tobirasync.RouteMerchant}}
		r.apply()
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)
		r.place("shop", newOrder("A1", "TEA", 1))
		r.syncOrders("shop")
		require.Empty(t, eventsOf[tobirasync.LinesRoutedAway](r))

		// A line for the merchant's own shelf is added after the order was sent: the merchant
		// hears of it, the warehouse does not.
		r.change("shop", "A1", func(o *order.Order) {
			o.Lines = append(o.Lines, order.Line{ID: "L2", SKU: "POSTER", Quantity: 1, UnitPrice: order.Yen(500)})
		})
		r.syncOrders("shop")
		r.change("shop", "A1", func(o *order.Order) { o.Lines[1].Quantity = 2 })
		r.syncOrders("shop")
		r.syncOrders("shop")
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		require.Equal(t, []tobirasync.LinesRoutedAway{
			{Key: okey("shop", "A1"), Destination: tobirasync.RouteMerchant, Lines: []connector.LineQuantity{lq("L2", "POSTER", 1)}},
			{Key: okey("shop", "A1"), Destination: tobirasync.RouteMerchant, Lines: []connector.LineQuantity{lq("L2", "POSTER", 2)}},
			{Key: okey("shop", "A1"), Destination: tobirasync.RouteMerchant},
		}, eventsOf[tobirasync.LinesRoutedAway](r), "each change of the merchant's lines, then nothing left after the cancellation")
		require.Equal(t, 0, calls.get("Change"), "the warehouse's part never changed")
		require.Equal(t, 1, calls.get("Cancel"))
		require.Len(t, r.request("wh", "shop", "A1").Order.Lines, 1)
	})

	t.Run("cancel_rest_after_partial_shipment_completes", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.channel("mall").Shipments = tobirasync.ShipWhenComplete
		r.apply()
		r.setOnHand("TEA", 10)
		for _, ch := range []string{"shop", "mall"} {
			r.place(ch, newOrder("A1", "TEA", 3))
			r.syncOrders(ch)
		}
		// The host's WMS reports that 2 of 3 left; the buyer then cancels the third.
		for _, ch := range []string{"shop", "mall"} {
			require.NoError(t, r.eng.RecordShipment(r.ctx, "m1", "wh", shipment.Shipment{ID: "P-" + ch, RequestKey: reqKey("wh", ch, "A1"),
				Channel: ch, OrderID: "A1", At: r.clock.Now(), Lines: []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}},
				Parcels: []shipment.Parcel{parcel("400000000021")}}))
		}
		require.Len(t, r.chans["shop"].ConfirmationLog(), 1)
		require.Empty(t, r.chans["mall"].ConfirmationLog())
		for _, ch := range []string{"shop", "mall"} {
			r.change(ch, "A1", func(o *order.Order) { o.Lines[0].Cancelled = 1 })
			r.syncOrders(ch)
			require.Equal(t, map[string]int{"L1": 2}, open(r.request("wh", ch, "A1")))
		}
		r.syncShipments()

		for _, ch := range []string{"shop", "mall"} {
			require.Equal(t, ledger.StateShipped, r.ledger(ch, "A1").State, ch)
		}
		require.Len(t, eventsOf[tobirasync.OrderShipped](r), 2)
		c := r.chans["mall"].ConfirmationLog()
		require.Len(t, c, 1, "the waiting shipment reaches the channel once the order is complete")
		require.True(t, c[0].Complete)
		require.Equal(t, []shipment.Line{{LineID: "L1", SKU: "TEA", Quantity: 2}}, c[0].Shipment.Lines)
		require.Len(t, r.chans["shop"].ConfirmationLog(), 1)
		r.syncShipments()
		r.syncOrders("mall")
		require.Len(t, r.chans["mall"].ConfirmationLog(), 1)
		require.Len(t, eventsOf[tobirasync.OrderShipped](r), 2)
	})

	t.Run("change_while_submit_outcome_unknown", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 3))
		r.place("mall", newOrder("B1", "TEA", 1))
		// Both submissions land and their answers are lost; the buyers change the orders before
		// the engine tries again, and B1 is picked meanwhile.
		for _, ch := range []string{"shop", "mall"} {
			r.whs["wh"].FailAfter(1, nil)
			r.clock.Advance(2 * time.Second)
			_, err := r.eng.SyncOrders(r.ctx, "m1", ch)
			require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		}
		require.Len(t, r.whs["wh"].Requests(), 2)
		require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "mall", "B1")))
		r.change("shop", "A1", func(o *order.Order) {
			o.ShipTo.Line1 = "神宮前2-2-2"
			o.Lines[0].Cancelled = 1
		})
		r.change("mall", "B1", func(o *order.Order) { o.ShipTo.Line1 = "神宮前3-3-3" })
		for range 2 {
			r.syncOrders("shop")
			r.syncOrders("mall")
		}

		q := r.request("wh", "shop", "A1")
		require.Equal(t, "神宮前2-2-2", q.Order.ShipTo.Line1, "the change reaches the warehouse")
		require.Equal(t, map[string]int{"L1": 2}, open(q))
		require.Equal(t, 2, r.whs["wh"].Submissions())
		require.Equal(t, 7, r.stock("mall", "TEA"), "2 units of A1 and B1's one")
		require.Equal(t, []tobirasync.ChangeRefused{{Key: okey("mall", "B1"), Warehouse: "wh", Reason: connector.RefusedPicked}},
			eventsOf[tobirasync.ChangeRefused](r), "the picked one reports the refusal")
		require.Equal(t, "神宮前1-1-1", r.request("wh", "mall", "B1").Order.ShipTo.Line1)
		for _, k := range []ledger.OrderKey{okey("shop", "A1"), okey("mall", "B1")} {
			rec := r.ledger(k.Channel, k.OrderID)
			require.False(t, rec.Pending, k.OrderID)
			require.Equal(t, ledger.StateSent, rec.State, k.OrderID)
		}
	})

	t.Run("cancel_while_submit_outcome_unknown", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 1))
		// The submission lands and its answer is lost; the buyer cancels before the engine tries
		// again. The warehouse holds the order and must hear of the cancellation.
		r.whs["wh"].FailAfter(1, nil)
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		require.Len(t, r.whs["wh"].Requests(), 1)
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")

		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State, "the warehouse must not ship a cancelled order")
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)
		require.Equal(t, ledger.StateCancelled, r.ledger("shop", "A1").State)
		require.Equal(t, 10, r.stock("mall", "TEA"))
	})

	for _, landed := range []bool{true, false} {
		t.Run(fmt.Sprintf("cancel_refused_after_a_change_without_answer/landed=%v", landed), func(t *testing.T) {
			r := newRig(t, "shop", "mall")
			r.setOnHand("TEA", 10)
			r.place("shop", newOrder("A1", "TEA", 1))
			r.syncOrders("shop")
			// The buyer asks for 3. The change either lands with its answer lost, or fails before
			// it lands; the engine cannot tell which. The warehouse picks, the buyer cancels:
			// refused. The repeated change tells the engine what will leave.
			r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Quantity = 3 })
			if landed {
				r.whs["wh"].FailAfter(1, nil)
			} else {
				r.whs["wh"].FailNext(1, nil)
			}
			r.clock.Advance(2 * time.Second)
			_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
			require.Error(t, err)
			require.NoError(t, r.whs["wh"].Pick(reqKey("wh", "shop", "A1")))
			r.chans["shop"].Cancel("A1")
			r.syncOrders("shop")

			held := 1
			if landed {
				held = 3
			}
			require.Equal(t, map[string]int{"L1": held}, open(r.request("wh", "shop", "A1")))
			require.Len(t, eventsOf[tobirasync.CancelRefused](r), 1)
			require.Equal(t, 10-held, r.stock("mall", "TEA"), "what the warehouse will ship stays reserved, and no more")
			rec := r.ledger("shop", "A1")
			require.Equal(t, []connector.LineQuantity{lq("L1", "TEA", held)}, rec.Requests[0].Lines)
			require.Nil(t, rec.Requests[0].Replay)

			// The units leave; the order is complete and the stock settles.
			r.ship("wh", "shop", "A1")
			r.syncShipments()
			r.syncStock()
			require.Equal(t, 10-held, r.stock("mall", "TEA"))
			require.Equal(t, ledger.StateShipped, r.ledger("shop", "A1").State)
		})
	}

	t.Run("rerouted_while_submit_outcome_unknown", func(t *testing.T) {
		r := newRig(t, "shop")
		r.addWarehouse("wh2")
		r.apply()
		r.place("shop", newOrder("A1", "TEA", 2))
		// The Submit to wh lands and its answer is lost; then the merchant moves TEA to wh2.
		r.whs["wh"].FailAfter(1, nil)
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		r.m.Routing = tobirasync.Routing{SKU: map[string]string{"TEA": "wh2"}}
		r.apply()
		r.syncOrders("shop")

		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State, "the first warehouse must not ship it too")
		require.Equal(t, map[string]int{"L1": 2}, open(r.request("wh2", "shop", "A1")))
		require.Equal(t, memory.Received, r.request("wh2", "shop", "A1").State)
	})

	t.Run("hold_lifts_then_cancelled_while_submit_outcome_unknown", func(t *testing.T) {
		r := newRig(t, "shop")
		r.channel("shop").Hold = tobirasync.HoldPolicy{DeliveryBeyond: 7 * 24 * time.Hour}
		r.apply()
		o := newOrder("A1", "TEA", 1)
		o.Delivery = order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 11, Day: 20}}
		r.place("shop", o)
		r.syncOrders("shop")
		require.Empty(t, r.whs["wh"].Requests(), "held until its date comes near")
		// The date comes near: the Submit lands and its answer is lost; then the buyer cancels.
		r.clock.Advance(13 * 24 * time.Hour)
		r.whs["wh"].FailAfter(1, nil)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		r.chans["shop"].Cancel("A1")
		r.syncOrders("shop")
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State, "the warehouse must not ship a cancelled order")
	})

	t.Run("partial_cancel_outcome_unknown_then_more_cancelled", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		r.place("shop", newOrder("A1", "TEA", 3, "CAKE", 1))
		r.syncOrders("shop")
		// One unit is cancelled; the warehouse takes the cut and the answer is lost. Before the
		// engine tries again, a second unit is cancelled.
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Cancelled = 1 })
		r.whs["wh"].FailAfter(1, nil)
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
		require.Equal(t, map[string]int{"L1": 2, "L2": 1}, open(r.request("wh", "shop", "A1")))
		r.change("shop", "A1", func(o *order.Order) { o.Lines[0].Cancelled = 2 })
		r.syncOrders("shop")
		r.syncOrders("shop")

		q := r.request("wh", "shop", "A1")
		require.Equal(t, map[string]int{"L1": 1, "L2": 1}, open(q), "the warehouse holds what the buyer still wants, not less")
		require.Equal(t, memory.Received, q.State)
		require.Equal(t, []connector.LineQuantity{lq("L1", "TEA", 1), lq("L2", "CAKE", 1)}, r.ledger("shop", "A1").Requests[0].Lines)
		require.Equal(t, 9, r.stock("mall", "TEA"))
		require.Empty(t, eventsOf[tobirasync.CancelRefused](r))
		require.Empty(t, eventsOf[tobirasync.ChangeRefused](r))
	})

	t.Run("cancel_by_webhook", func(t *testing.T) {
		r := newRig(t, "shop", "mall")
		r.setOnHand("TEA", 10)
		calls := countCalls(&r.whs["wh"].Faults)
		r.place("shop", newOrder("A1", "TEA", 4))
		r.syncOrders("shop")
		require.Equal(t, 6, r.stock("mall", "TEA"))
		r.chans["shop"].Cancel("A1")
		pushed := mustOrder(t, r, "shop", "A1")
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", pushed))
		require.Equal(t, memory.Cancelled, r.request("wh", "shop", "A1").State, "a push is handled at once")
		require.Equal(t, 10, r.stock("mall", "TEA"))
		require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", pushed))
		r.syncOrders("shop")
		require.Equal(t, 1, calls.get("Cancel"), "the same cancellation polled or pushed again sends nothing")
		require.Len(t, eventsOf[tobirasync.OrderCancelled](r), 1)
		require.Equal(t, ledger.StateCancelled, r.ledger("shop", "A1").State)
	})
}

// mustOrder returns an order as its channel holds it now.
func mustOrder(t *testing.T, r *rig, ch, id string) order.Order {
	t.Helper()
	o, ok := r.chans[ch].Order(id)
	require.True(t, ok)
	return o
}
