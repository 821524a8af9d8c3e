package storetest

import (
	"errors"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// race runs f on n goroutines released at the same instant, so that a store whose
// compare-and-set is a read followed by a write lets more than one through. It returns how many
// calls succeeded and fails the check on errors other than ErrConflict.
func race(c *suite.Check, n int, f func(i int) error) int {
	c.Helper()
	var (
		start = make(chan struct{})
		wg    gosync.WaitGroup
		mu    gosync.Mutex
		wins  int
		other []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := f(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, ledger.ErrConflict):
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range other {
		c.Errorf("a losing writer got %v, want an error matching sync.ErrConflict", err)
	}
	return wins
}

// rounds is how often each race is run: one round may by luck serialize a broken store.
const rounds = 8

// sampleOrder returns an order record with every field set, nested ones included, so that a
// store dropping any column or JSON field fails the round trip.
func sampleOrder(merchant, channel, id string) *ledger.OrderRecord {
	o := order.Order{
		ID: id, Number: "#" + id, Status: order.StatusOpen, ChannelStatus: "新規受付",
		PlacedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Minute),
		Lines: []order.Line{
			{ID: "L1", SKU: "TEA-01", Name: "煎茶 100g", Quantity: 3, UnitPrice: order.Yen(1200), Cancelled: 1, Refs: map[string]string{"basket": "b-1"}},
			{ID: "L2", SKU: "CUP-02", Name: "湯呑", Quantity: 1, UnitPrice: order.Yen(2500), Refs: map[string]string{"line_item": "gid://x/2"}},
		},
		ShipTo: order.Address{Name: "山田 太郎", Company: "山田商店", Phone: "03-1234-5678", Email: "taro@example.jp",
			Country: "JP", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3", Line2: "4F"},
		Delivery: order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 4, Day: 3}, Slot: order.Slot1416},
		Payment:  order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(7330)},
		Gift:     &order.Gift{Wrapping: true, Noshi: "御祝", Message: "おめでとう"},
		Totals: order.Totals{Subtotal: order.Yen(6100), Shipping: order.Yen(800), Fees: order.Yen(330), Tax: order.Yen(554),
			TaxIncluded: true, Discount: order.Yen(100), Total: order.Yen(7130)},
		Refs: map[string]string{"fulfillment_order": "gid://x/FO/9"},
	}
	return &ledger.OrderRecord{
		Key:          ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id},
		Order:        &o,
		Fingerprint:  o.Fingerprint(),
		State:        ledger.StateHeld,
		Pending:      true,
		HoldReason:   "held by the shop",
		ManualHold:   true,
		ManualReason: "address check",
		Parked:       "fp-of-a-parked-version",
		Away:         map[string]string{"merchant": "L9\x00POSTER\x001\x00"},
		Requests: []ledger.Request{{
			Target: "wh-1", Key: merchant + "/" + channel + "/" + id + "/wh-1", State: ledger.RequestSent,
			Lines:      []connector.LineQuantity{{LineID: "L1", SKU: "TEA-01", Quantity: 2}, {LineID: "L2", SKU: "CUP-02", Quantity: 1}},
			ShippingFP: o.ShippingFingerprint(), Seq: 2, Refused: "digest", RefusedReason: connector.RefusedPicked, Unsure: true, Replay: &o,
		}},
		Shipments: []ledger.ShipmentEntry{{ID: "m/wh-1/S1", Warehouse: "wh-1", At: t0.Add(-30 * time.Second), Lines: map[string]int{"L1": 1}}},
		UpdatedAt: t0,
	}
}

// sampleShipment returns a shipment record with every field set.
func sampleShipment(merchant, id string) *ledger.ShipmentRecord {
	return &ledger.ShipmentRecord{
		ID: merchant + "/wh-1/" + id, Merchant: merchant, Warehouse: "wh-1",
		Shipment: shipment.Shipment{
			ID: id, RequestKey: "k-" + id, Channel: "shop", OrderID: "1001",
			Lines:   []shipment.Line{{LineID: "L1", SKU: "TEA-01", Quantity: 2}},
			Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400000000001"}, {Carrier: shipment.Sagawa, TrackingNumber: "5000"}},
			At:      t0.Add(-2 * time.Minute),
		},
		State: ledger.ShipmentPending, Applied: true, Reason: "why not", CreatedAt: t0,
	}
}

// utcOrder and utcShipment put every time in UTC, so that a store returning the same instant in
// another location (as database drivers do) still compares equal.
func utcOrder(r *ledger.OrderRecord) *ledger.OrderRecord {
	r = r.Clone()
	r.UpdatedAt = r.UpdatedAt.UTC()
	r.Order = utcTimes(r.Order)
	for i := range r.Requests {
		if r.Requests[i].Replay != nil {
			r.Requests[i].Replay = utcTimes(r.Requests[i].Replay)
		}
	}
	for i := range r.Shipments {
		r.Shipments[i].At = r.Shipments[i].At.UTC()
	}
	return r
}

// utcTimes returns a copy of o with its times in UTC; o is shared (OrderRecord.Order) and never
// written through.
func utcTimes(o *order.Order) *order.Order {
	c := *o
	c.PlacedAt, c.UpdatedAt = c.PlacedAt.UTC(), c.UpdatedAt.UTC()
	return &c
}

func utcShipment(r *ledger.ShipmentRecord) *ledger.ShipmentRecord {
	r = r.Clone()
	r.CreatedAt = r.CreatedAt.UTC()
	r.Shipment.At = r.Shipment.At.UTC()
	return r
}

func must(c *suite.Check, what string, err error) {
	c.Helper()
	if err != nil {
		c.Fatalf("%s: %v", what, err)
	}
}

// timeStep spaces records a second apart, well above any store's time precision.
func timeStep(i int) time.Duration { return time.Duration(i) * time.Second }
