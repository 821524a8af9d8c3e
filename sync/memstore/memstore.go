// Package memstore is an in-memory sync.Store: the engine's default for tests, examples, cart
// plugins that keep nothing across restarts, and anyone trying Tobira out. Everything is lost when
// the process ends; hosts that must survive a restart use sync/sqlstore or their own Store.
package memstore

import (
	"cmp"
	"context"
	"slices"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Store is an in-memory sync.Store, safe for concurrent use. Its zero value is not usable; call New.
type Store struct {
	mu      gosync.Mutex
	seq     uint64
	cursors map[string]versioned[string]
	// orders holds the records of each merchant's channel by order ID: most calls touch one
	// partition, and hashing one string per lookup costs a third of hashing a whole OrderKey.
	orders     map[partition]map[string]*stored[orderVal]
	pendingOrd map[partition]*pendingQueue[orderVal]
	// packBuf is where records are packed before they are copied into their own string.
	packBuf    []byte
	shipments  map[string]*stored[*ledger.ShipmentRecord]
	pendingShp map[string]*pendingQueue[*ledger.ShipmentRecord] // by merchant
	levels     map[string]map[string]inventory.Level
	reserved   map[string]map[string]inventory.Reservation
	acked      map[string]map[string]ledger.StockAck
	quarantine map[string]quarantined
	leases     map[string]lease
	// tombs and oddTombs hold the tombstones of compacted orders (retention.go).
	tombs    map[partition]*tombSet
	oddTombs map[ledger.OrderKey]ledger.Tombstone
}

type versioned[T any] struct {
	v   T
	ver int64
}

type quarantined struct {
	q   ledger.QuarantineEntry
	seq uint64
}

type lease struct {
	owner string
	until time.Time
}

var (
	_ ledger.Store             = (*Store)(nil)
	_ ledger.BatchOrderLedger  = (*Store)(nil)
	_ ledger.OrderDigester     = (*Store)(nil)
	_ ledger.OrderLister       = (*Store)(nil)
	_ ledger.BatchReservations = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{
		cursors:    map[string]versioned[string]{},
		orders:     map[partition]map[string]*stored[orderVal]{},
		pendingOrd: map[partition]*pendingQueue[orderVal]{},
		shipments:  map[string]*stored[*ledger.ShipmentRecord]{},
		pendingShp: map[string]*pendingQueue[*ledger.ShipmentRecord]{},
		levels:     map[string]map[string]inventory.Level{},
		reserved:   map[string]map[string]inventory.Reservation{},
		acked:      map[string]map[string]ledger.StockAck{},
		quarantine: map[string]quarantined{},
		leases:     map[string]lease{},
		tombs:      map[partition]*tombSet{},
		oddTombs:   map[ledger.OrderKey]ledger.Tombstone{},
	}
}

// GetCursor implements sync.CursorStore.
func (s *Store) GetCursor(ctx context.Context, name string) (string, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cursors[name]
	return c.v, c.ver, nil
}

// PutCursor implements sync.CursorStore.
func (s *Store) PutCursor(ctx context.Context, name, value string, version int64) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cursors[name].ver != version {
		return 0, ledger.ErrConflict
	}
	s.cursors[name] = versioned[string]{value, version + 1}
	return version + 1, nil
}

// GetOrder implements sync.OrderLedger.
func (s *Store) GetOrder(ctx context.Context, key ledger.OrderKey) (*ledger.OrderRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	e, ok := s.orders[partition{key.Merchant, key.Channel}][key.OrderID]
	var v orderVal
	if ok {
		v = e.rec
	}
	s.mu.Unlock()
	if !ok {
		return nil, ledger.ErrNotFound
	}
	// What a cell holds is never modified (putOrder): it can be copied or decoded unlocked.
	return v.own(key)
}

// PutOrder implements sync.OrderLedger.
func (s *Store) PutOrder(ctx context.Context, rec *ledger.OrderRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putOrder(rec, false)
}

