package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/tobira-commerce/tobira/connector/base"
	"github.com/tobira-commerce/tobira/connector/base/basetest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openBaseShop opens kyoto-zakka, a small tea shop on BASE: a basetest fake on the engine's
// clock, a tin of matcha and a teapot in two colours (one colour sold here), and the BASE
// connector in all three roles. Its buyers ask for morning delivery, some pay cash on delivery.
func openBaseShop(_ context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	fake := basetest.New(basetest.Options{Now: clock.Now})
	fake.AddItem("抹茶 30g缶", "SAKURA-MATCHA-30", 1800, 0)
	fake.AddItem("急須", "", 4200, 0, basetest.VariationInput{Name: "黒", Identifier: "SAKURA-KYUSU-BLK"},
		basetest.VariationInput{Name: "朱", Identifier: "SAKURA-KYUSU-RED", Stock: 2})
	skus := []string{"SAKURA-MATCHA-30", "SAKURA-KYUSU-BLK"}
	tok := fake.Token()
	client, err := base.New(base.Config{Shop: "kyoto-zakka", BaseURL: fake.URL(), ClientID: fake.ClientID(),
		ClientSecret: fake.ClientSecret(), RedirectURI: fake.RedirectURI(), Clock: clockAdapter{clock},
		Token: base.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, RefreshExpiry: tok.RefreshExpiry},
		// A real host persists the new pair; the example only notes it.
		OnCredential: func(ev base.CredentialEvent) {},
	})
	if err != nil {
		fake.Close()
		return nil, err
	}
	var keys []string
	order := func(i int) error {
		in := basetest.OrderInput{
			Buyer: basetest.Address{LastName: "桜井", FirstName: fmt.Sprintf("葵%d", i), ZipCode: "604-8005", Prefecture: "京都府",
				Address: "京都市中京区河原町通1-2", Tel: "075-123-4567", Mail: fmt.Sprintf("aoi%d@example.jp", i)},
			Lines:            []basetest.LineInput{{SKU: skus[i%len(skus)], Amount: 1 + i%2}},
			DeliveryDate:     clock.Now().In(base.JST).AddDate(0, 0, 3).Format("2006-01-02"),
			DeliveryTimeZone: "0812",
			ShippingFee:      600,
		}
		if i%2 == 1 {
			in.Payment, in.CODFee = "cod", 330
		}
		key, err := fake.PlaceOrder(in)
		if err == nil {
			keys = append(keys, key)
		}
		return err
	}
	tracking := regexp.MustCompile(`\[送り状番号\](\S+)`)
	shows := func(_ context.Context, story func(string, ...any)) error {
		for _, key := range keys {
			var numbers []string
			for _, d := range fake.Dispatches(key) {
				for _, m := range tracking.FindAllStringSubmatch(d.Comment, -1) {
					numbers = append(numbers, m[1])
				}
			}
			_, status := fake.ItemStatuses(key)
			story("kyoto-zakka %s: BASE shows %s, tracking %v", key, status, numbers)
		}
		for _, sku := range skus {
			n, _ := fake.Stock(sku)
			story("kyoto-zakka %s: BASE offers %d", sku, n)
		}
		return nil
	}
	return &channelShop{
		merchant: "kyoto-zakka",
		channel:  tobirasync.Channel{ID: "base", Source: client, Sink: client, Target: client},
		skus:     skus, order: order, shows: shows, close: fake.Close,
	}, nil
}
