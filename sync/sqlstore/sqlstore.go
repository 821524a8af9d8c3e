package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Options configure a Store. Dialect is required; the zero value of every other field works.
type Options struct {
	// Dialect is the database behind the *sql.DB.
	Dialect Dialect
	// TablePrefix starts every table and index name, so the store can share a schema with the
	// host's tables. It must be a plain identifier (letters, digits, "_", not starting with a
	// digit), at most 40 characters; "" means "tobira_".
	TablePrefix string
	// AutoMigrate makes the store run Migrate before its first use. Hosts that migrate as a
	// deployment step leave it off and call Migrate themselves.
	AutoMigrate bool
	// RecordCache is how many order records the store keeps decoded, so that reading back a
	// record it wrote or read lately, unchanged, costs no decoding (the database is asked all the
	// same); 0 means DefaultRecordCache, a negative number keeps none. Each costs about the size
	// of its JSON twice.
	RecordCache int
}

// DefaultTablePrefix is the prefix used when Options.TablePrefix is "".
const DefaultTablePrefix = "tobira_"

var prefixRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,39}$`)

// Validate reports whether the options can make a store.
func (o Options) Validate() error {
	if !o.Dialect.valid() {
		return fmt.Errorf("sqlstore: Options.Dialect must be Postgres, MySQL or SQLite, not %v", o.Dialect)
	}
	// The prefix is spliced into SQL text, so it must be an identifier that needs no quoting.
	if o.TablePrefix != "" && !prefixRE.MatchString(o.TablePrefix) {
		return fmt.Errorf("sqlstore: Options.TablePrefix %q is not a plain identifier of at most 40 characters", o.TablePrefix)
	}
	return nil
}

// Store is a sync.Store in a SQL database. It is safe for concurrent use, and several Stores (in
// one process or many) may share one database and prefix.
type Store struct {
	db          *sql.DB
	dialect     Dialect
	prefix      string
	autoMigrate bool
	migrated    atomic.Bool
	migrateMu   gosync.Mutex
	seq         seqClock
	q           queries
	cache       *recordCache
}

var (
	_ ledger.Store             = (*Store)(nil)
	_ ledger.BatchOrderLedger  = (*Store)(nil)
	_ ledger.OrderLister       = (*Store)(nil)
	_ ledger.BatchReservations = (*Store)(nil)
)

// New returns a store over db, which the host opened with its driver and keeps owning: the store
// never closes it. New does not touch the database; see Migrate and Options.AutoMigrate.
func New(db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	p := opts.TablePrefix
	if p == "" {
		p = DefaultTablePrefix
	}
	s := &Store{db: db, dialect: opts.Dialect, prefix: p, autoMigrate: opts.AutoMigrate}
	s.q = buildQueries(opts.Dialect, p)
	s.cache = newRecordCache(opts.RecordCache)
	return s, nil
}

// queries are built once per store, since the prefix and the dialect are fixed.
type queries struct {
	getCursor, insCursor, updCursor, cursorExists                         string
	getOrder, insOrder, updOrderPending, updOrderDone, orderExists        string
	pendingOrders, pendingOrdersLimit, heldOrders, ordersByNumber         string
	getShipment, insShipment, updShipPending, updShipDone, shipmentExists string
	pendingShipments, pendingShipmentsLimit                               string
	levels, reservations, putReservation, delReservation, acked           string
	putQuarantine, listQuarantine, listQuarantineAll, delQuarantine       string
	acquireLease, leaseOwner, releaseLease                                string
	levelsUpsertHead, levelsUpsertTail, ackedUpsertHead, ackedUpsertTail  string
	pgInsertOrders, pgUpdateOrders                                        string
}

func buildQueries(d Dialect, p string) queries {
	r := func(q string) string { return d.rebind(strings.ReplaceAll(q, "{p}", p)) }
	raw := func(q string) string { return strings.ReplaceAll(q, "{p}", p) }
	q := queries{
		getCursor:    r("SELECT value, version FROM {p}cursors WHERE name = ?"),
		insCursor:    r(d.insertIgnoring("INSERT INTO {p}cursors (name, value, version) VALUES (?, ?, 1)", "name")),
		updCursor:    r("UPDATE {p}cursors SET value = ?, version = version + 1 WHERE name = ? AND version = ?"),
		cursorExists: r("SELECT 1 FROM {p}cursors WHERE name = ?"),

		getOrder:        r("SELECT version, data FROM {p}orders WHERE merchant = ? AND channel = ? AND order_id = ?"),
		insOrder:        r(d.insertIgnoring("INSERT INTO {p}orders (merchant, channel, order_id, version, pending_seq, data) VALUES (?, ?, ?, 1, ?, ?)", "merchant, channel, order_id")),
		updOrderPending: r("UPDATE {p}orders SET version = version + 1, pending_seq = COALESCE(pending_seq, ?), data = ? WHERE merchant = ? AND channel = ? AND order_id = ? AND version = ?"),
		updOrderDone:    r("UPDATE {p}orders SET version = version + 1, pending_seq = NULL, data = ? WHERE merchant = ? AND channel = ? AND order_id = ? AND version = ?"),
		orderExists:     r("SELECT 1 FROM {p}orders WHERE merchant = ? AND channel = ? AND order_id = ?"),
		pendingOrders: r("SELECT order_id, version, data FROM {p}orders WHERE merchant = ? AND channel = ? AND pending_seq IS NOT NULL" +
			" ORDER BY pending_seq, order_id"),
		pendingOrdersLimit: r("SELECT order_id, version, data FROM {p}orders WHERE merchant = ? AND channel = ? AND pending_seq IS NOT NULL" +
			" ORDER BY pending_seq, order_id LIMIT ?"),
		heldOrders: r("SELECT version, data FROM {p}orders WHERE merchant = ? AND (channel > ? OR (channel = ? AND order_id > ?))" +
			" AND " + d.jsonIs("data", "state", string(ledger.StateHeld)) + " ORDER BY channel, order_id LIMIT ?"),
		ordersByNumber: r("SELECT version, data FROM {p}orders WHERE merchant = ? AND channel = ? AND " + d.orderNumberIs("data") +
			" ORDER BY order_id"),

		getShipment:    r("SELECT version, data FROM {p}shipments WHERE id = ?"),
		insShipment:    r(d.insertIgnoring("INSERT INTO {p}shipments (id, merchant, version, pending_seq, data) VALUES (?, ?, 1, ?, ?)", "id")),
		updShipPending: r("UPDATE {p}shipments SET version = version + 1, merchant = ?, pending_seq = COALESCE(pending_seq, ?), data = ? WHERE id = ? AND version = ?"),
		updShipDone:    r("UPDATE {p}shipments SET version = version + 1, merchant = ?, pending_seq = NULL, data = ? WHERE id = ? AND version = ?"),
		shipmentExists: r("SELECT 1 FROM {p}shipments WHERE id = ?"),
		pendingShipments: r("SELECT version, data FROM {p}shipments WHERE merchant = ? AND pending_seq IS NOT NULL" +
			" ORDER BY pending_seq, id"),
		pendingShipmentsLimit: r("SELECT version, data FROM {p}shipments WHERE merchant = ? AND pending_seq IS NOT NULL" +
			" ORDER BY pending_seq, id LIMIT ?"),

		levels:         r("SELECT data FROM {p}levels WHERE merchant = ?"),
		reservations:   r("SELECT data FROM {p}reservations WHERE merchant = ?"),
		putReservation: r(d.upsert("INSERT INTO {p}reservations (merchant, rkey, data) VALUES (?, ?, ?)", "merchant, rkey", "data")),
		delReservation: r("DELETE FROM {p}reservations WHERE merchant = ? AND rkey = ?"),
		acked:          r("SELECT sku, qty, wkey, wfrom FROM {p}acked WHERE merchant = ? AND channel = ?"),

		putQuarantine:     r(d.upsert("INSERT INTO {p}quarantine (id, merchant, seq, data) VALUES (?, ?, ?, ?)", "id", "merchant", "data")),
		listQuarantine:    r("SELECT data FROM {p}quarantine WHERE merchant = ? ORDER BY seq, id"),
		listQuarantineAll: r("SELECT data FROM {p}quarantine ORDER BY seq, id"),
		delQuarantine:     r("DELETE FROM {p}quarantine WHERE id = ?"),

		leaseOwner:   r("SELECT owner FROM {p}leases WHERE name = ?"),
		releaseLease: r("DELETE FROM {p}leases WHERE name = ? AND owner = ?"),

		// Multi-row statements are completed with placeholders per batch and rebound then.
		levelsUpsertHead: raw("INSERT INTO {p}levels (merchant, sku, as_of, data) VALUES "),

		// PostgreSQL's batch writes of orders (pgPutOrders) take one array parameter a column;
		// they are rebound once completed (pgWithReservations).
		pgInsertOrders: raw("INSERT INTO {p}orders (merchant, channel, order_id, version, pending_seq, data)" +
			" SELECT v.merchant, v.channel, v.order_id, 1, v.seq, v.data" +
			" FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::json[]) AS v (merchant, channel, order_id, seq, data)" +
			" ON CONFLICT (merchant, channel, order_id) DO NOTHING RETURNING merchant, channel, order_id"),
		pgUpdateOrders: raw("UPDATE {p}orders AS o SET version = o.version + 1," +
			" pending_seq = CASE WHEN v.pending THEN COALESCE(o.pending_seq, v.seq) END, data = v.data" +
			" FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::boolean[], ?::bigint[], ?::json[])" +
			" AS v (merchant, channel, order_id, version, pending, seq, data)" +
			" WHERE o.merchant = v.merchant AND o.channel = v.channel AND o.order_id = v.order_id AND o.version = v.version" +
			" RETURNING o.merchant, o.channel, o.order_id"),
		ackedUpsertHead: raw("INSERT INTO {p}acked (merchant, channel, sku, qty, wkey, wfrom) VALUES "),
	}
	if d == MySQL {
		// MySQL applies the assignments left to right, each seeing the ones before it: data is
		// decided on the old as_of before as_of changes, and until_at on the owner just decided.
		q.levelsUpsertTail = " ON DUPLICATE KEY UPDATE data = IF(as_of <= VALUES(as_of), VALUES(data), data)," +
			" as_of = IF(as_of <= VALUES(as_of), VALUES(as_of), as_of)"
		q.ackedUpsertTail = " ON DUPLICATE KEY UPDATE qty = VALUES(qty), wkey = VALUES(wkey), wfrom = VALUES(wfrom)"
		q.acquireLease = r("INSERT INTO {p}leases (name, owner, until_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE" +
			" owner = IF(owner = VALUES(owner) OR until_at <= ?, VALUES(owner), owner)," +
			" until_at = IF(owner = VALUES(owner), VALUES(until_at), until_at)")
	} else {
		q.levelsUpsertTail = raw(" ON CONFLICT (merchant, sku) DO UPDATE SET as_of = excluded.as_of, data = excluded.data" +
			" WHERE {p}levels.as_of <= excluded.as_of")
		q.ackedUpsertTail = " ON CONFLICT (merchant, channel, sku) DO UPDATE SET qty = excluded.qty, wkey = excluded.wkey, wfrom = excluded.wfrom"
		q.acquireLease = r("INSERT INTO {p}leases (name, owner, until_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE" +
			" SET owner = excluded.owner, until_at = excluded.until_at" +
			" WHERE {p}leases.owner = excluded.owner OR {p}leases.until_at <= ?")
	}
	return q
}

// execer is what the writes need from a *sql.DB, *sql.Conn or *sql.Tx, so that PutShipmentTx can
// reuse them inside the host's transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// timeLayout is fixed-width UTC with nanoseconds, so that comparing the text compares the times
// (for years 0 to 9999) in every dialect, with no time zone or precision conversions.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// seqClock issues the "oldest first" sequence: wall-clock nanoseconds, bumped so that each value
// exceeds the last one issued by this store.
type seqClock struct{ last atomic.Int64 }

func (c *seqClock) next() int64 {
	for {
		last := c.last.Load()
		n := max(time.Now().UnixNano(), last+1)
		if c.last.CompareAndSwap(last, n) {
			return n
		}
	}
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ledger.ErrConflict) || errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

// insert runs an insert-if-absent and returns ErrConflict when the key was taken. On MySQL the
// statement is a plain INSERT; when it fails, the key is looked up to tell a duplicate from any
// other failure without depending on the driver's error type.
func (s *Store) insert(ctx context.Context, ex execer, stmt string, args []any, exists string, keyArgs ...any) error {
	res, err := ex.ExecContext(ctx, stmt, args...)
	if err != nil {
		if s.dialect == MySQL {
			var one int
			if s.scanOne(ctx, ex, exists, keyArgs, &one) == nil {
				return ledger.ErrConflict
			}
		}
		return err
	}
	return oneRow(res)
}

func (s *Store) scanOne(ctx context.Context, ex execer, q string, args []any, dst ...any) error {
	return ex.QueryRowContext(ctx, q, args...).Scan(dst...)
}

// oneRow turns "no row affected" into ErrConflict: the key was taken, or the version moved.
func oneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ledger.ErrConflict
	}
	return nil
}

// GetCursor implements sync.CursorStore.
func (s *Store) GetCursor(ctx context.Context, name string) (string, int64, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return "", 0, err
	}
	var value []byte
	var version int64
	err := s.db.QueryRowContext(ctx, s.q.getCursor, name).Scan(&value, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, wrap("get cursor", err)
	}
	return string(value), version, nil
}

// PutCursor implements sync.CursorStore.
func (s *Store) PutCursor(ctx context.Context, name, value string, version int64) (int64, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return 0, err
	}
	var err error
	if version == 0 {
		err = s.insert(ctx, s.db, s.q.insCursor, []any{name, []byte(value)}, s.q.cursorExists, name)
	} else {
		var res sql.Result
		res, err = s.db.ExecContext(ctx, s.q.updCursor, []byte(value), name, version)
		if err == nil {
			err = oneRow(res)
		}
	}
	if err != nil {
		return 0, wrap("put cursor", err)
	}
	return version + 1, nil
}

// GetOrder implements sync.OrderLedger.
func (s *Store) GetOrder(ctx context.Context, key ledger.OrderKey) (*ledger.OrderRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	var version int64
	var data []byte
	err := s.db.QueryRowContext(ctx, s.q.getOrder, key.Merchant, key.Channel, key.OrderID).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, wrap("get order", err)
	}
	return s.ownedOrder(key, version, data)
}

func decodeOrder(version int64, data []byte) (*ledger.OrderRecord, error) {
	rec := new(ledger.OrderRecord)
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("sqlstore: decode order: %w", err)
	}
	// The column is authoritative: the JSON was written by the same statement, but a host
	// repairing rows by hand may touch only one of them.
	rec.Version = version
	return rec, nil
}

// PutOrder implements sync.OrderLedger.
func (s *Store) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	data, err := s.putOrder(ctx, s.db, rec)
	if err != nil {
		return err
	}
	rec.Version++
	s.cache.put(rec.Key, data, rec.Clone())
	return nil
}

// putOrder writes rec as its next version and leaves rec.Version to the caller, who increments
// it once the write is known to have landed (after the commit, inside a transaction). It returns
// the data column written.
func (s *Store) putOrder(ctx context.Context, ex execer, rec *ledger.OrderRecord) (string, error) {
	next := *rec
	next.Version++
	data, err := json.Marshal(&next)
	if err != nil {
		return "", fmt.Errorf("sqlstore: encode order: %w", err)
	}
	k := rec.Key
	if rec.Version == 0 {
		var seq any
		if rec.Pending {
			seq = s.seq.next()
		}
		err = s.insert(ctx, ex, s.q.insOrder, []any{k.Merchant, k.Channel, k.OrderID, seq, string(data)},
			s.q.orderExists, k.Merchant, k.Channel, k.OrderID)
	} else {
		var res sql.Result
		if rec.Pending {
			res, err = ex.ExecContext(ctx, s.q.updOrderPending, s.seq.next(), string(data), k.Merchant, k.Channel, k.OrderID, rec.Version)
		} else {
			res, err = ex.ExecContext(ctx, s.q.updOrderDone, string(data), k.Merchant, k.Channel, k.OrderID, rec.Version)
		}
		if err == nil {
			err = oneRow(res)
		}
	}
	return string(data), wrap("put order", err)
}

// batchChunk bounds the keys of one GetOrders query, well inside every dialect's limit on
// placeholders (SQLite's default is 999 before 3.32).
const batchChunk = 500

// GetOrders implements sync.BatchOrderLedger: one query per chunk of keys of one channel.
func (s *Store) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	out := make(map[ledger.OrderKey]*ledger.OrderRecord, len(keys))
	err := byChannel(keys, func(merchant, channel string, ids []string) error {
		return s.getOrders(ctx, merchant, channel, ids, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// byChannel calls f with the order IDs of keys, one merchant and channel at a time, in chunks
// of at most batchChunk: one statement each for the batch reads.
func byChannel(keys []ledger.OrderKey, f func(merchant, channel string, ids []string) error) error {
	type part struct{ merchant, channel string }
	ids := map[part][]string{}
	var parts []part
	for _, k := range keys {
		p := part{k.Merchant, k.Channel}
		if _, ok := ids[p]; !ok {
			parts = append(parts, p)
		}
		ids[p] = append(ids[p], k.OrderID)
	}
	for _, p := range parts {
		for chunk := range slices.Chunk(ids[p], batchChunk) {
			if err := f(p.merchant, p.channel, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) getOrders(ctx context.Context, merchant, channel string, ids []string, out map[ledger.OrderKey]*ledger.OrderRecord) error {
	query, args := s.keyRows("orders", []string{"version", "data"}, merchant, channel, ids)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return wrap("get orders", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var version int64
		var data []byte
		if err := rows.Scan(&id, &version, &data); err != nil {
			return wrap("get orders", err)
		}
		k := ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id}
		rec, err := s.sharedOrder(k, version, data)
		if err != nil {
			return err
		}
		out[k] = rec
	}
	return wrap("get orders", rows.Err())
}

// PutOrders implements sync.BatchOrderLedger with one short transaction: the same statements as
// PutOrder, one commit. A record that conflicts does not abort the others (the insert ignores a
// taken key, the update matches no row); any other failure rolls the batch back and is reported
// for every record, none of which then has its Version changed.
func (s *Store) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	return s.putOrders(ctx, recs, nil)
}

// putOrders is PutOrders, and with changes PutOrdersReserving (reserving.go): each change is
// applied in the statement or transaction that writes its record, for records written only.
func (s *Store) putOrders(ctx context.Context, recs []*ledger.OrderRecord, changes []ledger.ReservationChange) []error {
	errs := make([]error, len(recs))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	if len(recs) == 0 {
		return errs
	}
	if err := s.ensureSchema(ctx); err != nil {
		return fail(err)
	}
	if s.dialect == Postgres && distinctKeys(recs) && distinctReservations(changes) {
		for a := 0; a < len(recs); a += pgBatch {
			b := min(a+pgBatch, len(recs))
			var cs []ledger.ReservationChange
			if changes != nil {
				cs = changes[a:b]
			}
			s.pgPutOrders(ctx, recs[a:b], cs, errs[a:b])
		}
		return errs
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(wrap("put orders", err))
	}
	// Rows are written in key order, so that two batches over the same rows take their locks in
	// the same order and cannot deadlock; the sort is stable, keeping repeats of a key in order.
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareKeys(recs[a].Key, recs[b].Key) })
	datas := make([]string, len(recs))
	for _, i := range order {
		data, err := s.putOrder(ctx, tx, recs[i])
		if err != nil && !errors.Is(err, ledger.ErrConflict) {
			_ = tx.Rollback()
			return fail(err)
		}
		errs[i], datas[i] = err, data
	}
	// In the order given, so that the later change of a key repeated in the batch stays.
	for i := range changes {
		if errs[i] != nil {
			continue
		}
		if err := s.applyReservation(ctx, tx, recs[i].Key.Merchant, changes[i]); err != nil {
			_ = tx.Rollback()
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(wrap("put orders", err))
	}
	for i, rec := range recs {
		if errs[i] == nil {
			rec.Version++
			// PutOrders took the record over: it is kept as it is.
			s.cache.put(rec.Key, datas[i], rec)
		}
	}
	return errs
}

// pgBatch bounds the records of one PostgreSQL statement of PutOrders: 12 parameters each at most
// (an update and its reservation), far below the protocol's 65,535.
const pgBatch = 1000

func distinctKeys(recs []*ledger.OrderRecord) bool {
	seen := make(map[ledger.OrderKey]bool, len(recs))
	for _, rec := range recs {
		if seen[rec.Key] {
			return false
		}
		seen[rec.Key] = true
	}
	return true
}

// pgPutOrders writes a batch of distinct keys on PostgreSQL in at most two statements: an insert
// that skips taken keys and an update joined to the batch that matches only the versions read,
// each taking the batch as arrays (unnest) and each with the reservation changes of its records
// (pgWithReservations); RETURNING names the rows written, and every other record conflicted.
// Each statement is atomic and commits on its own, so a failure is reported for the records of
// that statement only.
func (s *Store) pgPutOrders(ctx context.Context, recs []*ledger.OrderRecord, changes []ledger.ReservationChange, errs []error) {
	var ins, upd []int
	for i, rec := range recs {
		if rec.Version == 0 {
			ins = append(ins, i)
		} else {
			upd = append(upd, i)
		}
	}
	datas := make(map[*ledger.OrderRecord]string, len(recs))
	encode := func(rec *ledger.OrderRecord) (string, error) {
		next := *rec
		next.Version++
		data, err := json.Marshal(&next)
		if err != nil {
			return "", fmt.Errorf("sqlstore: encode order: %w", err)
		}
		datas[rec] = string(data)
		return datas[rec], nil
	}
	written := make(map[ledger.OrderKey]bool, len(recs))
	run := func(q string, args []any) error {
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(q), args...)
		if err != nil {
			return wrap("put orders", err)
		}
		defer rows.Close()
		for rows.Next() {
			var k ledger.OrderKey
			if err := rows.Scan(&k.Merchant, &k.Channel, &k.OrderID); err != nil {
				return wrap("put orders", err)
			}
			written[k] = true
		}
		return wrap("put orders", rows.Err())
	}
	settle := func(idx []int, err error) {
		for _, i := range idx {
			switch rec := recs[i]; {
			case err != nil:
				errs[i] = err
			case written[rec.Key]:
				rec.Version++
				s.cache.put(rec.Key, datas[rec], rec)
			default:
				errs[i] = ledger.ErrConflict
			}
		}
	}
	// Each statement writes its records' reservation changes too (reserving.go), so a record and
	// its reservation commit together.
	reserving := func(err error, q string, args []any, idx []int) error {
		if err != nil || q == "" {
			return err
		}
		q, args, err = s.pgWithReservations(q, args, recs, idx, changes)
		if err != nil {
			return err
		}
		return run(q, args)
	}
	q, args, err := s.pgInsertOrders(recs, ins, encode)
	settle(ins, reserving(err, q, args, ins))
	q, args, err = s.pgUpdateOrders(recs, upd, encode)
	settle(upd, reserving(err, q, args, upd))
}

func (s *Store) pgInsertOrders(recs []*ledger.OrderRecord, ins []int, encode func(*ledger.OrderRecord) (string, error)) (string, []any, error) {
	if len(ins) == 0 {
		return "", nil, nil
	}
	var m, c, o, seq, data pgArray
	for j, i := range ins {
		rec := recs[i]
		d, err := encode(rec)
		if err != nil {
			return "", nil, err
		}
		if j == 0 {
			// Records of a batch are alike in size; quoting adds a little to each.
			data.grow((len(d) + len(d)/4 + 4) * len(ins))
		}
		m.text(rec.Key.Merchant)
		c.text(rec.Key.Channel)
		o.text(rec.Key.OrderID)
		if rec.Pending {
			seq.int(s.seq.next())
		} else {
			seq.null()
		}
		data.text(d)
	}
	return s.q.pgInsertOrders, []any{m.String(), c.String(), o.String(), seq.String(), data.String()}, nil
}

func (s *Store) pgUpdateOrders(recs []*ledger.OrderRecord, upd []int, encode func(*ledger.OrderRecord) (string, error)) (string, []any, error) {
	if len(upd) == 0 {
		return "", nil, nil
	}
	var m, c, o, ver, pending, seq, data pgArray
	for j, i := range upd {
		rec := recs[i]
		d, err := encode(rec)
		if err != nil {
			return "", nil, err
		}
		if j == 0 {
			// Records of a batch are alike in size; quoting adds a little to each.
			data.grow((len(d) + len(d)/4 + 4) * len(upd))
		}
		m.text(rec.Key.Merchant)
		c.text(rec.Key.Channel)
		o.text(rec.Key.OrderID)
		ver.int(rec.Version)
		pending.bool(rec.Pending)
		seq.int(s.seq.next())
		data.text(d)
	}
	return s.q.pgUpdateOrders, []any{m.String(), c.String(), o.String(), ver.String(), pending.String(), seq.String(), data.String()}, nil
}

func compareKeys(a, b ledger.OrderKey) int {
	return cmp.Or(strings.Compare(a.Merchant, b.Merchant), strings.Compare(a.Channel, b.Channel), strings.Compare(a.OrderID, b.OrderID))
}

// PendingOrders implements sync.OrderLedger.
func (s *Store) PendingOrders(ctx context.Context, merchant, channel string, limit int) ([]*ledger.OrderRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	if limit > 0 {
		rows, err = s.db.QueryContext(ctx, s.q.pendingOrdersLimit, merchant, channel, limit)
	} else {
		rows, err = s.db.QueryContext(ctx, s.q.pendingOrders, merchant, channel)
	}
	if err != nil {
		return nil, wrap("pending orders", err)
	}
	defer rows.Close()
	out := []*ledger.OrderRecord{}
	for rows.Next() {
		var id string
		var version int64
		var data []byte
		if err := rows.Scan(&id, &version, &data); err != nil {
			return nil, wrap("pending orders", err)
		}
		rec, err := s.ownedOrder(ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id}, version, data)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, wrap("pending orders", rows.Err())
}

// HeldOrders implements ledger.OrderLister. The state is read from each record's JSON in the
// database, over the merchant's rows (the primary key's prefix): a listing for people, not for
// the engine's flows.
func (s *Store) HeldOrders(ctx context.Context, merchant string, after ledger.OrderKey, limit int) ([]*ledger.OrderRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = math.MaxInt32
	}
	out := []*ledger.OrderRecord{}
	// The condition may match a record whose connector data (Refs) holds the same text on
	// PostgreSQL (Dialect.jsonIs): each record is checked once decoded, and the query goes on
	// after the last row until limit records are found or the rows run out.
	for len(out) < limit {
		want := limit - len(out)
		n, err := s.heldOrders(ctx, merchant, &after, want, &out)
		if err != nil {
			return nil, err
		}
		if n < want {
			break
		}
	}
	return out, nil
}

// heldOrders reads one page for HeldOrders, appending the held records to out and moving after
// past the last row; it returns how many rows it read.
func (s *Store) heldOrders(ctx context.Context, merchant string, after *ledger.OrderKey, limit int, out *[]*ledger.OrderRecord) (int, error) {
	rows, err := s.db.QueryContext(ctx, s.q.heldOrders, merchant, after.Channel, after.Channel, after.OrderID, limit)
	if err != nil {
		return 0, wrap("held orders", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var version int64
		var data []byte
		if err := rows.Scan(&version, &data); err != nil {
			return 0, wrap("held orders", err)
		}
		rec, err := decodeOrder(version, data)
		if err != nil {
			return 0, err
		}
		*after = rec.Key
		if rec.State == ledger.StateHeld {
			*out = append(*out, rec)
		}
	}
	return n, wrap("held orders", rows.Err())
}

// OrdersByNumber implements ledger.OrderLister. The number is matched in the record's JSON (on
// PostgreSQL as text, which may also match connector data), so each record is checked again once
// decoded.
func (s *Store) OrdersByNumber(ctx context.Context, merchant, channel, number string, limit int) ([]*ledger.OrderRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	arg := any(number)
	if s.dialect == Postgres {
		quoted, err := json.Marshal(number)
		if err != nil {
			return nil, err
		}
		arg = `"number":` + string(quoted)
	}
	rows, err := s.db.QueryContext(ctx, s.q.ordersByNumber, merchant, channel, arg)
	if err != nil {
		return nil, wrap("orders by number", err)
	}
	defer rows.Close()
	out := []*ledger.OrderRecord{}
	for rows.Next() && (limit < 0 || len(out) < limit) {
		var version int64
		var data []byte
		if err := rows.Scan(&version, &data); err != nil {
			return nil, wrap("orders by number", err)
		}
		rec, err := decodeOrder(version, data)
		if err != nil {
			return nil, err
		}
		if rec.Order != nil && rec.Order.Number == number {
			out = append(out, rec)
		}
	}
	return out, wrap("orders by number", rows.Err())
}

// GetShipment implements sync.ShipmentOutbox.
func (s *Store) GetShipment(ctx context.Context, id string) (*ledger.ShipmentRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	var version int64
	var data []byte
	err := s.db.QueryRowContext(ctx, s.q.getShipment, id).Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ledger.ErrNotFound
	}
	if err != nil {
		return nil, wrap("get shipment", err)
	}
	return decodeShipment(version, data)
}

func decodeShipment(version int64, data []byte) (*ledger.ShipmentRecord, error) {
	rec := new(ledger.ShipmentRecord)
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("sqlstore: decode shipment: %w", err)
	}
	rec.Version = version
	return rec, nil
}

// PutShipment implements sync.ShipmentOutbox.
func (s *Store) PutShipment(ctx context.Context, rec *ledger.ShipmentRecord) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	return s.putShipment(ctx, s.db, rec)
}

// PutShipmentTx is PutShipment inside the host's transaction: a warehouse system records "shipped"
// in its own tables and "tell the channel" in the outbox in one commit, so neither happens without
// the other. The record's version is incremented at once; if the host rolls back, it must discard
// rec (or decrement its Version) before trying again.
func (s *Store) PutShipmentTx(ctx context.Context, tx *sql.Tx, rec *ledger.ShipmentRecord) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	return s.putShipment(ctx, tx, rec)
}

func (s *Store) putShipment(ctx context.Context, ex execer, rec *ledger.ShipmentRecord) error {
	next := *rec
	next.Version++
	data, err := json.Marshal(&next)
	if err != nil {
		return fmt.Errorf("sqlstore: encode shipment: %w", err)
	}
	pending := rec.State == ledger.ShipmentPending
	if rec.Version == 0 {
		var seq any
		if pending {
			seq = s.seq.next()
		}
		err = s.insert(ctx, ex, s.q.insShipment, []any{rec.ID, rec.Merchant, seq, string(data)}, s.q.shipmentExists, rec.ID)
	} else {
		var res sql.Result
		if pending {
			res, err = ex.ExecContext(ctx, s.q.updShipPending, rec.Merchant, s.seq.next(), string(data), rec.ID, rec.Version)
		} else {
			res, err = ex.ExecContext(ctx, s.q.updShipDone, rec.Merchant, string(data), rec.ID, rec.Version)
		}
		if err == nil {
			err = oneRow(res)
		}
	}
	if err != nil {
		return wrap("put shipment", err)
	}
	rec.Version++
	return nil
}

// PendingShipments implements sync.ShipmentOutbox.
func (s *Store) PendingShipments(ctx context.Context, merchant string, limit int) ([]*ledger.ShipmentRecord, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	if limit > 0 {
		rows, err = s.db.QueryContext(ctx, s.q.pendingShipmentsLimit, merchant, limit)
	} else {
		rows, err = s.db.QueryContext(ctx, s.q.pendingShipments, merchant)
	}
	if err != nil {
		return nil, wrap("pending shipments", err)
	}
	defer rows.Close()
	out := []*ledger.ShipmentRecord{}
	for rows.Next() {
		var version int64
		var data []byte
		if err := rows.Scan(&version, &data); err != nil {
			return nil, wrap("pending shipments", err)
		}
		rec, err := decodeShipment(version, data)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, wrap("pending shipments", rows.Err())
}

// queryJSON decodes every row of a one-column query into a T.
func queryJSON[T any](ctx context.Context, s *Store, op, q string, args ...any) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, wrap(op, err)
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("sqlstore: %s: decode: %w", op, err)
		}
		out = append(out, v)
	}
	return out, wrap(op, rows.Err())
}

// Levels implements sync.StockLedger. They come sorted by SKU, byte order.
func (s *Store) Levels(ctx context.Context, merchant string) ([]inventory.Level, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	out, err := queryJSON[inventory.Level](ctx, s, "levels", s.q.levels, merchant)
	if err != nil {
		return nil, err
	}
	// Sorted here rather than in SQL, whose text order depends on the column's collation.
	slices.SortFunc(out, func(a, b inventory.Level) int { return strings.Compare(a.SKU, b.SKU) })
	return out, nil
}

// batchRows bounds multi-row statements well below every dialect's placeholder limit.
const batchRows = 500

// PutLevels implements sync.StockLedger. Each batch of 500 levels is one statement; a failure
// part way leaves earlier batches applied, which is safe because each level stands alone.
func (s *Store) PutLevels(ctx context.Context, merchant string, levels []inventory.Level) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // as for the other methods, even when there is nothing to write
	}
	// One statement may not touch a row twice (PostgreSQL refuses), so a SKU listed more than
	// once is first reduced to what applying the list in order would leave.
	last := make(map[string]int, len(levels))
	var uniq []inventory.Level
	for _, l := range levels {
		if i, ok := last[l.SKU]; ok {
			if !uniq[i].AsOf.After(l.AsOf) {
				uniq[i] = l
			}
			continue
		}
		last[l.SKU] = len(uniq)
		uniq = append(uniq, l)
	}
	for batch := range slices.Chunk(uniq, batchRows) {
		args := make([]any, 0, 4*len(batch))
		for _, l := range batch {
			data, err := json.Marshal(l)
			if err != nil {
				return fmt.Errorf("sqlstore: encode level: %w", err)
			}
			args = append(args, merchant, l.SKU, formatTime(l.AsOf), string(data))
		}
		q := s.dialect.rebind(s.q.levelsUpsertHead + placeholders(len(batch), 4) + s.q.levelsUpsertTail)
		if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
			return wrap("put levels", err)
		}
	}
	return nil
}

// Reservations implements sync.StockLedger. They come sorted by key, byte order.
func (s *Store) Reservations(ctx context.Context, merchant string) ([]inventory.Reservation, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	out, err := queryJSON[inventory.Reservation](ctx, s, "reservations", s.q.reservations, merchant)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b inventory.Reservation) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// PutReservation implements sync.StockLedger. The reservation is kept as JSON, so fields added to
// inventory.Reservation later are stored without a migration.
func (s *Store) PutReservation(ctx context.Context, merchant string, r inventory.Reservation) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("sqlstore: encode reservation: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q.putReservation, merchant, r.Key, string(data))
	return wrap("put reservation", err)
}

// PutReservations implements sync.BatchReservations with one multi-row upsert per chunk.
func (s *Store) PutReservations(ctx context.Context, merchant string, rs []inventory.Reservation) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	// An upsert may not touch one row twice (PostgreSQL refuses it), so only the last of a key
	// is sent, in its place among the others.
	last := make(map[string]int, len(rs))
	for i, r := range rs {
		last[r.Key] = i
	}
	const perRow = 3
	rows := make([]any, 0, len(last)*perRow)
	for i, r := range rs {
		if last[r.Key] != i {
			continue
		}
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("sqlstore: encode reservation: %w", err)
		}
		rows = append(rows, merchant, r.Key, string(data))
	}
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), batchChunk/perRow*perRow)]
		rows = rows[len(chunk):]
		var q strings.Builder
		q.WriteString("INSERT INTO " + s.prefix + "reservations (merchant, rkey, data) VALUES ")
		for i := 0; i < len(chunk); i += perRow {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?)")
		}
		stmt := s.dialect.rebind(s.dialect.upsert(q.String(), "merchant, rkey", "data"))
		if _, err := s.db.ExecContext(ctx, stmt, chunk...); err != nil {
			return wrap("put reservations", err)
		}
	}
	return nil
}

// DeleteReservation implements sync.StockLedger.
func (s *Store) DeleteReservation(ctx context.Context, merchant, key string) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.delReservation, merchant, key)
	return wrap("delete reservation", err)
}

// Acked implements sync.StockLedger.
func (s *Store) Acked(ctx context.Context, merchant, channel string) (map[string]ledger.StockAck, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q.acked, merchant, channel)
	if err != nil {
		return nil, wrap("acked", err)
	}
	defer rows.Close()
	out := map[string]ledger.StockAck{}
	for rows.Next() {
		var sku, wkey string
		var qty int64
		var from sql.NullInt64
		if err := rows.Scan(&sku, &qty, &wkey, &from); err != nil {
			return nil, wrap("acked", err)
		}
		a := ledger.StockAck{Available: int(qty), Write: wkey}
		if from.Valid {
			n := int(from.Int64)
			a.Compare = &n
		}
		out[sku] = a
	}
	return out, wrap("acked", rows.Err())
}

// PutAcked implements sync.StockLedger, in statements of up to 500 values.
func (s *Store) PutAcked(ctx context.Context, merchant, channel string, values map[string]ledger.StockAck) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	skus := make([]string, 0, len(values))
	for sku := range values {
		skus = append(skus, sku)
	}
	// A fixed order makes concurrent writers take row locks in the same order (no deadlocks).
	slices.Sort(skus)
	for batch := range slices.Chunk(skus, batchRows) {
		args := make([]any, 0, 6*len(batch))
		for _, sku := range batch {
			v := values[sku]
			var from sql.NullInt64
			if v.Compare != nil {
				from = sql.NullInt64{Int64: int64(*v.Compare), Valid: true}
			}
			args = append(args, merchant, channel, sku, int64(v.Available), v.Write, from)
		}
		q := s.dialect.rebind(s.q.ackedUpsertHead + placeholders(len(batch), 6) + s.q.ackedUpsertTail)
		if _, err := s.db.ExecContext(ctx, q, args...); err != nil {
			return wrap("put acked", err)
		}
	}
	return nil
}

// PutQuarantine implements sync.QuarantineStore. Replacing an item keeps its place in the list.
func (s *Store) PutQuarantine(ctx context.Context, q ledger.QuarantineEntry) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	data, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("sqlstore: encode quarantined item: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q.putQuarantine, q.ID, q.Merchant, s.seq.next(), string(data))
	return wrap("put quarantine", err)
}

// ListQuarantine implements sync.QuarantineStore.
func (s *Store) ListQuarantine(ctx context.Context, merchant string) ([]ledger.QuarantineEntry, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	if merchant == "" {
		return queryJSON[ledger.QuarantineEntry](ctx, s, "list quarantine", s.q.listQuarantineAll)
	}
	return queryJSON[ledger.QuarantineEntry](ctx, s, "list quarantine", s.q.listQuarantine, merchant)
}

// DeleteQuarantine implements sync.QuarantineStore.
func (s *Store) DeleteQuarantine(ctx context.Context, id string) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.delQuarantine, id)
	return wrap("delete quarantine", err)
}

// AcquireLease implements sync.LeaseStore with one upsert that takes the lease only when it is
// free, expired at now, or owner's already; the database serializes concurrent attempts.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return false, err
	}
	res, err := s.db.ExecContext(ctx, s.q.acquireLease, name, owner, formatTime(now.Add(ttl)), formatTime(now))
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	if s.dialect != MySQL {
		n, err := res.RowsAffected()
		if err != nil {
			return false, wrap("acquire lease", err)
		}
		return n > 0, nil
	}
	// MySQL's affected-row count cannot tell "renewed to the same expiry" from "refused" (and
	// depends on the DSN's clientFoundRows), so the outcome is read back. The upsert already
	// decided; a reader can only see our name if we hold the lease.
	var holder []byte
	err = s.db.QueryRowContext(ctx, s.q.leaseOwner, name).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		// The holder released it in between; whoever that was, we do not hold it now.
		return false, nil
	}
	if err != nil {
		return false, wrap("acquire lease", err)
	}
	return string(holder) == owner, nil
}

// ReleaseLease implements sync.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q.releaseLease, name, owner)
	return wrap("release lease", err)
}
