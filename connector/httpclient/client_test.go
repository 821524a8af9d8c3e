package httpclient_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// server answers with the statuses in seq, one per request, repeating the last.
func server(t *testing.T, seq []int, hdr http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(seq) {
			i = len(seq) - 1
		}
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.WriteHeader(seq[i])
		w.Write([]byte(`{"ok":true,"email":"taro@example.jp"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func fast(cfg httpclient.Config) *httpclient.Client {
	cfg.RetryWaitMin = time.Millisecond
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 5 * time.Millisecond
	}
	return httpclient.New(cfg)
}

func TestStatusMapping(t *testing.T) {
	cases := []struct {
		status int
		want   error
	}{
		{401, connector.ErrUnauthorized}, {403, connector.ErrUnauthorized}, {404, connector.ErrNotFound},
		{400, connector.ErrPermanent}, {422, connector.ErrPermanent}, {500, connector.ErrTemporary},
		{503, connector.ErrTemporary}, {429, connector.ErrTemporary},
	}
	for _, tc := range cases {
		srv, n := server(t, []int{tc.status}, nil)
		c := fast(httpclient.Config{})
		_, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/x?access_token=shpat_abc123"})
		if !errors.Is(err, tc.want) {
			t.Errorf("status %d: err = %v, want %v", tc.status, err, tc.want)
		}
		var se *httpclient.StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("status %d: no StatusError in %v", tc.status, err)
		}
		if strings.Contains(err.Error(), "shpat_") || strings.Contains(err.Error(), "taro@") {
			t.Errorf("status %d: error leaks a secret or the body: %v", tc.status, err)
		}
		wantCalls := int32(1)
		if tc.status >= 500 {
			wantCalls = 4 // GET retried DefaultRetryMax times
		}
		if got := n.Load(); got != wantCalls {
			t.Errorf("status %d: %d calls, want %d", tc.status, got, wantCalls)
		}
	}
}

func TestRateLimitErrorCarriesRetryAfter(t *testing.T) {
	srv, n := server(t, []int{429}, http.Header{"Retry-After": {"7"}})
	_, err := fast(httpclient.Config{}).Do(context.Background(), &httpclient.Request{URL: srv.URL})
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait != 7*time.Second {
		t.Fatalf("err = %v, want RateLimitError with 7s", err)
	}
	if n.Load() != 1 {
		t.Fatalf("a 429 must cost exactly one upstream call by default, got %d", n.Load())
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}
	if d, ok := httpclient.RetryAfter(h, now); !ok || d != 90*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if _, ok := httpclient.RetryAfter(http.Header{"Retry-After": {"soon"}}, now); ok {
		t.Fatal("garbage parsed")
	}
}

func TestRetryThrottledHonoursRetryAfter(t *testing.T) {
	srv, n := server(t, []int{429, 200}, http.Header{"Retry-After": {"0.02"}})
	start := time.Now()
	_, err := fast(httpclient.Config{RetryThrottled: true, RetryWaitMax: time.Second}).Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("calls %d after %v: Retry-After not honoured", n.Load(), time.Since(start))
	}
}

func TestThrottleHook(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Write([]byte(`{"errors":[{"extensions":{"code":"THROTTLED"}}]}`))
			return
		}
		w.Write([]byte(`{"data":{}}`))
	}))
	defer srv.Close()
	hook := func(resp *http.Response, body []byte) (time.Duration, bool) {
		return 3 * time.Millisecond, bytes.Contains(body, []byte("THROTTLED"))
	}
	// Without RetryThrottled: one call, a RateLimitError with the hook's wait.
	_, err := fast(httpclient.Config{Throttle: hook}).Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL, Safe: true})
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait != 3*time.Millisecond || n.Load() != 1 {
		t.Fatalf("err = %v after %d calls", err, n.Load())
	}
	// With it: retried after the wait, and the second answer is returned.
	resp, err := fast(httpclient.Config{Throttle: hook, RetryThrottled: true}).Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL, Safe: true})
	if err != nil || string(resp.Body) != `{"data":{}}` {
		t.Fatalf("resp %v err %v", resp, err)
	}
}

func TestNonGetRetriedOnlyWhenSafe(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   httpclient.Request
		calls int32
	}{
		{"plain POST", httpclient.Request{Method: "POST"}, 1},
		{"POST with key", httpclient.Request{Method: "POST", IdempotencyKey: "k1"}, 4},
		{"POST marked safe", httpclient.Request{Method: "POST", Safe: true}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keys atomic.Int32
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				if r.Header.Get(httpclient.IdempotencyKeyHeader) == "k1" {
					keys.Add(1)
				}
				w.WriteHeader(502)
			}))
			defer srv.Close()
			req := tc.req
			req.URL = srv.URL
			req.Body = []byte(`{}`)
			_, err := fast(httpclient.Config{}).Do(context.Background(), &req)
			if !errors.Is(err, connector.ErrTemporary) {
				t.Fatalf("err = %v", err)
			}
			if n.Load() != tc.calls {
				t.Fatalf("%d calls, want %d", n.Load(), tc.calls)
			}
			if tc.req.IdempotencyKey != "" && keys.Load() != n.Load() {
				t.Fatal("idempotency key not sent on every attempt")
			}
		})
	}
}

func TestTimeoutAfterWriteIsOutcomeUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := fast(httpclient.Config{Timeout: 30 * time.Millisecond})
	_, err := c.Do(context.Background(), &httpclient.Request{Method: "POST", URL: srv.URL, Body: []byte(`{}`)})
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("POST timeout: err = %v, want ErrOutcomeUnknown", err)
	}
	_, err = c.Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err == nil || errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("GET timeout: err = %v, want a plain retryable error", err)
	}
}

func TestBodyCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2000))
	}))
	defer srv.Close()
	_, err := fast(httpclient.Config{MaxBodyBytes: 1000}).Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if !errors.Is(err, httpclient.ErrBodyTooLarge) || !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("err = %v", err)
	}
	resp, err := fast(httpclient.Config{MaxBodyBytes: 2000}).Do(context.Background(), &httpclient.Request{URL: srv.URL})
	if err != nil || len(resp.Body) != 2000 {
		t.Fatalf("exactly the cap must pass: %v", err)
	}
}

func TestLimiterPacesEveryAttempt(t *testing.T) {
	srv, n := server(t, []int{500, 500, 200}, nil)
	c := fast(httpclient.Config{Rate: rate.Limit(50), Burst: 1})
	start := time.Now()
	if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL, Key: "shop-a"}); err != nil {
		t.Fatal(err)
	}
	// Three attempts at 50/s with burst 1 take at least 2 × 20ms.
	if el := time.Since(start); n.Load() != 3 || el < 38*time.Millisecond {
		t.Fatalf("%d attempts in %v: limiter not waited on before each", n.Load(), el)
	}
	// Another credential has its own limiter, and a cancelled ctx stops the wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, &httpclient.Request{URL: srv.URL, Key: "shop-b"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: err = %v", err)
	}
}

func TestLoggerRedacts(t *testing.T) {
	var buf bytes.Buffer
	l := httpclient.Logger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Error("request failed for hanako@example.com", "url", "https://shop.example/x?access_token=shpat_123",
		"X-Shopify-Access-Token", "shpat_secret", "error", errors.New("Authorization: Bearer abc.def"),
		"phone", "090-1234-5678", "note", "call +81 90 1234 5678")
	out := buf.String()
	for _, leak := range []string{"hanako@", "shpat_", "abc.def", "1234", "access_token="} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q: %s", leak, out)
		}
	}
	// A nil logger discards.
	httpclient.Logger(nil).Error("x", "k", "v")
}

func TestRequestLogsNothingByDefault(t *testing.T) {
	srv, _ := server(t, []int{200}, nil)
	var buf bytes.Buffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	if _, err := fast(httpclient.Config{}).Do(context.Background(), &httpclient.Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("logged without a logger: %s", buf.String())
	}
}

func TestDecode(t *testing.T) {
	type line struct {
		Qty int `json:"qty"`
	}
	type doc struct {
		Lines []line `json:"lines"`
	}
	var d doc
	err := httpclient.Decode([]byte(`{"lines":[{"qty":"taro@example.com"}]}`), &d, httpclient.DecodeOptions{})
	var de *httpclient.DecodeError
	if !errors.As(err, &de) || de.Path != "lines.qty" || de.Offset == 0 || strings.Contains(err.Error(), "taro") {
		t.Fatalf("type error: %v", err)
	}
	err = httpclient.Decode([]byte(`{"lines":[],"extra":1}`), &d, httpclient.DecodeOptions{DisallowUnknownFields: true})
	if !errors.As(err, &de) || de.Path != "extra" || !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("unknown field: %v", err)
	}
	if err := httpclient.Decode([]byte(`{"lines":[],"extra":1}`), &d, httpclient.DecodeOptions{}); err != nil {
		t.Fatalf("lenient: %v", err)
	}
	if err := httpclient.Decode([]byte(`{"lines":[]} {}`), &d, httpclient.DecodeOptions{}); err == nil {
		t.Fatal("trailing data accepted")
	}
	if err := httpclient.Decode([]byte(`{"lines":[`), &d, httpclient.DecodeOptions{}); !errors.As(err, &de) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestWriteNeverSentIsNotOutcomeUnknown(t *testing.T) {
	srv, n := server(t, []int{200}, nil)
	c := fast(httpclient.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, &httpclient.Request{Method: "POST", URL: srv.URL, Body: []byte(`{}`),
		BeforeAttempt: func(ctx context.Context, _ int) error { <-ctx.Done(); return ctx.Err() }})
	if err == nil || errors.Is(err, connector.ErrOutcomeUnknown) || n.Load() != 0 {
		t.Fatalf("err = %v after %d calls: a write that never left is not of unknown outcome", err, n.Load())
	}
}
