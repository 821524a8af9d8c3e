package storetest

import (
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// compactorOf returns the store's Compactor, skipping the check when it has none: retention is
// optional, and a store without it keeps every record.
func compactorOf(c *suite.Check, s ledger.Store) ledger.Compactor {
	cp, ok := s.(ledger.Compactor)
	if !ok {
		c.Skip("the store does not implement ledger.Compactor (optional)")
	}
	return cp
}

// settledOrder returns a record the engine would call settled: shipped or cancelled, nothing
// pending, last written at updated.
func settledOrder(merchant, channel, id string, state ledger.OrderState, updated time.Time) *ledger.OrderRecord {
	rec := sampleOrder(merchant, channel, id)
	rec.State, rec.Pending, rec.Parked, rec.ManualHold, rec.ManualReason, rec.HoldReason = state, false, "", false, "", ""
	rec.UpdatedAt = updated
	if state == ledger.StateCancelled {
		o := *rec.Order
		o.Status = order.StatusCancelled
		rec.Order = &o
	}
	return rec
}

func retentionCompactSettled(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	cp := compactorOf(c, s)
	cutoff := t0
	old := t0.Add(-48 * time.Hour)
	shipped := settledOrder("m1", "shop", "A", ledger.StateShipped, old)
	cancelled := settledOrder("m1", "mall", "B", ledger.StateCancelled, old)
	pending := settledOrder("m1", "shop", "C", ledger.StateShipped, old)
	pending.Pending = true
	sent := settledOrder("m1", "shop", "D", ledger.StateSent, old)
	recent := settledOrder("m1", "shop", "E", ledger.StateShipped, cutoff.Add(time.Second))
	parked := settledOrder("m1", "shop", "F", ledger.StateShipped, old)
	parked.Parked = "a version in quarantine"
	unconfirmed := settledOrder("m1", "shop", "G", ledger.StateShipped, old)
	held := settledOrder("m1", "shop", "I", ledger.StateShipped, old)
	held.ManualHold = true
	other := settledOrder("m2", "shop", "A", ledger.StateShipped, old)
	keep := []*ledger.OrderRecord{pending, sent, recent, parked, unconfirmed, held, other}
	for _, rec := range append([]*ledger.OrderRecord{shipped, cancelled}, keep...) {
		must(c, "PutOrder", s.PutOrder(ctx, rec))
	}
	// G's shipment has not reached its channel yet.
	shp := sampleShipment("m1", "SG")
	shp.Shipment.OrderID = "G"
	must(c, "PutShipment", s.PutShipment(ctx, shp))

	n, err := cp.CompactOrders(ctx, "m1", cutoff, 0)
	must(c, "CompactOrders", err)
	if n != 2 {
		c.Errorf("CompactOrders compacted %d records, want 2 (A shipped, B cancelled)", n)
	}
	for _, rec := range []*ledger.OrderRecord{shipped, cancelled} {
		if _, err := s.GetOrder(ctx, rec.Key); !errors.Is(err, ledger.ErrNotFound) {
			c.Errorf("GetOrder of compacted %s: err %v, want ErrNotFound", rec.Key, err)
		}
	}
	for _, rec := range keep {
		if got, err := s.GetOrder(ctx, rec.Key); err != nil || got.Version != rec.Version {
			c.Errorf("GetOrder of %s, which is not to be compacted: %v, %v", rec.Key, got, err)
		}
	}
	if bl, ok := s.(ledger.BatchOrderLedger); ok {
		got, err := bl.GetOrders(ctx, []ledger.OrderKey{shipped.Key, sent.Key})
		must(c, "GetOrders", err)
		if _, ok := got[shipped.Key]; ok || len(got) != 1 {
			c.Errorf("GetOrders after compaction returned %d records (compacted one included: %v), want only the live one", len(got), ok)
		}
	}
	unknown := ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "never"}
	tombs, err := cp.Tombstones(ctx, []ledger.OrderKey{shipped.Key, cancelled.Key, sent.Key, other.Key, unknown})
	must(c, "Tombstones", err)
	if len(tombs) != 2 {
		c.Errorf("Tombstones returned %d tombstones, want 2: %v", len(tombs), tombs)
	}
	for _, rec := range []*ledger.OrderRecord{shipped, cancelled} {
		want := ledger.TombstoneOf(rec)
		got, ok := tombs[rec.Key]
		if !ok || got.Key != want.Key || got.Fingerprint != want.Fingerprint || got.Status != want.Status || !got.UpdatedAt.Equal(want.UpdatedAt) {
			c.Errorf("tombstone of %s = %+v (found %v), want %+v", rec.Key, got, ok, want)
		}
	}
	if n, err := cp.CompactOrders(ctx, "m1", cutoff, 0); err != nil || n != 0 {
		c.Errorf("a second CompactOrders compacted %d (err %v), want 0", n, err)
	}
}