// putOrder is PutOrder for callers holding s.mu. A cold record is packed (orderVal); any other
// is kept whole: with own, rec itself (the caller handed it over, as PutOrders does), otherwise
// a copy.
//
// Stored records are never modified in place: a write puts a new value in the key's cell, and
// readers get clones or decoded records, or (GetOrders) the whole record itself to read. So a
// record handed over or handed out may be read without the lock while later versions are
// written.
func (s *Store) putOrder(rec *ledger.OrderRecord, own bool) error {
	part := partition{rec.Key.Merchant, rec.Key.Channel}
	byID := s.orders[part]
	c, ok := byID[rec.Key.OrderID]
	if ok != (rec.Version != 0) {
		return ledger.ErrConflict
	}
	if ok {
		if v, err := c.rec.version(); err != nil {
			return err
		} else if v != rec.Version {
			return ledger.ErrConflict
		}
	}
	rec.Version++
	var val orderVal
	packed := false
	if cold(rec) {
		if s.packBuf, packed = packOrder(s.packBuf[:0], rec); packed {
			val.packed = string(s.packBuf)
		}
		if cap(s.packBuf) > 64<<10 {
			s.packBuf = nil // an outsized record: not kept for the next
		}
	}
	if !packed {
		if !own {
			rec = rec.Clone()
		}
		val.rec = rec
	}
	if !ok {
		if byID == nil {
			byID = map[string]*stored[orderVal]{}
			s.orders[part] = byID
		}
		c = &stored[orderVal]{}
		byID[rec.Key.OrderID] = c
	}
	c.rec = val
	markPending(s, s.pendingOrd, part, c, rec.Pending)
	return nil
}

// cold reports whether rec has no work pending: the engine does not read it again until
// something happens to its order (a shipment, a change on its channel, the host releasing a
// hold), and then once. The store packs cold records (sent and waiting for the shipment, held,
// shipped, cancelled, quarantined...), which are nearly every open order and every settled one
// kept for a retention period. It keeps the records with work pending whole, as the engine
// reads them on every delivery pass (PendingOrders). The reads that see most records, a page's
// and a sweep's listing them again, read digests (OrderDigests), which a packed record answers
// from its head without being decoded.
func cold(rec *ledger.OrderRecord) bool { return !rec.Pending }

// orderVal is one order record as the store holds it: packed (pack.go) when it is cold, at a
// quarter of the memory, unless it holds a time packing cannot keep exactly; whole (rec)
// otherwise.
type orderVal struct {
	rec    *ledger.OrderRecord
	packed string
}

// read returns the record v holds under key, to read: the store's own when it is whole,
// otherwise a decoded one.
func (v orderVal) read(key ledger.OrderKey) (*ledger.OrderRecord, error) {
	if v.rec != nil {
		return v.rec, nil
	}
	return unpackOrder(key, v.packed)
}

// own returns the record v holds under key as the caller's own: a clone of the whole record,
// or a decoded one.
func (v orderVal) own(key ledger.OrderKey) (*ledger.OrderRecord, error) {
	if v.rec != nil {
		return v.rec.Clone(), nil
	}
	return unpackOrder(key, v.packed)
}

func (v orderVal) version() (int64, error) {
	if v.rec != nil {
		return v.rec.Version, nil
	}
	return packedVersion(v.packed)
}

// head returns the record v holds under key to filter on: the whole record, or the head of the
// packed one (unpackHead) decoded into scratch.
func (v orderVal) head(key ledger.OrderKey, scratch *orderScratch) (*ledger.OrderRecord, error) {
	if v.rec != nil {
		return v.rec, nil
	}
	if err := unpackHead(key, v.packed, &scratch.rec, &scratch.o); err != nil {
		return nil, err
	}
	return &scratch.rec, nil
}

// orderScratch holds heads decoded one after the other while the store looks through records.
type orderScratch struct {
	rec ledger.OrderRecord
	o   order.Order
}

// stored holds the current version of a record, replaced on every write (the record itself is
// never modified), and the sequence number it was marked pending with (0 while it is not
// pending). A record keeps its number while it stays pending, so pending work is listed oldest
// first. The pending queues point at it, so listing and unmarking need no map lookup.
type stored[R any] struct {
	rec     R
	pending uint64
}

// partition names one channel of one merchant, whose pending orders are listed together.
type partition struct{ merchant, channel string }

// markPending brings the pending queue of the record's partition in line with pending.
func markPending[P comparable, R any](s *Store, index map[P]*pendingQueue[R], part P, c *stored[R], pending bool) {
	switch {
	case c.pending != 0 && !pending:
		c.pending = 0
		index[part].drop()
	case c.pending == 0 && pending:
		q := index[part]
		if q == nil {
			q = &pendingQueue[R]{}
			index[part] = q
		}
		s.seq++
		c.pending = s.seq
		q.live++
		q.queue = append(q.queue, pendingEntry[R]{c, s.seq})
	}
}

