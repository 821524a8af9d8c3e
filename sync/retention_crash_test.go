package sync_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// compactCrashStore is crashStore with retention. CompactOrders moves one record per inner call,
// with a crash point before each and after each landed, so a compaction dies between any two
// records as well as before and after them.
type compactCrashStore struct{ crashStore }

func (s compactCrashStore) CompactOrders(ctx context.Context, merchant string, before time.Time, limit int) (int, error) {
	cp := s.Store.(ledger.Compactor)
	n := 0
	for limit <= 0 || n < limit {
		if err := s.c.step("CompactOrders"); err != nil {
			return n, err
		}
		k, err := cp.CompactOrders(ctx, merchant, before, 1)
		if err != nil || k == 0 {
			return n, err
		}
		n += k
		if err := s.c.step("CompactOrders:done"); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s compactCrashStore) Tombstones(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]ledger.Tombstone, error) {
	if err := s.c.step("Tombstones"); err != nil {
		return nil, err
	}
	return s.Store.(ledger.Compactor).Tombstones(ctx, keys)
}

type compactOutcome struct {
	Submissions   int
	Requests      []string
	Confirmations []string
	Quarantined   []string
	Ledger        []string // per order: its state, or "tombstone"
}

// compactCrashScenario settles a day of orders, then compacts with a crash at step `at` of the
// compaction and of the listings after it, restarting the engine after the crash.
func compactCrashScenario(t *testing.T, at int) (compactOutcome, *crasher, int) {
	r := newRig(t, "shop")
	c := &crasher{}
	inner := r.store
	r.store = compactCrashStore{crashStore{Store: inner, c: c}}
	r.chans["shop"].SetHook(c.step)
	r.whs["wh"].SetHook(c.step)
	r.restart()
	r.whs["wh"].SetOnHand("TEA", 50)
	ids := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
	for _, id := range ids {
		r.place("shop", newOrder(id, "TEA", 1))
	}
	r.syncOrders("shop")
	for _, id := range []string{"s1", "s2", "s3"} {
		r.ship("wh", "shop", id)
	}
	r.syncShipments()
	r.chans["shop"].Cancel("s4")
	r.syncOrders("shop")
	r.clock.Advance(31 * 24 * time.Hour)

	// From here on, the process may die at step `at` of the rest.
	c.mu.Lock()
	if at > 0 {
		c.at = c.n + at
	}
	start := c.n
	c.mu.Unlock()
	crashed := false
	run := func(f func() error) {
		if err := f(); err != nil {
			require.ErrorIs(t, err, errCrash, "only the injected crash may fail a step")
			require.False(t, crashed, "one crash per scenario")
			crashed = true
			c.mu.Lock()
			c.crashed, c.at = false, 0
			c.mu.Unlock()
			r.restart()
			r.clock.Advance(2 * time.Minute)
			require.NoError(t, f())
		}
	}
	compact := func() error { _, err := r.eng.Compact(r.ctx, "m1", 30*24*time.Hour); return err }
	syncOrders := func() error {
		r.clock.Advance(2 * time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		return err
	}
	run(compact)
	// The channel lists every order again: settled ones unchanged (s1, s4), one closed (s2), one
	// changed after it shipped (s3), open ones changed (s5) or not (s6).
	r.chans["shop"].Change("s1", func(*order.Order) {})
	r.chans["shop"].Change("s2", func(o *order.Order) { o.Status = order.StatusClosed })
	r.chans["shop"].Change("s3", func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" })
	r.chans["shop"].Change("s4", func(*order.Order) {})
	r.chans["shop"].Change("s5", func(o *order.Order) { o.ShipTo.Line1 = "神宮前5-5-5" })
	r.chans["shop"].Change("s6", func(*order.Order) {})
	run(syncOrders)
	run(compact) // converge whatever the crash interrupted
	run(syncOrders)
	c.mu.Lock()
	steps := c.n - start
	c.mu.Unlock()

	var out compactOutcome
	out.Submissions = r.whs["wh"].Submissions()
	for _, req := range r.whs["wh"].Requests() {
		out.Requests = append(out.Requests, fmt.Sprintf("%s %s %s", req.Order.ID, req.State, req.Order.Fingerprint()))
	}
	slices.Sort(out.Requests)
	for id, conf := range r.chans["shop"].Confirmations() {
		out.Confirmations = append(out.Confirmations, id.ShipmentID+"->"+conf.Order.ID)
	}
	slices.Sort(out.Confirmations)
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	for _, e := range q {
		out.Quarantined = append(out.Quarantined, e.ItemID+": "+e.Reason)
	}
	slices.Sort(out.Quarantined)
	tombs, err := inner.(ledger.Compactor).Tombstones(r.ctx, keysOf("m1", "shop", ids...))
	require.NoError(t, err)
	for _, id := range ids {
		k := ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: id}
		rec, err := inner.GetOrder(r.ctx, k)
		switch _, dead := tombs[k]; {
		case err == nil:
			out.Ledger = append(out.Ledger, id+" "+string(rec.State))
		case dead:
			out.Ledger = append(out.Ledger, id+" tombstone")
		default:
			out.Ledger = append(out.Ledger, id+" lost: "+err.Error())
		}
	}
	return out, c, steps
}

func keysOf(merchant, channel string, ids ...string) []ledger.OrderKey {
	out := make([]ledger.OrderKey, len(ids))
	for i, id := range ids {
		out[i] = ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id}
	}
	return out
}

// TestCrashDuringCompaction kills the engine at every step of a compaction and of the listings
// that follow it (each record moved, each tombstone read, each write), restarts it, and checks
// that the warehouse, the channel, the quarantine and the ledger end as without a crash: no
// settled order imported twice, none lost (DESIGN.md invariants 1, 2 and 6).
func TestCrashDuringCompaction(t *testing.T) {
	want, c, steps := compactCrashScenario(t, 0)
	require.Equal(t, 6, want.Submissions, "each order once")
	require.Equal(t, []string{"s1 tombstone", "s2 tombstone", "s3 tombstone", "s4 tombstone", "s5 sent", "s6 sent"}, want.Ledger)
	require.Len(t, want.Quarantined, 1, "s3, changed after it shipped")
	require.Contains(t, want.Quarantined[0], "s3: ")
	require.Contains(t, c.ops, "CompactOrders:done")
	require.Contains(t, c.ops, "Tombstones")
	for at := 1; at <= steps; at++ {
		got, c, _ := compactCrashScenario(t, at)
		if !c.struck {
			t.Fatalf("crash point %d was never reached", at)
		}
		require.Equal(t, want, got, "crash at step %d of the compaction phase", at)
	}
	t.Logf("%d crash points, each converged to the no-crash outcome", steps)
}
