package colorme_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/colorme"
	"github.com/tobira-commerce/tobira/connector/colorme/colormetest"
)

// A host connects a Color Me Shop with the token from the shop's authorization and lists its
// sales: a gift sent to two relatives is two orders, one per destination, each with its own
// のし, date and time slot.
func Example() {
	shop := colormetest.New(colormetest.Options{})
	defer shop.Close()
	shop.AddProduct("抹茶 30g", "MATCHA-30", 1800, 20)
	_, _, err := shop.PlaceSale(colormetest.SaleInput{
		Buyer: colormetest.Address{Name: "山田 太郎", Postal: "150-0001", PrefID: 13, Address1: "渋谷区神宮前1-2-3", Mail: "taro@example.jp"},
		Destinations: []colormetest.DestinationInput{
			{To: colormetest.Address{Name: "山田 花子", Postal: "5300001", PrefID: 27, Address1: "大阪市北区梅田1-1"},
				Lines: []colormetest.LineInput{{SKU: "MATCHA-30", Quantity: 2}}, NoshiText: "御歳暮", PreferredDate: "2026-12-20", PreferredPeriod: "午前中"},
			{To: colormetest.Address{Name: "山田 次郎", Postal: "0600001", PrefID: 1, Address1: "札幌市中央区北1条西2-1"},
				Lines: []colormetest.LineInput{{SKU: "MATCHA-30", Quantity: 1}}, PreferredPeriod: "19:00-21:00"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	client, err := colorme.New(colorme.Config{
		Shop: "nagoya-kimono", BaseURL: shop.URL(), Token: shop.Token(),
		OnCredential: func(ev colorme.CredentialEvent) {
			// CredentialRevoked: ask the merchant to authorize the app again.
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	page, err := client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range page.Orders {
		noshi := ""
		if o.Gift != nil {
			noshi = o.Gift.Noshi
		}
		fmt.Println(o.Status, o.ShipTo.Prefecture, o.ShipTo.PostalCode, o.Lines[0].SKU, o.Lines[0].Quantity, o.Delivery.Date, o.Delivery.Slot, noshi)
	}
	// Output:
	// open 大阪府 530-0001 MATCHA-30 2 2026-12-20 0812 御歳暮
	// open 北海道 060-0001 MATCHA-30 1  1921
}
