package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// migration is one step of the schema. Steps are only ever appended: a released step never
// changes, because databases in the field already ran it.
type migration struct {
	version int
	stmts   func(d Dialect, p string) []string
}

var migrations = []migration{
	{1, schemaV1},
	{2, schemaV2},
	{3, schemaV3},
	{4, schemaV4},
	{5, schemaV5},
}

// SchemaVersion is the schema version this build of the package creates and expects.
const SchemaVersion = 5

type table struct {
	name    string
	cols    []string
	pk      string
	indexes [][2]string // name suffix, columns
}

func (t table) create(d Dialect, p string) []string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s%s (", p, t.name)
	b.WriteString(strings.Join(t.cols, ", "))
	fmt.Fprintf(&b, ", PRIMARY KEY (%s)", t.pk)
	// MySQL commits each DDL statement on its own, so its indexes go inside CREATE TABLE, where a
	// crash cannot leave a table without them; the other dialects add them after.
	if d == MySQL {
		for _, ix := range t.indexes {
			fmt.Fprintf(&b, ", INDEX %s%s_%s (%s)", p, t.name, ix[0], ix[1])
		}
	}
	b.WriteString(")" + d.tableSuffix())
	out := []string{b.String()}
	if d != MySQL {
		for _, ix := range t.indexes {
			out = append(out, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s%s_%s ON %s%s (%s)", p, t.name, ix[0], p, t.name, ix[1]))
		}
	}
	return out
}

func schemaV1(d Dialect, p string) []string {
	k, lk, tm, js := d.keyType(), d.longKeyType(), d.timeType(), d.jsonType()
	tables := []table{
		{name: "cursors", pk: "name", cols: []string{
			"name " + lk + " NOT NULL", "value " + d.blobType() + " NOT NULL", "version BIGINT NOT NULL"}},
		{name: "orders", pk: "merchant, channel, order_id", cols: []string{
			"merchant " + k + " NOT NULL", "channel " + k + " NOT NULL", "order_id " + k + " NOT NULL",
			"version BIGINT NOT NULL", "pending_seq BIGINT NULL", "data " + js + " NOT NULL"},
			indexes: [][2]string{{"pending", "merchant, channel, pending_seq"}}},
		{name: "shipments", pk: "id", cols: []string{
			"id " + lk + " NOT NULL", "merchant " + k + " NOT NULL",
			"version BIGINT NOT NULL", "pending_seq BIGINT NULL", "data " + js + " NOT NULL"},
			indexes: [][2]string{{"pending", "merchant, pending_seq"}}},
		{name: "levels", pk: "merchant, sku", cols: []string{
			"merchant " + k + " NOT NULL", "sku " + k + " NOT NULL", "as_of " + tm + " NOT NULL", "data " + js + " NOT NULL"}},
		{name: "reservations", pk: "merchant, rkey", cols: []string{
			"merchant " + k + " NOT NULL", "rkey " + lk + " NOT NULL", "data " + js + " NOT NULL"}},
		{name: "acked", pk: "merchant, channel, sku", cols: []string{
			"merchant " + k + " NOT NULL", "channel " + k + " NOT NULL", "sku " + k + " NOT NULL", "qty BIGINT NOT NULL"}},
		{name: "quarantine", pk: "id", cols: []string{
			"id " + lk + " NOT NULL", "merchant " + k + " NOT NULL", "seq BIGINT NOT NULL", "data " + js + " NOT NULL"},
			indexes: [][2]string{{"merchant", "merchant, seq"}, {"seq", "seq"}}},
		{name: "leases", pk: "name", cols: []string{
			"name " + lk + " NOT NULL", "owner " + lk + " NOT NULL", "until_at " + tm + " NOT NULL"}},
	}
	var out []string
	for _, t := range tables {
		out = append(out, t.create(d, p)...)
	}
	return out
}

// schemaV2 gives each acknowledged stock value the key and compare value of the write under way
// (ledger.StockAck.Write and Compare). Rows from version 1 get "" and NULL: a value acknowledged,
// or -1 for a write whose key was never recorded, which the engine sends again with a new key.
func schemaV2(d Dialect, p string) []string {
	return []string{
		fmt.Sprintf("ALTER TABLE %sacked ADD COLUMN wkey %s NOT NULL DEFAULT ''", p, d.keyType()),
		fmt.Sprintf("ALTER TABLE %sacked ADD COLUMN wfrom BIGINT NULL", p),
	}
}

// schemaV3 adds the tombstones of compacted orders (ledger.Compactor): one narrow row per order
// compacted out of the orders table. Its statements may run again (CREATE ... IF NOT EXISTS).
func schemaV3(d Dialect, p string) []string {
	k, tm := d.keyType(), d.timeType()
	t := table{name: "tombstones", pk: "merchant, channel, order_id", cols: []string{
		"merchant " + k + " NOT NULL", "channel " + k + " NOT NULL", "order_id " + k + " NOT NULL",
		"fingerprint " + k + " NOT NULL", "status " + k + " NOT NULL", "updated_at " + tm + " NOT NULL"}}
	return t.create(d, p)
}

// schemaV4 keeps only pending rows in the pending indexes of orders and shipments, where the
// database can (partial indexes: PostgreSQL and SQLite; MySQL has none and keeps version 1's).
//
// A settled row then leaves the index instead of staying in it for good, so the index follows
// open work, not history, and settling a row adds no entry to it. The indexes end with the key,
// in the order the pending listings ask for, so a listing reads its page off the index rather
// than sorting every pending row of the channel. It also keeps PostgreSQL from reading a
// channel's orders through that index by (merchant, channel) alone, filtering the rest row by
// row, where the primary key finds each one: a plan it picks for a table it has no statistics of
// yet (a new store, before autovacuum's first ANALYZE), and at which a page's update read every
// order of its channel once per record.
//
// The rows stay as they are; only the indexes are built again, and the table takes no writes
// meanwhile (plain CREATE INDEX). A host with a large ledger that cannot wait may build
// <prefix>orders_open and <prefix>shipments_open beforehand with CREATE INDEX CONCURRENTLY and
// the same definition: the statements here then find them and only drop the old ones.
func schemaV4(d Dialect, p string) []string {
	if d == MySQL {
		return nil
	}
	return []string{
		fmt.Sprintf("DROP INDEX IF EXISTS %sorders_pending", p),
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %sorders_open ON %sorders (merchant, channel, pending_seq, order_id) WHERE pending_seq IS NOT NULL", p, p),
		fmt.Sprintf("DROP INDEX IF EXISTS %sshipments_pending", p),
		fmt.Sprintf("CREATE INDEX IF NOT EXISTS %sshipments_open ON %sshipments (merchant, pending_seq, id) WHERE pending_seq IS NOT NULL", p, p),
	}
}

// schemaV5 indexes held orders on PostgreSQL and SQLite, with a partial index whose condition is
// the held listing's own (Dialect.jsonIs), so that HeldOrders (the console's holds) reads the
// merchant's held rows rather than every order it ever had: at ten million settled orders, a
// merchant of two million took seconds. MySQL has no partial indexes; there the listing still
// reads the merchant's rows, and compaction keeps them few.
//
// Building it reads the whole table once, taking no writes meanwhile; a host with a large
// ledger that cannot wait may build <prefix>orders_held beforehand with CREATE INDEX
// CONCURRENTLY and the same definition.
func schemaV5(d Dialect, p string) []string {
	if d == MySQL {
		return nil
	}
	return []string{fmt.Sprintf("CREATE INDEX IF NOT EXISTS %sorders_held ON %sorders (merchant, channel, order_id) WHERE %s",
		p, p, d.jsonIs("data", "state", string(ledger.StateHeld)))}
}

// tableNames lists the tables of the current schema, without the prefix.
var tableNames = []string{"cursors", "orders", "shipments", "levels", "reservations", "acked", "quarantine", "leases", "tombstones", "migrations"}

// Tables returns the names of the tables the store uses, prefix included, for hosts that grant
// permissions, back up or drop them.
func (s *Store) Tables() []string {
	out := make([]string, len(tableNames))
	for i, n := range tableNames {
		out[i] = s.prefix + n
	}
	return out
}

// Migrate creates the store's tables or brings them to SchemaVersion, recording each version it
// applies in <prefix>migrations. It does nothing when the schema is current, and it may run from
// several processes at once: they queue on a database lock (an advisory lock on PostgreSQL,
// GET_LOCK on MySQL, the write lock on SQLite).
//
// On PostgreSQL and SQLite each version is applied in one transaction. MySQL commits DDL
// statement by statement, so a crash there can leave a version half applied; its statements are
// written to be re-run (CREATE ... IF NOT EXISTS) and the next Migrate completes it.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	s.migrated.Store(true)
	return nil
}

