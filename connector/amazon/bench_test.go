package amazon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
)

// resyncScale is the time scale of BenchmarkStockResync: every usage plan runs this many times
// faster than Amazon's, on the fake and in the client alike.
const resyncScale = 20

// BenchmarkStockResync sets 100,000 SKUs, as a full resync does, in feeds of 25,000 against a
// fake whose usage plans start spent (the worst case: the bursts were used up earlier). It
// reports the time taken, the bound the feed operations' usage plans set on it (the most any
// one operation needs: the calls it makes divided by its rate), their ratio, and the throttle
// answers received (none is the goal). Times are in the scaled clock; multiply by resyncScale
// for Amazon's.
//
// The engine sends a channel's batches one after another, so the resync is four SetStock calls
// in a row. What it takes beyond the bound is the work no usage plan paces: the last feed's
// processing in the fake and the download of its report. That work takes real time, not
// scaled time, which is why the scale is a modest 20: at 100 the fake's processing of 25,000
// messages on a shared machine is a visible share of a 4.8-second bound. Amazon's own
// processing time (minutes for a large feed) is not modelled.
//
//	go test ./connector/amazon -run '^$' -bench StockResync -benchtime 1x
func BenchmarkStockResync(b *testing.B) {
	const skus = 100000
	for range b.N {
		b.StopTimer()
		fake := amazontest.New(amazontest.Options{RateScale: resyncScale, EmptyBuckets: true})
		c, err := amazon.New(amazon.Config{SellerID: fake.SellerID(), ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
			RefreshToken: fake.RefreshToken, Endpoint: fake.URL(), TokenEndpoint: fake.TokenURL(),
			RateScale: resyncScale, ColdStart: true, FeedPoll: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		updates := make([]connector.StockUpdate, skus)
		for i := range updates {
			sku := fmt.Sprintf("SKU-%06d", i)
			fake.AddListing(sku, "PRODUCT", 0)
			updates[i] = connector.StockUpdate{SKU: sku, Available: i % 50, Key: "k" + sku}
		}
		b.StartTimer()
		start := time.Now()
		limit := c.BatchLimit()
		for lo := 0; lo < len(updates); lo += limit {
			res, err := c.SetStock(context.Background(), updates[lo:min(lo+limit, len(updates))])
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		took := time.Since(start)
		b.StopTimer()
		st := fake.Stats()
		bound := 0.0
		for _, op := range []string{"createFeedDocument", "createFeed", "getFeed", "getFeedDocument"} {
			r, _, _ := amazon.UsagePlan(op)
			bound = max(bound, float64(st.ByOperation[op])/(r*resyncScale))
		}
		if n, _ := fake.Quantity("SKU-099999"); n != 99999%50 {
			b.Fatalf("the last SKU shows %d", n)
		}
		b.ReportMetric(took.Seconds(), "s/resync")
		b.ReportMetric(bound, "s-bound")
		b.ReportMetric(took.Seconds()/bound, "ratio")
		b.ReportMetric(float64(st.Throttled), "throttled")
		b.Logf("100,000 SKUs at time scale %d: %.3f s (Amazon: %.0f s), bound %.3f s (Amazon: %.0f s), ratio %.3f, %d feeds, %d throttle answers",
			resyncScale, took.Seconds(), took.Seconds()*resyncScale, bound, bound*resyncScale, took.Seconds()/bound, st.ByOperation["createFeed"], st.Throttled)
		fake.Close()
	}
}
