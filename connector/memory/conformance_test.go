package memory_test

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
)

// throttle makes a memory connector throttle on demand and counts the calls it serves, through
// the Faults hook that sees every call before it has an effect.
type throttle struct {
	mu       gosync.Mutex
	requests int
	wait     time.Duration
}

func (th *throttle) install(f *memory.Faults) {
	f.SetHook(func(op string) error {
		if strings.HasSuffix(op, ":done") {
			return nil // the second call of a write that already took effect
		}
		th.mu.Lock()
		defer th.mu.Unlock()
		th.requests++
		if th.wait > 0 {
			w := th.wait
			th.wait = 0
			return &connector.RateLimitError{Wait: w, Reason: "429"}
		}
		return nil
	})
}

func (th *throttle) ThrottleNext(wait time.Duration) {
	th.mu.Lock()
	defer th.mu.Unlock()
	th.wait = wait
}

func (th *throttle) Requests() int {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.requests
}

// channelSeeder acts on a memory Channel as buyers and staff do, at the suite's times.
type channelSeeder struct {
	conformance.SeedClock
	*throttle
	ch *memory.Channel

	mu gosync.Mutex
	n  int
}

func newChannel(t testing.TB, pageSize int) (*memory.Channel, *channelSeeder) {
	s := &channelSeeder{throttle: &throttle{}}
	s.ch = &memory.Channel{PageSize: pageSize, Limit: 10, CompareStock: true, Now: s.Now}
	s.throttle.install(&s.ch.Faults)
	return s.ch, s
}

func (s *channelSeeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	s.mu.Lock()
	s.n++
	id := fmt.Sprint(1000 + s.n)
	s.mu.Unlock()
	o := order.Order{ID: id, Lines: lines, ShipTo: order.Address{Name: "山田 太郎", PostalCode: "150-0001", Line1: "神宮前1-2-3"}}
	s.At(at, func() { s.ch.Place(o) })
	return id, nil
}

