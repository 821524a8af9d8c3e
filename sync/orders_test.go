package sync_test

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// requestsPerOrder counts the warehouse's distinct requests per channel order.
func requestsPerOrder(w *memory.Warehouse) map[string]int {
	out := map[string]int{}
	for _, r := range w.Requests() {
		out[r.Channel+"/"+r.Order.ID]++
	}
	return out
}

func TestOrdersPageReturnedTwiceImportsOnce(t *testing.T) {
	r := newRig(t, "shop")
	// The first run lists the channel's whole lookback, mostly empty windows; the repeat must
	// fall on a page that holds orders.
	r.syncOrders("shop")
	r.clock.Advance(time.Minute)
	for i := range 7 {
		r.place("shop", newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
	}
	r.chans["shop"].RepeatPage(1)
	res := r.syncOrders("shop")
	require.Greater(t, res.Seen, 7, "pages were handed out twice")
	require.Equal(t, 7, res.New)
	require.Equal(t, 7, r.whs["wh"].Submissions())
	for k, n := range requestsPerOrder(r.whs["wh"]) {
		require.Equal(t, 1, n, k)
	}
}

func TestOrdersSecondPollSameContentSendsNothing(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	require.Equal(t, 1, r.syncOrders("shop").New)
	// The overlap makes the next window list o1 again; the ledger sees the same content.
	r.clock.Advance(10 * time.Second)
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.Seen)
	require.Equal(t, 1, res.Unchanged)
	// A push of the same order changes nothing either.
	o, _ := r.chans["shop"].Order("o1")
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", o))
	require.Equal(t, 1, r.whs["wh"].Submissions())
	req, _ := r.requestFor("wh", "shop", "o1")
	require.Zero(t, req.Changes)
}

// orderless is a broken store: the records it returns have lost their order.
type orderless struct{ *memstore.Store }

func strip(rec *ledger.OrderRecord) *ledger.OrderRecord {
	c := rec.Clone()
	c.Order = nil
	return c
}

func (s orderless) GetOrder(ctx context.Context, k ledger.OrderKey) (*ledger.OrderRecord, error) {
	rec, err := s.Store.GetOrder(ctx, k)
	if err != nil {
		return nil, err
	}
	return strip(rec), nil
}

func (s orderless) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	recs, err := s.Store.GetOrders(ctx, keys)
	for k, rec := range recs {
		recs[k] = strip(rec)
	}
	return recs, err
}

func (s orderless) PendingOrders(ctx context.Context, merchant, channel string, limit int) ([]*ledger.OrderRecord, error) {
	recs, err := s.Store.PendingOrders(ctx, merchant, channel, limit)
	for i, rec := range recs {
		recs[i] = strip(rec)
	}
	return recs, err
}

func TestOrdersRecordWithoutItsOrderIsAnErrorNotAPanic(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	require.Equal(t, 1, r.syncOrders("shop").New)
	r.store = orderless{r.store.(*memstore.Store)}
	r.restart()
	r.chans["shop"].Change("o1", func(o *order.Order) { o.Lines[0].Quantity = 2 }) // listed again: GetOrders
	r.place("shop", newOrder("o2", "TEA", 1))                                      // two orders: a page is read in one batch
	r.clock.Advance(2 * time.Second)
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorContains(t, err, "without its order")
	_, err = r.eng.Order(r.ctx, ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "o1"})
	require.ErrorContains(t, err, "without its order")
	require.ErrorContains(t, r.eng.IngestOrder(r.ctx, "m1", "shop", newOrder("o1", "TEA", 3)), "without its order")
}

func TestOrdersRecordAHostGetsIsItsOwn(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	r.syncOrders("shop")
	r.ship("wh", "shop", "o1")
	r.syncShipments()
	k := ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "o1"}
	rec, err := r.eng.Order(r.ctx, k)
	require.NoError(t, err)
	require.Len(t, rec.Requests, 1)
	require.Len(t, rec.Shipments, 1)
	line := rec.Order.Lines[0].ID
	rec.Order.Lines[0].Quantity = 99
	rec.Order.ShipTo.Name = "changed"
	rec.Requests[0].Lines[0].Quantity = 99
	rec.Shipments[0].Lines[line] = 99
	again, err := r.eng.Order(r.ctx, k)
	require.NoError(t, err)
	require.Equal(t, 1, again.Order.Lines[0].Quantity)
	require.Equal(t, addr().Name, again.Order.ShipTo.Name)
	require.Equal(t, 1, again.Requests[0].Lines[0].Quantity)
	require.Equal(t, 1, again.Shipments[0].Lines[line])
}

