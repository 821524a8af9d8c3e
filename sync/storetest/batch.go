package storetest

import (
	"errors"
	"fmt"
	"reflect"
	gosync "sync"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// batchOf returns the store's BatchOrderLedger, skipping the check when it has none: the
// capability is optional, and the engine falls back to GetOrder and PutOrder without it.
func batchOf(c *suite.Check, s ledger.Store) ledger.BatchOrderLedger {
	bl, ok := s.(ledger.BatchOrderLedger)
	if !ok {
		c.Skip("the store does not implement sync.BatchOrderLedger (optional)")
	}
	return bl
}

func batchMixed(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	bl := batchOf(c, s)
	existing := sampleOrder("m1", "shop", "1")
	must(c, "PutOrder", s.PutOrder(ctx, existing))
	taken := sampleOrder("m1", "shop", "2")
	must(c, "PutOrder", s.PutOrder(ctx, taken))
	stale := existing.Clone()
	existing.Pending = false // the update also leaves the pending index

	fresh := sampleOrder("m1", "shop", "3")
	dup := sampleOrder("m1", "shop", "2") // an insert of a record that exists
	missing := sampleOrder("m1", "shop", "4")
	missing.Version = 5 // an update of a record that does not exist
	v := existing.Version
	recs := []*ledger.OrderRecord{fresh, existing, dup, missing}
	errs := bl.PutOrders(ctx, recs)
	if len(errs) != len(recs) {
		c.Fatalf("PutOrders of %d records returned %d errors, want one per record", len(recs), len(errs))
	}
	for i, want := range []error{nil, nil, ledger.ErrConflict, ledger.ErrConflict} {
		if (want == nil) != (errs[i] == nil) || (want != nil && !errors.Is(errs[i], want)) {
			c.Errorf("PutOrders record %d (%s) = %v, want %v", i, recs[i].Key.OrderID, errs[i], want)
		}
	}
	if fresh.Version != 1 || existing.Version == v || dup.Version != 0 || missing.Version != 5 {
		c.Errorf("versions after PutOrders = %d, %d, %d, %d; want 1, changed from %d, 0 and 5 (only written records move)",
			fresh.Version, existing.Version, dup.Version, missing.Version, v)
	}
	stale.HoldReason = "stale"
	if errs := bl.PutOrders(ctx, []*ledger.OrderRecord{stale}); len(errs) != 1 || !errors.Is(errs[0], ledger.ErrConflict) {
		c.Errorf("PutOrders with the stale version %d = %v, want [ErrConflict]", v, errs)
	}

	keys := []ledger.OrderKey{fresh.Key, existing.Key, taken.Key, missing.Key, {Merchant: "m2", Channel: "shop", OrderID: "1"}}
	got, err := bl.GetOrders(ctx, keys)
	must(c, "GetOrders", err)
	if len(got) != 3 || got[missing.Key] != nil {
		c.Errorf("GetOrders returned %d records, want the 3 that exist (missing keys absent, not errors)", len(got))
	}
	for _, want := range []*ledger.OrderRecord{fresh, existing, taken} {
		if g := got[want.Key]; g == nil || !reflect.DeepEqual(utcOrder(g), want) {
			c.Errorf("GetOrders(%s) = %+v, want %+v", want.Key.OrderID, g, want)
		}
	}
	pend, err := s.PendingOrders(ctx, "m1", "shop", 10)
	must(c, "PendingOrders", err)
	if ids := fmt.Sprint(orderIDs(pend)); ids != "[2 3]" {
		c.Errorf("PendingOrders after the batch = %s, want [2 3]: batch writes keep the pending index", ids)
	}
}

func batchRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	bl := batchOf(c, s)
	base := sampleOrder("m1", "shop", "base")
	must(c, "PutOrder", s.PutOrder(ctx, base))
	for r := range rounds {
		cur, err := s.GetOrder(ctx, base.Key)
		must(c, "GetOrder", err)
		id := fmt.Sprint("new-", r)
		var (
			mu   gosync.Mutex
			wins [2]int
		)
		race(c, h.Concurrency, func(i int) error {
			upd := cur.Clone()
			upd.HoldReason = fmt.Sprint("writer ", i)
			ins := sampleOrder("m1", "shop", id)
			ins.HoldReason = upd.HoldReason
			errs := bl.PutOrders(ctx, []*ledger.OrderRecord{ins, upd})
			mu.Lock()
			defer mu.Unlock()
			for j, err := range errs {
				switch {
				case err == nil:
					wins[j]++
				case !errors.Is(err, ledger.ErrConflict):
					return err
				}
			}
			return nil
		})
		if wins != [2]int{1, 1} {
			c.Fatalf("round %d: of %d concurrent batches, %d inserted order %s and %d updated version %d; want exactly 1 each",
				r, h.Concurrency, wins[0], id, wins[1], cur.Version)
		}
	}
}

