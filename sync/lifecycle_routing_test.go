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

// Lifecycle scenarios: lines routed to the merchant, a drop-shipper or several warehouses, and
// routing that changes after the order was sent.

func lifecycleRouteMerchantLinesNotSent(t *testing.T) {
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
}

func lifecycleSplitTwoWarehouses(t *testing.T) {
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
}

func lifecycleDropshipEvent(t *testing.T) {
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
}

func lifecycleSplitShipWhenComplete(t *testing.T) {
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
}

func lifecycleRoutedAwayLinesChangedLater(t *testing.T) {
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
}

func lifecycleReroutedWhileSubmitOutcomeUnknown(t *testing.T) {
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
}
