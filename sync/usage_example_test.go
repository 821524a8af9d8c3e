package sync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// mallSource is a tiny channel connector: it lists orders through httpclient, naming the
// credential and the operation, and reports its client's meter.
type mallSource struct {
	hc  *httpclient.Client
	url string
}

func (s *mallSource) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if _, err := s.hc.Do(ctx, &httpclient.Request{URL: s.url, Key: "mall-shop-7", Operation: "searchOrder"}); err != nil {
		return nil, err
	}
	return &connector.OrderPage{}, nil
}

func (s *mallSource) Usage(now time.Time) []connector.Usage {
	if u, ok := s.hc.Meter().Usage(now, "mall-shop-7"); ok {
		return []connector.Usage{u}
	}
	return nil
}

// A host reads what each channel's platform calls cost through the engine, against the
// platform's daily cap, and hears (UsageForecast) when a channel is on course to exceed it.
func ExampleEngine_Usage() {
	mall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"orders":[]}`)
	}))
	defer mall.Close()

	clock := tobirasync.NewManualClock(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC))
	hc := httpclient.New(httpclient.Config{Now: clock.Now,
		Caps: []connector.Cap{{Window: 24 * time.Hour, Limit: 50}}}) // the mall's daily quota
	observer := tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		if f, ok := ev.(tobirasync.UsageForecast); ok {
			fmt.Printf("warning: %s on course for %d calls of %d today\n", f.Channel, f.Cap.Forecast, f.Cap.Cap.Limit)
		}
	})
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Observer: observer})
	_ = engine.PutMerchant(tobirasync.Merchant{ID: "tea-house",
		Channels:   []tobirasync.Channel{{ID: "mall", Source: &mallSource{hc: hc, url: mall.URL}}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: &memory.Warehouse{}}}})

	ctx := context.Background()
	for range 3 {
		_, _ = engine.SyncOrders(ctx, "tea-house", "mall")
		clock.Advance(5 * time.Minute)
	}

	usage, _ := engine.Usage("tea-house")
	for _, ch := range usage {
		for _, u := range ch.Usage {
			fmt.Printf("%s (%s): %d calls, %d throttled, %d used of %d today\n",
				ch.Channel, u.Key, u.Calls, u.Throttled, u.Caps[0].Used, u.Caps[0].Cap.Limit)
		}
	}
	// Output:
	// warning: mall on course for 580 calls of 50 today
	// mall (mall-shop-7): 10 calls, 0 throttled, 10 used of 50 today
}
