package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var _ ledger.Compactor = (*Store)(nil)

// compactScan is how many rows CompactOrders reads at a time, and so the most records one of its
// transactions moves.
const compactScan = 200

// CompactOrders implements ledger.Compactor. It reads the merchant's records that are not pending
// along the primary key, compactScan rows at a time, and moves the settled ones of each page in
// one short transaction: the tombstone is written (replacing an older one), and the record is
// deleted only at the version it was judged settled at; a record changed in between keeps its
// row, and its new tombstone is removed again in the same transaction. A transaction touches at
// most compactScan rows, so intake waits on it for milliseconds at most. A crash rolls the
// page's transaction back: each record is then either moved or untouched.
func (s *Store) CompactOrders(ctx context.Context, merchant string, settledBefore time.Time, limit int) (int, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return 0, err
	}
	// Orders with a shipment still on its way to the channel stay.
	pending, err := s.PendingShipments(ctx, merchant, 0)
	if err != nil {
		return 0, err
	}
	type ref struct{ channel, id string }
	shipping := make(map[ref]bool, len(pending))
	for _, p := range pending {
		shipping[ref{p.Shipment.Channel, p.Shipment.OrderID}] = true
	}
	scan := s.dialect.rebind("SELECT version, data FROM " + s.prefix + "orders WHERE merchant = ? AND pending_seq IS NULL" +
		" AND (channel > ? OR (channel = ? AND order_id > ?)) ORDER BY channel, order_id LIMIT ?")
	var after ledger.OrderKey
	n := 0
	for limit <= 0 || n < limit {
		rows, err := s.db.QueryContext(ctx, scan, merchant, after.Channel, after.Channel, after.OrderID, compactScan)
		if err != nil {
			return n, wrap("compact orders", err)
		}
		var due []*ledger.OrderRecord
		read := 0
		for rows.Next() {
			read++
			var version int64
			var data []byte
			if err := rows.Scan(&version, &data); err != nil {
				rows.Close()
				return n, wrap("compact orders", err)
			}
			rec, err := decodeOrder(version, data)
			if err != nil {
				rows.Close()
				return n, err
			}
			after = rec.Key
			if rec.Settled() && rec.UpdatedAt.Before(settledBefore) && !shipping[ref{rec.Key.Channel, rec.Key.OrderID}] &&
				(limit <= 0 || n+len(due) < limit) {
				due = append(due, rec)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return n, wrap("compact orders", err)
		}
		if len(due) > 0 {
			moved, err := s.compact(ctx, due)
			if err != nil {
				return n, err
			}
			n += moved
		}
		if read < compactScan {
			break
		}
	}
	return n, nil
}

// compact moves recs to tombstones in one transaction and returns how many it moved.
func (s *Store) compact(ctx context.Context, recs []*ledger.OrderRecord) (int, error) {
	p, d := s.prefix, s.dialect
	putTomb := d.rebind(d.upsert("INSERT INTO "+p+"tombstones (merchant, channel, order_id, fingerprint, status, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		"merchant, channel, order_id", "fingerprint", "status", "updated_at"))
	delOrder := d.rebind("DELETE FROM " + p + "orders WHERE merchant = ? AND channel = ? AND order_id = ? AND version = ?")
	delTomb := d.rebind("DELETE FROM " + p + "tombstones WHERE merchant = ? AND channel = ? AND order_id = ?")
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrap("compact orders", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op; before, the error is the one returned
	moved := 0
	for _, rec := range recs {
		t, k := ledger.TombstoneOf(rec), rec.Key
		if _, err := tx.ExecContext(ctx, putTomb, k.Merchant, k.Channel, k.OrderID, t.Fingerprint, string(t.Status), formatTime(t.UpdatedAt)); err != nil {
			return 0, wrap("compact orders", err)
		}
		res, err := tx.ExecContext(ctx, delOrder, k.Merchant, k.Channel, k.OrderID, rec.Version)
		if err == nil {
			err = oneRow(res)
		}
		switch {
		case err == nil:
			moved++
		case errors.Is(err, ledger.ErrConflict):
			// Changed since it was read: the record stays, and so must not have a tombstone.
			if _, err := tx.ExecContext(ctx, delTomb, k.Merchant, k.Channel, k.OrderID); err != nil {
				return 0, wrap("compact orders", err)
			}
		default:
			return 0, wrap("compact orders", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, wrap("compact orders", err)
	}
	for _, rec := range recs {
		s.cache.forget(rec.Key)
	}
	return moved, nil
}

// Tombstones implements ledger.Compactor, one query per merchant and channel (and per
// batchChunk keys).
func (s *Store) Tombstones(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]ledger.Tombstone, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	out := map[ledger.OrderKey]ledger.Tombstone{}
	err := byChannel(keys, func(merchant, channel string, ids []string) error {
		return s.tombstones(ctx, merchant, channel, ids, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) tombstones(ctx context.Context, merchant, channel string, ids []string, out map[ledger.OrderKey]ledger.Tombstone) error {
	query, args := s.keyRows("tombstones", []string{"fingerprint", "status", "updated_at"}, merchant, channel, ids)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return wrap("tombstones", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, fp, status, at string
		if err := rows.Scan(&id, &fp, &status, &at); err != nil {
			return wrap("tombstones", err)
		}
		t, err := time.Parse(timeLayout, at)
		if err != nil {
			return fmt.Errorf("sqlstore: tombstone time %q: %w", at, err)
		}
		k := ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id}
		out[k] = ledger.Tombstone{Key: k, Fingerprint: fp, Status: order.Status(status), UpdatedAt: t}
	}
	return wrap("tombstones", rows.Err())
}
