package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/console"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// A host creates the console's Recorder before the engine, so that the console sees the
// engine's events, and mounts the console under a path of its own, behind its own
// authentication (here a header check stands in for it).
func Example() {
	ctx := context.Background()
	rec := console.NewRecorder(console.RecorderOptions{})
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Observer: rec})
	shop, warehouse := &memory.Channel{}, &memory.Warehouse{}
	err := engine.PutMerchant(tobirasync.Merchant{
		ID:         "tea-house",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: warehouse}},
	})
	if err != nil {
		panic(err)
	}

	operatorsOnly := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Operator") == "" { // the host's own authentication
				http.Error(w, "forbidden", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/ops/tobira/", operatorsOnly(http.StripPrefix("/ops/tobira", console.New(engine, console.Options{Recorder: rec}))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// An order with a negative quantity cannot be processed: it is quarantined.
	shop.Place(order.Order{ID: "1001", Status: order.StatusOpen,
		Lines: []order.Line{{ID: "1", SKU: "SENCHA", Quantity: -1}}})
	_, _ = engine.SyncOrders(ctx, "tea-house", "shop")

	req, _ := http.NewRequest("GET", srv.URL+"/ops/tobira/attention", nil)
	req.Header.Set("X-Operator", "hanako")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, "- order 1001 waits for an operator:", strings.Contains(string(page), ">1001</a>"))
	// Output: 200 OK - order 1001 waits for an operator: true
}
