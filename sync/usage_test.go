package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// meteredChannel is a memory channel that calls its platform over HTTP on every listing, extra
// more times when told (a catch-up, a noisy neighbour), and reports what it spent.
type meteredChannel struct {
	*memory.Channel
	hc    *httpclient.Client
	url   string
	extra atomic.Int32
}

func (c *meteredChannel) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	for range 1 + c.extra.Load() {
		if _, err := c.hc.Do(ctx, &httpclient.Request{URL: c.url, Key: "shop-1", Operation: "ListOrders"}); err != nil {
			return nil, err
		}
	}
	return c.Channel.ListOrders(ctx, req)
}

func (c *meteredChannel) Usage(now time.Time) []connector.Usage {
	if u, ok := c.hc.Meter().Usage(now, "shop-1"); ok {
		return []connector.Usage{u}
	}
	return nil
}

// TestUsageForecastEvent: a channel whose calls are on course to exceed its platform's daily cap
// raises UsageForecast before it does, once per day, and the host reads the same figures
// through Engine.Usage.
func TestUsageForecastEvent(t *testing.T) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	var hits atomic.Int64
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"orders":[]}`))
	}))
	defer platform.Close()

	var (
		mu     gosync.Mutex
		events []tobirasync.UsageForecast
	)
	observer := tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		if uf, ok := ev.(tobirasync.UsageForecast); ok {
			mu.Lock()
			events = append(events, uf)
			mu.Unlock()
		}
	})
	seen := func() []tobirasync.UsageForecast {
		mu.Lock()
		defer mu.Unlock()
		return append([]tobirasync.UsageForecast(nil), events...)
	}

	const limit = 3000
	hc := httpclient.New(httpclient.Config{Now: clock.Now, Caps: []connector.Cap{{Window: 24 * time.Hour, Limit: limit}}})
	shop := &meteredChannel{Channel: &memory.Channel{Now: clock.Now}, hc: hc, url: platform.URL}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Observer: observer})
	require.NoError(t, eng.PutMerchant(tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}}}))

	run := func() {
		t.Helper()
		_, err := eng.SyncOrders(ctx, "m", "shop")
		require.NoError(t, err)
		clock.Advance(time.Minute)
	}

	// Three hours at about a call a minute: some 1,500 calls forecast for the day (a first run catching up a week counts for a little more), under the cap.
	for range 180 {
		run()
	}
	require.Empty(t, seen(), "a day forecast under the cap raises nothing")

	// Then five calls a minute: the day is on course to exceed the cap long before it does.
	shop.extra.Store(4)
	for i := 0; len(seen()) == 0; i++ {
		require.Less(t, i, 120, "no UsageForecast within two hours of five calls a minute")
		run()
	}
	ev := seen()[0]
	require.Equal(t, "m", ev.Merchant)
	require.Equal(t, "shop", ev.Channel)
	require.Equal(t, "shop-1", ev.Key)
	require.Equal(t, int64(limit), ev.Cap.Cap.Limit)
	require.Less(t, ev.Cap.Used, int64(limit), "raised before the cap is reached")
	require.Greater(t, ev.Cap.Forecast, int64(limit))
	require.True(t, ev.Cap.ExceedsAt.After(clock.Now()), "ExceedsAt is ahead: %v", ev.Cap.ExceedsAt)
	require.True(t, ev.Cap.ExceedsAt.Before(ev.Cap.End))

	// Later runs of the same day say nothing new; the next day, on the same course, says it again.
	for range 60 {
		run()
	}
	require.Len(t, seen(), 1, "one event per cap window")
	clock.Set(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC))
	for i := 0; len(seen()) < 2; i++ {
		require.Less(t, i, 120, "a new day on the same course, and no new forecast")
		run()
	}
	require.Equal(t, time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), seen()[1].Cap.Start.UTC())

	// The host reads the same figures through the engine.
	usage, err := eng.Usage("m")
	require.NoError(t, err)
	require.Len(t, usage, 1)
	require.Equal(t, "shop", usage[0].Channel)
	require.False(t, usage[0].Warehouse)
	require.Equal(t, hits.Load(), usage[0].Total().Calls)
	require.Len(t, usage[0].Usage[0].Operations, 1)
	require.Equal(t, "ListOrders", usage[0].Usage[0].Operations[0].Name)
	require.Len(t, usage[0].Usage[0].Caps, 1)

	_, err = eng.Usage("nobody")
	require.ErrorIs(t, err, tobirasync.ErrUnknownMerchant)
}