func batchCopies(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	bl := batchOf(c, s)
	rec := sampleOrder("m1", "shop", "1001")
	if errs := bl.PutOrders(ctx, []*ledger.OrderRecord{rec}); len(errs) != 1 || errs[0] != nil {
		c.Fatalf("PutOrders = %v, want [<nil>]", errs)
	}
	// PutOrders took rec over and GetOrders may share what it returns: neither is changed here
	// (sync.BatchOrderLedger). What the store must not do is change them itself.
	want := rec.Clone()
	got, err := bl.GetOrders(ctx, []ledger.OrderKey{want.Key})
	must(c, "GetOrders", err)
	shared := got[want.Key]
	if shared == nil || !reflect.DeepEqual(utcOrder(shared), want) {
		c.Fatalf("GetOrders = %+v, want %+v", shared, want)
	}
	next := shared.Clone()
	next.State = ledger.StateCancelled
	next.Order = &order.Order{ID: "changed"}
	next.Requests[0].Lines = []connector.LineQuantity{{LineID: "L1", SKU: "TEA-01", Quantity: 99}}
	if errs := bl.PutOrders(ctx, []*ledger.OrderRecord{next}); len(errs) != 1 || errs[0] != nil {
		c.Fatalf("PutOrders of the next version = %v, want [<nil>]", errs)
	}
	if !reflect.DeepEqual(utcOrder(shared), want) {
		c.Errorf("writing a new version changed a record GetOrders had returned: got\n\t%+v\nwant\n\t%+v", utcOrder(shared), want)
	}
	if !reflect.DeepEqual(utcOrder(rec), want) {
		c.Errorf("writing a new version changed a record PutOrders had taken: got\n\t%+v\nwant\n\t%+v", utcOrder(rec), want)
	}
}

func batchReservations(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	br, ok := s.(ledger.BatchReservations)
	if !ok {
		c.Skip("the store does not implement sync.BatchReservations (optional)")
	}
	old := inventory.Reservation{Key: "m1/shop/1", Channel: "shop", Items: []inventory.Item{{SKU: "A", Quantity: 5}}}
	must(c, "PutReservation", s.PutReservation(ctx, "m1", old))
	r1 := inventory.Reservation{Key: "m1/shop/1", Channel: "shop", Items: []inventory.Item{{SKU: "A", Quantity: 1}}}
	r2 := inventory.Reservation{Key: "m1/shop/2", Channel: "shop", Items: []inventory.Item{{SKU: "B", Quantity: 2}}}
	r2b := r2
	r2b.Items = []inventory.Item{{SKU: "B", Quantity: 3}}
	must(c, "PutReservations", br.PutReservations(ctx, "m1", []inventory.Reservation{r1, r2, r2b}))
	must(c, "PutReservations of none", br.PutReservations(ctx, "m2", nil))
	rs, err := s.Reservations(ctx, "m1")
	must(c, "Reservations", err)
	got := map[string]inventory.Reservation{}
	for _, r := range rs {
		got[r.Key] = r
	}
	if want := map[string]inventory.Reservation{r1.Key: r1, r2.Key: r2b}; len(rs) != 2 || !reflect.DeepEqual(got, want) {
		c.Errorf("Reservations(m1) after PutReservations = %+v, want %+v (replaced by key, the later of a repeated key kept)", rs, want)
	}
	if rs, err := s.Reservations(ctx, "m2"); err != nil || len(rs) != 0 {
		c.Errorf("Reservations(m2) = %+v, %v; want none", rs, err)
	}
}
