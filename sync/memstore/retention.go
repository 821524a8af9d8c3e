package memstore

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var _ ledger.Compactor = (*Store)(nil)

// tomb is a ledger.Tombstone packed for memory: the fingerprint as the 16 bytes its 32 hex
// digits spell, and the order's UpdatedAt in Unix nanoseconds with the status's code in its low
// three bits (channels stamp times in seconds or milliseconds, so those bits are zero). A
// tombstone that does not fit (another fingerprint form, a status of its own, a time outside what
// nanoseconds hold or not a multiple of 8 ns) is kept whole in Store.oddTombs instead.
type tomb struct {
	fp [16]byte
	at int64
}

var statusCodes = []order.Status{"", order.StatusPending, order.StatusOpen, order.StatusCancelled, order.StatusClosed}

// zeroAt stands for the zero time, which Unix nanoseconds cannot hold.
const zeroAt = -1 << 63

func packTomb(t ledger.Tombstone) (tomb, bool) {
	var p tomb
	if len(t.Fingerprint) != 2*len(p.fp) {
		return p, false
	}
	if _, err := hex.Decode(p.fp[:], []byte(t.Fingerprint)); err != nil || hex.EncodeToString(p.fp[:]) != t.Fingerprint {
		return p, false // not lower-case hex: it would not come back the same
	}
	code := slices.Index(statusCodes, t.Status)
	if code < 0 {
		return p, false
	}
	switch {
	case t.UpdatedAt.IsZero():
		p.at = zeroAt
	case t.UpdatedAt.Year() < 1678 || t.UpdatedAt.Year() > 2261:
		return p, false
	default:
		p.at = t.UpdatedAt.UnixNano()
		if p.at&7 != 0 || p.at == zeroAt {
			return p, false
		}
	}
	p.at |= int64(code)
	return p, true
}

func (p tomb) unpack(k ledger.OrderKey) ledger.Tombstone {
	t := ledger.Tombstone{Key: k, Fingerprint: hex.EncodeToString(p.fp[:]), Status: statusCodes[p.at&7]}
	if at := p.at &^ 7; at != zeroAt {
		t.UpdatedAt = time.Unix(0, at).UTC()
	}
	return t
}

// tombSet holds one partition's packed tombstones: most in a slice sorted by order ID (40 bytes
// each, plus the ID's own), the latest in a map until there are enough of them to merge into
// the slice, so that compacting costs no more than a sort per many records.
type tombSet struct {
	sorted []tombEntry
	recent map[string]tomb
}

type tombEntry struct {
	id string
	t  tomb
}

func (ts *tombSet) find(id string) (int, bool) {
	return slices.BinarySearchFunc(ts.sorted, id, func(e tombEntry, id string) int { return strings.Compare(e.id, id) })
}

func (ts *tombSet) get(id string) (tomb, bool) {
	if t, ok := ts.recent[id]; ok {
		return t, true
	}
	if i, ok := ts.find(id); ok {
		return ts.sorted[i].t, true
	}
	return tomb{}, false
}

func (ts *tombSet) put(id string, t tomb) {
	if i, ok := ts.find(id); ok {
		ts.sorted[i].t = t
		return
	}
	if ts.recent == nil {
		ts.recent = map[string]tomb{}
	}
	ts.recent[id] = t
	if len(ts.recent) > 256+len(ts.sorted)/16 {
		ts.merge()
	}
}

func (ts *tombSet) remove(id string) {
	delete(ts.recent, id)
	if i, ok := ts.find(id); ok {
		ts.sorted = slices.Delete(ts.sorted, i, i+1)
	}
}

// merge moves the recent tombstones into the sorted slice.
func (ts *tombSet) merge() {
	add := make([]tombEntry, 0, len(ts.recent))
	for id, t := range ts.recent {
		add = append(add, tombEntry{id, t})
	}
	slices.SortFunc(add, func(a, b tombEntry) int { return strings.Compare(a.id, b.id) })
	out := make([]tombEntry, 0, len(ts.sorted)+len(add))
	i, j := 0, 0
	for i < len(ts.sorted) && j < len(add) {
		if ts.sorted[i].id < add[j].id {
			out = append(out, ts.sorted[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	out = append(append(out, ts.sorted[i:]...), add[j:]...)
	ts.sorted, ts.recent = out, nil
}

// putTomb records t, replacing the tombstone of its key. Callers hold s.mu.
func (s *Store) putTomb(t ledger.Tombstone) {
	part := partition{t.Key.Merchant, t.Key.Channel}
	ts := s.tombs[part]
	if ts == nil {
		ts = &tombSet{}
		s.tombs[part] = ts
	}
	if p, ok := packTomb(t); ok {
		ts.put(t.Key.OrderID, p)
		delete(s.oddTombs, t.Key)
		return
	}
	ts.remove(t.Key.OrderID)
	s.oddTombs[t.Key] = ownStrings(t)
}

// CompactOrders implements ledger.Compactor. It holds the lock while it looks through the
// merchant's records, so a host with a large book compacts with a limit, a batch at a time
// (Engine.Compact does).
func (s *Store) CompactOrders(ctx context.Context, merchant string, settledBefore time.Time, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Orders with a shipment still on its way to the channel stay.
	type ref struct{ channel, id string }
	var shipping map[ref]bool
	if q := s.pendingShp[merchant]; q != nil && q.live > 0 {
		shipping = make(map[ref]bool, q.live)
		for _, rec := range oldest(q, 0, func(r *ledger.ShipmentRecord) *ledger.ShipmentRecord { return r }) {
			shipping[ref{rec.Shipment.Channel, rec.Shipment.OrderID}] = true
		}
	}
	n := 0
	var scratch orderScratch
	for part, byID := range s.orders {
		if part.merchant != merchant {
			continue
		}
		for id, c := range byID {
			if limit > 0 && n >= limit {
				return n, nil
			}
			rec, err := c.rec.head(ledger.OrderKey{Merchant: part.merchant, Channel: part.channel, OrderID: id}, &scratch)
			if err != nil {
				return n, err
			}
			if !rec.Settled() || !rec.UpdatedAt.Before(settledBefore) || shipping[ref{part.channel, id}] {
				continue
			}
			s.putTomb(ledger.TombstoneOf(rec))
			delete(byID, id)
			c.rec = orderVal{} // a stale entry of a pending queue may still point at the cell
			n++
		}
		if len(byID) == 0 {
			delete(s.orders, part)
		}
	}
	return n, nil
}

// Tombstones implements ledger.Compactor.
func (s *Store) Tombstones(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]ledger.Tombstone, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Made at the first tombstone found: the keys a page asks about are usually new orders.
	var out map[ledger.OrderKey]ledger.Tombstone
	add := func(k ledger.OrderKey, t ledger.Tombstone) {
		if out == nil {
			out = map[ledger.OrderKey]ledger.Tombstone{}
		}
		out[k] = t
	}
	for _, k := range keys {
		if ts := s.tombs[partition{k.Merchant, k.Channel}]; ts != nil {
			if p, ok := ts.get(k.OrderID); ok {
				add(k, p.unpack(k))
				continue
			}
		}
		if t, ok := s.oddTombs[k]; ok {
			add(k, t)
		}
	}
	return out, nil
}
