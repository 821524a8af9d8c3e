package amazon_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
	"github.com/tobira-commerce/tobira/shipment"
)

// A seller on Amazon.co.jp: list its merchant-fulfilled orders, confirm a shipment, set stock.
// Against Amazon, leave Endpoint and TokenEndpoint empty (the Far East endpoint and Login with
// Amazon) and give the seller's LWA credentials.
func Example() {
	fake := amazontest.New(amazontest.Options{MarketplaceID: amazon.Japan})
	defer fake.Close()
	fake.AddListing("SENCHA-100G", "GROCERY", 0)
	id := fake.CreateOrder(amazontest.OrderInput{
		PlacedAt: time.Now().Add(-10 * time.Minute), // getOrders lists nothing younger than two minutes
		ShipTo:   amazontest.Address{Name: "山田 太郎", PostalCode: "1500001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Items:    []amazontest.ItemInput{{SKU: "SENCHA-100G", Title: "煎茶 100g", Quantity: 2, Price: 1200}},
	})

	c, err := amazon.New(amazon.Config{
		SellerID: fake.SellerID(), MarketplaceID: amazon.Japan,
		ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, RefreshToken: fake.RefreshToken,
		Endpoint: fake.URL(), TokenEndpoint: fake.TokenURL(),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	now := time.Now()
	page, err := c.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now})
	if err != nil {
		panic(err)
	}
	o := page.Orders[0]
	fmt.Println(o.ID == id, o.Status, o.ShipTo.Prefecture, o.ShipTo.PostalCode, o.Lines[0].SKU, o.Lines[0].Quantity)

	err = c.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: shipment.Shipment{
		ID: "WMS-1", OrderID: o.ID, Lines: []shipment.Line{{LineID: o.Lines[0].ID, SKU: "SENCHA-100G", Quantity: 2}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400012345678"}}}})
	if err != nil {
		panic(err)
	}
	shipped, _ := fake.Order(id)
	fmt.Println(shipped.Status, shipped.Packages[0].CarrierCode, shipped.Packages[0].TrackingNumber)

	res, err := c.SetStock(ctx, []connector.StockUpdate{{SKU: "SENCHA-100G", Available: 8, Key: "k1"}})
	if err != nil || res[0].Err != nil {
		panic(fmt.Sprint(err, res))
	}
	shows, _ := c.ReadStock(ctx, []string{"SENCHA-100G"})
	fmt.Println("SENCHA-100G:", shows["SENCHA-100G"])
	// Output:
	// true open 東京都 150-0001 SENCHA-100G 2
	// Shipped YAMATO 400012345678
	// SENCHA-100G: 8
}
