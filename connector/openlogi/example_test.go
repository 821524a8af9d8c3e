package openlogi_test

import (
	"context"
	"fmt"
	"log"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
	"github.com/tobira-commerce/tobira/order"
)

// A cart sends an order to OPENLOGI, the warehouse ships it, and the tracking number and the
// stock come back.
func Example() {
	fake := openlogitest.New(openlogitest.Options{})
	defer fake.Close()
	fake.AddItem("SENCHA-100G", "煎茶 100g", 20)

	client, err := openlogi.New(openlogi.Config{BaseURL: fake.URL(), Token: fake.Token(), AccountID: fake.AccountID(),
		Channel: "my-shop", Items: fake.ItemIDs})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	err = client.Submit(ctx, connector.FulfillmentRequest{Key: "order-1001", Channel: "my-shop", Order: order.Order{
		ID: "1001", Status: order.StatusOpen,
		Lines:    []order.Line{{ID: "1", SKU: "SENCHA-100G", Name: "煎茶 100g", Quantity: 2, UnitPrice: order.Yen(1200)}},
		ShipTo:   order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Slot: order.SlotMorning},
	}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := fake.Ship(openlogi.Identifier("order-1001"), "4901-2345-6789"); err != nil {
		log.Fatal(err)
	}
	shipped, err := client.ListShipments(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range shipped.Shipments {
		fmt.Printf("order %s shipped by %s, tracking %s\n", s.OrderID, s.Parcels[0].Carrier, s.Parcels[0].TrackingNumber)
	}
	stock, err := client.ListStock(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range stock.Levels {
		fmt.Printf("%s: %d available\n", l.SKU, l.OnHand)
	}
	// Output:
	// order 1001 shipped by yamato, tracking 4901-2345-6789
	// SENCHA-100G: 18 available
}
