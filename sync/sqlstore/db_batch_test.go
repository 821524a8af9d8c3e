package sqlstore_test

import (
	"context"
	"testing"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// TestBatchOddKeys: the batch reads and writes carry keys and text of any shape (PostgreSQL's
// take them as array literals, where quotes, backslashes, commas, braces, blanks and the word
// NULL all mean something).
func TestBatchOddKeys(t *testing.T) {
	ids := []string{`a"b`, `a\b`, `a,b`, `{a}`, ` a `, `NULL`, `null`, ``, `注文#1`, `\"`, `a\\"b\`}
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		var recs []*ledger.OrderRecord
		var changes []ledger.ReservationChange
		var keys []ledger.OrderKey
		for _, id := range ids {
			rec := orderRec(`m"\,{`, `c h`, id, true)
			rec.HoldReason = `reason "` + id + `" \ end`
			recs = append(recs, rec)
			keys = append(keys, rec.Key)
			changes = append(changes, ledger.ReservationChange{Put: inventory.Reservation{Key: "r" + id, Channel: `c h`,
				Items: []inventory.Item{{SKU: `sku"\` + id, Quantity: 1}}}})
		}
		for i, err := range s.PutOrdersReserving(ctx, recs, changes) {
			if err != nil {
				t.Fatalf("insert %q: %v", ids[i], err)
			}
		}
		got, err := s.GetOrders(ctx, keys)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("GetOrders = %d records, %v; want %d", len(got), err, len(ids))
		}
		for i, k := range keys {
			if r := got[k]; r == nil || r.HoldReason != recs[i].HoldReason || r.Version != 1 {
				t.Fatalf("GetOrders[%q] = %+v", k.OrderID, r)
			}
		}
		// Updates, half of them stale.
		for i, rec := range recs {
			next := rec.Clone()
			next.HoldReason += " again"
			if i%2 == 1 {
				next.Version = 7
			}
			recs[i] = next
		}
		for i, err := range s.PutOrders(ctx, recs) {
			if (i%2 == 1) != (err != nil) {
				t.Fatalf("update %q: %v", ids[i], err)
			}
		}
		got, err = s.GetOrders(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			want := int64(2)
			if i%2 == 1 {
				want = 1
			}
			if r := got[k]; r == nil || r.Version != want {
				t.Fatalf("after the update GetOrders[%q] = %+v, want version %d", k.OrderID, r, want)
			}
		}
		rs, err := s.Reservations(ctx, `m"\,{`)
		if err != nil || len(rs) != len(ids) {
			t.Fatalf("Reservations = %d, %v; want %d", len(rs), err, len(ids))
		}
		tombs, err := s.Tombstones(ctx, keys)
		if err != nil || len(tombs) != 0 {
			t.Fatalf("Tombstones = %v, %v; want none", tombs, err)
		}
	})
}
