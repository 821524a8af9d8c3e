package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/inventory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

func TestStockSaleOnOneChannelLowersEveryOtherInTheSameStep(t *testing.T) {
	r := newRig(t, "A", "B", "C", "D")
	r.setOnHand("TEA", 10)
	for _, ch := range []string{"A", "B", "C", "D"} {
		require.Equal(t, 10, r.stock(ch, "TEA"))
	}
	r.place("A", newOrder("a1", "TEA", 3))
	r.syncOrders("A") // one step: no SyncStock in between
	for _, ch := range []string{"B", "C", "D"} {
		require.Equal(t, 7, r.stock(ch, "TEA"), "channel %s", ch)
	}
}

func TestStockBundlesAndSharedComponents(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.channel("shop").Stock = inventory.Channel{SKUs: map[string][]inventory.Item{
		"TEA":     {{SKU: "TEA", Quantity: 1}},
		"CUP":     {{SKU: "CUP", Quantity: 1}},
		"TEA-SET": {{SKU: "TEA", Quantity: 1}, {SKU: "CUP", Quantity: 2}},
	}}
	r.apply()
	r.whs["wh"].SetOnHand("CUP", 10)
	r.setOnHand("TEA", 20)
	require.Equal(t, 5, r.stock("shop", "TEA-SET"), "limited by cups: 10/2")
	r.place("shop", newOrder("o1", "TEA-SET", 2))
	r.syncOrders("shop")
	require.Equal(t, 3, r.stock("shop", "TEA-SET"))
	require.Equal(t, 6, r.stock("shop", "CUP"), "a bundle sold lowers the single sharing its component")
	require.Equal(t, 18, r.stock("mall", "TEA"))
	r.place("mall", newOrder("m1", "CUP", 3))
	r.syncOrders("mall")
	require.Equal(t, 1, r.stock("shop", "TEA-SET"), "a single sold lowers the bundle")
	req, _ := r.requestFor("wh", "shop", "o1")
	require.Equal(t, "TEA-SET", req.Order.Lines[0].SKU, "the warehouse gets the channel's line; the reservation counts components")
}

func TestStockBuffersShareAndCap(t *testing.T) {
	r := newRig(t, "shop", "mall", "outlet")
	r.channel("mall").Stock.Policy = inventory.Policy{Buffer: 2}
	r.channel("outlet").Stock.Policy = inventory.Policy{Share: 50, Max: 3}
	r.apply()
	r.setOnHand("TEA", 9)
	require.Equal(t, 9, r.stock("shop", "TEA"))
	require.Equal(t, 7, r.stock("mall", "TEA"))
	require.Equal(t, 3, r.stock("outlet", "TEA"))
}

func TestStockBatchesNoLargerThanTheTargetLimit(t *testing.T) {
	r := newRig(t, "shop")
	r.chans["shop"].Limit = 3
	for i := range 10 {
		r.whs["wh"].SetOnHand(fmt.Sprintf("SKU%02d", i), i+1)
	}
	r.syncStock()
	require.Equal(t, 4, r.chans["shop"].Calls("SetStock"), "10 values in batches of 3")
	require.Equal(t, 10, r.chans["shop"].StockWrites())
}

func TestStockUnchangedValuesAreNotPushed(t *testing.T) {
	r := newRig(t, "shop")
	r.setOnHand("TEA", 5)
	r.setOnHand("CUP", 5)
	writes, calls := r.chans["shop"].StockWrites(), r.chans["shop"].Calls("SetStock")
	r.syncStock()
	r.syncStock()
	require.Equal(t, writes, r.chans["shop"].StockWrites())
	require.Equal(t, calls, r.chans["shop"].Calls("SetStock"))
	r.setOnHand("TEA", 6)
	require.Equal(t, writes+1, r.chans["shop"].StockWrites(), "only the changed SKU")
}

func TestStockFailedPushIsRetried(t *testing.T) {
	r := newRig(t, "shop")
	r.chans["shop"].FailNext(1, nil)
	r.whs["wh"].SetOnHand("TEA", 5)
	_, err := r.eng.SyncStock(r.ctx, "m1")
	require.Error(t, err)
	_, ok := r.chans["shop"].Stock("TEA")
	require.False(t, ok)
	r.syncStock()
	require.Equal(t, 5, r.stock("shop", "TEA"))
}

