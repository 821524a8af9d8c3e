package rakuten_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
	"github.com/tobira-commerce/tobira/shipment"
)

// A buyer orders two bags of sencha for Christmas Eve, 14–16h; the shop lists the order, ships
// it in one Yamato parcel and sets its stock.
func Example() {
	fake := rakutentest.New(rakutentest.Options{})
	defer fake.Close()
	buyer := rakutentest.Person{FamilyName: "山田", FirstName: "太郎", Zip: "150-0001", Prefecture: "東京都", City: "渋谷区",
		Address: "神宮前1-2-3", Phone: "03-1234-5678"}
	num := fake.PlaceOrder(rakutentest.OrderInput{Orderer: buyer, Confirmed: true, DeliveryDate: "2026-12-24", ShippingTerm: 1416,
		Packages: []rakutentest.Package{{Sender: buyer, Noshi: "御歳暮", Items: []rakutentest.Item{
			{Name: "煎茶 100g", ManageNumber: "sencha-100g", VariantID: "std", MerchantSKU: "SENCHA-100G", Price: 1200, Units: 2}}}}})

	client, err := rakuten.New(rakuten.Config{Shop: "sakura-tea", BaseURL: fake.URL(), ServiceSecret: fake.ServiceSecret(),
		LicenseKey: fake.LicenseKey(), KeyExpiresAt: fake.KeyExpiry(),
		RateScale: 50}) // the fake needs no pacing; against RMS leave RateScale at 1
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	now := time.Now()
	page, err := client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Minute), To: now.Add(time.Minute)})
	if err != nil {
		fmt.Println(err)
		return
	}
	o := page.Orders[0]
	fmt.Println(o.Status, o.Delivery.Date, o.Delivery.Slot, o.Gift.Noshi, o.Lines[0].SKU, o.Lines[0].Quantity)

	err = client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{
		ID: "S1", OrderID: o.ID, At: now, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400000000011"}},
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, SKU: o.Lines[0].SKU, Quantity: 2}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := fake.Order(num)
	fmt.Println(v.Progress, v.Baskets[0].Rows[0].Company, v.Baskets[0].Rows[0].Number)

	if _, err := client.SetStock(ctx, []connector.StockUpdate{{SKU: "sencha-100g:std", Available: 18}}); err != nil {
		fmt.Println(err)
		return
	}
	n, _ := fake.Stock("sencha-100g", "std")
	fmt.Println(n)
	// Output:
	// open 2026-12-24 1416 御歳暮 SENCHA-100G 2
	// 500 1001 400000000011
	// 18
}
