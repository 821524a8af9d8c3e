package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

type runKey struct{}

// recordingTelemetry records flow runs and platform calls; each call notes the run whose context
// it was made with.
type recordingTelemetry struct {
	mu      gosync.Mutex
	started []tobirasync.FlowRun
	ended   []endedRun
	calls   []recordedCall
}

type endedRun struct {
	run tobirasync.FlowRun
	res tobirasync.FlowResult
}

type recordedCall struct {
	call connector.Call
	run  tobirasync.FlowRun // of the context it was made with
}

func (r *recordingTelemetry) FlowStarted(ctx context.Context, run tobirasync.FlowRun) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, run)
	return context.WithValue(ctx, runKey{}, run)
}

func (r *recordingTelemetry) FlowEnded(ctx context.Context, run tobirasync.FlowRun, res tobirasync.FlowResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Value(runKey{}) != run {
		panic("FlowEnded without the context FlowStarted returned")
	}
	r.ended = append(r.ended, endedRun{run, res})
}

func (r *recordingTelemetry) ObserveCall(ctx context.Context, c connector.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	run, _ := ctx.Value(runKey{}).(tobirasync.FlowRun)
	r.calls = append(r.calls, recordedCall{c, run})
}

func (r *recordingTelemetry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started, r.ended, r.calls = nil, nil, nil
}

func counts(res tobirasync.FlowResult) map[string]int {
	m := map[string]int{}
	for _, c := range res.Counts {
		m[c.Name] = c.Value
	}
	return m
}

// TestTelemetrySeesFlowRunsAndCalls: Options.Telemetry hears of every flow run, with its
// merchant, channel or warehouse, outcome, duration and counts, and, since it is also a
// connector.CallObserver, of every platform call the run made, with the run's context.
func TestTelemetrySeesFlowRunsAndCalls(t *testing.T) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"orders":[]}`))
	}))
	defer platform.Close()
	hc := httpclient.New(httpclient.Config{Now: clock.Now, RetryMax: -1})
	shop := &meteredChannel{Channel: &memory.Channel{Now: clock.Now}, hc: hc, url: platform.URL}
	tel := &recordingTelemetry{}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Telemetry: tel})
	require.NoError(t, eng.PutMerchant(tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}, Shipments: &memory.Warehouse{}, Stock: &memory.Warehouse{}}}}))

	shop.Place(newOrder("A-1", "TEA", 1))
	clock.Advance(time.Minute)
	_, err := eng.SyncOrders(ctx, "m", "shop")
	require.NoError(t, err)

	orders := tobirasync.FlowRun{Merchant: "m", Channel: "shop", Flow: "orders"}
	require.Equal(t, []tobirasync.FlowRun{orders}, tel.started)
	require.Len(t, tel.ended, 1)
	end := tel.ended[0]
	require.Equal(t, orders, end.run)
	require.Equal(t, tobirasync.OutcomeOK, end.res.Outcome)
	require.NoError(t, end.res.Err)
	require.GreaterOrEqual(t, end.res.Duration, time.Duration(0))
	require.Equal(t, 1, counts(end.res)["new"], "counts: %v", end.res.Counts)
	require.Equal(t, 1, counts(end.res)["delivered"])
	require.NotEmpty(t, tel.calls)
	for _, c := range tel.calls {
		require.Equal(t, orders, c.run, "a call made outside the run's context")
		require.Equal(t, "shop-1", c.call.Key)
		require.Equal(t, "ListOrders", c.call.Operation)
		require.Equal(t, http.StatusOK, c.call.Status)
		require.Equal(t, 1, c.call.Attempts)
	}

	tel.reset()
	_, err = eng.SyncShipments(ctx, "m", "wh")
	require.NoError(t, err)
	_, err = eng.SyncStock(ctx, "m")
	require.NoError(t, err)
	require.Equal(t, []tobirasync.FlowRun{
		{Merchant: "m", Warehouse: "wh", Flow: "shipments"},
		{Merchant: "m", Flow: "stock"},
	}, tel.started)
	require.Len(t, tel.ended, 2)
	require.Contains(t, counts(tel.ended[0].res), "confirmed")
	require.Contains(t, counts(tel.ended[1].res), "pushed")

	// A skipped run and a failed run say so.
	tel.reset()
	require.NoError(t, eng.PauseChannel("m", "shop", true))
	_, err = eng.SyncOrders(ctx, "m", "shop")
	require.ErrorIs(t, err, tobirasync.ErrPaused)
	require.NoError(t, eng.PauseChannel("m", "shop", false))
	platform.Close()
	_, err = eng.SyncOrders(ctx, "m", "shop")
	require.Error(t, err)
	require.Len(t, tel.ended, 2)
	require.Equal(t, tobirasync.OutcomeSkipped, tel.ended[0].res.Outcome)
	require.ErrorIs(t, tel.ended[0].res.Err, tobirasync.ErrPaused)
	require.Equal(t, tobirasync.OutcomeFailed, tel.ended[1].res.Outcome)
	require.Len(t, tel.calls, 1)
	require.Equal(t, 1, tel.calls[0].call.Attempts)
	require.Zero(t, tel.calls[0].call.Status, "no answer came")
	require.Error(t, tel.calls[0].call.Err)
}