func TestStockPushWhoseAnswerWasLostIsSentAgain(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.setOnHand("TEA", 10)
	// The mall takes the new value and the answer is lost; then the sale is cancelled, so the
	// plan is back to what the mall last acknowledged for sure. The mall must get it again.
	r.chans["mall"].FailAfter(1, nil)
	r.place("shop", newOrder("A1", "TEA", 1))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.NoError(t, err, "a channel's failed push does not fail the order flow")
	require.Equal(t, 9, r.stock("mall", "TEA"))
	r.chans["shop"].Cancel("A1")
	r.syncOrders("shop")
	require.Equal(t, 10, r.stock("shop", "TEA"))
	require.Equal(t, 10, r.stock("mall", "TEA"))
}

func TestStockUnknownSKUQuarantinedNeverPushedAsZero(t *testing.T) {
	r := newRig(t, "shop")
	r.channel("shop").Stock = inventory.Channel{SKUs: map[string][]inventory.Item{"TEA": {{SKU: "TEA", Quantity: 1}}}}
	r.apply()
	r.setOnHand("TEA", 5)
	r.place("shop", newOrder("o1", "TEA", 1, "MYSTERY", 1))
	r.syncOrders("shop")
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, q, 1)
	require.Contains(t, q[0].Reason, `"MYSTERY"`)
	require.Zero(t, r.whs["wh"].Submissions())
	_, pushed := r.chans["shop"].Stock("MYSTERY")
	require.False(t, pushed)
	require.Equal(t, 5, r.stock("shop", "TEA"), "a quarantined order reserves nothing")
}

func TestStockHostReportedSaleCountsEverywhere(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.setOnHand("TEA", 10)
	require.NoError(t, r.eng.ReportSale(r.ctx, "m1", "pos-0001", []inventory.Item{{SKU: "TEA", Quantity: 4}}))
	require.Equal(t, 6, r.stock("shop", "TEA"))
	require.Equal(t, 6, r.stock("mall", "TEA"))
	require.NoError(t, r.eng.ReportSale(r.ctx, "m1", "pos-0001", nil))
	require.Equal(t, 10, r.stock("mall", "TEA"))
}

func TestStockCompareAndSetReplansOnConflict(t *testing.T) {
	r := newRig(t, "shop")
	r.chans["shop"].CompareStock = true
	r.setOnHand("TEA", 10)
	// The channel sold 2 units itself (its order is not imported yet), then stock arrives.
	r.chans["shop"].SetStockByHand("TEA", 8)
	r.setOnHand("TEA", 12)
	require.Len(t, eventsOf[tobirasync.StockConflict](r), 1)
	require.Equal(t, 8, r.stock("shop", "TEA"), "never more than the channel shows after its own sales")
}

func TestStockReconcileReportsAndRepairsDrift(t *testing.T) {
	r := newRig(t, "shop")
	r.setOnHand("TEA", 10)
	r.setOnHand("CUP", 4)
	r.chans["shop"].SetStockByHand("CUP", 40) // a merchant typed a wrong number on the channel
	drift, err := r.eng.Reconcile(r.ctx, "m1", "shop", false)
	require.NoError(t, err)
	require.Equal(t, []tobirasync.Drift{{SKU: "CUP", Channel: 40, Planned: 4}}, drift)
	require.Equal(t, 40, r.stock("shop", "CUP"), "reporting changes nothing")
	_, err = r.eng.Reconcile(r.ctx, "m1", "shop", true)
	require.NoError(t, err)
	require.Equal(t, 4, r.stock("shop", "CUP"))
	drift, err = r.eng.Reconcile(r.ctx, "m1", "shop", false)
	require.NoError(t, err)
	require.Empty(t, drift)
}