func TestOrdersBadOrderInMiddleOfPageIsQuarantined(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	bad := newOrder("o2", "TEA", 1)
	bad.Lines[0].Quantity = -3
	r.place("shop", bad)
	r.place("shop", newOrder("o3", "TEA", 1))
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.Quarantined)
	require.Equal(t, 2, r.whs["wh"].Submissions(), "the rest of the page is delivered")
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, q, 1)
	require.Equal(t, "o2", q[0].ItemID)
	require.Contains(t, q[0].Reason, "lines[0].quantity")
	require.NotContains(t, q[0].Reason, "神宮前", "no personal data in reasons")

	// The cursor moved on: the next run lists nothing new and the bad order stays parked.
	r.clock.Advance(10 * time.Minute)
	res = r.syncOrders("shop")
	require.Zero(t, res.New)

	// When the shop fixes it, it is delivered and leaves quarantine.
	r.chans["shop"].Change("o2", func(o *order.Order) { o.Lines[0].Quantity = 3 })
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.Changed)
	require.Equal(t, 3, r.whs["wh"].Submissions())
	q, _ = r.eng.ListQuarantine(r.ctx, "m1")
	require.Empty(t, q)
}

func TestOrdersBrokenPayloadFromPlatformIsQuarantined(t *testing.T) {
	r := newRig(t, "shop")
	src := rejectingSource{OrderSource: r.chans["shop"], reject: connector.Reject{ID: "x9", Err: errors.New("line_items[0].quantity: not a number")}, once: new(gosync.Once)}
	r.channel("shop").Source = src
	r.apply()
	r.place("shop", newOrder("o1", "TEA", 1))
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.Quarantined)
	require.Equal(t, 1, r.whs["wh"].Submissions())
}

// rejectingSource adds a payload it could not decode to its first page.
type rejectingSource struct {
	connector.OrderSource
	reject connector.Reject
	once   *gosync.Once
}

func (s rejectingSource) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	p, err := s.OrderSource.ListOrders(ctx, req)
	if err == nil {
		s.once.Do(func() { p.Rejects = append(p.Rejects, s.reject) })
	}
	return p, err
}

func TestOrdersYoungOrdersGoAtOnceWhileTheCursorTrailsBySettle(t *testing.T) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(t0)
	shop := &memory.Channel{Now: clock.Now}
	wh := &memory.Warehouse{Now: clock.Now}
	// Overlap as small as it goes, so only Settle can bring back the late order below.
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Settle: 30 * time.Second, Overlap: time.Nanosecond})
	require.NoError(t, eng.PutMerchant(tobirasync.Merchant{ID: "m1",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: wh, Shipments: wh, Stock: wh}}}))

	shop.Place(newOrder("young", "TEA", 1))
	clock.Advance(time.Millisecond) // windows are half-open: [From, now)
	res, err := eng.SyncOrders(ctx, "m1", "shop")
	require.NoError(t, err)
	require.Equal(t, 1, res.New, "an order placed this instant is delivered on the first run that sees it")
	require.Equal(t, 1, wh.Submissions())

	// An order the platform indexed late: updated before the first run, listed only after it.
	clock.Advance(5 * time.Second)
	shop.Place(newOrder("late", "TEA", 1))
	shop.Backdate("late", t0.Add(-time.Second))
	res, err = eng.SyncOrders(ctx, "m1", "shop")
	require.NoError(t, err)
	require.Equal(t, 1, res.New, "the run lists the last Settle again")
	require.Equal(t, 1, res.Unchanged, "and the order it already has costs only the read")
	require.Equal(t, 2, wh.Submissions())
}

