package shopify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/inventory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// TestShopifyStockRepeatsApplied drives the engine, the Shopify client and the fake through a
// SKU going 5 → 4 → 5 → 4 (a sale, the sale withdrawn, another sale): the shop must show 4, and
// the engine must know it. With the call's key derived from its content, the last push repeated
// the second one's key and the fake answered it from memory without applying it. Each run also
// loses the answer of one push, which the next sync sends again with the same key.
func TestShopifyStockRepeatsApplied(t *testing.T) {
	values := []int{5, 4, 5, 4}
	for lost := -1; lost < len(values); lost++ {
		name := "no answer lost"
		if lost >= 0 {
			name = fmt.Sprintf("answer to push %d lost", lost+1)
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			fake := shopifytest.NewTest(t, shopifytest.Options{})
			client, err := shopify.New(shopify.Config{Shop: fake.Shop(), BaseURL: fake.URL(), AccessToken: fake.Token(),
				LocationID: fake.LocationID(),
				// No retries in the HTTP layer: a lost answer must reach the engine, which sends
				// the write again on its next sync.
				HTTP: httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: time.Second, RetryMax: -1})})
			if err != nil {
				t.Fatal(err)
			}
			fake.AddVariant("SENCHA", 0)
			engine := tobirasync.New(memstore.New(), tobirasync.Options{})
			wh := &memory.Warehouse{}
			if err := engine.PutMerchant(tobirasync.Merchant{ID: "tea",
				Channels:   []tobirasync.Channel{{ID: "shopify", Target: client}},
				Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: wh}},
			}); err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			for i, v := range values {
				at = at.Add(time.Second)
				if i == lost {
					// The push SetOnHand makes lands, and its answer never comes back.
					fake.StallNext()
				}
				if err := engine.SetOnHand(ctx, "tea", inventory.Level{SKU: "SENCHA", OnHand: v, AsOf: at}); err != nil {
					t.Fatal(err)
				}
				if _, err := engine.SyncStock(ctx, "tea"); err != nil {
					t.Fatalf("push %d (%d): %v", i+1, v, err)
				}
				if n, _ := fake.Available("SENCHA"); n != v {
					t.Fatalf("after push %d the shop shows %d, want %d", i+1, n, v)
				}
			}
			drift, err := engine.Reconcile(ctx, "tea", "shopify", false)
			if err != nil || len(drift) != 0 {
				t.Fatalf("Reconcile = %+v, %v; the engine's ledger must agree with the shop", drift, err)
			}
		})
	}
}

// TestShopifyStockRetryIsTheSameWrite: a push whose answer was lost is sent again with its key,
// so Shopify recognises it and does not apply it a second time over a sale made meanwhile.
func TestShopifyStockRetryIsTheSameWrite(t *testing.T) {
	ctx := context.Background()
	fake := shopifytest.NewTest(t, shopifytest.Options{})
	client, err := shopify.New(shopify.Config{Shop: fake.Shop(), BaseURL: fake.URL(), AccessToken: fake.Token(),
		LocationID: fake.LocationID(),
		HTTP:       httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: time.Second, RetryMax: -1})})
	if err != nil {
		t.Fatal(err)
	}
	fake.AddVariant("SENCHA", 0)
	engine := tobirasync.New(memstore.New(), tobirasync.Options{})
	if err := engine.PutMerchant(tobirasync.Merchant{ID: "tea",
		Channels:   []tobirasync.Channel{{ID: "shopify", Target: client}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}},
	}); err != nil {
		t.Fatal(err)
	}
	fake.StallNext()
	if err := engine.SetOnHand(ctx, "tea", inventory.Level{SKU: "SENCHA", OnHand: 6, AsOf: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n, _ := fake.Available("SENCHA"); n != 6 {
		t.Fatalf("the stalled push did not land: the shop shows %d", n)
	}
	fake.SetAvailable("SENCHA", 5) // a buyer takes one before the engine hears back
	if _, err := engine.SyncStock(ctx, "tea"); err != nil {
		t.Fatal(err)
	}
	if n, _ := fake.Available("SENCHA"); n != 5 {
		t.Fatalf("the push sent again set the shop to %d over a sale: it was taken for a new write", n)
	}
}
