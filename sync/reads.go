// Reading the order ledger: single and batched reads, and the host's view of one record.

package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Order returns the ledger record of one order. The record is the caller's, all of it: records
// in the store share the parts that are never modified in place, so the host gets copies of its
// own to read and change as it likes.
func (e *Engine) Order(ctx context.Context, k ledger.OrderKey) (*ledger.OrderRecord, error) {
	rec, err := e.getOrder(ctx, k)
	if err != nil {
		return nil, err
	}
	for i := range rec.Requests {
		rec.Requests[i].Lines = slices.Clone(rec.Requests[i].Lines)
	}
	for i := range rec.Shipments {
		rec.Shipments[i].Lines = maps.Clone(rec.Shipments[i].Lines)
	}
	o := *rec.Order
	o.Lines = slices.Clone(o.Lines)
	for i := range o.Lines {
		o.Lines[i].Refs = maps.Clone(o.Lines[i].Refs)
	}
	if o.Gift != nil {
		g := *o.Gift
		o.Gift = &g
	}
	o.Refs = maps.Clone(o.Refs)
	rec.Order = &o
	return rec, nil
}

// getOrders is the Store's GetOrders, refusing a record without its order.
func getOrders(ctx context.Context, bl ledger.BatchOrderLedger, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	recs, err := bl.GetOrders(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if err := requireOrder(rec); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// getOrder is the Store's GetOrder, refusing a record without its order.
func (e *Engine) getOrder(ctx context.Context, k ledger.OrderKey) (*ledger.OrderRecord, error) {
	rec, err := e.store.GetOrder(ctx, k)
	if err == nil {
		err = requireOrder(rec)
	}
	return rec, err
}

// requireOrder refuses a record a store returned without its order: a broken store is an error,
// never a panic.
func requireOrder(rec *ledger.OrderRecord) error {
	if rec.Order != nil {
		return nil
	}
	return fmt.Errorf("tobira/sync: the store returned the record of %s without its order", rec.Key)
}

// OrdersByNumber finds a channel's orders by the number people see (#1001), which on some
// platforms differs from the order ID the ledger is keyed by (Shopify's IDs are GIDs), up to
// limit. It needs a store that lists (ledger.OrderLister, which memstore and sqlstore
// implement); with another it returns an error wrapping errors.ErrUnsupported.
func (e *Engine) OrdersByNumber(ctx context.Context, merchantID, channel, number string, limit int) ([]*ledger.OrderRecord, error) {
	ol, ok := e.store.(ledger.OrderLister)
	if !ok {
		return nil, fmt.Errorf("tobira/sync: the store cannot find orders by number (ledger.OrderLister): %w", errors.ErrUnsupported)
	}
	recs, err := ol.OrdersByNumber(ctx, merchantID, channel, number, limit)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if err := requireOrder(rec); err != nil {
			return nil, err
		}
	}
	return recs, nil
}
