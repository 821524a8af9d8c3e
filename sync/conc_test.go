package sync_test

import (
	"context"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// loops runs functions over and over, each in its own goroutine, with its round, until stop is
// called; stop returns once every round under way has ended.
type loops struct {
	wg   gosync.WaitGroup
	done chan struct{}
}

func newLoops() *loops { return &loops{done: make(chan struct{})} }

func (l *loops) run(f func(round int)) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-l.done:
				return
			default:
				f(i)
			}
		}
	}()
}

func (l *loops) stop() {
	close(l.done)
	l.wg.Wait()
}

// TestMerchantsChangeWhileFlowsRun changes a merchant's configuration and pauses its channels
// while every flow runs in other goroutines, as a host reconfiguring a live engine does. Under
// -race it finds state shared without a common lock; after the churn, the engine must still be
// exact: each order sent once and stock as the warehouse holds it less what is to leave.
func TestMerchantsChangeWhileFlowsRun(t *testing.T) {
	r := newRig(t, "shop", "mall")
	for i := range 30 {
		r.place([]string{"shop", "mall"}[i%2], newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
	}
	flows := newLoops()
	flows.run(func(int) { _, _ = r.eng.SyncOrders(r.ctx, "m1", "shop") })
	flows.run(func(int) { _, _ = r.eng.SyncOrders(r.ctx, "m1", "mall") })
	flows.run(func(int) { _, _ = r.eng.SyncStock(r.ctx, "m1") })
	flows.run(func(int) { _, _ = r.eng.SyncShipments(r.ctx, "m1", "wh") })
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
	flows.stop()
	require.NoError(t, r.eng.PutMerchant(r.m))
	r.catchUp()
	requireExact(t, r, 230)
	require.Equal(t, 1199-230, r.stock("shop", "TEA"))
}

// requireExact checks where the flows must end once the engine caught up: n orders at the
// warehouse, each once; each shipment confirmed once; every channel showing, of TEA (the only SKU
// these tests sell), what the warehouse holds less what is still to leave.
func requireExact(t *testing.T, r *rig, n int) {
	t.Helper()
	require.Len(t, r.whs["wh"].Requests(), n)
	for id, c := range requestsPerOrder(r.whs["wh"]) {
		require.Equal(t, 1, c, "requests for %s", id)
	}
	confirmed := 0
	for _, ch := range r.chans {
		confirmed += len(ch.Confirmations())
	}
	require.Len(t, r.shipments("wh"), confirmed, "each shipment confirmed once")
	want := r.whs["wh"].OnHand("TEA") - r.leaving("wh")["TEA"]
	for name := range r.chans {
		require.Equal(t, want, r.stock(name, "TEA"), name)
	}
}

// TestEveryEntryPointAtOnce drives the engine through every entry point a host calls, each from
// its own goroutine: webhooks and polls of the same orders, shipments listed and recorded, stock
// synced, counted by hand and sold off-line, orders held and released. Under -race it finds
// state shared without a lock; afterwards each order must be at the warehouse once, each shipment
// confirmed once, and each channel must show the exact stock.
func TestEveryEntryPointAtOnce(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.whs["wh"].SetOnHand("TEA", 500)
	const n = 60
	flows := newLoops()
	flows.run(func(int) { _, _ = r.eng.SyncOrders(r.ctx, "m1", "shop") })
	flows.run(func(int) { _, _ = r.eng.SyncOrders(r.ctx, "m1", "mall") })
	flows.run(func(int) { _, _ = r.eng.SyncStock(r.ctx, "m1") })
	flows.run(func(int) { _, _ = r.eng.SyncShipments(r.ctx, "m1", "wh") })
	flows.run(func(i int) {
		// An off-line sale comes and goes, and the warehouse's count is set by hand.
		_ = r.eng.ReportSale(r.ctx, "m1", "pos", []inventory.Item{{SKU: "TEA", Quantity: 1 + i%3}})
		_ = r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: 500, AsOf: r.clock.Now()})
	})
	for i := range n {
		ch := []string{"shop", "mall"}[i%2]
		id := fmt.Sprintf("o%d", i)
		r.chans[ch].Place(newOrder(id, "TEA", 1+i%2))
		// The channel's webhook, racing its own poll.
		o, _ := r.chans[ch].Order(id)
		_ = r.eng.IngestOrder(r.ctx, "m1", ch, o)
		k := ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}
		if i%5 == 0 {
			_ = r.eng.Hold(r.ctx, k, "address check")
			_ = r.eng.Release(r.ctx, k)
		}
		if i%3 == 0 {
			if s, err := r.whs["wh"].Ship(tobirasync.RequestKey(k, "wh"), nil); err == nil {
				_ = r.eng.RecordShipment(r.ctx, "m1", "wh", s)
			}
		}
		r.clock.Advance(time.Second)
	}
	flows.stop()
	// The off-line sale is withdrawn, the warehouse counts its stock once more (the counts set by
	// hand during the day did not follow its shipments), and the flows catch up.
	require.NoError(t, r.eng.ReportSale(r.ctx, "m1", "pos", nil))
	r.clock.Advance(time.Minute)
	require.NoError(t, r.eng.SetOnHand(r.ctx, "m1", inventory.Level{SKU: "TEA", OnHand: r.whs["wh"].OnHand("TEA"), AsOf: r.clock.Now()}))
	r.catchUp()
	require.NotEmpty(t, r.shipments("wh"))
	requireExact(t, r, n)
}

