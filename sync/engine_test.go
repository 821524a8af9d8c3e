package sync_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
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

// Idempotency keys are recorded and sent to warehouses: a new version of the engine that derived
// them differently would send every open request again under a new key. These were computed by
// the first version.
func TestRequestKeysAreStable(t *testing.T) {
	if got, want := tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: "shop", OrderID: "1001"}, "wh"), "tb1-d3a198c52ae2b327eb3140616d755e"; got != want {
		t.Errorf("RequestKey = %s, want %s", got, want)
	}
	long := strings.Repeat("x", 300) // longer than the buffer key builds in
	if got, want := tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: "shop", OrderID: long}, "wh"), "tb1-1c84c5918d91d1d6211db13ffe85a6"; got != want {
		t.Errorf("RequestKey of a long order ID = %s, want %s", got, want)
	}
}
