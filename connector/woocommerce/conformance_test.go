package woocommerce_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/woocommerce"
	"github.com/tobira-commerce/tobira/connector/woocommerce/woocommercetest"
	"github.com/tobira-commerce/tobira/order"
)

var tokyo = woocommercetest.Address{FirstName: "太郎", LastName: "山田", Address1: "神宮前1-2-3", City: "渋谷区",
	State: "JP13", Postcode: "150-0001", Country: "JP", Phone: "03-1234-5678", Email: "taro@example.jp"}

// seeder acts on a fake shop for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *woocommercetest.Server
	client *woocommerce.Client

	n int
}

// newSeeder starts a fake shop (with the tracking extension when ext) and a client for it.
func newSeeder(t testing.TB, ext bool) *seeder {
	s := &seeder{}
	s.fake = woocommercetest.NewTest(t, woocommercetest.Options{Now: s.Now, TrackingExtension: ext})
	c, err := woocommerce.New(woocommerce.Config{URL: s.fake.URL(), ConsumerKey: s.fake.ConsumerKey(),
		ConsumerSecret: s.fake.ConsumerSecret(), WebhookSecret: s.fake.WebhookSecret(), Transport: s.fake.Transport(),
		Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func input(lines []order.Line) woocommercetest.OrderInput {
	in := woocommercetest.OrderInput{Shipping: tokyo, Billing: tokyo}
	for _, l := range lines {
		in.Lines = append(in.Lines, woocommercetest.LineInput{SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, Price: l.UnitPrice.Amount})
	}
	return in
}

func oid(id string) int64 { n, _ := strconv.ParseInt(id, 10, 64); return n }

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id int64
	s.At(at, func() { id = s.fake.CreateOrder(input(lines)) })
	return strconv.FormatInt(id, 10), nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	moved := tokyo
	moved.Address1 = "神宮前9-9-9"
	var ok bool
	s.At(at, func() { ok = s.fake.ChangeShipping(oid(id), moved) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.fake.Cancel(oid(id)) })
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
	id := s.fake.CreateOrder(input(lines))
	o, err := s.client.GetOrder(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return order.Order{}, err
	}
	return o, nil
}

// Fulfillments are the parcels the shop shows: tracking entries with the extension, otherwise
// notes holding a tracking number.
func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	v, ok := s.fake.Order(oid(orderID))
	if !ok {
		return nil, nil
	}
	var out []conformance.Fulfillment
	for _, t := range v.Trackings {
		out = append(out, conformance.Fulfillment{TrackingNumbers: []string{t.TrackingNumber}})
	}
	for _, n := range v.Notes {
		for _, f := range strings.Fields(n.Note) {
			if len(f) == 12 && strings.Trim(f, "0123456789") == "" {
				out = append(out, conformance.Fulfillment{TrackingNumbers: []string{f}})
			}
		}
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("CONF-%05d", s.n)
	}
	// Half simple products, half variations of one variable product: both batch endpoints.
	half := n / 2
	for _, sku := range out[:half] {
		s.fake.AddProduct(sku, 0)
	}
	if n-half > 0 {
		s.fake.AddVariableProduct("Conformance tea", out[half:]...)
	}
	return out, nil
}

func (s *seeder) Stock(_ context.Context, sku string) (int, error) {
	n, _ := s.fake.Stock(sku)
	return n, nil
}

func (s *seeder) SetByHand(_ context.Context, sku string, n int) error {
	if !s.fake.SetStock(sku, n) {
		return fmt.Errorf("no SKU %s", sku)
	}
	return nil
}

// harness is the shop in every channel role; ext gives it the Shipment Tracking extension.
type harness struct{ ext bool }

func (h harness) New(t testing.TB) (conformance.Channel, conformance.ChannelSeeder) {
	s := newSeeder(t, h.ext)
	return s.client, s
}

func (harness) Features() conformance.ChannelFeatures {
	return conformance.ChannelFeatures{
		Orders:    conformance.OrderSourceFeatures{PageSize: 4, Throttles: true},
		Shipments: conformance.ShipmentSinkFeatures{Throttles: true, Stalls: true},
		Stock:     conformance.StockTargetFeatures{Throttles: true, Stalls: true},
	}
}

// sinkWithExtension is the ShipmentSink suite on a shop with the Shipment Tracking extension,
// where tracking goes to the extension's entries instead of notes.
type sinkWithExtension struct{}

func (sinkWithExtension) New(t testing.TB) (connector.ShipmentSink, conformance.ShipmentSinkSeeder) {
	s := newSeeder(t, true)
	return s.client, s
}

func (sinkWithExtension) Features() conformance.ShipmentSinkFeatures {
	return harness{}.Features().Shipments
}

func TestConformance(t *testing.T) {
	conformance.TestChannel(t, harness{})
	t.Run("ShipmentSinkWithTrackingExtension", func(t *testing.T) { conformance.TestShipmentSink(t, sinkWithExtension{}) })
}
