package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/tobira-commerce/tobira/connector/colorme"
	"github.com/tobira-commerce/tobira/connector/colorme/colormetest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openColormeShop opens nagoya-kimono, a kimono accessories shop on Color Me Shop: a colormetest
// fake on the engine's clock, an 帯締め and a 手ぬぐい in two colours (one sold here), and the
// Color Me Shop connector in all three roles. Some buyers send a gift to two relatives at once:
// one sale, two destinations, each its own order with its own のし and slip number.
func openColormeShop(_ context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	fake := colormetest.New(colormetest.Options{Now: clock.Now})
	fake.AddProduct("帯締め 正絹", "KIMONO-OBIJIME", 5800, 0)
	fake.AddProduct("手ぬぐい", "KIMONO-TENUGUI", 1200, 0,
		colormetest.VariantInput{Option1: "藍", ModelNumber: "KIMONO-TENUGUI-AI"},
		colormetest.VariantInput{Option1: "紅", ModelNumber: "KIMONO-TENUGUI-BENI", Stock: 4})
	skus := []string{"KIMONO-OBIJIME", "KIMONO-TENUGUI-AI"}
	client, err := colorme.New(colorme.Config{Shop: "nagoya-kimono", BaseURL: fake.URL(), Token: fake.Token(),
		CODPaymentIDs: []int64{7}, Now: clock.Now,
		Rate: 50, // the fake is local; a real shop keeps the default pace
	})
	if err != nil {
		fake.Close()
		return nil, err
	}
	var mu sync.Mutex
	var sales []int64
	order := func(i int) error {
		in := colormetest.SaleInput{
			Buyer: colormetest.Address{Name: fmt.Sprintf("加藤 美咲%d", i), Postal: "460-0008", PrefID: 23,
				Address1: "名古屋市中区栄3-1-1", Tel: "052-123-4567", Mail: fmt.Sprintf("misaki%d@example.jp", i)},
			PaymentID: 1,
			Destinations: []colormetest.DestinationInput{{
				To:    colormetest.Address{Name: fmt.Sprintf("加藤 美咲%d", i), Postal: "460-0008", PrefID: 23, Address1: "名古屋市中区栄3-1-1", Tel: "052-123-4567"},
				Lines: []colormetest.LineInput{{SKU: skus[i%len(skus)], Quantity: 1 + i%2}}, PreferredPeriod: "14時～16時", DeliveryCharge: 800,
			}},
		}
		switch i % 3 {
		case 1: // cash on delivery
			in.PaymentID, in.Fee = 7, 330
		case 2: // a gift to two relatives
			in.Destinations[0].NoshiText, in.Destinations[0].PreferredDate = "御歳暮", clock.Now().In(colorme.JST).AddDate(0, 0, 4).Format("2006-01-02")
			in.Destinations = append(in.Destinations, colormetest.DestinationInput{
				To:    colormetest.Address{Name: "加藤 健一", Postal: "0600001", PrefID: 1, Address1: "札幌市中央区北1条西2-1", Tel: "011-222-3333"},
				Lines: []colormetest.LineInput{{SKU: skus[1], Quantity: 1}}, NoshiText: "御歳暮", WrappingName: "和紙包装", WrappingCharge: 300, DeliveryCharge: 1200,
			})
		}
		id, _, err := fake.PlaceSale(in)
		if err == nil {
			mu.Lock()
			sales = append(sales, id)
			mu.Unlock()
		}
		return err
	}
	shows := func(_ context.Context, story func(string, ...any)) error {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range sales {
			sale, _ := fake.Sale(id)
			for _, d := range sale.SaleDeliveries {
				slip := ""
				if d.SlipNumber != nil {
					slip = *d.SlipNumber
				}
				story("nagoya-kimono %s: Color Me Shop shows delivered %v, slip number %q", colorme.OrderID(id, d.ID), d.Delivered, slip)
			}
		}
		for _, sku := range skus {
			n, _ := fake.Stock(sku)
			story("nagoya-kimono %s: Color Me Shop offers %d", sku, n)
		}
		return nil
	}
	return &channelShop{
		merchant: "nagoya-kimono",
		channel:  tobirasync.Channel{ID: "colorme", Source: client, Sink: client, Target: client},
		skus:     skus, order: order, shows: shows, close: fake.Close,
	}, nil
}
