package shopify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/order"
)

// seeder acts on a fake shop for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *shopifytest.Server
	client *shopify.Client

	n int
}

// newConformance starts a fake whose clock the seeder controls and a client on the real clock.
func newConformance(t testing.TB) *seeder {
	s := &seeder{}
	s.fake = shopifytest.NewTest(t, shopifytest.Options{Now: s.Now})
	c, err := shopify.New(shopify.Config{Shop: s.fake.Shop(), BaseURL: s.fake.URL(), AccessToken: s.fake.Token(),
		LocationID: s.fake.LocationID(), LinesPerOrder: 5})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *seeder) input(lines []order.Line) shopifytest.OrderInput {
	in := shopifytest.OrderInput{ShipTo: tokyo}
	for _, l := range lines {
		in.Lines = append(in.Lines, shopifytest.LineInput{SKU: l.SKU, Title: l.Name, Quantity: l.Quantity, Price: l.UnitPrice.Amount})
	}
	return in
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	s.At(at, func() { id = s.fake.CreateOrder(s.input(lines)) })
	return id, nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	moved := tokyo
	moved.Address1 = "渋谷9-9-9"
	s.At(at, func() { s.fake.ChangeAddress(id, moved) })
	return nil
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	s.At(at, func() { s.fake.CancelOrder(id, "CUSTOMER") })
	return nil
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Stats().Requests }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

// PlaceOrder places an order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id := s.fake.CreateOrder(s.input(lines))
	now := time.Now()
	page, err := s.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Minute), To: now.Add(time.Minute), Limit: 10})
	if err != nil {
		return order.Order{}, err
	}
	for _, o := range page.Orders {
		if o.ID == id {
			return o, nil
		}
	}
	return order.Order{}, fmt.Errorf("order %s not listed", id)
}

func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	var out []conformance.Fulfillment
	for _, f := range s.fake.Fulfillments(orderID) {
		out = append(out, conformance.Fulfillment{TrackingNumbers: f.Numbers})
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("CONF-%05d", s.n)
		s.fake.AddVariant(out[i], 0)
	}
	return out, nil
}

func (s *seeder) Stock(_ context.Context, sku string) (int, error) {
	n, _ := s.fake.Available(sku)
	return n, nil
}

func (s *seeder) SetByHand(_ context.Context, sku string, n int) error {
	s.fake.SetAvailable(sku, n)
	return nil
}

type harness struct{}

func (harness) New(t testing.TB) (conformance.Channel, conformance.ChannelSeeder) {
	s := newConformance(t)
	return s.client, s
}

func (harness) Features() conformance.ChannelFeatures {
	return conformance.ChannelFeatures{
		Orders:    conformance.OrderSourceFeatures{PageSize: 4, Throttles: true},
		Shipments: conformance.ShipmentSinkFeatures{Throttles: true, Stalls: true},
		Stock:     conformance.StockTargetFeatures{Throttles: true, Stalls: true},
	}
}

func TestConformance(t *testing.T) { conformance.TestChannel(t, harness{}) }
