package sync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var errCrash = errors.New("crash: the process died here")

// crasher counts every step of the engine (store calls, connector calls before and after their
// effect) and kills the process at step `at`: that step and every later one fail, as if the
// process had died there. at = 0 never crashes.
type crasher struct {
	mu      gosync.Mutex
	n, at   int
	crashed bool // the process is dead: every step fails
	struck  bool // the crash happened in this scenario (it stays set after the restart)
	ops     []string
}

func (c *crasher) step(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.crashed {
		return errCrash
	}
	c.n++
	c.ops = append(c.ops, op)
	if c.n == c.at {
		c.crashed, c.struck = true, true
		return errCrash
	}
	return nil
}

// crashStore is a Store that dies with the crasher. Writes get two crash points: before, and
// after the write landed (its answer lost).
type crashStore struct {
	ledger.Store
	c *crasher
}

func (s crashStore) write(op string, f func() error) error {
	if err := s.c.step(op); err != nil {
		return err
	}
	if err := f(); err != nil {
		return err
	}
	return s.c.step(op + ":done")
}

func (s crashStore) GetCursor(ctx context.Context, name string) (string, int64, error) {
	if err := s.c.step("GetCursor"); err != nil {
		return "", 0, err
	}
	return s.Store.GetCursor(ctx, name)
}

func (s crashStore) PutCursor(ctx context.Context, name, value string, version int64) (v int64, err error) {
	err = s.write("PutCursor", func() (err error) { v, err = s.Store.PutCursor(ctx, name, value, version); return })
	return v, err
}

func (s crashStore) GetOrder(ctx context.Context, k ledger.OrderKey) (*ledger.OrderRecord, error) {
	if err := s.c.step("GetOrder"); err != nil {
		return nil, err
	}
	return s.Store.GetOrder(ctx, k)
}

func (s crashStore) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	return s.write("PutOrder", func() error { return s.Store.PutOrder(ctx, rec) })
}

func (s crashStore) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	if err := s.c.step("GetOrders"); err != nil {
		return nil, err
	}
	return s.Store.(ledger.BatchOrderLedger).GetOrders(ctx, keys)
}

// PutOrders has a third crash point halfway: a batch need not be atomic, so the engine must
// converge when only its first records landed.
func (s crashStore) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	bl := s.Store.(ledger.BatchOrderLedger)
	errs := make([]error, len(recs))
	fail := func(from int, err error) []error {
		for i := from; i < len(errs); i++ {
			errs[i] = err
		}
		return errs
	}
	if err := s.c.step("PutOrders"); err != nil {
		return fail(0, err)
	}
	half := len(recs) / 2
	copy(errs, bl.PutOrders(ctx, recs[:half]))
	if half > 0 {
		if err := s.c.step("PutOrders:half"); err != nil {
			return fail(half, err)
		}
	}
	copy(errs[half:], bl.PutOrders(ctx, recs[half:]))
	if err := s.c.step("PutOrders:done"); err != nil {
		return fail(0, err)
	}
	return errs
}

func (s crashStore) PendingOrders(ctx context.Context, m, ch string, limit int) ([]*ledger.OrderRecord, error) {
	if err := s.c.step("PendingOrders"); err != nil {
		return nil, err
	}
	return s.Store.PendingOrders(ctx, m, ch, limit)
}

func (s crashStore) GetShipment(ctx context.Context, id string) (*ledger.ShipmentRecord, error) {
	if err := s.c.step("GetShipment"); err != nil {
		return nil, err
	}
	return s.Store.GetShipment(ctx, id)
}

func (s crashStore) PutShipment(ctx context.Context, rec *ledger.ShipmentRecord) error {
	return s.write("PutShipment", func() error { return s.Store.PutShipment(ctx, rec) })
}

func (s crashStore) PendingShipments(ctx context.Context, m string, limit int) ([]*ledger.ShipmentRecord, error) {
	if err := s.c.step("PendingShipments"); err != nil {
		return nil, err
	}
	return s.Store.PendingShipments(ctx, m, limit)
}

