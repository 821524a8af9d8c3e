package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/console"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// BenchmarkAttention renders the attention page (first page of every list, then one merchant's)
// and the overview from a memstore holding 100,000 orders of 1,000 merchants, 10,000
// quarantined items and 5,000 held orders.
func BenchmarkAttention(b *testing.B) {
	ctx := context.Background()
	store := memstore.New()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rec := console.NewRecorder(console.RecorderOptions{Clock: clock})
	engine := tobirasync.New(store, tobirasync.Options{Clock: clock, Observer: rec})
	const orders, merchants = 100_000, 1_000
	for i := range orders {
		k := ledger.OrderKey{Merchant: fmt.Sprintf("m%04d", i%merchants), Channel: "shop", OrderID: fmt.Sprint(i)}
		o := &order.Order{ID: k.OrderID, Status: order.StatusOpen, Lines: []order.Line{{ID: "1", SKU: "SENCHA", Quantity: 1}}}
		r := &ledger.OrderRecord{Key: k, Order: o, Fingerprint: o.Fingerprint(), State: ledger.StateSent, UpdatedAt: clock.Now()}
		switch {
		case i%10 == 0:
			r.State = ledger.StateQuarantined
			q := ledger.QuarantineEntry{ID: "order:" + k.String(), Kind: "order", Merchant: k.Merchant, Source: k.Channel,
				ItemID: k.OrderID, Reason: "line 1: quantity must be positive", At: clock.Now()}
			if err := store.PutQuarantine(ctx, q); err != nil {
				b.Fatal(err)
			}
		case i%20 == 1:
			r.State, r.ManualHold, r.ManualReason = ledger.StateHeld, true, "fraud check"
			rec.Observe(tobirasync.OrderHeld{Key: k, Reason: "held by host: fraud check"})
		}
		if err := store.PutOrder(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	for i := range merchants {
		err := engine.PutMerchant(tobirasync.Merchant{ID: fmt.Sprintf("m%04d", i), Channels: []tobirasync.Channel{{ID: "shop"}},
			Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: &memory.Warehouse{}}}})
		if err != nil {
			b.Fatal(err)
		}
	}
	h := console.New(engine, console.Options{Recorder: rec})
	for _, page := range []string{"/attention", "/attention?merchant=m0042", "/", "/?page=20"} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", page, nil))
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
				_, _ = io.Copy(io.Discard, w.Body)
			}
		})
	}
}