// TestTwoReplicasAtOnce runs two engines on one store, as a host with two replicas does, each
// running every flow from its own goroutines while orders arrive. Afterwards each order must be
// at the warehouse once and each channel must show the exact stock.
func TestTwoReplicasAtOnce(t *testing.T) {
	r := newRig(t, "shop", "mall")
	r.whs["wh"].SetOnHand("TEA", 500)
	other := tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Settle: time.Second, Overlap: time.Minute, PageLimit: 3, Owner: "replica-2"})
	require.NoError(t, other.PutMerchant(r.m))
	// A channel's answer takes a while: two replicas' pushes of one SKU overlap, and may land in
	// one order and be recorded in the other.
	var calls atomic.Int64
	for _, ch := range r.chans {
		ch.SetHook(func(op string) error {
			if op == "SetStock" || op == "SetStock:done" {
				time.Sleep(time.Duration(calls.Add(1)%7) * 100 * time.Microsecond)
			}
			return nil
		})
	}
	flows := newLoops()
	for _, eng := range []*tobirasync.Engine{r.eng, other} {
		flows.run(func(int) { _, _ = eng.SyncOrders(r.ctx, "m1", "shop") })
		flows.run(func(int) { _, _ = eng.SyncOrders(r.ctx, "m1", "mall") })
		flows.run(func(int) { _, _ = eng.SyncStock(r.ctx, "m1") })
		flows.run(func(int) { _, _ = eng.SyncShipments(r.ctx, "m1", "wh") })
	}
	const n = 80
	for i := range n {
		ch := []string{"shop", "mall"}[i%2]
		id := fmt.Sprintf("o%d", i)
		r.chans[ch].Place(newOrder(id, "TEA", 1+i%3))
		o, _ := r.chans[ch].Order(id)
		// The webhook reaches one replica or the other.
		_ = []*tobirasync.Engine{r.eng, other}[i%2].IngestOrder(r.ctx, "m1", ch, o)
		if i%4 == 0 {
			_, _ = r.whs["wh"].Ship(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}, "wh"), nil)
		}
		r.clock.Advance(time.Second)
	}
	flows.stop()
	for _, ch := range r.chans {
		ch.SetHook(nil)
	}
	r.catchUp()
	require.NotEmpty(t, r.shipments("wh"))
	requireExact(t, r, n)
}

// TestRecordShipmentRacingARunIsNoError has a scheduled run confirm a shipment while the host's
// RecordShipment of the same shipment is half way, between applying it to its order and
// recording that: the shipment is confirmed once, and the host, whose shipment the other writer
// took care of, gets no error.
func TestRecordShipmentRacingARunIsNoError(t *testing.T) {
	r := newRig(t, "shop")
	r.setOnHand("TEA", 10)
	r.place("shop", newOrder("o1", "TEA", 1))
	r.syncOrders("shop")
	s, err := r.whs["wh"].Ship(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "o1"}, "wh"), nil)
	require.NoError(t, err)
	var once atomic.Bool
	hooked := &hookedStore{Store: r.store.(*memstore.Store), hook: func(write string, done bool) {
		if write == "PutOrder" && done && once.CompareAndSwap(false, true) {
			r.syncShipments() // the rig's engine, on the same store
		}
	}}
	host := tobirasync.New(hooked, tobirasync.Options{Clock: r.clock})
	require.NoError(t, host.PutMerchant(r.m))
	require.NoError(t, host.RecordShipment(r.ctx, "m1", "wh", s))
	require.True(t, once.Load(), "the run ran inside RecordShipment")
	require.Len(t, r.chans["shop"].Confirmations(), 1)
}

// replicaAt returns another replica of the rig's engine, on its store, that calls f at its k-th
// point, counting a point right before and one right after each of its record writes; and how
// many points it has passed. The race-point tests loop over k, as the crash tests loop over
// crash points, with f acting through the rig's own engine.
func (r *rig) replicaAt(k int, f func()) (*tobirasync.Engine, func() int) {
	r.t.Helper()
	var n atomic.Int32
	hooked := &hookedStore{Store: r.store.(*memstore.Store), hook: func(string, bool) {
		if n.Add(1) == int32(k) {
			f()
		}
	}}
	eng := tobirasync.New(hooked, tobirasync.Options{Clock: r.clock, Settle: time.Second, Overlap: time.Minute, PageLimit: 3})
	if err := eng.PutMerchant(r.m); err != nil {
		r.t.Fatal(err)
	}
	return eng, func() int { return int(n.Load()) }
}