// pendingQueue lists the pending records of one partition oldest first, without sorting: in the
// order they were marked pending, each with its sequence number. An entry is live while its
// record is still pending with that number; the others linger until they reach the head or a
// compaction drops them.
type pendingQueue[R any] struct {
	live  int // live entries
	queue []pendingEntry[R]
}

type pendingEntry[R any] struct {
	c   *stored[R]
	seq uint64
}

func (e pendingEntry[R]) live() bool { return e.c.pending == e.seq }

// drop notes that one entry is no longer live.
func (q *pendingQueue[R]) drop() {
	q.live--
	// Work is usually finished oldest first: the head goes at once.
	for len(q.queue) > 0 && !q.queue[0].live() {
		q.queue[0] = pendingEntry[R]{}
		q.queue = q.queue[1:]
	}
	if len(q.queue) > 2*q.live+64 {
		q.queue = slices.DeleteFunc(slices.Clone(q.queue), func(e pendingEntry[R]) bool { return !e.live() })
	}
}

// oldest returns up to limit pending records of q (every one when limit <= 0), oldest first,
// each as f gives it.
func oldest[R, T any](q *pendingQueue[R], limit int, f func(R) T) []T {
	if q == nil {
		return []T{}
	}
	n := q.live
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]T, 0, n)
	for _, e := range q.queue {
		if len(out) == n {
			break
		}
		if e.live() {
			out = append(out, f(e.c.rec))
		}
	}
	return out
}

// GetOrders implements sync.BatchOrderLedger.
func (s *Store) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	// Made at the first record found: a page of new orders, the usual page, finds none.
	var (
		out    map[ledger.OrderKey]*ledger.OrderRecord
		packed []keyedVal
		part   partition
		byID   map[string]*stored[orderVal]
	)
	for i, k := range keys {
		// The keys of a page are usually of one partition: look it up once.
		if i == 0 || k.Merchant != part.merchant || k.Channel != part.channel {
			part = partition{k.Merchant, k.Channel}
			byID = s.orders[part]
		}
		if e, ok := byID[k.OrderID]; ok {
			if out == nil {
				out = make(map[ledger.OrderKey]*ledger.OrderRecord, len(keys)-i)
			}
			if e.rec.rec != nil {
				// Shared, as the interface allows: stored records are never modified.
				out[k] = e.rec.rec
			} else {
				packed = append(packed, keyedVal{k, e.rec})
			}
		}
	}
	s.mu.Unlock()
	// Packed strings are never modified either: they are decoded unlocked.
	for _, p := range packed {
		rec, err := p.v.read(p.key)
		if err != nil {
			return nil, err
		}
		out[p.key] = rec
	}
	return out, nil
}

// OrderDigests implements ledger.OrderDigester: the digest of a packed record is read from its
// head (unpackDigest), without decoding the rest.
func (s *Store) OrderDigests(ctx context.Context, keys []ledger.OrderKey) ([]ledger.OrderDigest, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		out  []ledger.OrderDigest // made at the first record found, as in GetOrders
		part partition
		byID map[string]*stored[orderVal]
		err  error
	)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		// The keys of a page are usually of one partition: look it up once.
		if i == 0 || k.Merchant != part.merchant || k.Channel != part.channel {
			part = partition{k.Merchant, k.Channel}
			byID = s.orders[part]
		}
		e, ok := byID[k.OrderID]
		if !ok {
			continue
		}
		if out == nil {
			out = make([]ledger.OrderDigest, len(keys))
		}
		if e.rec.rec != nil {
			out[i] = ledger.DigestOf(e.rec.rec)
		} else if out[i], err = unpackDigest(e.rec.packed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PutOrders implements sync.BatchOrderLedger. The batch takes the lock once, so it is also
// atomic here, which the interface does not promise. It keeps the records it writes without
// copying them, as the interface allows: the engine hands them over.
func (s *Store) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	errs := make([]error, len(recs))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rec := range recs {
		errs[i] = s.putOrder(rec, true)
	}
	return errs
}

