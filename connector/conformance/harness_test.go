package conformance

import (
	"context"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
)

// The suites' own tests need correct implementations to break: the memory connectors, with
// seeders like the ones connector/memory's conformance test uses.

type memThrottle struct {
	mu       gosync.Mutex
	requests int
	wait     time.Duration
}

func (th *memThrottle) install(f *memory.Faults) {
	f.SetHook(func(op string) error {
		if strings.HasSuffix(op, ":done") {
			return nil
		}
		th.mu.Lock()
		defer th.mu.Unlock()
		th.requests++
		if w := th.wait; w > 0 {
			th.wait = 0
			return &connector.RateLimitError{Wait: w, Reason: "429"}
		}
		return nil
	})
}

func (th *memThrottle) ThrottleNext(wait time.Duration) {
	th.mu.Lock()
	defer th.mu.Unlock()
	th.wait = wait
}

func (th *memThrottle) Requests() int {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.requests
}

type memChannel struct {
	*memThrottle
	ch  *memory.Channel
	mu  gosync.Mutex
	now time.Time
	n   int
}

func newMemChannel() *memChannel {
	s := &memChannel{memThrottle: &memThrottle{}}
	s.ch = &memory.Channel{PageSize: 3, Limit: 5, CompareStock: true, Now: func() time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.now.IsZero() {
			return time.Now()
		}
		return s.now
	}}
	s.memThrottle.install(&s.ch.Faults)
	return s
}

func (s *memChannel) at(t time.Time, f func() bool) error {
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
	ok := f()
	s.mu.Lock()
	s.now = time.Time{}
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("no such order")
	}
	return nil
}

func (s *memChannel) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	s.mu.Lock()
	s.n++
	id := fmt.Sprint(1000 + s.n)
	s.mu.Unlock()
	o := order.Order{ID: id, Lines: lines, ShipTo: order.Address{Name: "山田 太郎", PostalCode: "150-0001", Line1: "神宮前1-2-3"}}
	return id, s.at(at, func() bool { s.ch.Place(o); return true })
}

func (s *memChannel) Change(_ context.Context, id string, at time.Time) error {
	return s.at(at, func() bool { return s.ch.Change(id, func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" }) })
}

func (s *memChannel) Cancel(_ context.Context, id string, at time.Time) error {
	return s.at(at, func() bool { return s.ch.Cancel(id) })
}

func (s *memChannel) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id, err := s.Place(ctx, time.Now(), lines)
	o, _ := s.ch.Order(id)
	return o, err
}

func (s *memChannel) Fulfillments(_ context.Context, orderID string) ([]Fulfillment, error) {
	var out []Fulfillment
	for _, c := range s.ch.Confirmations() {
		if c.Order.ID == orderID {
			out = append(out, Fulfillment{TrackingNumbers: []string{c.Shipment.Parcels[0].TrackingNumber}})
		}
	}
	return out, nil
}

func (s *memChannel) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("SKU-%04d", i)
	}
	return out, nil
}

func (s *memChannel) Stock(_ context.Context, sku string) (int, error) {
	n, _ := s.ch.Stock(sku)
	return n, nil
}

func (s *memChannel) SetByHand(_ context.Context, sku string, n int) error {
	s.ch.SetStockByHand(sku, n)
	return nil
}

type memWarehouse struct {
	*memThrottle
	w *memory.Warehouse
	n int
}

func newMemWarehouse() *memWarehouse {
	s := &memWarehouse{memThrottle: &memThrottle{}, w: &memory.Warehouse{PageSize: 3}}
	s.memThrottle.install(&s.w.Faults)
	return s
}

func (s *memWarehouse) Request(_ context.Context, key string) (HeldRequest, error) {
	r, ok := s.w.Request(key)
	if !ok {
		return HeldRequest{}, nil
	}
	return HeldRequest{Copies: 1, Cancelled: r.State == memory.Cancelled, Order: r.Order}, nil
}

func (s *memWarehouse) Pick(_ context.Context, key string) error { return s.w.Pick(key) }

func (s *memWarehouse) Ship(_ context.Context, key string) error {
	_, err := s.w.Ship(key, nil)
	return err
}

func (s *memWarehouse) shipNew(ctx context.Context) (string, error) {
	s.n++
	key := fmt.Sprint("k", s.n)
	if err := s.w.Submit(ctx, connector.FulfillmentRequest{Key: key, Channel: "shop", Order: sampleOrder(fmt.Sprint(s.n))}); err != nil {
		return "", err
	}
	sh, err := s.w.Ship(key, nil)
	return sh.ID, err
}

func (s *memWarehouse) SetOnHand(_ context.Context, sku string, n int) error {
	s.w.SetOnHand(sku, n)
	return nil
}

// Each harness below hands the suite a memory connector, or what wrap turns it into: the
// implementation under test.

type orderHarness struct {
	wrap func(*memChannel) connector.OrderSource
	f    OrderSourceFeatures
}

func (h orderHarness) New(testing.TB) (connector.OrderSource, OrderSeeder) {
	s := newMemChannel()
	return h.wrap(s), s
}
func (h orderHarness) Features() OrderSourceFeatures { return h.f }

type sinkHarness struct {
	wrap func(*memChannel) connector.ShipmentSink
	f    ShipmentSinkFeatures
}

func (h sinkHarness) New(testing.TB) (connector.ShipmentSink, ShipmentSinkSeeder) {
	s := newMemChannel()
	return h.wrap(s), s
}
func (h sinkHarness) Features() ShipmentSinkFeatures { return h.f }

type targetHarness struct {
	wrap func(*memChannel) connector.StockTarget
	f    StockTargetFeatures
}

func (h targetHarness) New(testing.TB) (connector.StockTarget, StockTargetSeeder) {
	s := newMemChannel()
	return h.wrap(s), s
}
func (h targetHarness) Features() StockTargetFeatures { return h.f }

// fulfillerHarness's seeder may be replaced, for fulfillers whose copies the memory warehouse
// cannot count.
type fulfillerHarness struct {
	wrap func(*memWarehouse) (connector.Fulfiller, WarehouseSeeder)
	f    FulfillerFeatures
}

func (h fulfillerHarness) New(testing.TB) (connector.Fulfiller, WarehouseSeeder) {
	return h.wrap(newMemWarehouse())
}
func (h fulfillerHarness) Features() FulfillerFeatures { return h.f }

type shipSourceHarness struct {
	wrap func(*memWarehouse) connector.ShipmentSource
	f    ShipmentSourceFeatures
}

type shipSeeder struct{ *memWarehouse }

func (s shipSeeder) Ship(ctx context.Context) (string, error) { return s.shipNew(ctx) }

func (h shipSourceHarness) New(testing.TB) (connector.ShipmentSource, ShipmentSeeder) {
	s := newMemWarehouse()
	return h.wrap(s), shipSeeder{s}
}
func (h shipSourceHarness) Features() ShipmentSourceFeatures { return h.f }

type stockSourceHarness struct {
	wrap func(*memWarehouse) connector.StockSource
	f    StockSourceFeatures
}

func (h stockSourceHarness) New(testing.TB) (connector.StockSource, StockSourceSeeder) {
	s := newMemWarehouse()
	return h.wrap(s), s
}
func (h stockSourceHarness) Features() StockSourceFeatures { return h.f }
