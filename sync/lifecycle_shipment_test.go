package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Lifecycle scenarios: shipments in parts and shipments the ledger cannot place.

func lifecyclePartialShipmentTwoParcels(t *testing.T) {
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
}

func lifecycleShipmentForUnknownOrderQuarantined(t *testing.T) {
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
}
