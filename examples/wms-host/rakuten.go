package main

import (
	"context"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openRakutenShop opens sakura-tea's Rakuten Ichiba shop: a rakutentest fake on the engine's
// clock, two SKUs listed in RMS (manage number and variant), and the Rakuten connector in all
// three roles. Buyers ask for delivery three days out, 14–16h, with のし.
func openRakutenShop(_ context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	fake := rakutentest.New(rakutentest.Options{ShopID: "sakura-tea", Now: clock.Now})
	skus := []string{"gyokuro-100g:std", "hojicha-200g:std"}
	for _, sku := range skus {
		mn, vid, _ := strings.Cut(sku, ":")
		fake.AddVariant(mn, vid)
	}
	client, err := rakuten.New(rakuten.Config{Shop: "sakura-tea", BaseURL: fake.URL(), ServiceSecret: fake.ServiceSecret(),
		LicenseKey: fake.LicenseKey(), KeyExpiresAt: fake.KeyExpiry(), Now: clock.Now,
		RateScale: 1000}) // the fake needs no pacing; against RMS leave it at 1
	if err != nil {
		fake.Close()
		return nil, err
	}
	buyer := rakutentest.Person{FamilyName: "鈴木", FirstName: "一郎", FamilyNameKana: "スズキ", FirstNameKana: "イチロウ",
		Zip: "604-8005", Prefecture: "京都府", City: "京都市中京区", Address: "河原町通三条上る1-1", Phone: "075-123-4567"}
	order := func(i int) error {
		mn, vid, _ := strings.Cut(skus[i%2], ":")
		fake.PlaceOrder(rakutentest.OrderInput{Orderer: buyer, Confirmed: true, ShippingTerm: 1416,
			DeliveryDate: clock.Now().In(rakutentest.JST).AddDate(0, 0, 3).Format(time.DateOnly),
			Packages: []rakutentest.Package{{Sender: buyer, Noshi: "御中元",
				Items: []rakutentest.Item{{Name: "京都の茶 " + mn, ManageNumber: mn, VariantID: vid, Price: 1800, Units: 1 + i}}}}})
		return nil
	}
	shows := func(_ context.Context, story func(string, ...any)) error {
		for _, num := range fake.Orders() {
			v, _ := fake.Order(num)
			for _, b := range v.Baskets {
				for _, r := range b.Rows {
					story("sakura-tea %s: Rakuten shows progress %d, shipping row %d by carrier %s, tracking %s", num, v.Progress, r.ID, r.Company, r.Number)
				}
			}
		}
		for _, sku := range skus {
			mn, vid, _ := strings.Cut(sku, ":")
			n, _ := fake.Stock(mn, vid)
			story("sakura-tea: Rakuten offers %d of %s", n, sku)
		}
		return nil
	}
	return &channelShop{merchant: "sakura-tea", skus: skus, order: order, shows: shows, close: fake.Close,
		channel: tobirasync.Channel{ID: "rakuten", Source: client, Sink: client, Target: client}}, nil
}
