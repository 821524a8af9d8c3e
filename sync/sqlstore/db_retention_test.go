package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
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

// TestEngineCompacts runs the engine on each database: a day of orders shipped and confirmed,
// compacted a month later, then listed again by the channel (unchanged ones and one changed after
// it shipped), with nothing sent to the warehouse twice.
func TestEngineCompacts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		clock := tobirasync.NewManualClock(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
		sh := &shop{chans: []*memory.Channel{{Now: clock.Now, PageSize: 7}}, wh: &memory.Warehouse{Now: clock.Now}}
		eng := tobirasync.New(s, tobirasync.Options{Clock: clock, Settle: time.Second})
		if err := eng.PutMerchant(sh.merchant("m")); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			sh.wh.SetOnHand(fmt.Sprintf("SKU-%d", i%50), 100)
			sh.chans[0].Place(testOrder(fmt.Sprint("o", i), i))
		}
		sh.wh.SetOnHand("MATCHA-30G", 100)
		clock.Advance(2 * time.Second)
		if _, err := eng.SyncOrders(ctx, "m", chanID(0)); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			key := tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: chanID(0), OrderID: fmt.Sprint("o", i)}, "wh")
			if _, err := sh.wh.Ship(key, nil); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Second)
		if _, err := eng.SyncShipments(ctx, "m", "wh"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(31 * 24 * time.Hour)
		n, err := eng.Compact(ctx, "m", 30*24*time.Hour)
		if err != nil || n != 20 {
			t.Fatalf("Compact = %d, %v; want 20", n, err)
		}
		for i := range 20 {
			sh.chans[0].Change(fmt.Sprint("o", i), func(o *order.Order) {
				o.Status = order.StatusClosed
				if i == 3 {
					o.ShipTo.Line1 = "神宮前9-9-9"
				}
			})
		}
		clock.Advance(2 * time.Second)
		res, err := eng.SyncOrders(ctx, "m", chanID(0))
		if err != nil {
			t.Fatal(err)
		}
		// The listing reads an overlap, so orders may be seen twice.
		if res.New != 0 || res.Changed != 0 || res.Quarantined == 0 || res.Unchanged < 19 {
			t.Errorf("listed again: %+v; want none new or changed, 19 unchanged, o3 quarantined", res)
		}
		q, err := eng.ListQuarantine(ctx, "m")
		if err != nil || len(q) != 1 || q[0].ItemID != "o3" {
			t.Errorf("quarantine = %+v, %v; want o3 alone", q, err)
		}
		if got := sh.wh.Submissions(); got != 20 {
			t.Errorf("%d submissions, want 20", got)
		}
	})
}
