// Telemetry: each flow run reported to the host's metrics and traces.

package sync

import (
	"context"
	"errors"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// Telemetry receives every flow run of the engine, for metrics and traces: the module
// github.com/tobira-commerce/tobira/sync/otel maps it to OpenTelemetry, and a host may write its
// own. Options.Telemetry nil reports nothing.
//
// A Telemetry that also implements connector.CallObserver is put in the context of each flow run
// (connector.WithCallObserver), so connectors built on connector/httpclient report each platform
// call the run makes to it, with the context FlowStarted returned (a span there is the calls'
// parent).
//
// Both methods are called on the flow's goroutine, for flows that may run at once: they must be
// safe for concurrent use, return quickly and not call back into the engine. What they receive
// names merchants, channels, warehouses and flows, never an order's content.
//
// Stability: hosts may implement Telemetry; FlowRun and FlowResult may gain fields, and new kinds
// of report arrive as optional interfaces, never as methods added to this one.
type Telemetry interface {
	// FlowStarted is called as a flow run begins. The context it returns (ctx, or one derived
	// from it, with a span) is the one the run works with and the one FlowEnded gets.
	FlowStarted(ctx context.Context, r FlowRun) context.Context
	// FlowEnded is called once for each FlowStarted, when the run returns.
	FlowEnded(ctx context.Context, r FlowRun, res FlowResult)
}

// FlowRun names one run of a flow.
type FlowRun struct {
	Merchant string
	// Channel or Warehouse is the ID the flow works on; both are empty for a flow of the whole
	// merchant ("stock").
	Channel, Warehouse string
	// Flow is "orders" (SyncOrders), "intake" (IngestOrder), "shipments" (SyncShipments),
	// "shipment" (RecordShipment) or "stock" (SyncStock).
	Flow string
}

// Outcomes of a flow run (FlowResult.Outcome).
const (
	// OutcomeOK: the run did its work.
	OutcomeOK = "ok"
	// OutcomeSkipped: the run did nothing: another replica holds the lease (ErrBusy), the
	// channel is paused (ErrPaused) or the engine is closed (ErrClosed).
	OutcomeSkipped = "skipped"
	// OutcomeQuarantined: the order taken in stays in quarantine (IngestOrderStrict).
	OutcomeQuarantined = "quarantined"
	// OutcomeFailed: the run failed; it is tried again at its next run.
	OutcomeFailed = "failed"
)

// FlowResult is how a flow run ended.
type FlowResult struct {
	// Outcome is OutcomeOK, OutcomeSkipped, OutcomeQuarantined or OutcomeFailed.
	Outcome string
	// Duration is how long the run took, on Options.Clock.
	Duration time.Duration
	// Counts are what the run did, by name ("seen", "new", "delivered", "confirmed", "pushed"...),
	// as the flow's result type counts them (OrdersRun, ShipmentsRun, StockRun).
	Counts []Count
	// Err is the error the flow returned, nil when it succeeded. Its text has an order's personal
	// data cut out, as in the logs.
	Err error
}

// Count is one count of a flow run.
type Count struct {
	Name  string
	Value int
}

// outcome classifies a flow's error.
func outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrBusy), errors.Is(err, ErrPaused), errors.Is(err, ErrClosed):
		return OutcomeSkipped
	case errors.Is(err, ErrQuarantined):
		return OutcomeQuarantined
	default:
		return OutcomeFailed
	}
}

// startRun begins a flow run: it reports it to Options.Telemetry and returns the run's context
// and the function the flow defers with its error and counts, which logs the run and reports its
// end. side is attrChannel or attrWarehouse, or "" for a flow of the whole merchant; counts
// returns the log's key-value pairs, of which the integers are the run's counts.
func (e *Engine) startRun(ctx context.Context, flow, merchant, side, id string) (context.Context, func(err *error, counts func() []any)) {
	start := e.opt.Clock.Now()
	t := e.opt.Telemetry
	if t == nil {
		return ctx, func(err *error, counts func() []any) {
			e.logRun(ctx, flow, merchant, side, id, start, err, counts)
		}
	}
	r := FlowRun{Merchant: merchant, Flow: flow}
	switch side {
	case attrChannel:
		r.Channel = id
	case attrWarehouse:
		r.Warehouse = id
	}
	if o, ok := t.(connector.CallObserver); ok {
		ctx = connector.WithCallObserver(ctx, o)
	}
	ctx = t.FlowStarted(ctx, r)
	return ctx, func(err *error, counts func() []any) {
		e.logRun(ctx, flow, merchant, side, id, start, err, counts)
		res := FlowResult{Outcome: outcome(*err), Duration: e.opt.Clock.Now().Sub(start), Err: *err}
		if counts != nil {
			kv := counts()
			for i := 0; i+1 < len(kv); i += 2 {
				name, ok := kv[i].(string)
				v, isInt := kv[i+1].(int)
				if ok && isInt {
					res.Counts = append(res.Counts, Count{Name: name, Value: v})
				}
			}
		}
		t.FlowEnded(ctx, r, res)
	}
}
