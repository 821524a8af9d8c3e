package main

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// channelShop is a merchant that sells on a platform other than Shopify, through that
// platform's connector and its fake. To the WMS it is one more channel: the engine lists its
// orders into the WMS's table, confirms what the WMS ships and pushes what the shelves hold. The
// fake plays the shop's buyers.
//
// Each platform's file (rakuten.go, amazon.go, …) provides a shopMaker; channelShops lists them.
type channelShop struct {
	merchant string             // the merchant's ID in the engine
	channel  tobirasync.Channel // the platform's connector in every role it plays
	skus     []string           // the SKUs the shop sells, already listed on the fake
	// order makes a buyer place order i (0, 1, 2, …) on the fake, for one of skus.
	order func(i int) error
	// shows prints, through story, what the platform shows now: the tracking number of each
	// shipped order and the quantity on offer of each SKU.
	shows func(ctx context.Context, story func(string, ...any)) error
	close func()
	// newSKU, when set, is a product the merchant listed on its shop before sending its first
	// units to the warehouse; launch makes a buyer order it at once.
	newSKU string
	launch func() error
}

// shopMaker opens one platform's shop on the engine's clock.
type shopMaker func(ctx context.Context, clock *tobirasync.ManualClock) (*channelShop, error)

// channelShops are the non-Shopify shops the 3PL serves.
var channelShops = []shopMaker{openRakutenShop, openBaseShop, openYahooShop, openAmazonShop, openColormeShop, openWooCommerceShop, openEccubeShop}

// tickShop is one round of the WMS's scheduler for a channelShop: orders in, shipments out,
// shelves counted and pushed.
func (w *wms) tickShop(ctx context.Context, engine *tobirasync.Engine, s *channelShop, now time.Time, story func(string, ...any)) error {
	if _, err := engine.SyncOrders(ctx, s.merchant, s.channel.ID); err != nil {
		return err
	}
	for _, wo := range w.list(s.merchant) {
		if wo.state == "shipped" && !wo.reported {
			if err := engine.RecordShipment(ctx, s.merchant, "tokyo-dc", wo.shipment); err != nil {
				return err
			}
			wo.reported = true
			story("%s: reported %s shipped, tracking %s", s.merchant, wo.order.Number, wo.shipment.Parcels[0].TrackingNumber)
		}
	}
	var levels []inventory.Level
	for sku, n := range w.onHand[s.merchant] {
		levels = append(levels, inventory.Level{SKU: sku, OnHand: n, AsOf: now})
	}
	if err := engine.SetOnHand(ctx, s.merchant, levels...); err != nil {
		return err
	}
	_, err := engine.SyncStock(ctx, s.merchant)
	return err
}

// openShops opens every channelShop, registers its merchant with the WMS as warehouse, stocks
// its shelves and lets its buyers place three orders, and one more of a product the warehouse
// has not received yet where the shop launched one.
func (w *wms) openShops(ctx context.Context, engine *tobirasync.Engine, clock *tobirasync.ManualClock) ([]*channelShop, error) {
	var shops []*channelShop
	for _, open := range channelShops {
		s, err := open(ctx, clock)
		if err != nil {
			return shops, err
		}
		shops = append(shops, s)
		err = engine.PutMerchant(tobirasync.Merchant{
			ID:         s.merchant,
			Channels:   []tobirasync.Channel{s.channel},
			Warehouses: []tobirasync.Warehouse{{ID: "tokyo-dc", Fulfiller: w}},
		})
		if err != nil {
			return shops, err
		}
		w.onHand[s.merchant] = map[string]int{}
		for i, sku := range s.skus {
			w.onHand[s.merchant][sku] = 20 + 10*i
		}
		for i := range 3 {
			if err := s.order(i); err != nil {
				return shops, fmt.Errorf("%s: placing order %d: %w", s.merchant, i, err)
			}
		}
		if s.launch != nil {
			if err := s.launch(); err != nil {
				return shops, fmt.Errorf("%s: ordering %s: %w", s.merchant, s.newSKU, err)
			}
		}
	}
	return shops, nil
}