func TestStockSnapshotsAndShipmentsOutOfOrderNeverOverReport(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.setOnHand("TEA", 10)
	before := r.clock.Now()
	r.place("shop", newOrder("o1", "TEA", 3))
	r.syncOrders("shop")
	require.Equal(t, 7, r.stock("mall", "TEA"))
	r.ship("wh", "shop", "o1")
	shippedAt := r.clock.Now()
	r.syncShipments()
	require.Equal(t, 7, r.stock("mall", "TEA"), "shipped units stay reserved until a later count")

	// A count taken before the shipment arrives late: it still holds the 3 units.
	require.NoError(t, r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: 10, AsOf: before}))
	require.Equal(t, 7, r.stock("mall", "TEA"))
	// The count after the shipment releases them against itself.
	require.NoError(t, r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: 7, AsOf: shippedAt}))
	require.Equal(t, 7, r.stock("mall", "TEA"))
	// An older count arriving after that is ignored.
	require.NoError(t, r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: 10, AsOf: before}))
	require.Equal(t, 7, r.stock("mall", "TEA"))

	// After a restart the pool is rebuilt from the store to the same numbers.
	r.restart()
	r.syncStock()
	require.Equal(t, 7, r.stock("mall", "TEA"))
	n, err := r.eng.Available(r.ctx, "m1", "mall", "TEA")
	require.NoError(t, err)
	require.Equal(t, 7, n)
}

func TestStockExplainSaysWhy(t *testing.T) {
	r := newRig(t, "shop", "rakuten")
	r.channel("rakuten").Stock.Policy = inventory.Policy{Buffer: 1}
	r.apply()
	r.setOnHand("TEA", 6)
	r.place("shop", newOrder("o1", "TEA", 2))
	r.syncOrders("shop")
	ex, err := r.eng.Explain(r.ctx, "m1", "rakuten", "TEA")
	require.NoError(t, err)
	require.Equal(t, 3, r.stock("rakuten", "TEA"))
	s := ex.String()
	require.Contains(t, s, "3")
	require.Contains(t, s, "m1/shop/o1", "the reservation names its order")
	ex, err = r.eng.Explain(r.ctx, "m1", "rakuten", "NOPE")
	require.NoError(t, err)
	require.False(t, ex.Known, "a SKU the warehouse never reported is unknown, not zero")
}

func TestStockCountedShipmentsLeaveTheStore(t *testing.T) {
	r := newRig(t, "shop")
	r.setOnHand("TEA", 10)
	r.place("shop", newOrder("o1", "TEA", 2))
	r.place("shop", newOrder("o2", "TEA", 1))
	r.syncOrders("shop")
	r.ship("wh", "shop", "o1")
	r.syncShipments()
	res, err := r.store.Reservations(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, res, 2, "o1's shipped units stay held until a level counts them")
	r.syncStock() // the warehouse's level after the shipment arrives
	r.syncStock() // the next run reloads the pool and forgets what holds nothing
	res, err = r.store.Reservations(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.Equal(t, "m1/shop/o2", res[0].Key)
	require.Equal(t, 7, r.stock("shop", "TEA"))
}

// A channel waiting out its rate limit must not keep the others showing units already sold: the
// engine pushes to every channel at once. Here A's push cannot finish until B's has begun.
func TestStockChannelsArePushedAtOnce(t *testing.T) {
	r := newRig(t, "A", "B")
	r.setOnHand("TEA", 10)
	bStarted := make(chan struct{})
	r.chans["B"].SetHook(func(op string) error {
		if op == "SetStock" {
			close(bStarted)
			r.chans["B"].SetHook(nil)
		}
		return nil
	})
	r.chans["A"].SetHook(func(op string) error {
		if op != "SetStock" {
			return nil
		}
		select {
		case <-bStarted:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("B was not pushed while A's push was under way")
		}
	})
	r.place("A", newOrder("a1", "TEA", 3))
	r.syncOrders("A")
	require.Equal(t, 7, r.stock("B", "TEA"))
	require.Equal(t, 7, r.stock("A", "TEA"), "A's push waited for B's and went through")
}

// A page's orders reach the warehouse before its stock fans out: a channel waiting out its rate
// limit must not hold them back.
func TestStockFanOutComesAfterThePagesDeliveries(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.setOnHand("TEA", 10)
	var submittedFirst []bool
	r.chans["mall"].SetHook(func(op string) error {
		if op == "SetStock" {
			submittedFirst = append(submittedFirst, r.whs["wh"].Submissions() == 1)
		}
		return nil
	})
	r.place("shop", newOrder("s1", "TEA", 3))
	r.syncOrders("shop")
	require.Equal(t, []bool{true}, submittedFirst, "one push to the mall, after the submission")
	require.Equal(t, 7, r.stock("mall", "TEA"))
}

// TestStockPushesOfTwoReplicasNeverCross has a second replica push stale values to a channel
// while the first replica's push is in flight: the first one's lands, the second one's lands
// after it, and the first is recorded last. Without one pusher per channel across replicas the
// ledger would then believe the channel shows the first value while it shows the second, and
// no later push would correct it.
func TestStockPushesOfTwoReplicasNeverCross(t *testing.T) {
	r := newRig(t, "shop")
	r.setOnHand("TEA", 10)
	other := tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Owner: "replica-2"})
	require.NoError(t, other.PutMerchant(r.m))
	require.NoError(t, other.ReportSale(r.ctx, "m1", "warm-up", nil)) // its pool holds 10 on hand
	var once atomic.Bool
	r.chans["shop"].SetHook(func(op string) error {
		if op == "SetStock:done" && once.CompareAndSwap(false, true) {
			// The second replica, not knowing of the new count, sells one at the counter and
			// withdraws the sale: it pushes 9, then 10.
			_ = other.ReportSale(r.ctx, "m1", "counter", []inventory.Item{{SKU: "TEA", Quantity: 1}})
			_ = other.ReportSale(r.ctx, "m1", "counter", nil)
		}
		return nil
	})
	require.NoError(t, r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: 20, AsOf: r.clock.Now()}))
	r.chans["shop"].SetHook(nil)
	r.syncStock()
	require.Equal(t, 20, r.stock("shop", "TEA"))
}

