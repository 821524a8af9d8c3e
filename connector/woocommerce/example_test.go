package woocommerce_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/woocommerce"
	"github.com/tobira-commerce/tobira/connector/woocommerce/woocommercetest"
	"github.com/tobira-commerce/tobira/shipment"
)

// A shop on the fake: a buyer orders with a delivery date from Japanized for WooCommerce, the
// connector lists the order, the warehouse ships it, and the shop shows the tracking number.
func Example() {
	ctx := context.Background()
	fake := woocommercetest.New(woocommercetest.Options{})
	defer fake.Close()
	fake.AddProduct("TEA-01", 0)
	id := fake.CreateOrder(woocommercetest.OrderInput{
		Lines: []woocommercetest.LineInput{{SKU: "TEA-01", Name: "煎茶", Quantity: 2, Price: 1200}},
		Shipping: woocommercetest.Address{FirstName: "太郎", LastName: "山田", Address1: "神宮前1-2-3", City: "渋谷区",
			State: "JP13", Postcode: "150-0001", Country: "JP"},
		Meta: []woocommercetest.Meta{{Key: "wc4jp-delivery-date", Value: "2026/07/01"}, {Key: "wc4jp-delivery-time-zone", Value: "14:00-16:00"}},
	})

	shop, err := woocommerce.New(woocommerce.Config{URL: fake.URL(), ConsumerKey: fake.ConsumerKey(),
		ConsumerSecret: fake.ConsumerSecret(), Transport: fake.Transport()})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Now()
	page, err := shop.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil {
		fmt.Println(err)
		return
	}
	o := page.Orders[0]
	fmt.Println(o.ID == fmt.Sprint(id), o.Status, o.ShipTo.Prefecture, o.Delivery.Date, o.Delivery.Slot)

	err = shop.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{
		ID: "SH-1", OrderID: o.ID, Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 2}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "412345678901"}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := shop.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA-01", Available: 18}})
	if err != nil || res[0].Err != nil {
		fmt.Println(err, res)
		return
	}
	v, _ := fake.Order(id)
	stock, _ := fake.Stock("TEA-01")
	fmt.Println(v.Status, v.Notes[0].Note)
	fmt.Println("TEA-01 stock:", stock)
	// Output:
	// true open 東京都 2026-07-01 1416
	// completed 発送しました / Shipped: ヤマト運輸 412345678901 https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=412345678901
	// TEA-01 stock: 18
}
