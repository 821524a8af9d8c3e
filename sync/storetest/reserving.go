package storetest

import (
	"errors"
	"fmt"
	"reflect"
	gosync "sync"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// reservingOf returns the store's ReservingOrderLedger, skipping the check when it has none: the
// capability is optional, and the engine writes records and reservations apart without it.
func reservingOf(c *suite.Check, s ledger.Store) ledger.ReservingOrderLedger {
	rl, ok := s.(ledger.ReservingOrderLedger)
	if !ok {
		c.Skip("the store does not implement ledger.ReservingOrderLedger (optional)")
	}
	return rl
}

func reservationsOf(c *suite.Check, s ledger.Store, merchant string) map[string]inventory.Reservation {
	rs, err := s.Reservations(c.Context(), merchant)
	must(c, "Reservations", err)
	out := make(map[string]inventory.Reservation, len(rs))
	for _, r := range rs {
		out[r.Key] = r
	}
	return out
}

func reservingMixed(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rl := reservingOf(c, s)
	res := func(key string, n int) inventory.Reservation {
		return inventory.Reservation{Key: key, Channel: "shop", Items: []inventory.Item{{SKU: "TEA-01", Quantity: n}}}
	}
	existing := sampleOrder("m1", "shop", "1")
	must(c, "PutOrder", s.PutOrder(ctx, existing))
	taken := sampleOrder("m1", "shop", "2")
	must(c, "PutOrder", s.PutOrder(ctx, taken))
	settled := sampleOrder("m1", "shop", "5")
	must(c, "PutOrder", s.PutOrder(ctx, settled))
	stale := existing.Clone()
	for _, r := range []inventory.Reservation{res("r1", 1), res("r2", 2), res("r5", 5), res("r9", 9)} {
		must(c, "PutReservation", s.PutReservation(ctx, "m1", r))
	}
	existing.HoldReason = "updated"
	must(c, "PutOrder", s.PutOrder(ctx, stale.Clone())) // stale is now a version behind
	existing.Version = stale.Version + 1

	fresh := sampleOrder("m1", "shop", "3")
	dup := sampleOrder("m1", "shop", "2") // an insert of a record that exists
	untouched := sampleOrder("m1", "shop", "4")
	recs := []*ledger.OrderRecord{fresh, existing, dup, stale, settled, untouched}
	changes := []ledger.ReservationChange{
		{Put: res("r3", 3)},  // written with the new record
		{Put: res("r1", 10)}, // replaces r1 with the update
		{Put: res("r2", 20)}, // refused with the duplicate insert: r2 stays
		{Delete: "r9"},       // refused with the stale update: r9 stays
		{Delete: "r5"},       // removed with the update
		{},                   // no change
	}
	errs := rl.PutOrdersReserving(ctx, recs, changes)
	if len(errs) != len(recs) {
		c.Fatalf("PutOrdersReserving of %d records returned %d errors, want one per record", len(recs), len(errs))
	}
	for i, want := range []error{nil, nil, ledger.ErrConflict, ledger.ErrConflict, nil, nil} {
		if (want == nil) != (errs[i] == nil) || (want != nil && !errors.Is(errs[i], want)) {
			c.Errorf("PutOrdersReserving record %d (%s) = %v, want %v", i, recs[i].Key.OrderID, errs[i], want)
		}
	}
	got := reservationsOf(c, s, "m1")
	want := map[string]inventory.Reservation{"r1": res("r1", 10), "r2": res("r2", 2), "r3": res("r3", 3), "r9": res("r9", 9)}
	if !reflect.DeepEqual(got, want) {
		c.Errorf("reservations after PutOrdersReserving = %+v, want %+v (changed with the records written, untouched with the records refused)", got, want)
	}
	for _, rec := range []*ledger.OrderRecord{fresh, existing, settled, untouched} {
		stored, err := s.GetOrder(ctx, rec.Key)
		must(c, "GetOrder", err)
		if stored.Version != rec.Version || stored.HoldReason != rec.HoldReason {
			c.Errorf("record %s after PutOrdersReserving: version %d %q, want %d %q", rec.Key.OrderID, stored.Version, stored.HoldReason, rec.Version, rec.HoldReason)
		}
	}
	if errs := rl.PutOrdersReserving(ctx, []*ledger.OrderRecord{sampleOrder("m1", "shop", "6")}, nil); len(errs) != 1 || errs[0] != nil {
		c.Errorf("PutOrdersReserving without changes = %v, want [<nil>]", errs)
	}
	if got := reservationsOf(c, s, "m2"); len(got) != 0 {
		c.Errorf("reservations of m2 = %+v, want none (changes belong to the merchant of their record)", got)
	}
}

func reservingRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rl := reservingOf(c, s)
	base := sampleOrder("m1", "shop", "base")
	must(c, "PutOrder", s.PutOrder(ctx, base))
	for r := range rounds {
		cur, err := s.GetOrder(ctx, base.Key)
		must(c, "GetOrder", err)
		var (
			mu     gosync.Mutex
			wins   int
			winner inventory.Reservation
		)
		race(c, h.Concurrency, func(i int) error {
			upd := cur.Clone()
			upd.HoldReason = fmt.Sprint("writer ", i)
			put := inventory.Reservation{Key: "base", Channel: "shop", Items: []inventory.Item{{SKU: "TEA-01", Quantity: 100*r + i + 1}}}
			errs := rl.PutOrdersReserving(ctx, []*ledger.OrderRecord{upd}, []ledger.ReservationChange{{Put: put}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errs[0] == nil:
				wins++
				winner = put
			case !errors.Is(errs[0], ledger.ErrConflict):
				return errs[0]
			}
			return nil
		})
		if wins != 1 {
			c.Fatalf("round %d: of %d concurrent writers of version %d, %d won; want exactly 1", r, h.Concurrency, cur.Version, wins)
		}
		if got := reservationsOf(c, s, "m1")["base"]; !reflect.DeepEqual(got, winner) {
			c.Fatalf("round %d: the reservation stored is %+v, want the one written with the winning record, %+v", r, got, winner)
		}
	}
}
