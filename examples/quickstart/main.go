// Command quickstart runs Tobira end to end in one process: two shops, one warehouse, the
// in-memory store. It places orders, ships some, changes stock, and checks that every order
// reached the warehouse exactly once.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

func main() {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))

	// Two channels of one merchant and the warehouse that ships for it.
	shop := &memory.Channel{Now: clock.Now}
	mall := &memory.Channel{Now: clock.Now}
	wh := &memory.Warehouse{Now: clock.Now}

	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock})
	err := engine.PutMerchant(tobirasync.Merchant{
		ID: "tea-house",
		Channels: []tobirasync.Channel{
			{ID: "shop", Source: shop, Sink: shop, Target: shop},
			{ID: "mall", Source: mall, Sink: mall, Target: mall},
		},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: wh, Shipments: wh, Stock: wh}},
	})
	if err != nil {
		log.Fatal(err)
	}
	step := func() { clock.Advance(time.Minute) }
	syncAll := func() {
		step()
		for _, ch := range []string{"shop", "mall"} {
			if _, err := engine.SyncOrders(ctx, "tea-house", ch); err != nil {
				log.Fatal(err)
			}
		}
		if _, err := engine.SyncShipments(ctx, "tea-house", "tokyo"); err != nil {
			log.Fatal(err)
		}
		if _, err := engine.SyncStock(ctx, "tea-house"); err != nil {
			log.Fatal(err)
		}
	}

	wh.SetOnHand("SENCHA-100G", 20)
	wh.SetOnHand("MATCHA-30G", 8)
	syncAll()
	show := func(sku string) {
		a, _ := shop.Stock(sku)
		b, _ := mall.Stock(sku)
		fmt.Printf("  %s: shop shows %d, mall shows %d\n", sku, a, b)
	}
	fmt.Println("The warehouse counts its stock; both channels hear it:")
	show("SENCHA-100G")
	show("MATCHA-30G")

	// Buyers order on both channels.
	placed := 0
	for i := range 6 {
		ch, name := shop, "shop"
		if i%2 == 1 {
			ch, name = mall, "mall"
		}
		ch.Place(order.Order{
			ID:     fmt.Sprintf("%s-%d", name, 1001+i),
			Status: order.StatusOpen,
			Lines: []order.Line{
				{ID: "1", SKU: "SENCHA-100G", Quantity: 2, UnitPrice: order.Yen(1200)},
				{ID: "2", SKU: "MATCHA-30G", Quantity: 1, UnitPrice: order.Yen(2400)},
			},
			ShipTo:   order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
			Delivery: order.DeliveryRequest{Slot: order.SlotMorning},
		})
		placed++
	}
	syncAll()
	fmt.Printf("%d orders placed on two channels; the warehouse holds %d requests.\n", placed, len(wh.Requests()))
	fmt.Println("Every sale lowered both channels at once:")
	show("SENCHA-100G")
	show("MATCHA-30G")

	// The warehouse ships four of them.
	shipped := 0
	for _, r := range wh.Requests()[:4] {
		if _, err := wh.Ship(r.Key, nil, shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: fmt.Sprintf("4901-2345-%04d", shipped+1)}); err != nil {
			log.Fatal(err)
		}
		shipped++
	}
	syncAll()
	confirmed := len(shop.Confirmations()) + len(mall.Confirmations())
	fmt.Printf("The warehouse shipped %d orders; the channels received %d tracking numbers.\n", shipped, confirmed)

	// A delivery of matcha arrives.
	wh.SetOnHand("MATCHA-30G", wh.OnHand("MATCHA-30G")+10)
	syncAll()
	fmt.Println("Ten matcha arrive at the warehouse:")
	show("MATCHA-30G")

	// Check: every channel order at the warehouse exactly once.
	perOrder := map[string]int{}
	for _, r := range wh.Requests() {
		perOrder[r.Channel+"/"+r.Order.ID]++
	}
	lost, dup, orders := 0, 0, 0
	for name, ch := range map[string]*memory.Channel{"shop": shop, "mall": mall} {
		for _, o := range ch.Orders() {
			orders++
			switch n := perOrder[name+"/"+o.ID]; {
			case n == 0:
				lost++
			case n > 1:
				dup += n - 1
			}
		}
	}
	updates := shop.StockWrites() + mall.StockWrites()
	fmt.Printf("quickstart: orders=%d shipments=%d stock_updates=%d lost=%d duplicates=%d\n", orders, confirmed, updates, lost, dup)
}
