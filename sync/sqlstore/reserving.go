package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

var _ ledger.ReservingOrderLedger = (*Store)(nil)

// PutOrdersReserving implements ledger.ReservingOrderLedger. On PostgreSQL each of PutOrders'
// statements also writes the reservation changes of the records it writes (one statement with
// data-modifying common table expressions: atomic, one commit); elsewhere, and for a batch that
// repeats a key, the records and then their changes are written in one transaction.
func (s *Store) PutOrdersReserving(ctx context.Context, recs []*ledger.OrderRecord, rs []ledger.ReservationChange) []error {
	if rs != nil && len(rs) != len(recs) {
		errs := make([]error, len(recs))
		for i := range errs {
			errs[i] = fmt.Errorf("sqlstore: PutOrdersReserving given %d reservation changes for %d records", len(rs), len(recs))
		}
		return errs
	}
	return s.putOrders(ctx, recs, rs)
}

// applyReservation applies one change inside the caller's transaction.
func (s *Store) applyReservation(ctx context.Context, ex execer, merchant string, c ledger.ReservationChange) error {
	switch {
	case c.Delete != "":
		_, err := ex.ExecContext(ctx, s.q.delReservation, merchant, c.Delete)
		return wrap("delete reservation", err)
	case c.Put.Key != "":
		data, err := json.Marshal(c.Put)
		if err != nil {
			return fmt.Errorf("sqlstore: encode reservation: %w", err)
		}
		_, err = ex.ExecContext(ctx, s.q.putReservation, merchant, c.Put.Key, string(data))
		return wrap("put reservation", err)
	}
	return nil
}

// distinctReservations reports whether no two changes name the same reservation, which one
// PostgreSQL statement could not apply both of.
func distinctReservations(changes []ledger.ReservationChange) bool {
	seen := make(map[string]bool, len(changes))
	for _, c := range changes {
		k := c.Delete
		if k == "" {
			k = c.Put.Key
		}
		if k == "" {
			continue
		}
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// pgWithReservations extends stmt, an insert or update of order rows that returns the keys it
// wrote, with the reservation changes of the records idx: an upsert of those to put and a delete
// of those to remove, each joined to the rows written, so that a record refused changes nothing.
// Without changes it returns stmt as it is.
func (s *Store) pgWithReservations(stmt string, args []any, recs []*ledger.OrderRecord, idx []int, changes []ledger.ReservationChange) (string, []any, error) {
	if changes == nil {
		return stmt, args, nil
	}
	var (
		pm, pc, po, pk, pd pgArray
		dm, dc, do, dk     pgArray
		puts, dels         bool
	)
	for _, i := range idx {
		c, k := changes[i], recs[i].Key
		switch {
		case c.Delete != "":
			dels = true
			dm.text(k.Merchant)
			dc.text(k.Channel)
			do.text(k.OrderID)
			dk.text(c.Delete)
		case c.Put.Key != "":
			data, err := json.Marshal(c.Put)
			if err != nil {
				return "", nil, fmt.Errorf("sqlstore: encode reservation: %w", err)
			}
			puts = true
			pm.text(k.Merchant)
			pc.text(k.Channel)
			po.text(k.OrderID)
			pk.text(c.Put.Key)
			pd.text(string(data))
		}
	}
	if !puts && !dels {
		return stmt, args, nil
	}
	// Placeholders are numbered in the order they appear, so the arguments follow the text:
	// the statement's, then the puts', then the deletes'.
	var q strings.Builder
	q.WriteString("WITH w AS (" + stmt + ")")
	if puts {
		q.WriteString(", r AS (INSERT INTO " + s.prefix + "reservations (merchant, rkey, data)" +
			" SELECT v.merchant, v.rkey, v.data FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::json[]) AS v (merchant, channel, order_id, rkey, data)" +
			" JOIN w ON w.merchant = v.merchant AND w.channel = v.channel AND w.order_id = v.order_id" +
			" ON CONFLICT (merchant, rkey) DO UPDATE SET data = excluded.data)")
		args = append(args, pm.String(), pc.String(), po.String(), pk.String(), pd.String())
	}
	if dels {
		q.WriteString(", d AS (DELETE FROM " + s.prefix + "reservations AS x USING unnest(?::text[], ?::text[], ?::text[], ?::text[]) AS v (merchant, channel, order_id, rkey)" +
			" JOIN w ON w.merchant = v.merchant AND w.channel = v.channel AND w.order_id = v.order_id" +
			" WHERE x.merchant = v.merchant AND x.rkey = v.rkey)")
		args = append(args, dm.String(), dc.String(), do.String(), dk.String())
	}
	q.WriteString(" SELECT merchant, channel, order_id FROM w")
	return q.String(), args, nil
}
