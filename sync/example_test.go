package sync_test

import (
	"context"
	"fmt"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// A host embeds the engine: it gives it a store, registers a merchant with its channels and
// warehouse, and calls the flows from its own scheduler. README.md shows this example.
func Example() {
	ctx := context.Background()
	shop := &memory.Channel{}        // a sales channel: orders in, shipments and stock out
	warehouse := &memory.Warehouse{} // a 3PL: fulfillment requests in, shipments and stock out

	engine := tobirasync.New(memstore.New(), tobirasync.Options{})
	err := engine.PutMerchant(tobirasync.Merchant{
		ID:         "tea-house",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: warehouse, Shipments: warehouse, Stock: warehouse}},
	})
	if err != nil {
		panic(err)
	}

	warehouse.SetOnHand("SENCHA", 10)
	shop.Place(order.Order{ID: "1001", Status: order.StatusOpen,
		Lines:  []order.Line{{ID: "1", SKU: "SENCHA", Quantity: 2}},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Line1: "渋谷区神宮前1-2-3"}})

	// A host calls these from its scheduler (or calls engine.Run).
	res, _ := engine.SyncOrders(ctx, "tea-house", "shop")
	_, _ = engine.SyncStock(ctx, "tea-house")

	sencha, _ := shop.Stock("SENCHA")
	fmt.Println("orders sent to the warehouse:", res.New, "- shop may sell", sencha, "SENCHA")
	// Output: orders sent to the warehouse: 1 - shop may sell 8 SENCHA
}
