// Quarantine: items set aside with a reason the host can read, and Retry to take one back.

package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

func errString(err error) string {
	if err == nil {
		return "rejected by the connector"
	}
	return err.Error()
}

// retriedMark is the fingerprint Retry gives a quarantined order's record: no version's
// fingerprint equals it, so the version retried is processed again, and intake knows the host
// asked (QuarantineLifted).
const retriedMark = "retried"

func quarantineID(kind string, k ledger.OrderKey) string { return kind + ":" + k.String() }

func (e *Engine) quarantineOrder(ctx context.Context, k ledger.OrderKey, o *order.Order, reason string) error {
	payload, _ := json.Marshal(o)
	return e.quarantine(ctx, ledger.QuarantineEntry{ID: quarantineID("order", k), Kind: "order", Merchant: k.Merchant,
		Source: k.Channel, ItemID: k.OrderID, Reason: scrub(reason, o), Payload: payload})
}

// parkedMark identifies a version of an order (its fingerprint fp and its statuses) for
// OrderRecord.Parked.
func parkedMark(fp []byte, o *order.Order) string {
	return string(fp) + " " + string(o.Status) + " " + o.ChannelStatus
}

// lifted reports an order leaving quarantine.
func (e *Engine) lifted(ctx context.Context, k ledger.OrderKey, id, why string) {
	e.opt.Logger.InfoContext(ctx, "tobira: quarantine lifted", attrMerchant, k.Merchant, attrChannel, k.Channel, attrFlow, "orders", "item", id, "reason", why)
	emit(e, QuarantineLifted{Item: id, Key: k, Reason: why})
}

// quarantinedErr is IngestOrderStrict's error for an order left in quarantine.
func (e *Engine) quarantinedErr(ctx context.Context, k ledger.OrderKey) error {
	id := quarantineID("order", k)
	reason := "see ListQuarantine"
	if items, err := e.store.ListQuarantine(ctx, k.Merchant); err == nil {
		for _, q := range items {
			if q.ID == id {
				reason = q.Reason
			}
		}
	}
	return fmt.Errorf("%w: order %s (entry %s): %s", ErrQuarantined, k.OrderID, id, reason)
}

// Retry takes an item out of quarantine and processes it again: an order is ingested from its
// recorded payload, a shipment is re-queued.
func (e *Engine) Retry(ctx context.Context, id string) error {
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	items, err := e.store.ListQuarantine(ctx, "")
	if err != nil {
		return err
	}
	for _, q := range items {
		if q.ID != id {
			continue
		}
		switch q.Kind {
		case "order":
			var o order.Order
			if err := json.Unmarshal(q.Payload, &o); err != nil {
				return fmt.Errorf("tobira/sync: quarantined order %s has no readable payload; it is retried when the channel changes it", q.ItemID)
			}
			k := ledger.OrderKey{Merchant: q.Merchant, Channel: q.Source, OrderID: q.ItemID}
			// The record first: marked, the same content is no longer "unchanged", and a crash
			// before the entry goes leaves the order to the next listing, which lifts it.
			if rec, err := e.getOrder(ctx, k); err == nil && rec.State == ledger.StateQuarantined {
				rec.Fingerprint = retriedMark
				if err := e.store.PutOrder(ctx, rec); err != nil {
					return err
				}
			} else if err == nil && rec.Parked != "" {
				rec.Parked = "" // the parked version is processed again (and parked again if still broken)
				if err := e.store.PutOrder(ctx, rec); err != nil {
					return err
				}
			}
			if err := e.store.DeleteQuarantine(ctx, id); err != nil {
				return err
			}
			if err := e.ingest(ctx, q.Merchant, q.Source, o); !errors.Is(err, ErrQuarantined) {
				return err
			}
			return nil // quarantined again: the host hears of it as it did the first time
		case "shipment":
			rec, err := e.store.GetShipment(ctx, q.ItemID)
			if err != nil {
				return err
			}
			rec.State, rec.Reason = ledger.ShipmentPending, ""
			if err := e.store.PutShipment(ctx, rec); err != nil {
				return err
			}
			return e.store.DeleteQuarantine(ctx, id)
		default:
			return e.store.DeleteQuarantine(ctx, id)
		}
	}
	return fmt.Errorf("%w: quarantine item %s", ledger.ErrNotFound, id)
}

// quarantine parks an item and tells the host.
func (e *Engine) quarantine(ctx context.Context, q ledger.QuarantineEntry) error {
	q.At = e.opt.Clock.Now()
	if q.ID == "" {
		q.ID = q.Kind + ":" + ledger.JoinKey(q.Merchant, q.Source, q.ItemID)
	}
	if err := e.store.PutQuarantine(ctx, q); err != nil {
		return err
	}
	side, flow := attrChannel, "orders"
	if q.Kind != "order" {
		side, flow = attrWarehouse, "shipments"
		if q.Kind != "shipment" {
			side, flow = attrChannel, q.Kind
		}
	}
	e.opt.Logger.WarnContext(ctx, "tobira: quarantined", attrMerchant, q.Merchant, side, q.Source, attrFlow, flow,
		"kind", q.Kind, "item", q.ItemID, "reason", q.Reason)
	emit(e, ItemQuarantined{Item: q})
	return nil
}

// ListQuarantine lists the items set aside for a merchant ("" for all).
func (e *Engine) ListQuarantine(ctx context.Context, merchantID string) ([]ledger.QuarantineEntry, error) {
	return e.store.ListQuarantine(ctx, merchantID)
}
