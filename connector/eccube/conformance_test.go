package eccube_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/eccube"
	"github.com/tobira-commerce/tobira/connector/eccube/eccubetest"
	"github.com/tobira-commerce/tobira/order"
)

var tokyo = eccubetest.Address{Name01: "山田", Name02: "花子", Kana01: "ヤマダ", Kana02: "ハナコ", PhoneNumber: "0312345678",
	PostalCode: "1500001", PrefID: 13, Addr01: "渋谷区神宮前", Addr02: "1-2-3 サンプルビル101"}

// seeder acts on a fake shop for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *eccubetest.Server
	client *eccube.Client

	n int
}

func newConformance(t testing.TB) *seeder {
	s := &seeder{}
	s.fake = eccubetest.NewTest(t, eccubetest.Options{Now: s.Now, ClientCredentials: true})
	c, err := eccube.New(eccube.Config{BaseURL: s.fake.URL(), ClientID: s.fake.ClientID(), ClientSecret: s.fake.ClientSecret(),
		Rate: 1000}) // the fake needs no politeness
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *seeder) input(lines []order.Line) eccubetest.OrderInput {
	in := eccubetest.OrderInput{Buyer: tokyo, Email: "hanako@example.jp", PaymentMethod: "郵便振替", DeliveryFee: 770}
	for _, l := range lines {
		// EC-CUBE keeps prices before tax; the connector reports them with tax (10%).
		in.Lines = append(in.Lines, eccubetest.LineInput{Code: l.SKU, Name: l.Name, Quantity: l.Quantity, Price: int(l.UnitPrice.Amount)})
	}
	return in
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	s.At(at, func() { id = s.fake.PlaceOrder(s.input(lines)) })
	return id, nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.fake.ChangeAddress(id, "9-9-9 別館") })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.fake.SetStatus(id, eccubetest.StatusCancel) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Stats().Requests }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

// PlaceOrder places an order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id := s.fake.PlaceOrder(s.input(lines))
	now := time.Now()
	from := now.Add(-time.Minute)
	var cur connector.Cursor
	for {
		page, err := s.client.ListOrders(ctx, connector.ListOrdersRequest{From: from, To: now.Add(time.Minute), Page: cur, Limit: 10})
		if err != nil {
			return order.Order{}, err
		}
		for _, o := range page.Orders {
			if o.ID == id {
				return o, nil
			}
		}
		if page.Next == "" {
			return order.Order{}, fmt.Errorf("order %s not listed", id)
		}
		cur = page.Next
	}
}

func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	var out []conformance.Fulfillment
	for _, sh := range s.fake.Shippings(orderID) {
		if sh.Shipped {
			out = append(out, conformance.Fulfillment{TrackingNumbers: eccube.SplitTracking(sh.Tracking)})
		}
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("CONF-%05d", s.n)
		s.fake.AddProduct(out[i], "conformance "+out[i], 0)
	}
	return out, nil
}

func (s *seeder) Stock(_ context.Context, sku string) (int, error) {
	n, unlimited, ok := s.fake.Stock(sku)
	if !ok || unlimited {
		return 0, fmt.Errorf("no limited stock for %s", sku)
	}
	return n, nil
}

func (s *seeder) SetByHand(_ context.Context, sku string, n int) error {
	s.fake.SetStock(sku, n)
	return nil
}

type orderHarness struct{}

func (orderHarness) New(t testing.TB) (connector.OrderSource, conformance.OrderSeeder) {
	s := newConformance(t)
	return s.client, s
}

func (orderHarness) Features() conformance.OrderSourceFeatures {
	return conformance.OrderSourceFeatures{PageSize: 4, Throttles: true}
}

type sinkHarness struct{}

func (sinkHarness) New(t testing.TB) (connector.ShipmentSink, conformance.ShipmentSinkSeeder) {
	s := newConformance(t)
	return s.client, s
}

func (sinkHarness) Features() conformance.ShipmentSinkFeatures {
	return conformance.ShipmentSinkFeatures{Throttles: true, Stalls: true}
}

type targetHarness struct{}

func (targetHarness) New(t testing.TB) (connector.StockTarget, conformance.StockTargetSeeder) {
	s := newConformance(t)
	return s.client, s
}

func (targetHarness) Features() conformance.StockTargetFeatures {
	return conformance.StockTargetFeatures{Throttles: true, Stalls: true}
}

func TestConformance(t *testing.T) {
	t.Run("OrderSource", func(t *testing.T) { conformance.TestOrderSource(t, orderHarness{}) })
	t.Run("ShipmentSink", func(t *testing.T) { conformance.TestShipmentSink(t, sinkHarness{}) })
	t.Run("StockTarget", func(t *testing.T) { conformance.TestStockTarget(t, targetHarness{}) })
}
