// Pushed orders: IngestOrder for a webhook handler, and the connector.Intake a connector's
// webhook receiver feeds.

// The order flow: SyncOrders lists a channel's orders window by window, and IngestOrder takes
// pushed ones; each order is decided on (new, changed, no news, invalid) and recorded before
// the cursor moves, then delivered (deliver.go).

package sync

import (
	"context"
	"errors"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// IngestOrder records an order a platform pushed (a webhook) exactly as if it had been polled,
// then delivers it. A duplicate or out-of-date push changes nothing.
//
// An order that cannot be processed (it is invalid, names an unknown SKU, or a warehouse refused
// it for good) is quarantined, which the host hears of (ItemQuarantined, ListQuarantine), and
// IngestOrder returns nil: the push was taken in, so a webhook handler answers it with success
// and the platform does not deliver it again. An error means the push was not recorded (or not
// delivered yet, as a retryable warehouse failure) and may be repeated. A host that wants to
// know of the quarantine calls IngestOrderStrict.
func (e *Engine) IngestOrder(ctx context.Context, merchantID, channel string, o order.Order) error {
	err := e.IngestOrderStrict(ctx, merchantID, channel, o)
	if errors.Is(err, ErrQuarantined) {
		return nil
	}
	return err
}

// IngestOrderStrict is IngestOrder, except that an order left in quarantine (this version, or
// an earlier one listed again unchanged) returns an error wrapping ErrQuarantined that names the
// quarantine entry and its reason.
func (e *Engine) IngestOrderStrict(ctx context.Context, merchantID, channel string, o order.Order) (err error) {
	ctx, endRun := e.startRun(ctx, "intake", merchantID, attrChannel, channel)
	defer endRun(&err, func() []any { return []any{"order", o.ID} })
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return e.ingest(ctx, merchantID, channel, o)
}

// ingest is IngestOrderStrict for a caller that began (Engine.begin).
func (e *Engine) ingest(ctx context.Context, merchantID, channel string, o order.Order) error {
	m, ch, err := e.channel(merchantID, channel)
	if err != nil {
		return err
	}
	var res OrdersRun
	skus, err := e.intake(ctx, m, ch, &o, &res)
	if err != nil {
		return err
	}
	k := ledger.OrderKey{Merchant: merchantID, Channel: channel, OrderID: o.ID}
	if res.Quarantined > 0 {
		return e.quarantinedErr(ctx, k)
	}
	// The order goes to the warehouse before the stock fans out: the reservation is already in
	// the pool, so the values pushed are the same, and a channel waiting out its rate limit (one
	// SKU per call, 5,000 calls an hour) must not hold the order back.
	defer e.pushAffected(ctx, m, skus)
	rec, err := e.getOrder(ctx, k)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil // quarantined before it was recorded
	} else if err != nil {
		return err
	}
	if rec.State == ledger.StateQuarantined {
		return e.quarantinedErr(ctx, k)
	}
	if !rec.Pending {
		return nil
	}
	if err := e.deliver(ctx, m, ch, rec); err != nil && !errors.Is(err, ledger.ErrConflict) {
		return err
	}
	if rec.State == ledger.StateQuarantined {
		return e.quarantinedErr(ctx, k)
	}
	// A conflict means a run (here or on another replica) delivered the record meanwhile; what
	// is still pending stays pending for the next run.
	return nil
}

// Intake returns a connector.Intake that feeds one channel's pushes into the engine, for
// connectors' webhook handlers.
func (e *Engine) Intake(merchantID, channel string) connector.Intake {
	return intakeFunc(func(ctx context.Context, o order.Order) error { return e.IngestOrder(ctx, merchantID, channel, o) })
}

type intakeFunc func(ctx context.Context, o order.Order) error

func (f intakeFunc) IngestOrder(ctx context.Context, o order.Order) error { return f(ctx, o) }
