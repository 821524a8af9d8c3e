package base_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/base"
	"github.com/tobira-commerce/tobira/connector/base/basetest"
)

// A host connects a BASE shop with the app's OAuth credentials and the token pair from the
// authorization, persists every new pair the client reports, and lists the shop's orders.
func Example() {
	shop := basetest.New(basetest.Options{})
	defer shop.Close()
	shop.AddItem("煎茶 100g", "SENCHA-100", 1200, 10)
	if _, err := shop.PlaceOrder(basetest.OrderInput{
		Buyer:    basetest.Address{LastName: "山田", FirstName: "太郎", ZipCode: "150-0001", Prefecture: "東京都", Address: "渋谷区神宮前1-2-3"},
		Receiver: &basetest.Address{LastName: "山田", FirstName: "花子", ZipCode: "5300001", Prefecture: "大阪府", Address: "大阪市北区梅田1-1"},
		Lines:    []basetest.LineInput{{SKU: "SENCHA-100", Amount: 2}}, DeliveryDate: "2026-07-04", DeliveryTimeZone: "1416",
	}); err != nil {
		log.Fatal(err)
	}

	tok := shop.Token()
	client, err := base.New(base.Config{
		Shop: "sakura-tea", BaseURL: shop.URL(),
		ClientID: shop.ClientID(), ClientSecret: shop.ClientSecret(), RedirectURI: shop.RedirectURI(),
		Token: base.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry},
		OnCredential: func(ev base.CredentialEvent) {
			if ev.Kind == base.CredentialRefreshed {
				_ = ev.Token // save it: BASE retired the previous refresh token
			}
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
	o := page.Orders[0]
	fmt.Println(o.Status, o.Lines[0].SKU, o.Lines[0].Quantity, o.ShipTo.Prefecture, o.ShipTo.PostalCode, o.Delivery.Date, o.Delivery.Slot)
	// Output: open SENCHA-100 2 大阪府 530-0001 2026-07-04 1416
}