func (s crashStore) PutLevels(ctx context.Context, m string, l []inventory.Level) error {
	return s.write("PutLevels", func() error { return s.Store.PutLevels(ctx, m, l) })
}

func (s crashStore) PutReservation(ctx context.Context, m string, r inventory.Reservation) error {
	return s.write("PutReservation", func() error { return s.Store.PutReservation(ctx, m, r) })
}

// PutReservations crashes halfway too, the batch being written in two parts.
func (s crashStore) PutReservations(ctx context.Context, m string, rs []inventory.Reservation) error {
	br := s.Store.(ledger.BatchReservations)
	half := len(rs) / 2
	return s.write("PutReservations", func() error {
		if err := br.PutReservations(ctx, m, rs[:half]); err != nil {
			return err
		}
		if err := s.c.step("PutReservations:half"); err != nil {
			return err
		}
		return br.PutReservations(ctx, m, rs[half:])
	})
}

func (s crashStore) DeleteReservation(ctx context.Context, m, k string) error {
	return s.write("DeleteReservation", func() error { return s.Store.DeleteReservation(ctx, m, k) })
}

func (s crashStore) PutAcked(ctx context.Context, m, ch string, v map[string]ledger.StockAck) error {
	return s.write("PutAcked", func() error { return s.Store.PutAcked(ctx, m, ch, v) })
}

func (s crashStore) PutQuarantine(ctx context.Context, q ledger.QuarantineEntry) error {
	return s.write("PutQuarantine", func() error { return s.Store.PutQuarantine(ctx, q) })
}

// outcome is what the warehouse and the channels hold at the end: the state a crash must not change.
type outcome struct {
	Requests      []string
	Submissions   int
	Confirmations map[string][]string
	Stock         map[string]int
	Quarantined   int
}

// crashScenario runs a day of a small shop with crashes at step `at`; after a crash the engine is
// restarted on the same store and the host's scheduler runs the interrupted flow again.
func crashScenario(t *testing.T, at int) (outcome, *crasher) {
	r := newRig(t, "shop", "mall")
	c := &crasher{at: at}
	inner := r.store
	r.store = crashStore{Store: inner, c: c}
	for _, ch := range r.chans {
		ch.SetHook(c.step)
	}
	for _, w := range r.whs {
		w.SetHook(c.step)
	}
	r.whs["wh"].SetOnHand("TEA", 20)
	r.whs["wh"].SetOnHand("CUP", 20)
	r.restart()

	var crashed bool
	// run runs one host step; after a crash it restarts the engine (the dead process's in-memory
	// state is gone, the store and the platforms remain) and runs the step again.
	run := func(f func() error) {
		if err := f(); err != nil {
			require.ErrorIs(t, err, errCrash, "only the injected crash may fail a step")
			require.False(t, crashed, "one crash per scenario")
			crashed = true
			c.mu.Lock()
			c.crashed, c.at = false, 0
			c.mu.Unlock()
			r.restart()
			// Leases of the dead process expire before the restarted one takes over.
			r.clock.Advance(2 * time.Minute)
			require.NoError(t, f())
		}
	}
	cycle := func() {
		r.clock.Advance(2 * time.Second)
		for _, ch := range []string{"shop", "mall"} {
			run(func() error { _, err := r.eng.SyncOrders(r.ctx, "m1", ch); return err })
		}
		// The warehouse ships a fixed set of orders as soon as it has them.
		for _, id := range []string{"s1", "m2", "s3"} {
			ch := map[byte]string{'s': "shop", 'm': "mall"}[id[0]]
			if req, ok := r.requestFor("wh", ch, id); ok && req.State == "received" {
				r.ship("wh", ch, id)
			}
		}
		run(func() error { _, err := r.eng.SyncShipments(r.ctx, "m1", "wh"); return err })
		run(func() error { _, err := r.eng.SyncStock(r.ctx, "m1"); return err })
	}

	for i := 1; i <= 4; i++ {
		r.chans["shop"].Place(newOrder(fmt.Sprintf("s%d", i), "TEA", i, "CUP", 1))
	}
	for i := 1; i <= 3; i++ {
		r.chans["mall"].Place(newOrder(fmt.Sprintf("m%d", i), "TEA", 1))
	}
	bad := newOrder("m-bad", "TEA", 1)
	bad.ShipTo.PostalCode = "1500001"
	r.chans["mall"].Place(bad)
	cycle()

	r.chans["shop"].Change("s2", func(o *order.Order) { o.ShipTo.Line1 = "神宮前2-2-2" })
	r.chans["shop"].Change("s4", func(o *order.Order) { o.Lines[0].Cancelled = 2 })
	r.chans["mall"].Cancel("m1")
	r.chans["mall"].Place(newOrder("m4", "CUP", 2))
	cycle()
	cycle() // converge whatever the crash interrupted

	var out outcome
	for _, req := range r.whs["wh"].Requests() {
		out.Requests = append(out.Requests, fmt.Sprintf("%s/%s %s %s lines=%v", req.Channel, req.Order.ID, req.State, req.Order.Fingerprint(), req.Order.Lines))
	}
	slices.Sort(out.Requests)
	out.Submissions = r.whs["wh"].Submissions()
	out.Confirmations = map[string][]string{}
	out.Stock = map[string]int{}
	for name, ch := range r.chans {
		for id, conf := range ch.Confirmations() {
			out.Confirmations[name] = append(out.Confirmations[name], id.ShipmentID+"->"+conf.Order.ID)
		}
		slices.Sort(out.Confirmations[name])
		for _, sku := range []string{"TEA", "CUP"} {
			out.Stock[name+"/"+sku], _ = ch.Stock(sku)
		}
	}
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	out.Quarantined = len(q)
	return out, c
}

