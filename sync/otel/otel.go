// Package otel reports Tobira's flow runs and platform calls to OpenTelemetry: metrics (counters
// and histograms) and spans, one per flow run and one per platform call, the calls' spans
// children of their run's.
//
// It is a module of its own (github.com/tobira-commerce/tobira/sync/otel), so hosts that do not
// use OpenTelemetry never build it. A host gives the engine a Telemetry:
//
//	tel, err := otel.New(otel.Options{MeterProvider: mp, TracerProvider: tp})
//	eng := tobirasync.New(store, tobirasync.Options{Telemetry: tel})
//
// Telemetry implements sync.Telemetry and connector.CallObserver, so the engine hands it every
// call its connectors make through connector/httpclient during a flow run.
//
// # Metrics
//
//   - tobira.flow.runs (counter, {run}): flow runs, by merchant, channel or warehouse, flow and
//     outcome (ok, skipped, quarantined, failed).
//   - tobira.flow.duration (histogram, s): how long they took, with the same attributes.
//   - tobira.flow.items (counter, {item}): what the runs counted (orders seen, new, delivered,
//     shipments confirmed, stock values pushed...), by merchant, channel or warehouse, flow and
//     tobira.count, the count's name.
//   - tobira.platform.calls (counter, {call}): platform calls, by merchant, channel or warehouse
//     and flow of the run that made them, credential, operation, HTTP status code, throttled
//     and outcome (ok, failed).
//   - tobira.platform.call.duration (histogram, s): how long they took, retries and waits
//     included, with the same attributes.
//   - tobira.platform.retries (counter, {attempt}): the attempts beyond the first.
//   - tobira.platform.bytes (counter, By): request and response bodies, by
//     tobira.direction (sent, received) and the calls' attributes.
//
// Attributes are identifiers the host configured (merchant, channel and warehouse IDs, the
// credential's identifier such as a shop domain), names of flows and operations, and status
// codes: never an order's content. Error texts on spans are the engine's, which have an
// order's personal data cut out, and the HTTP layer's, which name no header, query or body.
//
// # Spans
//
// "tobira.flow <flow>" (internal) for each flow run, with the same attributes as its metrics and
// its counts (tobira.count.<name>), status Error when it failed; "tobira.call <operation>"
// (client) for each platform call, from its start to its end, child of its run's span.
//
// # Stability
//
// Metric, span and attribute names may be added to; existing ones keep their meaning.
package otel

import (
	"context"
	"fmt"
	"net/http"

	gootel "go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/tobira-commerce/tobira/connector"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/tobira-commerce/tobira/sync/otel"

// Attribute keys.
const (
	AttrMerchant   = attribute.Key("tobira.merchant")
	AttrChannel    = attribute.Key("tobira.channel")
	AttrWarehouse  = attribute.Key("tobira.warehouse")
	AttrFlow       = attribute.Key("tobira.flow")
	AttrOutcome    = attribute.Key("tobira.outcome")
	AttrCount      = attribute.Key("tobira.count")
	AttrCredential = attribute.Key("tobira.credential")
	AttrOperation  = attribute.Key("tobira.operation")
	AttrStatus     = attribute.Key("http.response.status_code")
	AttrThrottled  = attribute.Key("tobira.throttled")
	AttrAttempts   = attribute.Key("tobira.attempts")
	AttrDirection  = attribute.Key("tobira.direction")
)

// Options configure a Telemetry. The zero value uses the global providers
// (go.opentelemetry.io/otel's GetMeterProvider and GetTracerProvider).
type Options struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Telemetry maps the engine's reports to OpenTelemetry. It implements sync.Telemetry and
// connector.CallObserver; give it to the engine in sync.Options.Telemetry. It is safe for
// concurrent use.
type Telemetry struct {
	tracer trace.Tracer

	runs, items, calls, retries, bytes metric.Int64Counter
	runDuration, callDuration          metric.Float64Histogram
}

var (
	_ tobirasync.Telemetry   = (*Telemetry)(nil)
	_ connector.CallObserver = (*Telemetry)(nil)
)

// New returns a Telemetry reporting to opt's providers. It fails only when an instrument cannot
// be created.
func New(opt Options) (*Telemetry, error) {
	mp, tp := opt.MeterProvider, opt.TracerProvider
	if mp == nil {
		mp = gootel.GetMeterProvider()
	}
	if tp == nil {
		tp = gootel.GetTracerProvider()
	}
	m := mp.Meter(ScopeName)
	t := &Telemetry{tracer: tp.Tracer(ScopeName)}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string) {
		if err == nil {
			*dst, err = m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
		}
	}
	counter(&t.runs, "tobira.flow.runs", "{run}", "Flow runs of the Tobira engine.")
	histogram(&t.runDuration, "tobira.flow.duration", "How long flow runs took.")
	counter(&t.items, "tobira.flow.items", "{item}", "What flow runs counted, by tobira.count.")
	counter(&t.calls, "tobira.platform.calls", "{call}", "Calls to sales channels' and warehouses' platforms.")
	histogram(&t.callDuration, "tobira.platform.call.duration", "How long platform calls took, retries included.")
	counter(&t.retries, "tobira.platform.retries", "{attempt}", "Attempts of platform calls beyond the first.")
	counter(&t.bytes, "tobira.platform.bytes", "By", "Request and response bodies of platform calls, by tobira.direction.")
	if err != nil {
		return nil, fmt.Errorf("tobira/sync/otel: %w", err)
	}
	return t, nil
}

