package rakuten_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
)

// BenchmarkStockResync pushes stock for 100,000 SKUs to a fake that refuses calls faster than
// RMS's bulk-upsert rate (1 call a second per license key), both scaled 20 times so a run takes
// about 12 s (a call must fit in 50 ms on a loaded machine), and reports the time taken against
// the bound the rate sets (calls needed ÷ rate).
func BenchmarkStockResync(b *testing.B) {
	const (
		skus  = 100000
		scale = 20.0
	)
	fake := rakutentest.New(rakutentest.Options{EnforceRates: true, RateScale: scale})
	defer fake.Close()
	c, err := rakuten.New(rakuten.Config{Shop: "bench", BaseURL: fake.URL(), ServiceSecret: fake.ServiceSecret(),
		LicenseKey: fake.LicenseKey(), KeyExpiresAt: fake.KeyExpiry(), RateScale: scale})
	if err != nil {
		b.Fatal(err)
	}
	updates := make([]connector.StockUpdate, skus)
	for i := range updates {
		updates[i] = connector.StockUpdate{SKU: fmt.Sprintf("item-%06d:std", i), Available: i % 50, Key: fmt.Sprintf("k%d", i)}
	}
	calls := (skus + c.BatchLimit() - 1) / c.BatchLimit()
	bound := time.Duration(float64(calls) / (rakuten.StockWriteRate * scale) * float64(time.Second))
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for i := 0; i < skus; i += c.BatchLimit() {
			res, err := c.SetStock(ctx, updates[i:min(i+c.BatchLimit(), skus)])
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		elapsed := time.Since(start)
		ratio := elapsed.Seconds() / bound.Seconds()
		b.ReportMetric(ratio, "x_bound")
		b.ReportMetric(elapsed.Seconds(), "s_taken")
		b.ReportMetric(bound.Seconds(), "s_bound")
		fmt.Printf("stock resync: %d SKUs in %d bulk-upsert calls took %s; the rate limit (%.0f calls/s, RMS's 1/s scaled %.0f×) bounds it at %s; ratio %.3f; throttle answers %d\n",
			skus, calls, elapsed.Round(time.Millisecond), rakuten.StockWriteRate*scale, scale, bound, ratio, fake.Stats().Throttled)
	}
	b.StopTimer()
	if n := fake.Stats().Throttled; n > 0 {
		b.Fatalf("the fake throttled %d calls: the client paced itself too fast", n)
	}
	if n, _ := fake.Stock("item-099999", "std"); n != 99999%50 {
		b.Fatalf("the last SKU shows %d, want %d", n, 99999%50)
	}
}