// keyRecorder notes the key of every stock write sent to a memory channel.
type keyRecorder struct {
	*memory.Channel
	mu   gosync.Mutex
	keys []string
}

func (k *keyRecorder) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	k.mu.Lock()
	for _, u := range updates {
		k.keys = append(k.keys, u.Key)
	}
	k.mu.Unlock()
	return k.Channel.SetStock(ctx, updates)
}

func (k *keyRecorder) sent() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.keys)
}

// TestStockWriteIdentity: every value the engine means to set is a write of its own, with a key
// of its own, even a value the channel showed before (5 → 4 → 5 → 4); a write whose answer was
// lost is sent again with its key, by the same engine or, after a crash, by the next one, and
// the channel applies it once.
func TestStockWriteIdentity(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	shop := &keyRecorder{Channel: &memory.Channel{CompareStock: true}}
	start := func() *tobirasync.Engine {
		e := tobirasync.New(store, tobirasync.Options{})
		require.NoError(t, e.PutMerchant(tobirasync.Merchant{ID: "m",
			Channels:   []tobirasync.Channel{{ID: "shop", Target: shop}},
			Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}}}))
		return e
	}
	eng := start()
	at := time.Now()
	set := func(e *tobirasync.Engine, n int) {
		t.Helper()
		at = at.Add(time.Second)
		require.NoError(t, e.SetOnHand(ctx, "m", inventory.Level{SKU: "TEA", OnHand: n, AsOf: at}))
	}
	for _, n := range []int{5, 4, 5, 4} {
		set(eng, n)
		got, _ := shop.Stock("TEA")
		require.Equal(t, n, got)
	}
	keys := shop.sent()
	require.Len(t, keys, 4)
	require.Len(t, map[string]bool{keys[0]: true, keys[1]: true, keys[2]: true, keys[3]: true}, 4, "keys %v: each write needs its own", keys)

	// The answer to the write of 6 is lost; the channel applied it.
	shop.FailAfter(1, nil)
	set(eng, 6)
	shop.SetStockByHand("TEA", 5) // a buyer takes one meanwhile
	_, err := eng.SyncStock(ctx, "m")
	require.NoError(t, err)
	keys = shop.sent()
	require.Len(t, keys, 6)
	require.Equal(t, keys[4], keys[5], "the write sent again after its answer was lost must carry its key")
	got, _ := shop.Stock("TEA")
	require.Equal(t, 5, got, "the write sent again was applied a second time, over a sale")
	q, err := eng.ListQuarantine(ctx, "m")
	require.NoError(t, err)
	require.Empty(t, q, "the write sent again must be the same write: same key, same value, same compare")

	// A crash after the write of 7 was recorded and sent, before its answer: the next engine
	// sends it with the same key.
	shop.FailAfter(1, nil)
	set(eng, 7)
	eng = start()
	_, err = eng.SyncStock(ctx, "m")
	require.NoError(t, err)
	keys = shop.sent()
	require.Len(t, keys, 8)
	require.Equal(t, keys[6], keys[7])
	require.NotEqual(t, keys[5], keys[6])
}
