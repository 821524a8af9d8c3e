package httpclient_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// testClock is a settable clock for the meter.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func op(u connector.Usage, name string) connector.OperationUsage {
	for _, o := range u.Operations {
		if o.Name == name {
			return o
		}
	}
	return connector.OperationUsage{}
}

func TestUsageCountsCallsAndBytes(t *testing.T) {
	srv, _ := server(t, []int{200}, nil)
	body := `{"ok":true,"email":"taro@example.jp"}`
	c := fast(httpclient.Config{})
	ctx := context.Background()
	for range 3 {
		if _, err := c.Do(ctx, &httpclient.Request{URL: srv.URL, Key: "shop-a", Operation: "ListOrders"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Do(ctx, &httpclient.Request{Method: http.MethodPost, URL: srv.URL, Key: "shop-a", Body: []byte("12345"), Operation: "SetStock", Safe: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &httpclient.Request{URL: srv.URL, Key: "shop-b"}); err != nil {
		t.Fatal(err)
	}
	u, ok := c.Meter().Usage(time.Now(), "shop-a")
	if !ok {
		t.Fatal("no usage for shop-a")
	}
	if u.Calls != 4 || u.Errors != 0 || u.Retries != 0 || u.Throttled != 0 {
		t.Errorf("totals = %+v, want 4 calls and nothing else", u.Counts)
	}
	if got, want := u.BytesReceived, int64(4*len(body)); got != want {
		t.Errorf("BytesReceived = %d, want %d", got, want)
	}
	if u.BytesSent != 5 {
		t.Errorf("BytesSent = %d, want 5", u.BytesSent)
	}
	if lo := op(u, "ListOrders"); lo.Calls != 3 {
		t.Errorf("ListOrders calls = %d, want 3", lo.Calls)
	}
	if ss := op(u, "SetStock"); ss.Calls != 1 || ss.BytesSent != 5 {
		t.Errorf("SetStock = %+v, want 1 call of 5 bytes", ss.Counts)
	}
	if b, _ := c.Meter().Usage(time.Now(), "shop-b"); b.Calls != 1 || op(b, "GET").Calls != 1 {
		t.Errorf("shop-b = %+v, want one call under the method's name", b)
	}
	if keys := c.Meter().Keys(); len(keys) != 2 || keys[0] != "shop-a" || keys[1] != "shop-b" {
		t.Errorf("Keys = %v", keys)
	}
}

func TestUsageCountsRetriesErrorsAndThrottles(t *testing.T) {
	// 503, 503, 200: three calls, two retries, two errors.
	srv, _ := server(t, []int{503, 503, 200}, nil)
	c := fast(httpclient.Config{})
	if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: "k", Operation: "get"}); err != nil {
		t.Fatal(err)
	}
	u, _ := c.Meter().Usage(time.Now(), "k")
	if u.Calls != 3 || u.Retries != 2 || u.Errors != 2 || u.Throttled != 0 {
		t.Errorf("after 503, 503, 200: %+v, want 3 calls, 2 retries, 2 errors", u.Counts)
	}

	// A 429 returned at once: one call, one throttle, no error counted twice.
	srv429, _ := server(t, []int{429}, http.Header{"Retry-After": {"30"}})
	if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv429.URL, Key: "t"}); err == nil {
		t.Fatal("429 succeeded")
	}
	u, _ = c.Meter().Usage(time.Now(), "t")
	if u.Calls != 1 || u.Throttled != 1 || u.Errors != 0 || u.Retries != 0 {
		t.Errorf("after 429: %+v, want 1 call, 1 throttle", u.Counts)
	}

	// A platform's throttle signal inside a 200 counts as a throttle, not a success.
	throttle := func(resp *http.Response, body []byte) (time.Duration, bool) { return time.Millisecond, true }
	ct := fast(httpclient.Config{Throttle: throttle})
	srv200, _ := server(t, []int{200}, nil)
	_, _ = ct.Do(context.Background(), &httpclient.Request{URL: srv200.URL, Key: "s"})
	u, _ = ct.Meter().Usage(time.Now(), "s")
	if u.Calls != 1 || u.Throttled != 1 {
		t.Errorf("throttle signal: %+v, want 1 call, 1 throttle", u.Counts)
	}

	// A call the limiter never let out is not counted.
	cc := fast(httpclient.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = cc.Do(ctx, &httpclient.Request{URL: srv200.URL, Key: "never"})
	if _, ok := cc.Meter().Usage(time.Now(), "never"); ok {
		t.Error("a call that never went out was counted")
	}
}

func TestUsageBudgetFromPublishedLimitsAndAnswers(t *testing.T) {
	srv, _ := server(t, []int{200}, http.Header{"X-Limit": {"0.5"}})
	budget := func(resp *http.Response, body []byte) (connector.Budget, float64, bool) {
		r, err := strconv.ParseFloat(resp.Header.Get("X-Limit"), 64)
		if err != nil {
			return connector.Budget{}, 0, false
		}
		return connector.Budget{Rate: r}, 2, true
	}
	c := fast(httpclient.Config{Rate: 10, Burst: 5})
	_, _ = c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: "k", Operation: "op"})
	u, _ := c.Meter().Usage(time.Now(), "k")
	if b := op(u, "op").Budget; b.Rate != 10 || b.Burst != 5 || b.Unit != "calls" || !b.AsOf.IsZero() {
		t.Errorf("published budget = %+v, want 10/s burst 5 in calls", b)
	}

	c = fast(httpclient.Config{Rate: 10, Burst: 5, Budget: budget})
	_, _ = c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: "k", Operation: "op"})
	u, _ = c.Meter().Usage(time.Now(), "k")
	if b := op(u, "op").Budget; b.Rate != 0.5 || b.Burst != 5 || b.AsOf.IsZero() {
		t.Errorf("stated budget = %+v, want the platform's 0.5/s, the published burst and AsOf set", b)
	}
	if u.Cost != 2 {
		t.Errorf("Cost = %v, want 2", u.Cost)
	}
}