func retentionCompactLimit(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	cp := compactorOf(c, s)
	var keys []ledger.OrderKey
	for i := range 5 {
		rec := settledOrder("m1", "shop", fmt.Sprint("L", i), ledger.StateShipped, t0.Add(-time.Hour))
		must(c, "PutOrder", s.PutOrder(ctx, rec))
		keys = append(keys, rec.Key)
	}
	var got []int
	for range 4 {
		n, err := cp.CompactOrders(ctx, "m1", t0, 2)
		must(c, "CompactOrders", err)
		got = append(got, n)
	}
	if fmt.Sprint(got) != "[2 2 1 0]" {
		c.Errorf("CompactOrders with limit 2 over 5 settled records compacted %v, want [2 2 1 0]", got)
	}
	tombs, err := cp.Tombstones(ctx, keys)
	must(c, "Tombstones", err)
	if len(tombs) != 5 {
		c.Errorf("%d tombstones, want 5", len(tombs))
	}
}

func retentionTombstoneFields(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	cp := compactorOf(c, s)
	// Fingerprints the store cannot pack, a zero time, and a status of the connector's own.
	odd := settledOrder("m1", "shop", "odd/1%", ledger.StateShipped, t0.Add(-time.Hour))
	o := *odd.Order
	o.UpdatedAt, o.Status = time.Time{}, "archived"
	odd.Order, odd.Fingerprint = &o, "not-hex-at-all"
	upper := settledOrder("m1", "shop", "upper", ledger.StateShipped, t0.Add(-time.Hour))
	upper.Fingerprint = "0123456789ABCDEF0123456789ABCDEF"
	for _, rec := range []*ledger.OrderRecord{odd, upper} {
		must(c, "PutOrder", s.PutOrder(ctx, rec))
	}
	if n, err := cp.CompactOrders(ctx, "m1", t0, 0); err != nil || n != 2 {
		c.Fatalf("CompactOrders compacted %d (err %v), want 2", n, err)
	}
	tombs, err := cp.Tombstones(ctx, []ledger.OrderKey{odd.Key, upper.Key})
	must(c, "Tombstones", err)
	for _, rec := range []*ledger.OrderRecord{odd, upper} {
		want, got := ledger.TombstoneOf(rec), tombs[rec.Key]
		if got.Key != want.Key || got.Fingerprint != want.Fingerprint || got.Status != want.Status || !got.UpdatedAt.Equal(want.UpdatedAt) {
			c.Errorf("tombstone of %s = %+v, want %+v", rec.Key, got, want)
		}
	}
}

// retentionCompactRacesIntake compacts while writers change the same records: a record written
// after compaction judged it settled must survive, and every key ends as a record or a tombstone.
func retentionCompactRacesIntake(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	cp := compactorOf(c, s)
	const n = 24
	recs := make([]*ledger.OrderRecord, n)
	for i := range recs {
		recs[i] = settledOrder("m1", "shop", fmt.Sprint("R", i), ledger.StateShipped, t0.Add(-time.Hour))
		must(c, "PutOrder", s.PutOrder(ctx, recs[i]))
	}
	written := make([]bool, n)
	var wg gosync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			k, err := cp.CompactOrders(ctx, "m1", t0, 3)
			if err != nil {
				c.Errorf("CompactOrders: %v", err)
				return
			}
			if k == 0 {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i, rec := range recs {
			if i%2 == 1 {
				continue
			}
			w := rec.Clone()
			w.State, w.Pending = ledger.StateSent, true // a change: no longer settled
			err := s.PutOrder(ctx, w)
			switch {
			case err == nil:
				written[i] = true
			case !errors.Is(err, ledger.ErrConflict):
				c.Errorf("PutOrder: %v", err)
			}
		}
	}()
	wg.Wait()
	keys := make([]ledger.OrderKey, n)
	for i, rec := range recs {
		keys[i] = rec.Key
	}
	tombs, err := cp.Tombstones(ctx, keys)
	must(c, "Tombstones", err)
	for i, rec := range recs {
		got, err := s.GetOrder(ctx, rec.Key)
		switch {
		case written[i] && (err != nil || got.State != ledger.StateSent):
			c.Errorf("%s was changed during compaction, but reads back as %v, %v", rec.Key, got, err)
		case errors.Is(err, ledger.ErrNotFound):
			if _, ok := tombs[rec.Key]; !ok {
				c.Errorf("%s is neither a record nor a tombstone", rec.Key)
			}
		case err != nil:
			c.Errorf("GetOrder %s: %v", rec.Key, err)
		}
	}
}
