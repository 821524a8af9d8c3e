package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// LedgerRow returns the row the store holds for rec, so that a benchmark can bulk-load rows the
// store could have written: with tombstone false, rec's row in <prefix>orders as PutOrder leaves
// it at version rec.Version (a record that is not pending has no pending_seq); with tombstone
// true, the row CompactOrders leaves in <prefix>tombstones. table has no prefix. This is the only
// place the bulk loader depends on the store's encoding.
func LedgerRow(rec *ledger.OrderRecord, tombstone bool) (table string, cols []string, vals []any, err error) {
	k := rec.Key
	if tombstone {
		t := ledger.TombstoneOf(rec)
		return "tombstones", []string{"merchant", "channel", "order_id", "fingerprint", "status", "updated_at"},
			[]any{k.Merchant, k.Channel, k.OrderID, t.Fingerprint, string(t.Status), formatTime(t.UpdatedAt)}, nil
	}
	if rec.Pending || rec.Version < 1 {
		return "", nil, nil, fmt.Errorf("LedgerRow: %v is pending or unwritten (version %d)", k, rec.Version)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return "", nil, nil, err
	}
	return "orders", []string{"merchant", "channel", "order_id", "version", "pending_seq", "data"},
		[]any{k.Merchant, k.Channel, k.OrderID, rec.Version, nil, string(data)}, nil
}