func TestUsageForecastsCaps(t *testing.T) {
	srv, _ := server(t, []int{200}, nil)
	clock := &testClock{t: time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)}
	c := fast(httpclient.Config{Now: clock.Now, Caps: []connector.Cap{{Window: 24 * time.Hour, Limit: 1000}, {Window: time.Hour, Limit: 100}}})
	// One call a minute for an hour: 60 calls, 1/min.
	for range 60 {
		if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: "k"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
	}
	now := clock.Now() // 07:00: 17 hours left in the day, the hour starts afresh
	u, _ := c.Meter().Usage(now, "k")
	if got := u.Rate * 60; got < 0.99 || got > 1.01 {
		t.Fatalf("rate = %v/min, want 1", got)
	}
	day, hour := u.Caps[0], u.Caps[1]
	if day.Used != 60 || day.Forecast != 60+17*60 || !day.Exceeds() {
		t.Errorf("day = %+v, want 60 used, %d forecast, exceeding", day, 60+17*60)
	}
	if want := now.Add(940 * time.Minute); !day.ExceedsAt.Equal(want) {
		t.Errorf("ExceedsAt = %v, want %v", day.ExceedsAt, want)
	}
	if hour.Used != 0 || hour.Forecast != 60 || hour.Exceeds() || !hour.ExceedsAt.IsZero() {
		t.Errorf("hour = %+v, want a fresh window forecast at 60 of 100", hour)
	}
	if !day.Start.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) || !hour.End.Equal(now.Add(time.Hour)) {
		t.Errorf("windows: day from %v, hour to %v", day.Start, hour.End)
	}

	// A daily cap in Asia/Tokyo resets at 15:00 UTC.
	tokyo := time.FixedZone("JST", 9*3600)
	cj := connector.Cap{Window: 24 * time.Hour, Location: tokyo, Limit: 10}
	if s := cj.Start(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)); !s.Equal(time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("Tokyo day starts %v", s.UTC())
	}
}

func TestUsageConcurrent(t *testing.T) {
	srv, _ := server(t, []int{200}, nil)
	c := fast(httpclient.Config{Caps: []connector.Cap{{Window: time.Hour, Limit: 1 << 20}}})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var reads atomic.Int32
	for w := range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range each {
				key := "k" + strconv.Itoa(w%2)
				_, _ = c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: key, Operation: "op" + strconv.Itoa(i%3)})
			}
		}()
		go func() {
			defer wg.Done()
			for range each {
				for _, k := range c.Meter().Keys() {
					if _, ok := c.Meter().Usage(time.Now(), k); ok {
						reads.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, k := range c.Meter().Keys() {
		u, _ := c.Meter().Usage(time.Now(), k)
		total += u.Calls
		if u.Caps[0].Used != u.Calls {
			t.Errorf("%s: cap used %d, calls %d", k, u.Caps[0].Used, u.Calls)
		}
	}
	if total != workers*each {
		t.Errorf("calls = %d, want %d", total, workers*each)
	}
}