// hookedStore is a memstore that calls hook before and after each write of an order or a
// shipment record, with the write's name ("PutOrder", "PutOrders", "PutShipment") and whether
// it is done.
type hookedStore struct {
	*memstore.Store
	hook func(write string, done bool)
}

func (s *hookedStore) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	s.hook("PutOrder", false)
	err := s.Store.PutOrder(ctx, rec)
	s.hook("PutOrder", true)
	return err
}

func (s *hookedStore) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	s.hook("PutOrders", false)
	errs := s.Store.PutOrders(ctx, recs)
	s.hook("PutOrders", true)
	return errs
}

func (s *hookedStore) PutShipment(ctx context.Context, rec *ledger.ShipmentRecord) error {
	s.hook("PutShipment", false)
	err := s.Store.PutShipment(ctx, rec)
	s.hook("PutShipment", true)
	return err
}

// TestWebhookAtEveryWriteOfARun delivers a webhook with a new version of an order right before or
// after each ledger write of a scheduled run that is delivering the version before, the webhook
// arriving at another replica; one case per point, as the crash tests loop over crash points.
// The new version has more units and a new address, or cancels the order. Wherever the webhook
// comes, the warehouse ends up holding the new version (once) or nothing, and the channel is
// offered what is left once the flows catch up.
func TestWebhookAtEveryWriteOfARun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(o *order.Order)
		units  int // what the warehouse must hold in the end
	}{
		{"changed", func(o *order.Order) { o.Lines[0].Quantity, o.ShipTo.Line2 = 3, "3F" }, 3},
		{"cancelled", func(o *order.Order) { o.Status = order.StatusCancelled }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k := 1; ; k++ {
				r := newRig(t, "shop")
				r.setOnHand("TEA", 50)
				r.place("shop", newOrder("o1", "TEA", 1))
				run, points := r.replicaAt(k, func() {
					r.chans["shop"].Change("o1", tc.change)
					o, _ := r.chans["shop"].Order("o1")
					_ = r.eng.IngestOrder(r.ctx, "m1", "shop", o)
				})
				_, _ = run.SyncOrders(r.ctx, "m1", "shop")
				if points() < k {
					require.Greater(t, k, 2, "the run writes the ledger more than once")
					return // every write of the run has had its webhook
				}
				r.clock.Advance(time.Minute)
				r.syncOrders("shop")
				r.syncStock() // replicas plan pushes from their own pools until SyncStock reloads them
				require.LessOrEqual(t, len(r.whs["wh"].Requests()), 1, "webhook at point %d", k)
				held, line2 := 0, ""
				if req, ok := r.requestFor("wh", "shop", "o1"); ok && req.State != memory.Cancelled {
					held, line2 = req.Order.Lines[0].Open(), req.Order.ShipTo.Line2
				}
				require.Equal(t, tc.units, held, "webhook at point %d", k)
				if held > 0 {
					require.Equal(t, "3F", line2, "webhook at point %d", k)
				}
				require.Equal(t, 50-tc.units, r.stock("shop", "TEA"), "webhook at point %d", k)
			}
		})
	}
}

// TestCancellationAtEveryWriteOfAShipmentRun cancels an order on its channel, through a webhook to
// another replica, right before or after each ledger write of a shipment run that is confirming
// the order's shipment. The warehouse had shipped it, so it refuses the cancellation; whether the
// channel heard of the shipment first depends on the point, but it hears of it at most once, and
// once the flows catch up every channel shows what the warehouse holds.
func TestCancellationAtEveryWriteOfAShipmentRun(t *testing.T) {
	for k := 1; ; k++ {
		r := newRig(t, "shop")
		r.setOnHand("TEA", 50)
		r.place("shop", newOrder("o1", "TEA", 2))
		r.syncOrders("shop")
		r.ship("wh", "shop", "o1")
		run, points := r.replicaAt(k, func() {
			r.chans["shop"].Cancel("o1")
			o, _ := r.chans["shop"].Order("o1")
			_ = r.eng.IngestOrder(r.ctx, "m1", "shop", o)
		})
		_, _ = run.SyncShipments(r.ctx, "m1", "wh")
		if points() < k {
			require.Greater(t, k, 1, "the run writes the ledger")
			return
		}
		r.clock.Advance(time.Minute)
		r.syncOrders("shop")
		r.syncShipments()
		r.syncStock()
		require.LessOrEqual(t, len(r.chans["shop"].Confirmations()), 1, "cancellation at point %d", k)
		require.Equal(t, 48, r.whs["wh"].OnHand("TEA"))
		require.Equal(t, 48, r.stock("shop", "TEA"), "cancellation at point %d", k)
		rec, err := r.eng.Order(r.ctx, ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "o1"})
		require.NoError(t, err)
		require.Len(t, rec.Shipments, 1, "cancellation at point %d", k)
		require.False(t, rec.Pending, "cancellation at point %d: the order is settled", k)
	}
}
