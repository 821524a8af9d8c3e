package sync_test

import (
	"errors"
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

// Lifecycle scenarios: orders cancelled on their channel, wholly or in part, before and after
// the warehouse picked or shipped them, and while a submit's outcome is unknown.

func lifecycleCancelBeforePickReleasesStock(t *testing.T) {
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
}

func lifecycleRestoredAfterCancelSentAgain(t *testing.T) {
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
}

func lifecycleCancelAfterShipRefused(t *testing.T) {
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
}

func lifecyclePartialCancel(t *testing.T) {
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
}

func lifecycleCrashDuringCancelConverges(t *testing.T) {
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
}

func lifecycleCancelBeforeSent(t *testing.T) {
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
}

func lifecyclePartialCancelAfterPickRefused(t *testing.T) {
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
}

func lifecycleCancelRefusedThenShipped(t *testing.T) {
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
}

func lifecycleSplitCancelOneWarehouseRefuses(t *testing.T) {
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
}

func lifecycleCancelRestAfterPartialShipmentCompletes(t *testing.T) {
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
}

func lifecycleCancelWhileSubmitOutcomeUnknown(t *testing.T) {
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
}

func lifecycleHoldLiftsThenCancelledWhileSubmitOutcomeUnknown(t *testing.T) {
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
}

func lifecyclePartialCancelOutcomeUnknownThenMoreCancelled(t *testing.T) {
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
}

func lifecycleCancelByWebhook(t *testing.T) {
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
}
