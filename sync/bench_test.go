package sync_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// BenchmarkSyncOrders measures the order flow end to end in memory: listing, ledger, routing,
// reservation, stock fan-out to two channels and submission to the warehouse. Run it with
// -cpu 1; it reports orders/s.
func BenchmarkSyncOrders(b *testing.B) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	shop := &memory.Channel{Now: clock.Now, PageSize: 250}
	mall := &memory.Channel{Now: clock.Now, PageSize: 250}
	wh := &memory.Warehouse{Now: clock.Now}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, PageLimit: 250, Settle: time.Second, Overlap: 10 * time.Second})
	err := eng.PutMerchant(tobirasync.Merchant{ID: "bench",
		Channels: []tobirasync.Channel{
			{ID: "shop", Source: shop, Sink: shop, Target: shop},
			{ID: "mall", Source: mall, Sink: mall, Target: mall},
		},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: wh, Shipments: wh, Stock: wh}}})
	if err != nil {
		b.Fatal(err)
	}
	const skus = 1000
	for i := range skus {
		wh.SetOnHand("SKU-"+strconv.Itoa(i), 1_000_000)
	}
	if _, err := eng.SyncStock(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	addr := order.Address{Name: "山田 太郎", PostalCode: "150-0001", Prefecture: "東京都", Line1: "渋谷区神宮前1-1-1"}
	const batch = 1000
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		b.StopTimer()
		n := min(batch, b.N-done)
		for i := range n {
			id := done + i
			shop.Place(order.Order{ID: strconv.Itoa(id), Status: order.StatusOpen, ShipTo: addr, Lines: []order.Line{
				{ID: "1", SKU: "SKU-" + strconv.Itoa(id%skus), Quantity: 1, UnitPrice: order.Yen(1000)},
				{ID: "2", SKU: "SKU-" + strconv.Itoa((id*7+3)%skus), Quantity: 2, UnitPrice: order.Yen(500)},
			}})
		}
		// A batch a minute (17 orders/s) with a 10 s overlap: each run also re-reads a sixth of
		// the previous batch, as production polling does.
		clock.Advance(time.Minute)
		b.StartTimer()
		res, err := eng.SyncOrders(ctx, "bench", "shop")
		if err != nil {
			b.Fatal(err)
		}
		if res.New != n {
			b.Fatalf("imported %d of %d", res.New, n)
		}
	}
	b.StopTimer()
	if wh.Submissions() != b.N {
		b.Fatalf("warehouse holds %d requests for %d orders", wh.Submissions(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
