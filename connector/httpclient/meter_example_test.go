package httpclient_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// A connector names each call's credential and operation; the client's Meter counts them against
// the platform's budget and forecasts its hourly cap at the current rate.
func ExampleMeter() {
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"orders":[]}`)
	}))
	defer platform.Close()

	now := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	c := httpclient.New(httpclient.Config{
		Rate: rate.Limit(2), Burst: 10, // the platform's published limits
		Caps: []connector.Cap{{Window: time.Hour, Limit: 5000}}, // BASE: 5,000 calls an hour
		Now:  func() time.Time { return now },
	})
	ctx := context.Background()
	for range 3 {
		_, _ = c.Do(ctx, &httpclient.Request{URL: platform.URL + "/orders", Key: "shop-1", Operation: "listOrders"})
	}
	_, _ = c.Do(ctx, &httpclient.Request{URL: platform.URL + "/busy", Key: "shop-1", Operation: "listOrders"})

	u, _ := c.Meter().Usage(now, "shop-1")
	op := u.Operations[0]
	fmt.Printf("%s: %d calls, %d throttled, %d bytes received, budget %g %s/s\n",
		op.Name, op.Calls, op.Throttled, op.BytesReceived, op.Budget.Rate, op.Budget.Unit)
	hour := u.Caps[0]
	fmt.Printf("this hour: %d used, %d forecast of %d\n", hour.Used, hour.Forecast, hour.Cap.Limit)
	// Output:
	// listOrders: 4 calls, 1 throttled, 39 bytes received, budget 2 calls/s
	// this hour: 4 used, 16 forecast of 5000
}
