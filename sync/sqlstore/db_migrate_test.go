package sqlstore_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// TestMigrateToPartialPendingIndexes: a database at schema version 3 (pending indexes over every
// row) migrates to version 4 with its orders and shipments intact and still listed as pending or
// not, its pending indexes then holding pending rows only where the database has partial indexes.
func TestMigrateToPartialPendingIndexes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		s := newStore(t, db, b.dialect, prefix)
		put := func(id string, pending bool) *ledger.OrderRecord {
			t.Helper()
			rec := &ledger.OrderRecord{Key: ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: id},
				Order: &order.Order{ID: id, Status: order.StatusOpen}, State: ledger.StateRecorded, Pending: pending}
			if err := s.PutOrder(ctx, rec); err != nil {
				t.Fatal(err)
			}
			return rec
		}
		put("1", true)
		settled := put("2", true)
		put("3", true)
		settled.Pending = false
		if err := s.PutOrder(ctx, settled); err != nil {
			t.Fatal(err)
		}
		if err := s.PutShipment(ctx, &ledger.ShipmentRecord{ID: "s1", Merchant: "m", State: ledger.ShipmentPending}); err != nil {
			t.Fatal(err)
		}

		// Back to version 3: version 1's indexes, version 4 not recorded.
		back := []string{"DELETE FROM " + prefix + "migrations WHERE version = 4"}
		if b.dialect != sqlstore.MySQL {
			back = append(back,
				"DROP INDEX "+prefix+"orders_open", "DROP INDEX "+prefix+"shipments_open",
				"CREATE INDEX "+prefix+"orders_pending ON "+prefix+"orders (merchant, channel, pending_seq)",
				"CREATE INDEX "+prefix+"shipments_pending ON "+prefix+"shipments (merchant, pending_seq)")
		}
		for _, q := range back {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		again, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix, RecordCache: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}

		recs, err := again.PendingOrders(ctx, "m", "c", 0)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.Key.OrderID)
		}
		if got := strings.Join(ids, ","); got != "1,3" {
			t.Fatalf("pending orders after Migrate = %s, want 1,3", got)
		}
		if got, err := again.GetOrder(ctx, settled.Key); err != nil || got.Version != settled.Version || got.Pending {
			t.Fatalf("settled order after Migrate = %+v, %v", got, err)
		}
		ships, err := again.PendingShipments(ctx, "m", 0)
		if err != nil || len(ships) != 1 || ships[0].ID != "s1" {
			t.Fatalf("pending shipments after Migrate = %v, %v", ships, err)
		}

		defs := indexDefs(t, db, b.dialect, prefix)
		for _, table := range []string{"orders", "shipments"} {
			def, ok := defs[prefix+table+"_open"]
			switch {
			case b.dialect == sqlstore.MySQL:
				if _, ok := defs[prefix+table+"_pending"]; !ok {
					t.Errorf("mysql: index %s_pending gone; indexes %v", table, defs)
				}
			case !ok:
				t.Errorf("no index %s_open; indexes %v", table, defs)
			case !strings.Contains(strings.ToUpper(def), "WHERE"):
				t.Errorf("index %s_open is not partial: %s", table, def)
			}
			if _, ok := defs[prefix+table+"_pending"]; ok && b.dialect != sqlstore.MySQL {
				t.Errorf("index %s_pending still there", table)
			}
		}
	})
}

// indexDefs returns the definitions of the indexes whose names start with prefix, by name
// (MySQL: names only).
func indexDefs(t *testing.T, db *sql.DB, d sqlstore.Dialect, prefix string) map[string]string {
	t.Helper()
	q := map[sqlstore.Dialect]string{
		sqlstore.Postgres: "SELECT indexname, indexdef FROM pg_indexes WHERE left(indexname, length($1)) = $1",
		sqlstore.MySQL: "SELECT DISTINCT index_name, '' FROM information_schema.statistics" +
			" WHERE table_schema = DATABASE() AND LEFT(index_name, CHAR_LENGTH(?)) = ?",
		sqlstore.SQLite: "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND substr(name, 1, length(?)) = ?",
	}[d]
	args := []any{prefix}
	if d != sqlstore.Postgres {
		args = append(args, prefix)
	}
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = def
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateIndexesHeldOrders: a store at version 4 migrates to an index of its held orders
// (partial, on the held listing's own condition) on PostgreSQL and SQLite, and HeldOrders lists
// what it listed before.
func TestMigrateIndexesHeldOrders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := b.open(t)
		prefix := uniquePrefix()
		s := newStore(t, db, b.dialect, prefix)
		for i, state := range []ledger.OrderState{ledger.StateHeld, ledger.StateShipped, ledger.StateHeld, ledger.StateSent} {
			id := strconv.Itoa(i + 1)
			rec := &ledger.OrderRecord{Key: ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: id},
				Order: &order.Order{ID: id, Status: order.StatusOpen}, State: state}
			if err := s.PutOrder(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}

		// Back to version 4.
		back := []string{"DELETE FROM " + prefix + "migrations WHERE version = 5"}
		if b.dialect != sqlstore.MySQL {
			back = append(back, "DROP INDEX "+prefix+"orders_held")
		}
		for _, q := range back {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, ok := indexDefs(t, db, b.dialect, prefix)[prefix+"orders_held"]; ok {
			t.Fatal("orders_held survived the step back")
		}
		again, err := sqlstore.New(db, sqlstore.Options{Dialect: b.dialect, TablePrefix: prefix, RecordCache: -1})
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}

		held, err := again.HeldOrders(ctx, "m", ledger.OrderKey{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range held {
			ids = append(ids, r.Key.OrderID)
		}
		if got := strings.Join(ids, ","); got != "1,3" {
			t.Fatalf("held orders after Migrate = %s, want 1,3", got)
		}
		def, ok := indexDefs(t, db, b.dialect, prefix)[prefix+"orders_held"]
		switch {
		case b.dialect == sqlstore.MySQL:
			if ok {
				t.Errorf("mysql: an index orders_held: %s", def)
			}
		case !ok:
			t.Errorf("no index orders_held")
		case !strings.Contains(def, `"state":"held"`) && !strings.Contains(def, "'$.state') = 'held'"):
			t.Errorf("index orders_held is not on held orders: %s", def)
		}
	})
}