func TestOrdersWindowResumedAfterAFailureThenListsToNow(t *testing.T) {
	r := newRig(t, "shop") // pages of 3
	r.syncOrders("shop")   // the first run walks the lookback; this test starts after it
	for i := range 5 {
		r.place("shop", newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
	}
	// The second page fails: the window stays open in the cursor, its end in the past.
	var calls atomic.Int32
	r.chans["shop"].SetHook(func(op string) error {
		if op == "ListOrders" && calls.Add(1) == 2 {
			return connector.ErrTemporary
		}
		return nil
	})
	res, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, connector.ErrTemporary)
	require.Equal(t, 3, r.whs["wh"].Submissions(), "the first page went out")

	r.clock.Advance(10 * time.Minute)
	r.place("shop", newOrder("later", "TEA", 1))
	res = r.syncOrders("shop")
	require.Equal(t, 3, res.New, "the rest of the old window, and the order placed since, in one run")
	require.Equal(t, 6, r.whs["wh"].Submissions())
}

func TestOrdersGapSweepFindsLateIndexedOrder(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	r.syncOrders("shop")
	r.clock.Advance(30 * time.Minute)
	r.syncOrders("shop")
	// An order the platform indexed late: its update time lies in a window already listed,
	// beyond the overlap.
	r.chans["shop"].Place(newOrder("late", "TEA", 1))
	r.chans["shop"].Backdate("late", r.clock.Now().Add(-20*time.Minute))
	res := r.syncOrders("shop")
	require.Zero(t, res.New, "the overlap (1 minute here) does not reach it")
	r.clock.Advance(time.Hour)
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.New, "the hourly gap sweep does")
	require.Equal(t, 1, requestsPerOrder(r.whs["wh"])["shop/late"])
}

func TestOrdersListingPolicyIsPerChannel(t *testing.T) {
	r := newRig(t, "shop", "mall")
	// The mall's listing budget is tight: it sweeps every six hours, and lists a longer overlap.
	r.channel("mall").Listing = tobirasync.ListingPolicy{SweepEvery: 6 * time.Hour, Overlap: 30 * time.Minute}
	r.apply()
	for _, ch := range []string{"shop", "mall"} {
		r.place(ch, newOrder("o1", "TEA", 1))
		r.syncOrders(ch)
	}
	r.clock.Advance(30 * time.Minute)
	for _, ch := range []string{"shop", "mall"} {
		r.syncOrders(ch)
		r.chans[ch].Place(newOrder("late", "TEA", 1))
		r.chans[ch].Backdate("late", r.clock.Now().Add(-20*time.Minute))
	}
	require.Zero(t, r.syncOrders("shop").New, "the engine's overlap (1 minute) does not reach it")
	require.Equal(t, 1, r.syncOrders("mall").New, "the mall's 30 minutes do")

	r.chans["shop"].Place(newOrder("later", "TEA", 1))
	r.chans["shop"].Backdate("later", r.clock.Now().Add(-20*time.Minute))
	r.chans["mall"].Place(newOrder("later", "TEA", 1))
	r.chans["mall"].Backdate("later", r.clock.Now().Add(-40*time.Minute))
	r.clock.Advance(time.Hour)
	require.Equal(t, 2, r.syncOrders("shop").New, "the engine's hourly sweep finds both")
	require.Zero(t, r.syncOrders("mall").New, "the mall sweeps every six hours")
	r.clock.Advance(5 * time.Hour)
	require.Equal(t, 1, r.syncOrders("mall").New)
}

func TestOrdersTimesInAnyZoneAreHandledInUTC(t *testing.T) {
	r := newRig(t, "shop")
	jst := time.FixedZone("JST", 9*3600)
	o := newOrder("o1", "TEA", 1)
	o.PlacedAt = r.clock.Now().In(jst)
	r.place("shop", o)
	r.chans["shop"].Backdate("o1", r.clock.Now().Add(-time.Second).In(jst))
	require.Equal(t, 1, r.syncOrders("shop").New)
}

func TestOrdersKeysNamespacedByChannel(t *testing.T) {
	r := newRig(t, "shop-a", "shop-b")
	r.place("shop-a", newOrder("1001", "TEA", 1))
	r.place("shop-b", newOrder("1001", "TEA", 2))
	r.syncOrders("shop-a")
	r.syncOrders("shop-b")
	per := requestsPerOrder(r.whs["wh"])
	require.Equal(t, 1, per["shop-a/1001"])
	require.Equal(t, 1, per["shop-b/1001"])
	a, _ := r.requestFor("wh", "shop-a", "1001")
	b, _ := r.requestFor("wh", "shop-b", "1001")
	require.NotEqual(t, a.Key, b.Key)
	require.Equal(t, 2, b.Order.Lines[0].Quantity)
}

