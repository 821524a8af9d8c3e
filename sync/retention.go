// Retention: compacting settled orders to tombstones, and recognising a compacted order when a
// channel lists it again.

package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// compactBatch is how many records Compact asks the store to compact per call.
const compactBatch = 500

// Compact compacts the merchant's orders that settled (shipped with every shipment confirmed to
// its channel, or cancelled; a refusal ends in one of the two) and have not changed for at least
// olderThan, by the engine's clock, into tombstones (ledger.Compactor), and returns how many it
// compacted. The host calls it from its scheduler, say daily, with its retention period, so
// that the ledger follows open work rather than history. The merchant need not be configured
// any more: a departed merchant's ledger compacts too.
//
// A compacted order is gone from Order, HeldOrders and the console, but intake still recognises
// it: listed again with the content and status the tombstone recorded (a late status change on
// the channel, such as "closed", a sweep, a duplicate webhook), it is unchanged, and an older
// version is ignored as ever. Listed with another content, or cancelled after it shipped (or
// reopened after it was cancelled), it is quarantined with a reason saying so, never imported
// again: the ledger no longer knows what its warehouse did, and sending it as new would ship it
// twice. Such an entry is for the host to handle by hand and dismiss; Retry quarantines it again,
// and so does each later listing of that version (the entry is replaced, and ItemQuarantined
// raised again), since the tombstone records nothing of it.
// A shipment reported for a compacted order is quarantined as one for an unknown order.
//
// Compaction runs beside the flows, on any replica: the store moves a record only at the version
// it judged settled, so an order that changes meanwhile keeps its record. It works in batches and
// may be interrupted at any point (a crash, ctx): what it moved is moved, the rest is moved by
// the next call. On a store without ledger.Compactor it returns an error wrapping
// errors.ErrUnsupported.
func (e *Engine) Compact(ctx context.Context, merchantID string, olderThan time.Duration) (n int, err error) {
	defer e.logRun(ctx, "compact", merchantID, "", "", e.opt.Clock.Now(), &err, func() []any { return []any{"compacted", n} })
	cp, ok := e.store.(ledger.Compactor)
	if !ok {
		return 0, fmt.Errorf("tobira/sync: the store cannot compact orders (ledger.Compactor): %w", errors.ErrUnsupported)
	}
	if olderThan < 0 {
		return 0, fmt.Errorf("tobira/sync: Compact: negative retention period %v", olderThan)
	}
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	before := e.opt.Clock.Now().Add(-olderThan)
	for {
		k, err := cp.CompactOrders(ctx, merchantID, before, compactBatch)
		n += k
		if err != nil || k < compactBatch {
			return n, err
		}
		if e.closing() {
			return n, nil
		}
	}
}

// tombstonesOf returns the tombstones of the keys recs has no record of, when the store keeps
// tombstones; nil otherwise.
func (e *Engine) tombstonesOf(ctx context.Context, keys []ledger.OrderKey, recs map[ledger.OrderKey]*ledger.OrderRecord) (map[ledger.OrderKey]ledger.Tombstone, error) {
	cp, ok := e.store.(ledger.Compactor)
	if !ok || len(recs) == len(keys) {
		return nil, nil
	}
	if len(recs) == 0 {
		return cp.Tombstones(ctx, keys) // a page of new orders: every key
	}
	var missing []ledger.OrderKey
	for _, k := range keys {
		if _, ok := recs[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return cp.Tombstones(ctx, missing)
}

// tombstone returns the tombstone of k, if the store keeps tombstones and has one.
func (e *Engine) tombstone(ctx context.Context, k ledger.OrderKey) (*ledger.Tombstone, error) {
	cp, ok := e.store.(ledger.Compactor)
	if !ok {
		return nil, nil
	}
	ts, err := cp.Tombstones(ctx, []ledger.OrderKey{k})
	if t, ok := ts[k]; ok && err == nil {
		return &t, nil
	}
	return nil, err
}

// relisted is intake for an order the ledger holds only as a tombstone: no news, or quarantine.
func (e *Engine) relisted(ctx context.Context, k ledger.OrderKey, t *ledger.Tombstone, o *order.Order, res *OrdersRun) error {
	if reason := compactedChange(t, o); reason != "" {
		if err := e.quarantineOrder(ctx, k, o, reason); err != nil {
			return err
		}
		res.Quarantined++
		return nil
	}
	res.Unchanged++
	return nil
}

// compactedChange says why o is news against the tombstone of its settled order, or "".
func compactedChange(t *ledger.Tombstone, o *order.Order) string {
	if !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(t.UpdatedAt) {
		return "" // an older version than the one recorded
	}
	const why = "; the ledger compacted the settled order (Engine.Compact) and no longer knows what its warehouse did, so it is not imported again: handle it by hand, then dismiss this entry"
	wasCancelled, cancelled := t.Status == order.StatusCancelled, o.Status == order.StatusCancelled
	switch {
	case cancelled && !wasCancelled:
		return "order cancelled on the channel after it shipped" + why
	case wasCancelled && !cancelled:
		return fmt.Sprintf("cancelled order listed again as %q", o.Status) + why
	case o.Fingerprint() != t.Fingerprint:
		return "order changed on the channel after it settled" + why
	}
	return ""
}
