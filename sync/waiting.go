// What waits: a merchant's held orders and the orders not yet at their warehouses, across its
// channels, for the host's view of open work.

package sync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// HeldOrders lists a merchant's held orders of every channel (held by the host, by a channel's
// hold policy, or until their delivery date comes near), by channel then order ID: up to limit,
// starting after the key after (the zero key starts at the first; pass the last key returned to
// read the next page). Each record says why (HoldReason); the records are the caller's.
//
// It needs a store that lists by state (ledger.OrderLister, which memstore and sqlstore
// implement); with another it returns an error wrapping errors.ErrUnsupported.
func (e *Engine) HeldOrders(ctx context.Context, merchantID string, after ledger.OrderKey, limit int) ([]*ledger.OrderRecord, error) {
	ol, ok := e.store.(ledger.OrderLister)
	if !ok {
		return nil, fmt.Errorf("tobira/sync: the store cannot list held orders (ledger.OrderLister): %w", errors.ErrUnsupported)
	}
	recs, err := ol.HeldOrders(ctx, merchantID, after, limit)
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

// Unsent is a merchant's orders with work not yet done at a warehouse.
type Unsent struct {
	// Orders are the records with work waiting for a warehouse (a new order, a change or a
	// cancellation), of every channel, oldest first: at most the limit asked for, and at most
	// that many per channel read. Held orders are not among them (HeldOrders).
	Orders []*ledger.OrderRecord
	// Oldest is how long the oldest of them has waited since the engine recorded the version
	// waiting; zero when none waits.
	Oldest time.Duration
}

// UnsentOrders lists a merchant's orders not yet at their warehouses across its channels, with
// the age of the oldest: a warehouse that is down, a channel stopped for credentials, or a run
// that has not come yet. It works with every store.
func (e *Engine) UnsentOrders(ctx context.Context, merchantID string, limit int) (Unsent, error) {
	var out Unsent
	m, err := e.merchant(merchantID)
	if err != nil {
		return out, err
	}
	for _, c := range m.cfg.Channels {
		recs, err := e.store.PendingOrders(ctx, merchantID, c.ID, limit)
		if err != nil {
			return out, err
		}
		for _, rec := range recs {
			if err := requireOrder(rec); err != nil {
				return out, err
			}
			if rec.State != ledger.StateHeld && rec.State != ledger.StateQuarantined {
				out.Orders = append(out.Orders, rec)
			}
		}
	}
	slices.SortFunc(out.Orders, func(a, b *ledger.OrderRecord) int {
		return cmp.Or(a.UpdatedAt.Compare(b.UpdatedAt), cmp.Compare(a.Key.Channel, b.Key.Channel), cmp.Compare(a.Key.OrderID, b.Key.OrderID))
	})
	if len(out.Orders) > 0 {
		out.Oldest = max(e.opt.Clock.Now().Sub(out.Orders[0].UpdatedAt), 0)
	}
	if limit >= 0 && len(out.Orders) > limit {
		out.Orders = out.Orders[:limit]
	}
	return out, nil
}

// UnconfirmedShipments lists a merchant's shipments that left a warehouse more than olderThan ago
// and that no channel has confirmed yet, oldest first, up to limit: a channel that is down or
// refuses them, or a run that has not come. Shipments held until the whole order ships are not
// listed. The records are the caller's.
func (e *Engine) UnconfirmedShipments(ctx context.Context, merchantID string, olderThan time.Duration, limit int) ([]*ledger.ShipmentRecord, error) {
	if _, err := e.merchant(merchantID); err != nil {
		return nil, err
	}
	recs, err := e.store.PendingShipments(ctx, merchantID, limit)
	if err != nil {
		return nil, err
	}
	cutoff := e.opt.Clock.Now().Add(-olderThan)
	out := recs[:0:0]
	for _, r := range recs {
		if r.CreatedAt.Before(cutoff) {
			out = append(out, r.Clone())
		}
	}
	return out, nil
}
