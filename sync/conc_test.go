package sync_test

import (
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMerchantsChangeWhileFlowsRun changes a merchant's configuration and pauses its channels
// while every flow runs in other goroutines, as a host reconfiguring a live engine does. Under
// -race it finds state shared without a common lock; after the churn, the engine must still be
// exact: each order sent once and stock as the warehouse holds it less what is to leave.
func TestMerchantsChangeWhileFlowsRun(t *testing.T) {
	r := newRig(t, "shop", "mall")
	for i := range 30 {
		r.place([]string{"shop", "mall"}[i%2], newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
	}
	var wg gosync.WaitGroup
	stop := make(chan struct{})
	flow := func(run func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					run()
				}
			}
		}()
	}
	flow(func() { _, _ = r.eng.SyncOrders(r.ctx, "m1", "shop") })
	flow(func() { _, _ = r.eng.SyncOrders(r.ctx, "m1", "mall") })
	flow(func() { _, _ = r.eng.SyncStock(r.ctx, "m1") })
	flow(func() { _, _ = r.eng.SyncShipments(r.ctx, "m1", "wh") })
	for i := range 200 {
		// Work keeps arriving, so every flow has something to do while the configuration moves.
		r.place([]string{"shop", "mall"}[i%2], newOrder(fmt.Sprintf("n%d", i), "TEA", 1))
		r.whs["wh"].SetOnHand("TEA", 1000+i)
		r.clock.Advance(time.Second)
		switch i % 3 {
		case 0:
			require.NoError(t, r.eng.PutMerchant(r.m))
		case 1:
			require.NoError(t, r.eng.PauseChannel("m1", "mall", i%2 == 0))
		case 2:
			r.eng.RemoveMerchant("m1")
			require.NoError(t, r.eng.PutMerchant(r.m))
		}
	}
	close(stop)
	wg.Wait()
	require.NoError(t, r.eng.PutMerchant(r.m))
	r.clock.Advance(time.Minute)
	r.syncOrders("shop")
	r.syncOrders("mall")
	r.syncStock()
	for id, n := range requestsPerOrder(r.whs["wh"]) {
		require.Equal(t, 1, n, "requests for %s", id)
	}
	require.Len(t, r.whs["wh"].Requests(), 230)
	for _, ch := range []string{"shop", "mall"} {
		require.Equal(t, 1199-230, r.stock(ch, "TEA"), ch)
	}
}
