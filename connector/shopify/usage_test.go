package shopify_test

import (
	"context"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/inventory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// engineClock lets the engine run on the fake shop's virtual clock.
type engineClock struct{ *shopifytest.VirtualClock }

func (c engineClock) After(d time.Duration) <-chan time.Time {
	c.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// TestUsageThroughEngine: the client's calls are counted per GraphQL operation with the cost
// bucket Shopify states, and the host reads them through Engine.Usage.
func TestUsageThroughEngine(t *testing.T) {
	ctx := context.Background()
	clock := shopifytest.NewVirtualClock(start)
	fake := shopifytest.NewTest(t, shopifytest.Options{Now: clock.Now})
	// The client's own HTTP client (Config.HTTP nil): Throttled, CostBudget and the clock wired.
	client, err := shopify.New(shopify.Config{Shop: fake.Shop(), BaseURL: fake.URL(), AccessToken: fake.Token(),
		LocationID: fake.LocationID(), Clock: clock, LinesPerOrder: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := client.Usage(clock.Now()); len(got) != 0 {
		t.Fatalf("usage before any call: %+v", got)
	}
	for i := range 3 {
		fake.CreateOrder(newOrder(i))
	}
	fake.AddVariant("SKU-A", 0)
	clock.Advance(time.Minute)

	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: engineClock{clock}})
	if err := engine.PutMerchant(tobirasync.Merchant{ID: "tea",
		Channels:   []tobirasync.Channel{{ID: "shopify", Source: client, Sink: client, Target: client}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}},
	}); err != nil {
		t.Fatal(err)
	}
	fake.ThrottleNext(2 * time.Second)
	if _, err := engine.SyncOrders(ctx, "tea", "shopify"); connector.Classify(err) != connector.Retryable {
		t.Fatalf("first run against a throttling shop: %v", err)
	}
	if _, err := engine.SyncOrders(ctx, "tea", "shopify"); err != nil {
		t.Fatal(err)
	}
	if err := engine.SetOnHand(ctx, "tea", inventory.Level{SKU: "SKU-A", OnHand: 10, AsOf: clock.Now()}); err != nil {
		t.Fatal(err)
	}

	usage, err := engine.Usage("tea")
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 1 || usage[0].Channel != "shopify" || usage[0].Warehouse || len(usage[0].Usage) != 1 {
		t.Fatalf("Usage = %+v, want one entry for the shop, its three roles counted once", usage)
	}
	u := usage[0].Usage[0]
	stats := fake.Stats()
	if u.Key != fake.Shop() {
		t.Errorf("Key = %q, want the shop %q", u.Key, fake.Shop())
	}
	if u.Calls != int64(stats.Requests) || u.Throttled != int64(stats.Throttled) || u.Throttled != 1 {
		t.Errorf("counted %d calls, %d throttled; the shop saw %d and %d (one throttled)", u.Calls, u.Throttled, stats.Requests, stats.Throttled)
	}
	if u.BytesSent == 0 || u.BytesReceived == 0 || u.Cost <= 0 {
		t.Errorf("bytes %d/%d, cost %v: want all counted", u.BytesSent, u.BytesReceived, u.Cost)
	}
	names := map[string]connector.OperationUsage{}
	for _, o := range u.Operations {
		names[o.Name] = o
	}
	lo, ok := names["ListOrders"]
	if !ok || names["SetStock"].Calls == 0 {
		t.Fatalf("operations = %v, want ListOrders and SetStock", u.Operations)
	}
	if lo.Throttled != 1 || lo.Calls < 2 {
		t.Errorf("ListOrders = %+v, want the throttle counted against it", lo.Counts)
	}
	b := lo.Budget
	if b.Unit != "cost" || b.Burst != 1000 || b.Rate != 50 || b.AsOf.IsZero() || b.Available <= 0 || b.Available > 1000 {
		t.Errorf("ListOrders budget = %+v, want Shopify's stated bucket of 1000 cost points at 50/s", b)
	}
}