// PendingOrders implements sync.OrderLedger.
func (s *Store) PendingOrders(ctx context.Context, merchant, channel string, limit int) ([]*ledger.OrderRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	out := oldest(s.pendingOrd[partition{merchant, channel}], limit, func(v orderVal) *ledger.OrderRecord {
		if v.rec == nil {
			err = errPacked // putOrder keeps pending records whole
			return nil
		}
		return v.rec.Clone()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// HeldOrders implements ledger.OrderLister. It reads every record of the merchant: the store is
// for tests, examples and small shops.
func (s *Store) HeldOrders(ctx context.Context, merchant string, after ledger.OrderKey, limit int) ([]*ledger.OrderRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	found, err := s.heldOrders(merchant, after)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b keyedVal) int {
		return cmp.Or(cmp.Compare(a.key.Channel, b.key.Channel), cmp.Compare(a.key.OrderID, b.key.OrderID))
	})
	return owned(found, limit)
}

// heldOrders finds the merchant's held records after the key after, in no order.
func (s *Store) heldOrders(merchant string, after ledger.OrderKey) ([]keyedVal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		found   []keyedVal
		scratch orderScratch
	)
	for part, byID := range s.orders {
		if part.merchant != merchant {
			continue
		}
		for id, e := range byID {
			if !(part.channel > after.Channel || part.channel == after.Channel && id > after.OrderID) {
				continue
			}
			k := ledger.OrderKey{Merchant: part.merchant, Channel: part.channel, OrderID: id}
			h, err := e.rec.head(k, &scratch)
			if err != nil {
				return nil, err
			}
			if h.State == ledger.StateHeld {
				found = append(found, keyedVal{k, e.rec})
			}
		}
	}
	return found, nil
}

// keyedVal is a record found under its key.
type keyedVal struct {
	key ledger.OrderKey
	v   orderVal
}

// owned returns the first limit records found (all when limit < 0) as the caller's own. It
// needs no lock: what a cell holds is never modified.
func owned(found []keyedVal, limit int) ([]*ledger.OrderRecord, error) {
	if limit >= 0 && len(found) > limit {
		found = found[:limit]
	}
	var out []*ledger.OrderRecord
	for _, f := range found {
		rec, err := f.v.own(f.key)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// OrdersByNumber implements ledger.OrderLister.
func (s *Store) OrdersByNumber(ctx context.Context, merchant, channel, number string, limit int) ([]*ledger.OrderRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		found   []keyedVal
		scratch orderScratch
	)
	s.mu.Lock()
	for id, e := range s.orders[partition{merchant, channel}] {
		k := ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id}
		h, err := e.rec.head(k, &scratch)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		if h.Order != nil && h.Order.Number == number {
			found = append(found, keyedVal{k, e.rec})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(found, func(a, b keyedVal) int { return cmp.Compare(a.key.OrderID, b.key.OrderID) })
	return owned(found, limit)
}

// GetShipment implements sync.ShipmentOutbox.
func (s *Store) GetShipment(ctx context.Context, id string) (*ledger.ShipmentRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.shipments[id]
	if !ok {
		return nil, ledger.ErrNotFound
	}
	return e.rec.Clone(), nil
}

// PutShipment implements sync.ShipmentOutbox.
func (s *Store) PutShipment(ctx context.Context, rec *ledger.ShipmentRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.shipments[rec.ID]
	if ok != (rec.Version != 0) || (ok && c.rec.Version != rec.Version) {
		return ledger.ErrConflict
	}
	rec.Version++
	if !ok {
		c = &stored[*ledger.ShipmentRecord]{}
		s.shipments[rec.ID] = c
	}
	c.rec = rec.Clone()
	markPending(s, s.pendingShp, rec.Merchant, c, rec.State == ledger.ShipmentPending)
	return nil
}

// PendingShipments implements sync.ShipmentOutbox.
func (s *Store) PendingShipments(ctx context.Context, merchant string, limit int) ([]*ledger.ShipmentRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return oldest(s.pendingShp[merchant], limit, (*ledger.ShipmentRecord).Clone), nil
}

// Levels implements sync.StockLedger.
func (s *Store) Levels(ctx context.Context, merchant string) ([]inventory.Level, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]inventory.Level, 0, len(s.levels[merchant]))
	for _, l := range s.levels[merchant] {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b inventory.Level) int { return cmp.Compare(a.SKU, b.SKU) })
	return out, nil
}