func TestOrdersRevokedCredentialsStopOnlyThatChannel(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.place("shop", newOrder("s1", "TEA", 1))
	r.place("mall", newOrder("m1", "TEA", 1))
	r.syncOrders("shop")
	r.syncOrders("mall")

	// The shop's token is revoked; orders keep coming on both channels.
	var attempts atomic.Int32
	r.chans["shop"].SetHook(func(string) error {
		attempts.Add(1)
		return fmt.Errorf("token revoked: %w", connector.ErrUnauthorized)
	})
	r.place("shop", newOrder("s2", "TEA", 1))
	r.place("mall", newOrder("m2", "TEA", 1))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, tobirasync.ErrStopped)
	stops := eventsOf[tobirasync.ChannelStopped](r)
	require.Len(t, stops, 1)
	require.Equal(t, "shop", stops[0].Channel)
	_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, tobirasync.ErrStopped, "a stopped channel is not retried in a loop")
	require.EqualValues(t, 1, attempts.Load(), "a stopped channel's platform is not called again")
	r.syncOrders("mall")
	require.Equal(t, 1, requestsPerOrder(r.whs["wh"])["mall/m2"], "the other channel goes on")

	// The host renews the credentials: the shop resumes from its cursor and back-fills the gap.
	r.chans["shop"].SetHook(nil)
	r.clock.Advance(3 * time.Hour)
	r.apply()
	r.syncOrders("shop")
	require.Equal(t, 1, requestsPerOrder(r.whs["wh"])["shop/s2"])
	require.Equal(t, 4, r.whs["wh"].Submissions())
}

func TestOrdersThrottledChannelDoesNotStopOthers(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.chans["shop"].FailNext(1, &connector.RateLimitError{Wait: 2 * time.Second, Reason: "429"})
	r.place("shop", newOrder("s1", "TEA", 1))
	r.place("mall", newOrder("m1", "TEA", 1))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	wait, ok := connector.RetryAfter(err)
	require.True(t, ok, "the rate-limit wait reaches the host: %v", err)
	require.Equal(t, 2*time.Second, wait)
	r.syncOrders("mall")
	require.Equal(t, 1, r.whs["wh"].Submissions())
	r.syncOrders("shop")
	require.Equal(t, 2, r.whs["wh"].Submissions(), "the schedule goes on; the next run catches up")
}

func TestOrdersWarehouseDownKeepsOrdersPending(t *testing.T) {
	r := newRig(t, "shop")
	r.whs["wh"].FailNext(2, nil)
	r.place("shop", newOrder("s1", "TEA", 1))
	r.place("shop", newOrder("s2", "TEA", 1))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, connector.ErrTemporary)
	_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.Error(t, err)
	res := r.syncOrders("shop")
	require.Equal(t, 2, res.Delivered, "recorded orders are re-driven with the same keys")
	require.Equal(t, 2, r.whs["wh"].Submissions())
}

func TestOrdersPushRacingARunsDeliveryIsNoError(t *testing.T) {
	r := newRig(t, "shop")
	r.whs["wh"].FailNext(1, nil)
	r.place("shop", newOrder("s1", "TEA", 1))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, connector.ErrTemporary, "s1 is recorded and still pending")

	// A webhook delivers s1 again while a scheduled run delivers it too: the run's write lands
	// between the push's submission and its write.
	var raced atomic.Bool
	r.whs["wh"].SetHook(func(op string) error {
		if op == "Submit:done" && raced.CompareAndSwap(false, true) {
			r.syncOrders("shop")
		}
		return nil
	})
	o, _ := r.chans["shop"].Order("s1")
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", o), "the other writer delivered it")
	require.Equal(t, 1, r.whs["wh"].Submissions())
	rec, err := r.store.GetOrder(r.ctx, ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "s1"})
	require.NoError(t, err)
	require.False(t, rec.Pending)
}

// singleFlightSource fails the test if two listings of one channel overlap.
type singleFlightSource struct {
	connector.OrderSource
	active, overlaps atomic.Int32
}

func (s *singleFlightSource) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if s.active.Add(1) > 1 {
		s.overlaps.Add(1)
	}
	defer s.active.Add(-1)
	time.Sleep(100 * time.Microsecond)
	return s.OrderSource.ListOrders(ctx, req)
}

