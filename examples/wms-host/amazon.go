package main

import (
	"context"
	"time"

	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openAmazonShop opens uji-matcha, a merchant selling on Amazon.co.jp (merchant-fulfilled), on a
// fake SP-API whose buyers order on the engine's clock. The fake and the client run Amazon's
// usage plans ten times faster, so the run does not wait on getOrders' one call a minute.
func openAmazonShop(ctx context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	const scale = 10
	fake := amazontest.New(amazontest.Options{Now: clock.Now, RateScale: scale})
	skus := []string{"GYOKURO-50G", "HOJICHA-200G"}
	for _, sku := range skus {
		fake.AddListing(sku, "GROCERY", 0)
	}
	client, err := amazon.New(amazon.Config{
		SellerID: fake.SellerID(), MarketplaceID: amazon.Japan,
		ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, RefreshToken: fake.RefreshToken,
		Endpoint: fake.URL(), TokenEndpoint: fake.TokenURL(), Now: clock.Now, RateScale: scale,
	})
	if err != nil {
		fake.Close()
		return nil, err
	}
	var orders []string
	addr := amazontest.Address{Name: "鈴木 一郎", Phone: "06-1234-5678", PostalCode: "5300001", Prefecture: "大阪府",
		City: "大阪市北区", Line1: "梅田1-1-1"}
	return &channelShop{
		merchant: "uji-matcha",
		// Amazon lists nothing updated in the last two minutes: settle past that, so every run
		// lists the young stretch again.
		channel: tobirasync.Channel{ID: "amazon", Source: client, Sink: client, Target: client,
			Listing: tobirasync.ListingPolicy{Settle: 3 * time.Minute}},
		skus: skus,
		order: func(i int) error {
			orders = append(orders, fake.CreateOrder(amazontest.OrderInput{ShipTo: addr,
				Items: []amazontest.ItemInput{{SKU: skus[i%len(skus)], Title: "お茶", Quantity: 1 + i, Price: 1800}}}))
			return nil
		},
		shows: func(ctx context.Context, story func(string, ...any)) error {
			for _, id := range orders {
				o, _ := fake.Order(id)
				for _, p := range o.Packages {
					story("uji-matcha %s: Amazon shows %s, %s %s", id, o.Status, p.CarrierCode, p.TrackingNumber)
				}
			}
			for _, sku := range skus {
				n, _ := fake.Quantity(sku)
				story("uji-matcha: Amazon offers %d of %s", n, sku)
			}
			return nil
		},
		close: fake.Close,
	}, nil
}
