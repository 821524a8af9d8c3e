package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// sync/storetest (TestConformance) proves the Store contract. These tests add what only a SQL
// store can get wrong: collations that merge distinct keys, affected-row counts that differ by
// dialect, multi-row statements, migrations and the host's transaction.

func TestCursors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		v, ver, err := s.GetCursor(ctx, "c")
		if v != "" || ver != 0 || err != nil {
			t.Fatalf("unwritten cursor = %q, %d, %v; want \"\", 0, nil", v, ver, err)
		}
		ver, err = s.PutCursor(ctx, "c", "one\x00\xff", 0)
		if ver != 1 || err != nil {
			t.Fatalf("first PutCursor = %d, %v; want 1, nil", ver, err)
		}
		if _, err := s.PutCursor(ctx, "c", "x", 0); !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("second insert: %v, want ErrConflict", err)
		}
		if _, err := s.PutCursor(ctx, "c", "x", 7); !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("stale version: %v, want ErrConflict", err)
		}
		if ver, err = s.PutCursor(ctx, "c", "two", 1); ver != 2 || err != nil {
			t.Fatalf("update = %d, %v; want 2, nil", ver, err)
		}
		// Writing the value it already has must still count as a write (MySQL reports changed
		// rows, not matched ones).
		if ver, err = s.PutCursor(ctx, "c", "two", 2); ver != 3 || err != nil {
			t.Fatalf("same-value update = %d, %v; want 3, nil", ver, err)
		}
		if v, ver, _ := s.GetCursor(ctx, "c"); v != "two" || ver != 3 {
			t.Fatalf("GetCursor = %q, %d; want two, 3", v, ver)
		}
		// Distinct names that case-insensitive or padding collations would merge.
		for _, name := range []string{"C", "c "} {
			if _, err := s.PutCursor(ctx, name, name, 0); err != nil {
				t.Fatalf("cursor %q collides with \"c\": %v", name, err)
			}
		}
	})
}

func orderRec(m, ch, id string, pending bool) *ledger.OrderRecord {
	return &ledger.OrderRecord{
		Key:       ledger.OrderKey{Merchant: m, Channel: ch, OrderID: id},
		State:     ledger.StateRecorded,
		Pending:   pending,
		Shipments: []ledger.ShipmentEntry{{ID: "s1", Lines: map[string]int{"L1": 1}}},
	}
}

func pendingIDs(t *testing.T, s ledger.Store, m, ch string, limit int) []string {
	t.Helper()
	recs, err := s.PendingOrders(context.Background(), m, ch, limit)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Key.OrderID)
	}
	return ids
}

func TestOrders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		if _, err := s.GetOrder(ctx, ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "1"}); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("GetOrder missing: %v, want ErrNotFound", err)
		}
		a := orderRec("m", "c", "a", true)
		if err := s.PutOrder(ctx, a); err != nil || a.Version != 1 {
			t.Fatalf("insert: %v, version %d", err, a.Version)
		}
		if err := s.PutOrder(ctx, orderRec("m", "c", "a", true)); !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("duplicate insert: %v, want ErrConflict", err)
		}
		for _, id := range []string{"b", "A", "a "} {
			if err := s.PutOrder(ctx, orderRec("m", "c", id, true)); err != nil {
				t.Fatalf("insert %q: %v", id, err)
			}
		}
		if err := s.PutOrder(ctx, orderRec("m", "other", "z", true)); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(pendingIDs(t, s, "m", "c", 0)); got != "[a b A a ]" {
			t.Fatalf("pending = %s, want [a b A a ]", got)
		}
		// Staying pending keeps the place in the queue; leaving and re-entering goes to the back.
		a.State = ledger.StateSent
		if err := s.PutOrder(ctx, a); err != nil || a.Version != 2 {
			t.Fatalf("update: %v, version %d", err, a.Version)
		}
		if got := fmt.Sprint(pendingIDs(t, s, "m", "c", 2)); got != "[a b]" {
			t.Fatalf("pending after update = %s, want [a b]", got)
		}
		stale := a.Clone()
		stale.Version = 1
		if err := s.PutOrder(ctx, stale); !errors.Is(err, ledger.ErrConflict) || stale.Version != 1 {
			t.Fatalf("stale update: %v (version %d), want ErrConflict and version kept", err, stale.Version)
		}
		a.Pending = false
		if err := s.PutOrder(ctx, a); err != nil {
			t.Fatal(err)
		}
		a.Pending = true
		if err := s.PutOrder(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(pendingIDs(t, s, "m", "c", 0)); got != "[b A a  a]" {
			t.Fatalf("pending after re-entry = %s, want [b A a  a]", got)
		}
		got, err := s.GetOrder(ctx, a.Key)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 4 || got.State != ledger.StateSent || got.Shipped()["L1"] != 1 || !got.Pending {
			t.Fatalf("GetOrder = %+v", got)
		}
		// The store keeps its own copy.
		a.Shipments[0].ID = "changed"
		if got, _ := s.GetOrder(ctx, a.Key); got.Shipments[0].ID != "s1" {
			t.Fatalf("store shares memory with the caller")
		}
	})
}

