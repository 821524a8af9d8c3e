package httpclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

type recordedCalls struct {
	mu    sync.Mutex
	calls []connector.Call
}

func (r *recordedCalls) ObserveCall(_ context.Context, c connector.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c)
}

// Every Do is reported once to the observer its context carries, with its attempts summed.
func TestCallObserverSeesEachCall(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky":
			if n.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte(`{"ok":true}`))
		case "/throttled":
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	c := httpclient.New(httpclient.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	rec := &recordedCalls{}
	ctx := connector.WithCallObserver(context.Background(), rec)

	if _, err := c.Do(ctx, &httpclient.Request{URL: srv.URL + "/flaky", Key: "shop-a", Operation: "listOrders"}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Do(ctx, &httpclient.Request{Method: http.MethodPost, URL: srv.URL + "/throttled", Key: "shop-a", Body: []byte("{}")})
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("throttled call: %v", err)
	}
	// Without an observer in the context nothing is reported.
	if _, err := c.Do(context.Background(), &httpclient.Request{URL: srv.URL + "/flaky", Key: "shop-a"}); err != nil {
		t.Fatal(err)
	}

	if len(rec.calls) != 2 {
		t.Fatalf("observer saw %d calls, want 2: %+v", len(rec.calls), rec.calls)
	}
	ok, th := rec.calls[0], rec.calls[1]
	if ok.Key != "shop-a" || ok.Operation != "listOrders" || ok.Status != 200 || ok.Attempts != 2 || ok.Throttled ||
		ok.BytesReceived != int64(len(`{"ok":true}`)) || ok.Err != nil || ok.Duration <= 0 || ok.Start.IsZero() {
		t.Errorf("retried call reported as %+v", ok)
	}
	if th.Operation != http.MethodPost || th.Status != 429 || th.Attempts != 1 || !th.Throttled || th.BytesSent != 2 || th.Err == nil {
		t.Errorf("throttled call reported as %+v", th)
	}
}