type runKey struct{}

// runAttrs are the attributes naming a flow run.
func runAttrs(r tobirasync.FlowRun) []attribute.KeyValue {
	a := make([]attribute.KeyValue, 0, 8)
	a = append(a, AttrMerchant.String(r.Merchant))
	if r.Channel != "" {
		a = append(a, AttrChannel.String(r.Channel))
	}
	if r.Warehouse != "" {
		a = append(a, AttrWarehouse.String(r.Warehouse))
	}
	return append(a, AttrFlow.String(r.Flow))
}

// FlowStarted starts the run's span and returns a context carrying it.
func (t *Telemetry) FlowStarted(ctx context.Context, r tobirasync.FlowRun) context.Context {
	ctx = context.WithValue(ctx, runKey{}, r)
	ctx, _ = t.tracer.Start(ctx, "tobira.flow "+r.Flow, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(runAttrs(r)...))
	return ctx
}

// FlowEnded records the run's metrics and ends its span.
func (t *Telemetry) FlowEnded(ctx context.Context, r tobirasync.FlowRun, res tobirasync.FlowResult) {
	base := runAttrs(r)
	attrs := append(base, AttrOutcome.String(res.Outcome))
	set := metric.WithAttributeSet(attribute.NewSet(attrs...))
	t.runs.Add(ctx, 1, set)
	t.runDuration.Record(ctx, res.Duration.Seconds(), set)
	span := trace.SpanFromContext(ctx)
	for _, c := range res.Counts {
		if c.Value != 0 {
			t.items.Add(ctx, int64(c.Value), metric.WithAttributeSet(attribute.NewSet(append(base[:len(base):len(base)], AttrCount.String(c.Name))...)))
		}
		span.SetAttributes(attribute.Int("tobira.count."+c.Name, c.Value))
	}
	span.SetAttributes(AttrOutcome.String(res.Outcome))
	if res.Outcome == tobirasync.OutcomeFailed && res.Err != nil {
		span.SetStatus(codes.Error, res.Err.Error())
	}
	span.End()
}

// ObserveCall records a platform call's metrics and its span, a child of the span ctx carries
// (its flow run's).
func (t *Telemetry) ObserveCall(ctx context.Context, c connector.Call) {
	var attrs []attribute.KeyValue
	if r, ok := ctx.Value(runKey{}).(tobirasync.FlowRun); ok {
		attrs = runAttrs(r)
	}
	outcome := "ok"
	if c.Err != nil {
		outcome = "failed"
	}
	attrs = append(attrs, AttrCredential.String(c.Key), AttrOperation.String(c.Operation),
		AttrStatus.Int(c.Status), AttrThrottled.Bool(c.Throttled), AttrOutcome.String(outcome))
	set := attribute.NewSet(attrs...)
	t.calls.Add(ctx, 1, metric.WithAttributeSet(set))
	t.callDuration.Record(ctx, c.Duration.Seconds(), metric.WithAttributeSet(set))
	if c.Attempts > 1 {
		t.retries.Add(ctx, int64(c.Attempts-1), metric.WithAttributeSet(set))
	}
	n := len(attrs)
	if c.BytesSent > 0 {
		t.bytes.Add(ctx, c.BytesSent, metric.WithAttributeSet(attribute.NewSet(append(attrs[:n:n], AttrDirection.String("sent"))...)))
	}
	if c.BytesReceived > 0 {
		t.bytes.Add(ctx, c.BytesReceived, metric.WithAttributeSet(attribute.NewSet(append(attrs[:n:n], AttrDirection.String("received"))...)))
	}

	_, span := t.tracer.Start(ctx, "tobira.call "+c.Operation, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(c.Start), trace.WithAttributes(append(attrs, AttrAttempts.Int(c.Attempts))...))
	if c.Err != nil {
		span.SetStatus(codes.Error, c.Err.Error())
	} else if c.Status >= http.StatusBadRequest {
		span.SetStatus(codes.Error, http.StatusText(c.Status))
	}
	span.End(trace.WithTimestamp(c.Start.Add(c.Duration)))
}
