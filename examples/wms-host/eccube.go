package main

import (
	"context"
	"fmt"

	"github.com/tobira-commerce/tobira/connector/eccube"
	"github.com/tobira-commerce/tobira/connector/eccube/eccubetest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openEccubeShop opens "kobe-coffee", a coffee roaster on its own EC-CUBE 4 with the Web API plugin,
// played by an eccubetest fake on the engine's clock. It needs the plugin's schema page
// (eccubetest.FindSchema; set TOBIRA_ECCUBE_SCHEMA).
func openEccubeShop(ctx context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	path, err := eccubetest.FindSchema()
	if err != nil {
		return nil, fmt.Errorf("the EC-CUBE shop needs the plugin's schema (set %s): %w", eccubetest.SchemaEnv, err)
	}
	schema, err := eccubetest.LoadSchemaFile(path)
	if err != nil {
		return nil, err
	}
	shop, err := eccubetest.New(eccubetest.Options{Schema: schema, Now: clock.Now, ClientCredentials: true})
	if err != nil {
		return nil, err
	}
	skus := []string{"KOBE-BLEND", "KOBE-MOCHA"}
	shop.AddProduct(skus[0], "神戸ブレンド 200g", 0)
	shop.AddProduct(skus[1], "モカ 200g", 0)
	client, err := eccube.New(eccube.Config{BaseURL: shop.URL(), ClientID: shop.ClientID(), ClientSecret: shop.ClientSecret(), Rate: 100})
	if err != nil {
		shop.Close()
		return nil, err
	}
	buyer := eccubetest.Address{Name01: "佐藤", Name02: "珈子", PhoneNumber: "0661234567", PostalCode: "5300001",
		PrefID: 27, Addr01: "大阪市北区梅田", Addr02: "1-1-1"}
	var placed []string
	return &channelShop{
		merchant: "kobe-coffee",
		channel:  tobirasync.Channel{ID: "eccube", Source: client, Sink: client, Target: client},
		skus:     skus,
		order: func(i int) error {
			id := shop.PlaceOrder(eccubetest.OrderInput{Buyer: buyer, Email: "kobe@example.jp", PaymentMethod: "代金引換",
				Charge: 330, DeliveryFee: 880, DeliveryDate: clock.Now().AddDate(0, 0, 3), DeliveryTime: "19時～21時",
				Lines: []eccubetest.LineInput{{Code: skus[i%2], Name: "珈琲豆", Quantity: 1 + i, Price: 1200}}})
			placed = append(placed, id)
			return nil
		},
		shows: func(ctx context.Context, story func(string, ...any)) error {
			for _, id := range placed {
				for _, sh := range shop.Shippings(id) {
					if sh.Shipped {
						story("kobe-coffee: EC-CUBE shows order %s shipped by %s, tracking %s", id, sh.DeliveryName, sh.Tracking)
					}
				}
			}
			for _, sku := range skus {
				n, _, _ := shop.Stock(sku)
				story("kobe-coffee: EC-CUBE offers %d of %s", n, sku)
			}
			return nil
		},
		close: shop.Close,
	}, nil
}