// TestCrashAtEveryStep kills the engine at every step of the order, shipment and stock flows in
// turn (each store call and each connector call, before and after its effect), restarts it on the
// same store, and checks that the warehouse and the channels end exactly as without a crash:
// each order at the warehouse once, each shipment at its channel once (DESIGN.md invariant 6).
func TestCrashAtEveryStep(t *testing.T) {
	want, c := crashScenario(t, 0)
	require.Equal(t, 8, want.Submissions, "7 valid orders on two channels plus one placed later")
	require.Len(t, want.Confirmations["shop"], 2)
	require.Len(t, want.Confirmations["mall"], 1)
	require.Equal(t, 1, want.Quarantined, "the order with a malformed postal code")
	steps := c.n
	require.Greater(t, steps, 100)
	// memstore reads and writes in batches, so the crash points must cover the batch path.
	for _, op := range []string{"GetOrders", "PutOrders:half", "PutReservations:half"} {
		require.Contains(t, c.ops, op, "the scenario never reaches %s", op)
	}
	for at := 1; at <= steps; at++ {
		got, c := crashScenario(t, at)
		if !c.struck {
			t.Fatalf("crash point %d was never reached", at)
		}
		require.Equal(t, want, got, "crash at step %d (%s)", at, c.ops[at-1])
	}
	t.Logf("%d crash points, each converged to the no-crash outcome", steps)
}

// A warehouse that ships a request whose Submit answer was lost: the ledger recorded the request
// before the Submit, so the shipment is its, and is confirmed without waiting for the order's
// delivery to be retried (which then submits nothing twice).
func TestShipmentOfARequestWhoseSubmitAnswerWasLost(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	r.whs["wh"].FailAfter(1, nil) // Submit lands, its answer is lost
	_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.Error(t, err)
	require.Equal(t, ledger.RequestNew, r.ledger("shop", "o1").Requests[0].State, "recorded before it was sent")
	r.ship("wh", "shop", "o1")
	r.syncShipments()
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Empty(t, q)
	require.Len(t, r.chans["shop"].Confirmations(), 1)
	r.syncOrders("shop")
	r.syncShipments()
	require.Len(t, r.chans["shop"].Confirmations(), 1)
	require.Equal(t, 1, r.whs["wh"].Submissions())
	require.Equal(t, ledger.StateShipped, r.ledger("shop", "o1").State)
}
