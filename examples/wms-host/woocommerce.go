package main

import (
	"context"
	"strconv"

	"github.com/tobira-commerce/tobira/connector/woocommerce"
	"github.com/tobira-commerce/tobira/connector/woocommerce/woocommercetest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openWooCommerceShop opens kyoto-wagashi, a merchant running its own WooCommerce shop with
// Japanized for WooCommerce (delivery date and slot in order meta_data) and without the
// Shipment Tracking extension, so its buyers get the tracking number as an order note. The fake
// is a TLS server; the connector reaches it through the fake's transport.
func openWooCommerceShop(ctx context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	fake := woocommercetest.New(woocommercetest.Options{Now: clock.Now})
	skus := []string{"YOKAN-KURI", "MONAKA-6"}
	fake.AddProduct(skus[0], 0)
	fake.AddVariableProduct("最中", skus[1])
	// A spring novelty, on sale before its first carton reaches the warehouse.
	const newSKU = "SAKURA-MOCHI-6"
	fake.AddProduct(newSKU, 5)
	client, err := woocommerce.New(woocommerce.Config{URL: fake.URL(), ConsumerKey: fake.ConsumerKey(),
		ConsumerSecret: fake.ConsumerSecret(), WebhookSecret: fake.WebhookSecret(), Transport: fake.Transport()})
	if err != nil {
		fake.Close()
		return nil, err
	}
	var orders []int64
	addr := woocommercetest.Address{LastName: "佐藤", FirstName: "花子", Address1: "四条通烏丸東入長刀鉾町1", City: "京都市下京区",
		State: "JP26", Postcode: "600-8008", Country: "JP", Phone: "075-123-4567"}
	order := func(sku string, i int) int64 {
		return fake.CreateOrder(woocommercetest.OrderInput{Shipping: addr, Billing: addr,
			Lines: []woocommercetest.LineInput{{SKU: sku, Name: "和菓子", Quantity: 1 + i, Price: 2160}},
			Meta: []woocommercetest.Meta{{Key: "wc4jp-delivery-date", Value: clock.Now().AddDate(0, 0, 3).Format("2006/01/02")},
				{Key: "wc4jp-delivery-time-zone", Value: "14:00-16:00"}}})
	}
	return &channelShop{
		merchant: "kyoto-wagashi",
		channel:  tobirasync.Channel{ID: "woocommerce", Source: client, Sink: client, Target: client},
		skus:     skus,
		order: func(i int) error {
			orders = append(orders, order(skus[i%len(skus)], i))
			return nil
		},
		newSKU: newSKU,
		launch: func() error {
			orders = append(orders, order(newSKU, 0))
			return nil
		},
		shows: func(ctx context.Context, story func(string, ...any)) error {
			for _, id := range orders {
				o, _ := fake.Order(id)
				for _, n := range o.Notes {
					story("kyoto-wagashi #%s: WooCommerce shows %s, note %q", strconv.FormatInt(id, 10), o.Status, n.Note)
				}
			}
			for _, sku := range skus {
				n, _ := fake.Stock(sku)
				story("kyoto-wagashi: WooCommerce offers %d of %s", n, sku)
			}
			return nil
		},
		close: fake.Close,
	}, nil
}
