package sync_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Lifecycle scenarios: orders held until paid, by hand, or until their delivery date is near.

func lifecycleHoldUntilPaid(t *testing.T) {
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
}

func lifecycleManualHoldRelease(t *testing.T) {
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
}

func lifecycleHoldThenCancel(t *testing.T) {
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
}

func lifecycleHoldDeliveryDateFarAhead(t *testing.T) {
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
}
