// Holds: orders the host holds by hand, and the policies that hold orders until they are ready.

package sync

import (
	"context"
	"errors"
	"slices"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Hold holds an order by hand: it is not sent (or, if already sent, not changed) until Release.
func (e *Engine) Hold(ctx context.Context, k ledger.OrderKey, reason string) error {
	return e.setHold(ctx, k, true, reason)
}

// Release lifts a hand-placed hold; the order is delivered at the next run of its channel.
func (e *Engine) Release(ctx context.Context, k ledger.OrderKey) error {
	return e.setHold(ctx, k, false, "")
}

func (e *Engine) setHold(ctx context.Context, k ledger.OrderKey, hold bool, reason string) error {
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	for attempt := 0; ; attempt++ {
		rec, err := e.getOrder(ctx, k)
		if err != nil {
			return err
		}
		// Only the hold is recorded here; delivery decides and reports (OrderHeld) what follows.
		rec.ManualHold, rec.ManualReason = hold, reason
		rec.Pending = true
		err = e.store.PutOrder(ctx, rec)
		if errors.Is(err, ledger.ErrConflict) && attempt < 3 {
			continue
		}
		return err
	}
}

// holdReason says why an order must wait, or "".
func (e *Engine) holdReason(ch *Channel, rec *ledger.OrderRecord) (reason string, timed bool) {
	o := rec.Order
	switch {
	case rec.ManualHold:
		return "held by host: " + rec.ManualReason, false
	case o.Status == order.StatusPending && !ch.Hold.SendPending:
		return "order is pending on the channel (unpaid or under review)", false
	case slices.Contains(ch.Hold.Statuses, o.ChannelStatus):
		return "channel status " + o.ChannelStatus + " holds the order", false
	case ch.Hold.DeliveryBeyond > 0 && !o.Delivery.Date.IsZero():
		if o.Delivery.Date.In(tokyo).Sub(e.opt.Clock.Now()) > ch.Hold.DeliveryBeyond {
			return "requested delivery date " + o.Delivery.Date.String() + " is too far ahead", true
		}
	}
	return "", false
}