func (s *channelSeeder) Change(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.ch.Change(id, func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" }) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *channelSeeder) Cancel(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.ch.Cancel(id) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *channelSeeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id, _ := s.Place(ctx, time.Now(), lines)
	o, _ := s.ch.Order(id)
	return o, nil
}

func (s *channelSeeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	var out []conformance.Fulfillment
	for _, c := range s.ch.Confirmations() {
		if c.Order.ID != orderID {
			continue
		}
		var f conformance.Fulfillment
		for _, p := range c.Shipment.Parcels {
			f.TrackingNumbers = append(f.TrackingNumbers, p.TrackingNumber)
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *channelSeeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("SKU-%04d", i)
	}
	return out, nil
}

func (s *channelSeeder) Stock(_ context.Context, sku string) (int, error) {
	n, _ := s.ch.Stock(sku)
	return n, nil
}

// StallNext makes the channel apply its next write and lose the answer.
func (s *channelSeeder) StallNext() { s.ch.FailAfter(1, nil) }

func (s *channelSeeder) SetByHand(_ context.Context, sku string, n int) error {
	s.ch.SetStockByHand(sku, n)
	return nil
}

type channelHarness struct{}

func (channelHarness) New(t testing.TB) (connector.OrderSource, conformance.OrderSeeder) {
	return newChannel(t, 4)
}

func (channelHarness) Features() conformance.OrderSourceFeatures {
	return conformance.OrderSourceFeatures{PageSize: 4, Throttles: true}
}

type sinkHarness struct{}

func (sinkHarness) New(t testing.TB) (connector.ShipmentSink, conformance.ShipmentSinkSeeder) {
	return newChannel(t, 4)
}

func (sinkHarness) Features() conformance.ShipmentSinkFeatures {
	return conformance.ShipmentSinkFeatures{Throttles: true}
}

type targetHarness struct{}

func (targetHarness) New(t testing.TB) (connector.StockTarget, conformance.StockTargetSeeder) {
	return newChannel(t, 4)
}

func (targetHarness) Features() conformance.StockTargetFeatures {
	return conformance.StockTargetFeatures{Throttles: true, Stalls: true}
}

// warehouseSeeder observes and drives a memory Warehouse.
type warehouseSeeder struct {
	*throttle
	w *memory.Warehouse
	n int
}

func newWarehouse(testing.TB) (*memory.Warehouse, *warehouseSeeder) {
	s := &warehouseSeeder{throttle: &throttle{}, w: &memory.Warehouse{PageSize: 4}}
	s.throttle.install(&s.w.Faults)
	return s.w, s
}

func (s *warehouseSeeder) Request(_ context.Context, key string) (conformance.HeldRequest, error) {
	r, ok := s.w.Request(key)
	if !ok {
		return conformance.HeldRequest{}, nil
	}
	return conformance.HeldRequest{Copies: 1, Cancelled: r.State == memory.Cancelled, Order: r.Order}, nil
}

func (s *warehouseSeeder) Pick(_ context.Context, key string) error { return s.w.Pick(key) }

func (s *warehouseSeeder) Ship(_ context.Context, key string) error {
	_, err := s.w.Ship(key, nil)
	return err
}

// ShipNew receives and ships a new request; it is the ShipmentSeeder's Ship.
func (s *warehouseSeeder) ShipNew(ctx context.Context) (string, error) {
	s.n++
	key := fmt.Sprint("k", s.n)
	o := order.Order{ID: fmt.Sprint(1000 + s.n), Status: order.StatusOpen,
		Lines:  []order.Line{{ID: "1", SKU: "TEA-01", Quantity: 1}},
		ShipTo: order.Address{Name: "山田 太郎", PostalCode: "150-0001", Line1: "神宮前1-2-3"}}
	// The seeder must not be throttled or counted: it is the warehouse's staff, not the connector.
	if err := s.w.Submit(context.WithoutCancel(ctx), connector.FulfillmentRequest{Key: key, Channel: "shop", Order: o}); err != nil {
		return "", err
	}
	sh, err := s.w.Ship(key, nil)
	return sh.ID, err
}

func (s *warehouseSeeder) SetOnHand(_ context.Context, sku string, n int) error {
	s.w.SetOnHand(sku, n)
	return nil
}

type shipper struct{ *warehouseSeeder }

func (s shipper) Ship(ctx context.Context) (string, error) { return s.ShipNew(ctx) }

type fulfillerHarness struct{}

func (fulfillerHarness) New(t testing.TB) (connector.Fulfiller, conformance.WarehouseSeeder) {
	return newWarehouse(t)
}

func (fulfillerHarness) Features() conformance.FulfillerFeatures {
	return conformance.FulfillerFeatures{PartialCancel: true, Throttles: true}
}

type shipmentSourceHarness struct{}

func (shipmentSourceHarness) New(t testing.TB) (connector.ShipmentSource, conformance.ShipmentSeeder) {
	w, s := newWarehouse(t)
	return w, shipper{s}
}

func (shipmentSourceHarness) Features() conformance.ShipmentSourceFeatures {
	return conformance.ShipmentSourceFeatures{PageSize: 4, Throttles: true}
}

type stockSourceHarness struct{}

func (stockSourceHarness) New(t testing.TB) (connector.StockSource, conformance.StockSourceSeeder) {
	return newWarehouse(t)
}

func (stockSourceHarness) Features() conformance.StockSourceFeatures {
	return conformance.StockSourceFeatures{PageSize: 4, Throttles: true}
}

func TestChannelConformance(t *testing.T) {
	t.Run("OrderSource", func(t *testing.T) { conformance.TestOrderSource(t, channelHarness{}) })
	t.Run("ShipmentSink", func(t *testing.T) { conformance.TestShipmentSink(t, sinkHarness{}) })
	t.Run("StockTarget", func(t *testing.T) { conformance.TestStockTarget(t, targetHarness{}) })
}

func TestWarehouseConformance(t *testing.T) {
	t.Run("Fulfiller", func(t *testing.T) { conformance.TestFulfiller(t, fulfillerHarness{}) })
	t.Run("ShipmentSource", func(t *testing.T) { conformance.TestShipmentSource(t, shipmentSourceHarness{}) })
	t.Run("StockSource", func(t *testing.T) { conformance.TestStockSource(t, stockSourceHarness{}) })
}
