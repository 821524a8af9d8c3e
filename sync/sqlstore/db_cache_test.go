package sqlstore_test

import (
	"context"
	"testing"

	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// TestRecordCacheNeverStale: a store that keeps decoded records still answers with what the
// database holds, whoever changed it: another store on the same tables, or a host that edited the
// row by hand without touching its version. And what it hands a caller to modify is the caller's.
func TestRecordCacheNeverStale(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		a := newStore(t, db, b.dialect, prefix)
		other, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		k := ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "1"}
		read := func(what string) *ledger.OrderRecord {
			t.Helper()
			one, err := a.GetOrder(ctx, k)
			if err != nil {
				t.Fatalf("%s: GetOrder: %v", what, err)
			}
			many, err := a.GetOrders(ctx, []ledger.OrderKey{k})
			if err != nil || many[k] == nil {
				t.Fatalf("%s: GetOrders: %v, %v", what, many, err)
			}
			pend, err := a.PendingOrders(ctx, "m", "c", 0)
			if err != nil || len(pend) != 1 {
				t.Fatalf("%s: PendingOrders: %v, %v", what, pend, err)
			}
			for _, r := range []*ledger.OrderRecord{many[k], pend[0]} {
				if r.Version != one.Version || r.HoldReason != one.HoldReason {
					t.Fatalf("%s: reads disagree: %d %q and %d %q", what, one.Version, one.HoldReason, r.Version, r.HoldReason)
				}
			}
			return one
		}

		rec := orderRec("m", "c", "1", true)
		rec.HoldReason = "first"
		if errs := a.PutOrders(ctx, []*ledger.OrderRecord{rec}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		if got := read("written"); got.HoldReason != "first" || got.Version != 1 {
			t.Fatalf("after the write: version %d %q", got.Version, got.HoldReason)
		}

		// A caller's changes to what it was handed do not reach the next reader.
		got := read("again")
		got.HoldReason = "scribbled"
		got.Shipments[0].ID = "scribbled"
		if got := read("after a caller changed its copy"); got.HoldReason != "first" || got.Shipments[0].ID != "s1" {
			t.Fatalf("a caller's change reached the store: %q %q", got.HoldReason, got.Shipments[0].ID)
		}

		// Another store writes the next version.
		next, err := other.GetOrder(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		next.HoldReason = "second"
		if err := other.PutOrder(ctx, next); err != nil {
			t.Fatal(err)
		}
		if got := read("written elsewhere"); got.HoldReason != "second" || got.Version != 2 {
			t.Fatalf("after another store wrote: version %d %q, want 2 second", got.Version, got.HoldReason)
		}

		// A host rewrites the row by hand, version unchanged.
		edit := "UPDATE " + prefix + "orders SET data = REPLACE(data, 'second', 'by hand') WHERE order_id = '1'"
		if b.dialect == sqlstore.Postgres {
			edit = "UPDATE " + prefix + "orders SET data = REPLACE(data::text, 'second', 'by hand')::json WHERE order_id = '1'"
		}
		if _, err := db.ExecContext(ctx, edit); err != nil {
			t.Fatal(err)
		}
		if got := read("edited by hand"); got.HoldReason != "by hand" || got.Version != 2 {
			t.Fatalf("after a hand edit: version %d %q, want 2 by hand", got.Version, got.HoldReason)
		}
	})
}
