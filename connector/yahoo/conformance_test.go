package yahoo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/yahoo"
	"github.com/tobira-commerce/tobira/connector/yahoo/yahootest"
	"github.com/tobira-commerce/tobira/order"
)

var tokyo = yahootest.Address{FirstName: "太郎", LastName: "山田", ZipCode: "150-0001", Prefecture: "東京都",
	City: "渋谷区", Address1: "神宮前1-2-3", Phone: "03-1234-5678"}

// seeder acts on a fake store for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *yahootest.Server
	client *yahoo.Client

	n int
}

// config returns a client configuration for fake, with public-key auth when the store has it.
func config(fake *yahootest.Server, pk bool) yahoo.Config {
	refresh, issued := fake.RefreshToken()
	cfg := yahoo.Config{SellerID: fake.SellerID(), BaseURL: fake.URL(), TokenURL: fake.TokenURL(),
		ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), RefreshToken: refresh, RefreshIssued: issued}
	if pk {
		cfg.PublicKey, cfg.KeyVersion = fake.PublicKeyPEM(), fake.KeyVersion()
	}
	return cfg
}

func newConformance(t testing.TB) *seeder {
	s := &seeder{}
	s.fake = yahootest.NewTest(t, yahootest.Options{Now: s.Now, PublicKeyAuth: true})
	c, err := yahoo.New(config(s.fake, true))
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *seeder) input(lines []order.Line) yahootest.OrderInput {
	in := yahootest.OrderInput{ShipTo: tokyo, RequestTime: "14:00-16:00"}
	for _, l := range lines {
		in.Lines = append(in.Lines, yahootest.LineInput{ItemID: l.SKU, Title: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice.Amount})
	}
	return in
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	s.At(at, func() { id = s.fake.PlaceOrder(s.input(lines)) })
	return id, nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	moved := tokyo
	moved.Address1 = "神宮前9-9-9"
	var ok bool
	s.At(at, func() { ok = s.fake.ChangeAddress(id, moved) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	var ok bool
	s.At(at, func() { ok = s.fake.Cancel(id) })
	if !ok {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Requests() }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

// PlaceOrder places an order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id := s.fake.PlaceOrder(s.input(lines))
	now := time.Now()
	page, err := s.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Minute), To: now.Add(time.Minute), Limit: 50})
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
	si, ok := s.fake.Ship(orderID)
	if !ok || si.Status < yahootest.ShipShipped {
		return nil, nil
	}
	// One order holds one shipment record on Yahoo!; each write that changed it is an effect.
	out := make([]conformance.Fulfillment, si.Writes)
	for i := range out {
		out[i] = conformance.Fulfillment{TrackingNumbers: si.InvoiceNumbers}
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("conf-%05d", s.n)
		if s.n%2 == 0 {
			out[i] += ":v1" // a variant: 商品コード:個別商品コード
		}
		s.fake.ListItem(out[i], 0)
	}
	return out, nil
}

func (s *seeder) Stock(_ context.Context, sku string) (int, error) { return s.fake.Stock(sku), nil }

func (s *seeder) SetByHand(_ context.Context, sku string, n int) error {
	s.fake.SetStockByHand(sku, n)
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
