package shipbob_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// Example sends one order to ShipBob (the fake), lets the warehouse pick, pack and ship it,
// and reads the shipment and the stock back.
func Example() {
	fake := shipbobtest.New(shipbobtest.Options{})
	defer fake.Close()
	fake.SetOnHand("TEA-01", 12)

	wh, err := shipbob.New(shipbob.Config{BaseURL: fake.URL(), Token: fake.Token(), ChannelID: fake.ChannelID()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	req := connector.FulfillmentRequest{Key: "sakura-tea/shopify/1001", Merchant: "sakura-tea", Channel: "shopify",
		Order: order.Order{ID: "1001", Number: "#1001", Status: order.StatusOpen, PlacedAt: time.Now(),
			Lines:  []order.Line{{ID: "1", SKU: "TEA-01", Name: "煎茶", Quantity: 2, UnitPrice: order.Yen(1200)}},
			ShipTo: order.Address{Name: "山田 太郎", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"}}}
	if err := wh.Submit(ctx, req); err != nil {
		panic(err)
	}

	// The warehouse works on the order.
	ref := shipbob.ReferenceID(req.Key)
	_ = fake.Pick(ref)
	_ = fake.Pack(ref)
	_ = fake.Ship(ref, "Yamato Transport", "4455-6677-8899")

	page, err := wh.ListShipments(ctx, "")
	if err != nil {
		panic(err)
	}
	for _, s := range page.Shipments {
		fmt.Printf("order %s (%s): %s×%d, %s %s\n", s.OrderID, s.Channel, s.Lines[0].SKU, s.Lines[0].Quantity,
			s.Parcels[0].Carrier, s.Parcels[0].TrackingNumber)
	}
	stock, err := wh.ListStock(ctx, "")
	if err != nil {
		panic(err)
	}
	for _, l := range stock.Levels {
		fmt.Printf("%s: %d on hand\n", l.SKU, l.OnHand)
	}
	// Output:
	// order 1001 (shopify): TEA-01×2, yamato 4455-6677-8899
	// TEA-01: 10 on hand
}

// ExampleClient_WebhookHandler subscribes to order.shipped and hands each shipment ShipBob
// announces to the engine (here a function printing it).
func ExampleClient_WebhookHandler() {
	fake := shipbobtest.New(shipbobtest.Options{})
	defer fake.Close()
	wh, err := shipbob.New(shipbob.Config{BaseURL: fake.URL(), Token: fake.Token(), ChannelID: fake.ChannelID()})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	const secret = "whsec_c2FrdXJhLXRlYS13ZWJob29rLXNlY3JldA=="
	record := shipbob.RecordFunc(func(_ context.Context, s shipment.Shipment) error {
		// In a host: engine.RecordShipment(ctx, "sakura-tea", "shipbob", s)
		fmt.Printf("shipped %s: %s %s\n", s.RequestKey, s.Parcels[0].Carrier, s.Parcels[0].TrackingNumber)
		return nil
	})
	hook := httptest.NewServer(wh.WebhookHandler(secret, record))
	defer hook.Close()
	if _, err := wh.Subscribe(ctx, hook.URL, secret); err != nil {
		panic(err)
	}
	fake.Place("sakura-tea/shopify/1002", shipbobtest.Line{SKU: "TEA-01", Quantity: 1})
	_ = fake.Ship("sakura-tea/shopify/1002", "USPS", "9400111202555842761000")
	// Output:
	// shipped sakura-tea/shopify/1002: usps 9400111202555842761000
}