func TestOrdersSingleFlightPerChannel(t *testing.T) {
	r := newRig(t, "shop")
	src := &singleFlightSource{OrderSource: r.chans["shop"]}
	r.channel("shop").Source = src
	r.apply()
	for i := range 30 {
		r.place("shop", newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
	}
	var wg gosync.WaitGroup
	for range 8 { // a catch-up run and scheduled runs at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Zero(t, src.overlaps.Load())
	require.Equal(t, 30, r.whs["wh"].Submissions())
}

func TestOrdersReplicaLeaseKeepsOthersOut(t *testing.T) {
	r := newRig(t, "shop")
	other := tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Owner: "other"})
	require.NoError(t, other.PutMerchant(r.m))
	ok, err := r.store.AcquireLease(r.ctx, "orders/m1/shop", "other", r.clock.Now(), time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, tobirasync.ErrBusy)
	r.clock.Advance(2 * time.Minute) // the other replica died: its lease expires
	r.place("shop", newOrder("o1", "TEA", 1))
	require.Equal(t, 1, r.syncOrders("shop").New)
}

func TestMerchantsChangeWhileRunning(t *testing.T) {
	r := newRig(t, "shop")
	// A second merchant with the same SKU and the same order number: nothing is shared.
	shopB := &memory.Channel{Now: r.clock.Now}
	whB := &memory.Warehouse{Now: r.clock.Now}
	mB := tobirasync.Merchant{ID: "m2", Channels: []tobirasync.Channel{{ID: "shop", Source: shopB, Sink: shopB, Target: shopB}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: whB, Shipments: whB, Stock: whB}}}
	require.NoError(t, r.eng.PutMerchant(mB))
	r.whs["wh"].SetOnHand("TEA-1", 10)
	whB.SetOnHand("TEA-1", 3)
	r.syncStock()
	_, err := r.eng.SyncStock(r.ctx, "m2")
	require.NoError(t, err)
	r.place("shop", newOrder("1001", "TEA-1", 2))
	shopB.Place(newOrder("1001", "TEA-1", 1))
	r.syncOrders("shop")
	_, err = r.eng.SyncOrders(r.ctx, "m2", "shop")
	require.NoError(t, err)
	require.Equal(t, 8, r.stock("shop", "TEA-1"))
	b, _ := shopB.Stock("TEA-1")
	require.Equal(t, 2, b)

	// Pause m1's shop, add a channel, remove m2: no restart, no cursor lost.
	require.NoError(t, r.eng.PauseChannel("m1", "shop", true))
	_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.ErrorIs(t, err, tobirasync.ErrPaused)
	mall := &memory.Channel{Now: r.clock.Now}
	r.chans["mall"] = mall
	r.m.Channels = append(r.m.Channels, tobirasync.Channel{ID: "mall", Source: mall, Sink: mall, Target: mall})
	r.apply() // also un-pauses: the configuration says Paused=false
	r.eng.RemoveMerchant("m2")
	_, err = r.eng.SyncOrders(r.ctx, "m2", "shop")
	require.ErrorIs(t, err, tobirasync.ErrUnknownMerchant)
	r.place("shop", newOrder("1002", "TEA-1", 1))
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.New, "the cursor survived: only the new order is new")
	r.syncStock()
	require.Equal(t, 7, r.stock("mall", "TEA-1"), "the new channel gets the shared pool")
}

func TestRunDrivesFlowsOnIntervals(t *testing.T) {
	// Run waits on real timers: this engine uses the system clock, not the rig's.
	shop := &memory.Channel{}
	w := &memory.Warehouse{}
	w.SetOnHand("TEA", 5)
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: tobirasync.SystemClock{}, Settle: time.Millisecond,
		OrdersEvery: 20 * time.Millisecond, ShipmentsEvery: 20 * time.Millisecond, StockEvery: 20 * time.Millisecond})
	require.NoError(t, eng.PutMerchant(tobirasync.Merchant{ID: "run", Channels: []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: w, Shipments: w, Stock: w}}}))
	shop.Place(newOrder("o1", "TEA", 2))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error)
	go func() { done <- eng.Run(ctx) }()
	require.Eventually(t, func() bool {
		n, _ := shop.Stock("TEA")
		return w.Submissions() == 1 && n == 3
	}, 4*time.Second, 10*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}
