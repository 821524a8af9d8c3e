package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
	"github.com/tobira-commerce/tobira/sync/otel"
)

// httpChannel is a memory channel that calls its platform over HTTP before every listing, as a
// reference connector would.
type httpChannel struct {
	*memory.Channel
	hc  *httpclient.Client
	url string
}

func (c *httpChannel) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if _, err := c.hc.Do(ctx, &httpclient.Request{URL: c.url, Key: "tea.example.com", Operation: "listOrders"}); err != nil {
		return nil, err
	}
	return c.Channel.ListOrders(ctx, req)
}

// setup is an engine with one merchant, a channel on a fake platform and a warehouse, reporting
// to an SDK meter provider read by a ManualReader and a tracer provider recorded by a
// SpanRecorder.
type setup struct {
	eng      *tobirasync.Engine
	shop     *httpChannel
	platform *httptest.Server
	reader   *sdkmetric.ManualReader
	spans    *tracetest.SpanRecorder
}

func newSetup(t testing.TB, throttle bool) *setup {
	t.Helper()
	s := &setup{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	s.platform = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if throttle {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"orders":[]}`))
	}))
	t.Cleanup(s.platform.Close)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	tel, err := otel.New(otel.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	s.shop = &httpChannel{Channel: &memory.Channel{Now: clock.Now}, hc: httpclient.New(httpclient.Config{RetryMax: -1}), url: s.platform.URL}
	s.eng = tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Telemetry: tel})
	if err := s.eng.PutMerchant(tobirasync.Merchant{ID: "m1",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: s.shop, Sink: s.shop, Target: s.shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}, Shipments: &memory.Warehouse{}}}}); err != nil {
		t.Fatal(err)
	}
	s.shop.Place(personalOrder)
	clock.Advance(time.Minute)
	return s
}

// personalOrder carries personal data that must appear in no metric and no span.
var personalOrder = order.Order{ID: "A-1001", Status: order.StatusOpen,
	ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", Email: "taro@example.jp", PostalCode: "150-0001",
		Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-1-1"},
	Lines: []order.Line{{ID: "L1", SKU: "TEA", Quantity: 2, UnitPrice: order.Yen(1200)}}}

func (s *setup) metrics(t testing.TB) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otel.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sum returns the value of the counter's data point whose attributes hold want.
func sum(t testing.TB, data metricdata.Aggregation, want ...attribute.KeyValue) int64 {
	t.Helper()
	s, ok := data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("not an int64 sum: %T", data)
	}
	var total int64
	for _, dp := range s.DataPoints {
		if has(dp.Attributes, want...) {
			total += dp.Value
		}
	}
	return total
}

func has(set attribute.Set, want ...attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func TestFlowRunsAndCallsBecomeMetricsAndSpans(t *testing.T) {
	s := newSetup(t, false)
	ctx := context.Background()
	if _, err := s.eng.SyncOrders(ctx, "m1", "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.eng.SyncShipments(ctx, "m1", "wh"); err != nil {
		t.Fatal(err)
	}

	m := s.metrics(t)
	orders := []attribute.KeyValue{otel.AttrMerchant.String("m1"), otel.AttrChannel.String("shop"), otel.AttrFlow.String("orders")}
	if n := sum(t, m["tobira.flow.runs"], append(orders, otel.AttrOutcome.String("ok"))...); n != 1 {
		t.Errorf("orders runs = %d, want 1", n)
	}
	if n := sum(t, m["tobira.flow.runs"], otel.AttrWarehouse.String("wh"), otel.AttrFlow.String("shipments")); n != 1 {
		t.Errorf("shipments runs = %d, want 1", n)
	}
	if n := sum(t, m["tobira.flow.items"], append(orders, otel.AttrCount.String("new"))...); n != 1 {
		t.Errorf("new orders = %d, want 1", n)
	}
	h, ok := m["tobira.flow.duration"].(metricdata.Histogram[float64])
	if !ok || len(h.DataPoints) != 2 {
		t.Errorf("tobira.flow.duration: %+v", m["tobira.flow.duration"])
	}
	call := append(orders, otel.AttrOperation.String("listOrders"), otel.AttrCredential.String("tea.example.com"),
		otel.AttrStatus.Int(200), otel.AttrThrottled.Bool(false), otel.AttrOutcome.String("ok"))
	calls := sum(t, m["tobira.platform.calls"], call...)
	if calls < 1 {
		t.Errorf("platform calls with the run's attributes = %d, want at least 1", calls)
	}
	if n := sum(t, m["tobira.platform.bytes"], otel.AttrDirection.String("received")); n != calls*int64(len(`{"orders":[]}`)) {
		t.Errorf("bytes received = %d for %d calls", n, calls)
	}
	if ch, ok := m["tobira.platform.call.duration"].(metricdata.Histogram[float64]); !ok || ch.DataPoints[0].Count != uint64(calls) {
		t.Errorf("tobira.platform.call.duration: %+v", m["tobira.platform.call.duration"])
	}

	// One span per flow run, one per call, the call a child of its run.
	var run trace.SpanContext
	var callSpans []tracetest.SpanStub
	for _, sp := range tracetest.SpanStubsFromReadOnlySpans(s.spans.Ended()) {
		switch sp.Name {
		case "tobira.flow orders":
			run = sp.SpanContext
			if !has(attribute.NewSet(sp.Attributes...), append(orders, attribute.Int("tobira.count.new", 1))...) {
				t.Errorf("run span attributes: %v", sp.Attributes)
			}
		case "tobira.call listOrders":
			callSpans = append(callSpans, sp)
		case "tobira.flow shipments":
		default:
			t.Errorf("unexpected span %q", sp.Name)
		}
	}
	if !run.IsValid() || int64(len(callSpans)) != calls {
		t.Fatalf("run span %v, %d call spans for %d calls", run, len(callSpans), calls)
	}
	for _, sp := range callSpans {
		if sp.Parent.SpanID() != run.SpanID() || sp.SpanKind != trace.SpanKindClient || !sp.EndTime.After(sp.StartTime) {
			t.Errorf("call span: parent %v (run %v), kind %v, %v to %v", sp.Parent.SpanID(), run.SpanID(), sp.SpanKind, sp.StartTime, sp.EndTime)
		}
	}
}

func TestThrottledCallAndFailedRun(t *testing.T) {
	s := newSetup(t, true)
	if _, err := s.eng.SyncOrders(context.Background(), "m1", "shop"); err == nil {
		t.Fatal("a throttled listing succeeded")
	}
	m := s.metrics(t)
	if n := sum(t, m["tobira.flow.runs"], otel.AttrFlow.String("orders"), otel.AttrOutcome.String("failed")); n != 1 {
		t.Errorf("failed runs = %d, want 1", n)
	}
	if n := sum(t, m["tobira.platform.calls"], otel.AttrStatus.Int(429), otel.AttrThrottled.Bool(true), otel.AttrOutcome.String("failed")); n != 1 {
		t.Errorf("throttled calls = %d, want 1", n)
	}
	for _, sp := range s.spans.Ended() {
		if sp.Status().Code != codes.Error {
			t.Errorf("span %q: status %v, want Error", sp.Name(), sp.Status())
		}
	}
}

// Nothing the adapter reports carries the order's personal data.
func TestNoPersonalData(t *testing.T) {
	s := newSetup(t, false)
	ctx := context.Background()
	if _, err := s.eng.SyncOrders(ctx, "m1", "shop"); err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&all, "%+v\n", rm)
	for _, sp := range tracetest.SpanStubsFromReadOnlySpans(s.spans.Ended()) {
		fmt.Fprintf(&all, "%s %+v %+v %+v\n", sp.Name, sp.Attributes, sp.Events, sp.Status)
	}
	a := personalOrder.ShipTo
	for _, pd := range []string{a.Name, a.Phone, a.Email, a.PostalCode, a.City, a.Line1, personalOrder.ID} {
		if strings.Contains(all.String(), pd) {
			t.Errorf("%q reported", pd)
		}
	}
}