func TestShipments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		s := newStore(t, db, b.dialect, uniquePrefix())
		if _, err := s.GetShipment(ctx, "x"); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("GetShipment missing: %v", err)
		}
		r1 := &ledger.ShipmentRecord{ID: "m/w/1", Merchant: "m", State: ledger.ShipmentPending}
		r2 := &ledger.ShipmentRecord{ID: "m/w/2", Merchant: "m", State: ledger.ShipmentWaiting}
		for _, r := range []*ledger.ShipmentRecord{r1, r2} {
			if err := s.PutShipment(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutShipment(ctx, &ledger.ShipmentRecord{ID: "m/w/1", Merchant: "m"}); !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		// Inside the host's transaction: invisible until commit, gone on rollback.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		r2.State = ledger.ShipmentPending
		if err := s.PutShipmentTx(ctx, tx, r2); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if recs, _ := s.PendingShipments(ctx, "m", 0); len(recs) != 1 {
			t.Fatalf("rolled-back shipment is pending: %d pending", len(recs))
		}
		r2.Version = 1
		tx, err = db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutShipmentTx(ctx, tx, r2); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		recs, err := s.PendingShipments(ctx, "m", 0)
		if err != nil || len(recs) != 2 || recs[0].ID != "m/w/1" || recs[1].ID != "m/w/2" || recs[1].Version != 2 {
			t.Fatalf("pending = %v, %v", recs, err)
		}
		r1.State = ledger.ShipmentConfirmed
		if err := s.PutShipment(ctx, r1); err != nil {
			t.Fatal(err)
		}
		if recs, _ := s.PendingShipments(ctx, "m", 1); len(recs) != 1 || recs[0].ID != "m/w/2" {
			t.Fatalf("pending after confirm = %v", recs)
		}
	})
}

func TestStock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := s.PutLevels(ctx, "m", []inventory.Level{
			{SKU: "b", OnHand: 5, AsOf: t0},
			{SKU: "a", OnHand: 1, AsOf: t0},
			{SKU: "a", OnHand: 2, AsOf: t0.Add(time.Nanosecond)},
			{SKU: "a", OnHand: 3, AsOf: t0}, // older than the one before: ignored
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutLevels(ctx, "m", []inventory.Level{
			{SKU: "b", OnHand: 4, AsOf: t0.Add(-time.Nanosecond)}, // older: ignored
			{SKU: "B", OnHand: 7, AsOf: t0},
		}); err != nil {
			t.Fatal(err)
		}
		levels, err := s.Levels(ctx, "m")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(levelSummary(levels)); got != "[B:7 a:2 b:5]" {
			t.Fatalf("levels = %s, want [B:7 a:2 b:5]", got)
		}
		if !levels[1].AsOf.Equal(t0.Add(time.Nanosecond)) {
			t.Fatalf("AsOf = %v", levels[1].AsOf)
		}
		// Same AsOf replaces, as in memstore.
		if err := s.PutLevels(ctx, "m", []inventory.Level{{SKU: "b", OnHand: 6, AsOf: t0}}); err != nil {
			t.Fatal(err)
		}
		if levels, _ := s.Levels(ctx, "m"); levels[2].OnHand != 6 {
			t.Fatalf("equal AsOf did not replace: %v", levels)
		}
		if levels, err := s.Levels(ctx, "nobody"); err != nil || levels == nil || len(levels) != 0 {
			t.Fatalf("Levels(nobody) = %v, %v; want empty", levels, err)
		}

		r := inventory.Reservation{Key: "k2", Channel: "c", Items: []inventory.Item{{SKU: "a", Quantity: 2}}}
		for _, res := range []inventory.Reservation{r, {Key: "k1"}} {
			if err := s.PutReservation(ctx, "m", res); err != nil {
				t.Fatal(err)
			}
		}
		r.Shipped = []inventory.ShippedItem{{SKU: "a", Quantity: 1, At: t0}}
		if err := s.PutReservation(ctx, "m", r); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Reservations(ctx, "m")
		if err != nil || len(rs) != 2 || rs[0].Key != "k1" || len(rs[1].Shipped) != 1 || rs[1].Items[0].Quantity != 2 {
			t.Fatalf("reservations = %+v, %v", rs, err)
		}
		if err := s.DeleteReservation(ctx, "m", "k1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteReservation(ctx, "m", "k1"); err != nil {
			t.Fatalf("deleting a missing reservation: %v", err)
		}
		if rs, _ := s.Reservations(ctx, "m"); len(rs) != 1 {
			t.Fatalf("after delete: %v", rs)
		}

		big := map[string]ledger.StockAck{}
		for i := range 1200 {
			big[fmt.Sprintf("sku%04d", i)] = ledger.StockAck{Available: i, Write: fmt.Sprintf("k%d", i)}
		}
		if err := s.PutAcked(ctx, "m", "c", big); err != nil {
			t.Fatal(err)
		}
		if err := s.PutAcked(ctx, "m", "c", map[string]ledger.StockAck{"sku0001": {Available: -3}, "x": {Available: 0}}); err != nil {
			t.Fatal(err)
		}
		acked, err := s.Acked(ctx, "m", "c")
		want1199 := ledger.StockAck{Available: 1199, Write: "k1199"}
		if err != nil || len(acked) != 1201 || acked["sku0001"] != (ledger.StockAck{Available: -3}) || acked["sku1199"] != want1199 {
			t.Fatalf("acked: %d values, sku0001=%+v, sku1199=%+v, %v", len(acked), acked["sku0001"], acked["sku1199"], err)
		}
		if acked, _ := s.Acked(ctx, "m", "d"); acked == nil || len(acked) != 0 {
			t.Fatalf("Acked(other channel) = %v", acked)
		}
	})
}

