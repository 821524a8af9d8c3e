package storetest

import (
	"context"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// The suite must fail each of these stores, in the checks named, and only there.

// The broken stores below embed the Store interface rather than *memstore.Store, so that they do
// not pick up memstore's BatchOrderLedger, which would bypass the methods they break.

// racyCAS checks the version, then writes: two replicas that read the same version both win.
type racyCAS struct{ ledger.Store }

// gap widens the window between check and write, as a network round trip to a database would.
func gap() { time.Sleep(200 * time.Microsecond) }

func (s racyCAS) PutCursor(ctx context.Context, name, value string, version int64) (int64, error) {
	if _, cur, _ := s.GetCursor(ctx, name); cur != version {
		return 0, ledger.ErrConflict
	}
	gap()
	_, cur, _ := s.GetCursor(ctx, name)
	return s.Store.PutCursor(ctx, name, value, cur)
}

func (s racyCAS) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	old, err := s.GetOrder(ctx, rec.Key)
	if (err == nil) != (rec.Version != 0) || (err == nil && old.Version != rec.Version) {
		return ledger.ErrConflict
	}
	gap()
	mine := rec.Clone()
	if cur, err := s.GetOrder(ctx, rec.Key); err == nil {
		mine.Version = cur.Version
	} else {
		mine.Version = 0
	}
	if err := s.Store.PutOrder(ctx, mine); err != nil {
		return err
	}
	rec.Version = mine.Version
	return nil
}

// racyBatch writes a batch one record at a time through racyCAS, with the same check-then-write gap.
type racyBatch struct{ racyCAS }

func (s racyBatch) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	return s.Store.(ledger.BatchOrderLedger).GetOrders(ctx, keys)
}

func (s racyBatch) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	errs := make([]error, len(recs))
	for i, rec := range recs {
		errs[i] = s.PutOrder(ctx, rec)
	}
	return errs
}

// aliasing keeps the caller's pointer and hands it out again.
type aliasing struct {
	ledger.Store
	mu   gosync.Mutex
	recs map[ledger.OrderKey]*ledger.OrderRecord
}

func (s *aliasing) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	if err := s.Store.PutOrder(ctx, rec); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs[rec.Key] = rec
	return nil
}

func (s *aliasing) GetOrder(ctx context.Context, key ledger.OrderKey) (*ledger.OrderRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.recs[key]; ok {
		return r, nil
	}
	return nil, ledger.ErrNotFound
}

// anyoneReleases lets any caller release a lease.
type anyoneReleases struct{ ledger.Store }

func (s anyoneReleases) ReleaseLease(ctx context.Context, name, _ string) error {
	// A store that ignores the owner deletes whoever's row it finds; memstore needs the owner's
	// name, so try every owner the suite uses.
	for _, o := range []string{"r1", "r2", "r3"} {
		if err := s.Store.ReleaseLease(ctx, name, o); err != nil {
			return err
		}
	}
	return nil
}

// lastWriteWins ignores AsOf, so a late old snapshot overwrites a newer one.
type lastWriteWins struct{ ledger.Store }

func (s lastWriteWins) PutLevels(ctx context.Context, merchant string, levels []inventory.Level) error {
	for _, l := range levels {
		cur, _ := s.Levels(ctx, merchant)
		for _, c := range cur {
			if c.SKU == l.SKU {
				l.AsOf = c.AsOf.Add(time.Nanosecond)
			}
		}
		if err := s.Store.PutLevels(ctx, merchant, []inventory.Level{l}); err != nil {
			return err
		}
	}
	return nil
}

// staleDigests digests a record written again as its first version, as a store whose digests
// are kept apart and not updated with the record would.
type staleDigests struct{ *memstore.Store }

func (s staleDigests) OrderDigests(ctx context.Context, keys []ledger.OrderKey) ([]ledger.OrderDigest, error) {
	got, err := s.Store.OrderDigests(ctx, keys)
	for i := range got {
		if got[i].Version > 1 {
			got[i].Version, got[i].Fingerprint = 1, "first"
		}
	}
	return got, err
}

// forgetful persists nothing: its Reopen returns an empty store.
func forgetfulHarness() Harness {
	return Harness{
		New:    func(testing.TB) ledger.Store { return memstore.New() },
		Reopen: func(testing.TB, ledger.Store) ledger.Store { return memstore.New() },
	}
}

func TestSuiteCatchesBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name  string
		h     Harness
		catch []string // checks that must fail, and no others
	}{
		{"non-atomic compare-and-set", Harness{New: func(testing.TB) ledger.Store { return racyCAS{memstore.New()} }},
			[]string{"Cursor/ConcurrentWriters", "Order/ConcurrentInsert", "Order/ConcurrentUpdate"}},
		{"non-atomic batch compare-and-set", Harness{New: func(testing.TB) ledger.Store { return racyBatch{racyCAS{memstore.New()}} }},
			[]string{"Cursor/ConcurrentWriters", "Order/ConcurrentInsert", "Order/ConcurrentUpdate", "OrderBatch/ConcurrentWriters"}},
		{"aliased records", Harness{New: func(testing.TB) ledger.Store {
			return &aliasing{Store: memstore.New(), recs: map[ledger.OrderKey]*ledger.OrderRecord{}}
		}}, []string{"Order/Copies"}},
		{"release by anyone", Harness{New: func(testing.TB) ledger.Store { return anyoneReleases{memstore.New()} }},
			[]string{"Lease/Release"}},
		{"levels ignore AsOf", Harness{New: func(testing.TB) ledger.Store { return lastWriteWins{memstore.New()} }},
			[]string{"Stock/Levels"}},
		{"loses data on reopen", forgetfulHarness(), []string{"Reopen"}},
		{"digests of a version before the last", Harness{New: func(testing.TB) ledger.Store { return staleDigests{memstore.New()} }},
			[]string{"OrderBatch/Digests"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := suite.NewRecorder(t)
			run(r, tc.h)
			for _, name := range tc.catch {
				if !r.FailedIn(name) {
					t.Errorf("the suite did not fail check %s", name)
				}
			}
			for _, f := range r.Failures() {
				path, _, _ := strings.Cut(f, ": ")
				caught := false
				for _, name := range tc.catch {
					caught = caught || strings.Contains(path, name)
				}
				if !caught {
					t.Errorf("unexpected failure: %s", f)
				}
			}
		})
	}
}

func TestMemstorePassesWithReopenSkipped(t *testing.T) {
	r := suite.NewRecorder(t)
	run(r, Harness{New: func(testing.TB) ledger.Store { return memstore.New() }})
	if f := r.Failures(); len(f) != 0 {
		t.Fatalf("memstore fails the suite: %q", f)
	}
	if s := r.Skips(); len(s) != 1 || !strings.Contains(s[0], "Reopen") || !strings.Contains(s[0], "does not persist") {
		t.Errorf("skips = %q, want only Reopen with its reason", s)
	}
}

// TestReopenPassesForAStoreThatKeepsEverything guards the Reopen check against false alarms: a
// "reopened" memstore that is the same store must pass.
func TestReopenPassesForAStoreThatKeepsEverything(t *testing.T) {
	r := suite.NewRecorder(t)
	run(r, Harness{
		New:    func(testing.TB) ledger.Store { return memstore.New() },
		Reopen: func(_ testing.TB, old ledger.Store) ledger.Store { return old },
	})
	if f := r.Failures(); len(f) != 0 {
		t.Fatalf("failures: %q", f)
	}
	if s := r.Skips(); len(s) != 0 {
		t.Fatalf("skips: %q", s)
	}
}

// TestSampleRecordsSetEveryField keeps the round-trip checks honest when fields are added to the
// records: a field the sample leaves zero is a field a store could drop unnoticed.
func TestSampleRecordsSetEveryField(t *testing.T) {
	for _, v := range []any{*sampleOrder("m", "c", "1"), *sampleOrder("m", "c", "1").Order,
		sampleOrder("m", "c", "1").Order.Lines[0], sampleOrder("m", "c", "1").Order.ShipTo,
		sampleOrder("m", "c", "1").Order.Totals, sampleOrder("m", "c", "1").Requests[0],
		*sampleShipment("m", "S"), sampleShipment("m", "S").Shipment, sampleQuarantine("m", "Q", 1)} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumField() {
			if name := rv.Type().Field(i).Name; rv.Field(i).IsZero() && name != "Version" {
				t.Errorf("%T.%s is zero in the sample", v, name)
			}
		}
	}
}
