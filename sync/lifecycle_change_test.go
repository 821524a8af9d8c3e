package sync_test

import (
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

// Lifecycle scenarios: an order changed on its channel after it was sent (address, lines,
// delivery slot), accepted or refused by the warehouse.

func lifecycleChangeBeforePick(t *testing.T) {
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
}

func lifecycleChangeAfterPickRefused(t *testing.T) {
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
}

func lifecycleDuplicateChangeSentOnce(t *testing.T) {
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
}

func lifecycleChangeThenCancel(t *testing.T) {
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
}

func lifecycleChangeDeliverySlot(t *testing.T) {
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
}

func lifecycleChangeRefusedThenShipped(t *testing.T) {
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
}

func lifecycleChangeMovesLinesBetweenWarehouses(t *testing.T) {
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
}

func lifecycleChangeWhileSubmitOutcomeUnknown(t *testing.T) {
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
}
