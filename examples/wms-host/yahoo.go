package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/tobira-commerce/tobira/connector/yahoo"
	"github.com/tobira-commerce/tobira/connector/yahoo/yahootest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// openYahooShop opens a Yahoo! Shopping store on the fake, with public-key auth registered so
// its refresh token is not limited to 12 hours, and the connector in all three roles.
func openYahooShop(ctx context.Context, clock *tobirasync.ManualClock) (*channelShop, error) {
	fake, err := yahootest.New(yahootest.Options{Now: clock.Now, SellerID: "hokkaido-farm", PublicKeyAuth: true})
	if err != nil {
		return nil, err
	}
	skus := []string{"sencha:100g", "hojicha"} // 商品コード:個別商品コード, and an item without variants
	for _, sku := range skus {
		fake.ListItem(sku, 0)
	}
	refresh, issued := fake.RefreshToken()
	client, err := yahoo.New(yahoo.Config{
		SellerID: fake.SellerID(), BaseURL: fake.URL(), TokenURL: fake.TokenURL(),
		ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		RefreshToken: refresh, RefreshIssued: issued,
		PublicKey: fake.PublicKeyPEM(), KeyVersion: fake.KeyVersion(),
		Now: clock.Now,
	})
	if err != nil {
		fake.Close()
		return nil, err
	}
	var mu sync.Mutex
	var ids []string
	titles := map[string]string{"sencha:100g": "煎茶 100g", "hojicha": "ほうじ茶"}
	return &channelShop{
		merchant: "hokkaido-farm",
		channel:  tobirasync.Channel{ID: "yahoo", Source: client, Sink: client, Target: client},
		skus:     skus,
		order: func(i int) error {
			sku := skus[i%len(skus)]
			item, sub, _ := strings.Cut(sku, ":") // 商品コード:個別商品コード
			id := fake.PlaceOrder(yahootest.OrderInput{
				Lines: []yahootest.LineInput{{ItemID: item, SubCode: sub, Title: titles[sku], Quantity: 1 + i%2, UnitPrice: 1200}},
				ShipTo: yahootest.Address{FirstName: "花子", LastName: "佐藤", ZipCode: "530-0001", Prefecture: "大阪府",
					City: "大阪市北区", Address1: fmt.Sprintf("梅田%d-1-1", i+1), Phone: "06-1234-5678"},
				RequestTime: "午前中",
			})
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
			return nil
		},
		shows: func(_ context.Context, story func(string, ...any)) error {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				si, _ := fake.Ship(id)
				story("hokkaido-farm %s: Yahoo! shows ShipStatus %d, ShipCompanyCode %s, invoice numbers %v", id, si.Status, si.CompanyCode, si.InvoiceNumbers)
			}
			for _, sku := range skus {
				story("hokkaido-farm %s: Yahoo! shows stock %d", sku, fake.Stock(sku))
			}
			return nil
		},
		close: fake.Close,
	}, nil
}