func levelSummary(ls []inventory.Level) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%s:%d", l.SKU, l.OnHand))
	}
	return out
}

func TestLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := newStore(t, b.open(t), b.dialect, uniquePrefix())
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		acquire := func(owner string, at time.Time, want bool) {
			t.Helper()
			got, err := s.AcquireLease(ctx, "l", owner, at, time.Minute)
			if err != nil || got != want {
				t.Fatalf("AcquireLease(%s, +%v) = %v, %v; want %v", owner, at.Sub(now), got, err, want)
			}
		}
		acquire("a", now, true)
		acquire("a", now, true) // renewing to the same expiry still holds
		acquire("b", now.Add(59*time.Second), false)
		acquire("a", now.Add(30*time.Second), true) // renewed until +90s
		acquire("b", now.Add(60*time.Second), false)
		acquire("b", now.Add(90*time.Second), true) // expired exactly at now
		if err := s.ReleaseLease(ctx, "l", "a"); err != nil {
			t.Fatal(err)
		}
		acquire("a", now.Add(91*time.Second), false) // releasing someone else's lease did nothing
		if err := s.ReleaseLease(ctx, "l", "b"); err != nil {
			t.Fatal(err)
		}
		acquire("a", now.Add(91*time.Second), true)

		// Many owners racing for a fresh lease at one instant: exactly one wins.
		var wg gosync.WaitGroup
		var mu gosync.Mutex
		var winners []string
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("o%d", i)
				ok, err := s.AcquireLease(ctx, "race", owner, now, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					winners = append(winners, owner)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("winners = %v, want exactly one", winners)
		}
	})
}

func TestMigrate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		s, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix, AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		dropTables(t, db, s)
		// Several processes migrating at once must queue, not fail.
		var wg gosync.WaitGroup
		for range 4 {
			pool := b.open(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				other, err := sqlstore.New(pool, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix})
				if err != nil {
					t.Error(err)
					return
				}
				if err := other.Migrate(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		// AutoMigrate runs on first use (here: a no-op, the schema is current).
		if _, err := s.PutCursor(ctx, "c", "v", 0); err != nil {
			t.Fatal(err)
		}
		var n, v int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM "+prefix+"migrations").Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		if n != sqlstore.SchemaVersion || v != sqlstore.SchemaVersion {
			t.Fatalf("migrations table: %d rows, version %d; want %d", n, v, sqlstore.SchemaVersion)
		}
	})
}

// TestMigrateKeepsAckedValues: a database at schema version 1 (acknowledged values without the
// key of a write under way) migrates to version 2 with its values intact, and on MySQL, whose
// DDL commits statement by statement, a version 2 interrupted after its ALTER completes.
func TestMigrateKeepsAckedValues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		s := newStore(t, db, b.dialect, prefix)
		if err := s.PutAcked(ctx, "m", "c", map[string]ledger.StockAck{"A": {Available: 3}, "B": {Available: -1}}); err != nil {
			t.Fatal(err)
		}
		back := func(stmts ...string) {
			t.Helper()
			for _, q := range stmts {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}
		forget := "DELETE FROM " + prefix + "migrations WHERE version = 2"
		back("ALTER TABLE "+prefix+"acked DROP COLUMN wkey", "ALTER TABLE "+prefix+"acked DROP COLUMN wfrom", forget) // as version 1 left it
		check := func() {
			t.Helper()
			again, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			if err := again.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			got, err := again.Acked(ctx, "m", "c")
			want := map[string]ledger.StockAck{"A": {Available: 3}, "B": {Available: -1}}
			if err != nil || len(got) != 2 || got["A"] != want["A"] || got["B"] != want["B"] {
				t.Fatalf("after Migrate Acked = %+v, %v; want %+v", got, err, want)
			}
			three := 3
			if err := again.PutAcked(ctx, "m", "c", map[string]ledger.StockAck{"A": {Available: 4, Write: "k", Compare: &three}}); err != nil {
				t.Fatal(err)
			}
			if got, _ := again.Acked(ctx, "m", "c"); got["A"].Write != "k" || got["A"].Available != 4 || got["A"].Compare == nil || *got["A"].Compare != 3 {
				t.Fatalf("A = %+v after PutAcked on the migrated table", got["A"])
			}
			back("UPDATE " + prefix + "acked SET qty = 3, wkey = '', wfrom = NULL WHERE sku = 'A'")
		}
		check()
		if b.dialect == sqlstore.MySQL {
			back(forget) // the ALTER committed, the crash came before the version was recorded
			check()
		}
	})
}