// PutLevels implements sync.StockLedger.
func (s *Store) PutLevels(ctx context.Context, merchant string, levels []inventory.Level) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := inner(s.levels, merchant, len(levels))
	for _, l := range levels {
		if old, ok := m[l.SKU]; ok && old.AsOf.After(l.AsOf) {
			continue
		}
		m[l.SKU] = l
	}
	return nil
}

// Reservations implements sync.StockLedger.
func (s *Store) Reservations(ctx context.Context, merchant string) ([]inventory.Reservation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]inventory.Reservation, 0, len(s.reserved[merchant]))
	for _, r := range s.reserved[merchant] {
		out = append(out, cloneReservation(r))
	}
	slices.SortFunc(out, func(a, b inventory.Reservation) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// inner returns outer's map for key, made (sized for n) on first use.
func inner[V any](outer map[string]map[string]V, key string, n int) map[string]V {
	m := outer[key]
	if m == nil {
		m = make(map[string]V, n)
		outer[key] = m
	}
	return m
}

func cloneReservation(r inventory.Reservation) inventory.Reservation {
	r.Items = slices.Clone(r.Items)
	r.Shipped = slices.Clone(r.Shipped)
	return r
}

// PutReservation implements sync.StockLedger.
func (s *Store) PutReservation(ctx context.Context, merchant string, r inventory.Reservation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := inner(s.reserved, merchant, 1)
	m[r.Key] = cloneReservation(r)
	return nil
}

// PutReservations implements sync.BatchReservations.
func (s *Store) PutReservations(ctx context.Context, merchant string, rs []inventory.Reservation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := inner(s.reserved, merchant, len(rs))
	for _, r := range rs {
		m[r.Key] = r // handed over (BatchReservations): Reservations hands out copies
	}
	return nil
}

// DeleteReservation implements sync.StockLedger.
func (s *Store) DeleteReservation(ctx context.Context, merchant, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.reserved[merchant], key)
	return nil
}

// Acked implements sync.StockLedger.
func (s *Store) Acked(ctx context.Context, merchant, channel string) (map[string]ledger.StockAck, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.acked[merchant+"\x00"+channel]
	out := make(map[string]ledger.StockAck, len(src))
	for k, v := range src {
		out[k] = cloneAck(v)
	}
	return out, nil
}

// PutAcked implements sync.StockLedger.
func (s *Store) PutAcked(ctx context.Context, merchant, channel string, values map[string]ledger.StockAck) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := merchant + "\x00" + channel
	m := inner(s.acked, k, len(values))
	for sku, v := range values {
		m[sku] = cloneAck(v)
	}
	return nil
}

// cloneAck copies a value with its compare value, so the store and its callers share nothing.
func cloneAck(a ledger.StockAck) ledger.StockAck {
	if a.Compare != nil {
		n := *a.Compare
		a.Compare = &n
	}
	return a
}

// PutQuarantine implements sync.QuarantineStore.
func (s *Store) PutQuarantine(ctx context.Context, q ledger.QuarantineEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.quarantine[q.ID].seq
	if seq == 0 {
		s.seq++
		seq = s.seq
	}
	q.Payload = slices.Clone(q.Payload)
	s.quarantine[q.ID] = quarantined{q, seq}
	return nil
}

// ListQuarantine implements sync.QuarantineStore.
func (s *Store) ListQuarantine(ctx context.Context, merchant string) ([]ledger.QuarantineEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []quarantined
	for _, q := range s.quarantine {
		if merchant == "" || q.q.Merchant == merchant {
			all = append(all, q)
		}
	}
	slices.SortFunc(all, func(a, b quarantined) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]ledger.QuarantineEntry, len(all))
	for i, q := range all {
		out[i] = q.q
		out[i].Payload = slices.Clone(q.q.Payload)
	}
	return out, nil
}

// DeleteQuarantine implements sync.QuarantineStore.
func (s *Store) DeleteQuarantine(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.quarantine, id)
	return nil
}

// AcquireLease implements sync.LeaseStore.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[name]
	if ok && l.owner != owner && now.Before(l.until) {
		return false, nil
	}
	s.leases[name] = lease{owner, now.Add(ttl)}
	return true, nil
}

// ReleaseLease implements sync.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.owner == owner {
		delete(s.leases, name)
	}
	return nil
}
