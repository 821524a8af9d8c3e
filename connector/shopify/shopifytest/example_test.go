package shopifytest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

// A host's test runs the Shopify connector against the fake shop. The schema file comes from
// the host (here found with FindSchema); a test would use NewTest, which skips without it.
func ExampleNew() {
	path, err := shopifytest.FindSchema()
	if err != nil {
		log.Fatal(err)
	}
	shop, err := shopifytest.New(shopifytest.Options{SchemaPath: path})
	if err != nil {
		log.Fatal(err)
	}
	defer shop.Close()
	shop.CreateOrder(shopifytest.OrderInput{
		ShipTo: shopifytest.Address{LastName: "山田", FirstName: "花子", Address1: "神宮前1-2-3", City: "渋谷区",
			ProvinceCode: "JP-13", Zip: "150-0001", CountryCode: "JP"},
		Lines: []shopifytest.LineInput{{SKU: "SENCHA", Quantity: 2, Price: 1200}},
	})

	client, err := shopify.New(shopify.Config{BaseURL: shop.URL(), AccessToken: shop.Token(), LocationID: shop.LocationID()})
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(page.Orders), page.Orders[0].Lines[0].SKU, page.Orders[0].ShipTo.Prefecture)
}
