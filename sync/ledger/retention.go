package ledger

import (
	"context"
	"time"

	"github.com/tobira-commerce/tobira/order"
)

// Compactor is an optional capability of an OrderLedger: retention. A settled order (Settled)
// whose record has not changed for the host's retention period is compacted to a Tombstone: the
// record is gone from GetOrder, GetOrders, PendingOrders and HeldOrders (ErrNotFound, absent),
// and the tombstone, a few dozen bytes, still recognises the order when a channel lists it again
// (a late status change, a sweep), so that it is never imported twice. The engine discovers the
// capability by type assertion (Engine.Compact) and, on a store that has it, looks up the
// tombstones of the orders a listing returns that have no record.
//
// Compaction must be safe against a crash at any point and against intake running meanwhile:
// a store writes the tombstone before it removes the record, and removes the record only if its
// version is still the one it judged settled (a compare-and-set), so that an order changed in
// between keeps its record. A record and a tombstone of the same key may then both exist for a
// while; the record wins (the engine reads it first), and the next compaction replaces the
// tombstone. A store never inserts a record for a key that has a tombstone on its own accord:
// the engine, which checks the tombstone first, does not ask it to.
type Compactor interface {
	// CompactOrders turns up to limit records of the merchant that are Settled with UpdatedAt
	// before settledBefore into tombstones (limit <= 0: no limit), and returns how many it
	// compacted. A store works in small batches, none holding up intake for long; a record it
	// finds changed meanwhile is left alone. An order with a shipment still pending in the
	// outbox (ShipmentPending or ShipmentWaiting) is not settled: its channel has not heard of it.
	CompactOrders(ctx context.Context, merchant string, settledBefore time.Time, limit int) (int, error)
	// Tombstones returns the tombstones of the keys that have one; a key without one is absent
	// from the map, not an error.
	Tombstones(ctx context.Context, keys []OrderKey) (map[OrderKey]Tombstone, error)
}

// Tombstone is what the ledger keeps of a compacted order: enough to recognise the order when a
// channel lists it again, nothing to deliver it with.
type Tombstone struct {
	Key OrderKey `json:"key"`
	// Fingerprint is the order's Fingerprint as last recorded.
	Fingerprint string `json:"fingerprint"`
	// Status is the order's status on its channel as last recorded.
	Status order.Status `json:"status"`
	// UpdatedAt is the order's own UpdatedAt as last recorded (the channel's time, not the
	// record's), so that an older version listed again is recognised as such.
	UpdatedAt time.Time `json:"updated_at"`
}

// Settled reports whether the record is done with for good, as far as the record tells: shipped
// (every routed unit shipped) or cancelled (the warehouses agreed, or never had it), with no work
// pending, no version parked in quarantine and no hold by the host. A refusal ends in one of the
// two: a refused cancellation ships, a refused change ships as it was. The store also checks its
// outbox (Compactor.CompactOrders): a shipment still on its way to the channel keeps the order.
func (rec *OrderRecord) Settled() bool {
	return (rec.State == StateShipped || rec.State == StateCancelled) && !rec.Pending && rec.Parked == "" &&
		!rec.ManualHold && rec.Order != nil
}

// TombstoneOf returns the tombstone of rec.
func TombstoneOf(rec *OrderRecord) Tombstone {
	t := Tombstone{Key: rec.Key, Fingerprint: rec.Fingerprint}
	if rec.Order != nil {
		t.Status, t.UpdatedAt = rec.Order.Status, rec.Order.UpdatedAt
	}
	return t
}
