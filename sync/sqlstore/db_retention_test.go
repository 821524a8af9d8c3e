package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// TestMigrateToRetention: a database at schema version 2 (no tombstones table) migrates to
// version 3 with its orders intact, and they compact there.
func TestMigrateToRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		s := newStore(t, db, b.dialect, prefix)
		at := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		o := &order.Order{ID: "1001", Status: order.StatusClosed, UpdatedAt: at}
		rec := &ledger.OrderRecord{Key: ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "1001"}, Order: o,
			Fingerprint: o.Fingerprint(), State: ledger.StateShipped, UpdatedAt: at}
		if err := s.PutOrder(ctx, rec); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"DROP TABLE " + prefix + "tombstones", "DELETE FROM " + prefix + "migrations WHERE version = 3"} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		again, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		if got, err := again.GetOrder(ctx, rec.Key); err != nil || got.Version != rec.Version {
			t.Fatalf("after Migrate GetOrder = %v, %v", got, err)
		}
		if n, err := again.CompactOrders(ctx, "m", at.Add(time.Hour), 0); err != nil || n != 1 {
			t.Fatalf("CompactOrders = %d, %v; want 1", n, err)
		}
		if _, err := again.GetOrder(ctx, rec.Key); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("compacted record: GetOrder err %v, want ErrNotFound", err)
		}
		tombs, err := again.Tombstones(ctx, []ledger.OrderKey{rec.Key})
		if tb, ok := tombs[rec.Key]; err != nil || !ok || tb.Fingerprint != rec.Fingerprint || tb.Status != order.StatusClosed || !tb.UpdatedAt.Equal(at) {
			t.Fatalf("Tombstones = %+v, %v", tombs, err)
		}
	})
}
