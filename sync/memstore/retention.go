package memstore

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var _ ledger.Compactor = (*Store)(nil)

// tomb is a ledger.Tombstone packed for memory: the fingerprint as the 16 bytes its 32 hex
// digits spell, the order's UpdatedAt in Unix nanoseconds, the status as a code. A tombstone that
// does not fit (another fingerprint form, a status of its own, a time outside what nanoseconds
// hold) is kept whole in Store.oddTombs instead.
type tomb struct {
	fp     [16]byte
	at     int64
	status uint8
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
	code := -1
	for i, s := range statusCodes {
		if s == t.Status {
			code = i
		}
	}
	if code < 0 {
		return p, false
	}
	p.status = uint8(code)
	switch {
	case t.UpdatedAt.IsZero():
		p.at = zeroAt
	case t.UpdatedAt.Year() < 1678 || t.UpdatedAt.Year() > 2261:
		return p, false
	default:
		p.at = t.UpdatedAt.UnixNano()
	}
	return p, true
}

func (p tomb) unpack(k ledger.OrderKey) ledger.Tombstone {
	t := ledger.Tombstone{Key: k, Fingerprint: hex.EncodeToString(p.fp[:]), Status: statusCodes[p.status]}
	if p.at != zeroAt {
		t.UpdatedAt = time.Unix(0, p.at).UTC()
	}
	return t
}

// putTomb records t, replacing the tombstone of its key. Callers hold s.mu.
func (s *Store) putTomb(t ledger.Tombstone) {
	part := partition{t.Key.Merchant, t.Key.Channel}
	if p, ok := packTomb(t); ok {
		m := s.tombs[part]
		if m == nil {
			m = map[string]tomb{}
			s.tombs[part] = m
		}
		m[t.Key.OrderID] = p
		delete(s.oddTombs, t.Key)
		return
	}
	delete(s.tombs[part], t.Key.OrderID)
	s.oddTombs[t.Key] = t
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
		for _, rec := range q.oldest(0) {
			shipping[ref{rec.Shipment.Channel, rec.Shipment.OrderID}] = true
		}
	}
	n := 0
	for part, byID := range s.orders {
		if part.merchant != merchant {
			continue
		}
		for id, c := range byID {
			if limit > 0 && n >= limit {
				return n, nil
			}
			rec := c.rec
			if !rec.Settled() || !rec.UpdatedAt.Before(settledBefore) || shipping[ref{part.channel, id}] {
				continue
			}
			s.putTomb(ledger.TombstoneOf(rec))
			delete(byID, id)
			c.rec = nil // a stale entry of a pending queue may still point at the cell
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
	out := map[ledger.OrderKey]ledger.Tombstone{}
	for _, k := range keys {
		if p, ok := s.tombs[partition{k.Merchant, k.Channel}][k.OrderID]; ok {
			out[k] = p.unpack(k)
		} else if t, ok := s.oddTombs[k]; ok {
			out[k] = t
		}
	}
	return out, nil
}
