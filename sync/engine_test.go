package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEngineDeliversShipsAndPushesStock(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.setOnHand("TEA", 10)
	require.Equal(t, 10, r.stock("shop", "TEA"))
	require.Equal(t, 10, r.stock("mall", "TEA"))

	for i := range 7 {
		r.place("shop", newOrder("A"+string(rune('0'+i)), "TEA", 1))
	}
	res := r.syncOrders("shop")
	require.Equal(t, 7, res.New)
	require.Equal(t, 7, r.whs["wh"].Submissions())
	require.Equal(t, 3, r.stock("mall", "TEA"), "a sale on one channel lowers the others at once")

	r.ship("wh", "shop", "A0")
	r.syncShipments()
	c := r.chans["shop"].Confirmations()
	require.Len(t, c, 1)
	o, _ := r.chans["shop"].Order("A0")
	require.Equal(t, "shipped", o.ChannelStatus)

	// The shipped unit stays reserved until a level taken after the shipment arrives.
	require.Equal(t, 3, r.stock("mall", "TEA"))
	r.syncStock()
	require.Equal(t, 3, r.stock("mall", "TEA"))
	require.Equal(t, 9, r.whs["wh"].OnHand("TEA"))
}