func (s *Store) migrate(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	unlock, err := s.lockSchema(ctx, conn)
	if err != nil {
		return err
	}
	defer func() {
		// The lock must go even when ctx is done, or the pooled connection would keep it.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if uerr := unlock(uctx, err != nil); err == nil {
			err = uerr
		}
	}()

	mt := s.prefix + "migrations"
	create := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (version INTEGER NOT NULL, applied_at %s NOT NULL, PRIMARY KEY (version))%s",
		mt, s.dialect.timeType(), s.dialect.tableSuffix())
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return err
	}
	// Each version not recorded is applied, not only those above the highest recorded: a
	// version recorded after a later one (a half-applied MySQL version completed by hand, a
	// version removed to re-run it) is still applied once.
	done, err := appliedVersions(ctx, conn, mt)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if done[m.version] {
			continue
		}
		if err := s.apply(ctx, conn, m); err != nil {
			return fmt.Errorf("version %d: %w", m.version, err)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *sql.Conn, mt string) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM "+mt)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) error {
	var tx interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	} = conn
	commit := func() error { return nil }
	if s.dialect != SQLite { // on SQLite, lockSchema's transaction holds every version
		t, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer t.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error is the one returned
		tx, commit = t, t.Commit
	}
	record := func() (sql.Result, error) {
		ins := s.dialect.insertIgnoring("INSERT INTO "+s.prefix+"migrations (version, applied_at) VALUES (?, ?)", "version")
		return tx.ExecContext(ctx, s.dialect.rebind(ins), m.version, formatTime(time.Now()))
	}
	if s.dialect != MySQL {
		// Recording the version first makes a second writer that got past the lock find the
		// version taken and stop.
		res, err := record()
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
	}
	for _, stmt := range m.stmts(s.dialect, s.prefix) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			if s.dialect == MySQL && duplicateColumn(err) {
				continue // a crash came after this ALTER committed and before the version was recorded
			}
			return err
		}
	}
	if s.dialect == MySQL {
		// Last, since every DDL statement before it committed on its own: the version is recorded
		// only once all of them ran.
		if _, err := record(); err != nil {
			return err
		}
	}
	return commit()
}

