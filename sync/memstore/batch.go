package memstore

import (
	"context"
	"fmt"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

var _ ledger.ReservingOrderLedger = (*Store)(nil)

// PutOrdersReserving implements ledger.ReservingOrderLedger under one lock, keeping the records
// and reservations it is handed, as PutOrders and PutReservations do.
func (s *Store) PutOrdersReserving(ctx context.Context, recs []*ledger.OrderRecord, rs []ledger.ReservationChange) []error {
	errs := make([]error, len(recs))
	fail := ctx.Err()
	if fail == nil && rs != nil && len(rs) != len(recs) {
		fail = fmt.Errorf("memstore: PutOrdersReserving given %d reservation changes for %d records", len(rs), len(recs))
	}
	if fail != nil {
		for i := range errs {
			errs[i] = fail
		}
		return errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rec := range recs {
		if errs[i] = s.putOrder(rec, true); errs[i] != nil || rs == nil {
			continue
		}
		switch c := rs[i]; {
		case c.Delete != "":
			delete(s.reserved[rec.Key.Merchant], c.Delete)
		case c.Put.Key != "":
			inner(s.reserved, rec.Key.Merchant, 1)[c.Put.Key] = c.Put
		}
	}
	return errs
}