// duplicateColumn reports whether err is MySQL's ER_DUP_FIELDNAME (1060): MySQL has no ADD
// COLUMN IF NOT EXISTS, so re-running a half-applied version meets the columns it added. The
// host picks the driver, so the error is recognised by its number in the message.
func duplicateColumn(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "1060") && strings.Contains(msg, "Duplicate column")
}

// lockSchema takes a database-wide lock named after the table prefix on conn, so that two stores
// with different prefixes migrate independently. SQLite has no named locks: there it opens a
// write transaction at once (BEGIN IMMEDIATE), which waits out other writers under the busy
// timeout, and the whole migration runs in it; a transaction that began as a read and then wrote
// would fail with SQLITE_BUSY instead of waiting. unlock commits it, or rolls back when failed.
func (s *Store) lockSchema(ctx context.Context, conn *sql.Conn) (unlock func(ctx context.Context, failed bool) error, err error) {
	name := "tobira_sqlstore_migrate:" + s.prefix
	switch s.dialect {
	case Postgres:
		h := fnv.New64a()
		h.Write([]byte(name))
		key := int64(h.Sum64())
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ bool) error {
			_, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key)
			return err
		}, nil
	case MySQL:
		// GET_LOCK names are limited to 64 characters.
		if len(name) > 64 {
			name = name[:64]
		}
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 60)", name).Scan(&got); err != nil {
			return nil, err
		}
		if !got.Valid || got.Int64 != 1 {
			return nil, fmt.Errorf("could not take lock %q within 60s", name)
		}
		return func(ctx context.Context, _ bool) error {
			_, err := conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", name)
			return err
		}, nil
	case SQLite:
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return nil, err
		}
		return func(ctx context.Context, failed bool) error {
			end := "COMMIT"
			if failed {
				end = "ROLLBACK"
			}
			_, err := conn.ExecContext(ctx, end)
			return err
		}, nil
	}
	return func(context.Context, bool) error { return nil }, nil
}

// ensureSchema runs Migrate once before first use when Options.AutoMigrate is set. A failed
// attempt is retried by the next call rather than remembered, since the cause (a database
// restarting) is often temporary.
func (s *Store) ensureSchema(ctx context.Context) error {
	if !s.autoMigrate || s.migrated.Load() {
		return nil
	}
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	if s.migrated.Load() {
		return nil
	}
	return s.Migrate(ctx)
}
