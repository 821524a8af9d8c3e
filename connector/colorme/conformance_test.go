package colorme_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/colorme"
	"github.com/tobira-commerce/tobira/connector/colorme/colormetest"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

// seeder acts on a fake Color Me Shop for the conformance suites, at the times they choose.
type seeder struct {
	conformance.SeedClock
	fake   *colormetest.Server
	client *colorme.Client

	n int
}

var buyer = colormetest.Address{Name: "山田 太郎", Furigana: "ヤマダ タロウ", Postal: "1500001", PrefID: 13,
	Address1: "渋谷区神宮前1-2-3", Address2: "神宮前ハイツ101", Tel: "03-1234-5678", Mail: "taro@example.jp"}

// testHTTP is an HTTP client without pacing and with short timeouts, for tests.
func testHTTP() *httpclient.Client {
	return httpclient.New(httpclient.Config{Timeout: 5 * time.Second, RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond})
}

func newConformance(t testing.TB) *seeder {
	s := &seeder{}
	s.fake = colormetest.NewTest(t, colormetest.Options{Now: s.Now})
	c, err := colorme.New(colorme.Config{Shop: "conformance", BaseURL: s.fake.URL(), Token: s.fake.Token(),
		HTTP: testHTTP(), CatalogRefresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

// listed makes sure every SKU of lines is a product of the shop.
func (s *seeder) listed(lines []order.Line) []colormetest.LineInput {
	var in []colormetest.LineInput
	for _, l := range lines {
		if _, ok := s.fake.Stock(l.SKU); !ok {
			s.fake.AddProduct(l.Name, l.SKU, l.UnitPrice.Amount, 100)
		}
		in = append(in, colormetest.LineInput{SKU: l.SKU, Quantity: l.Quantity, Price: l.UnitPrice.Amount})
	}
	return in
}

func (s *seeder) place(lines []order.Line) (string, error) {
	saleID, dests, err := s.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, PaymentID: 1,
		Destinations: []colormetest.DestinationInput{{To: buyer, Lines: s.listed(lines), PreferredPeriod: "午前中"}}})
	if err != nil {
		return "", err
	}
	return colorme.OrderID(saleID, dests[0]), nil
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	var err error
	s.At(at, func() { id, err = s.place(lines) })
	return id, err
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	saleID, deliveryID, err := colorme.ParseOrderID(id)
	if err != nil {
		return err
	}
	moved := buyer
	moved.Address1 = "渋谷区神宮前9-9-9"
	s.At(at, func() { err = s.fake.ChangeDestination(saleID, deliveryID, moved) })
	return err
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	saleID, _, err := colorme.ParseOrderID(id)
	if err != nil {
		return err
	}
	s.At(at, func() { err = s.fake.CancelSale(saleID, true) })
	return err
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Stats().Requests }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

// PlaceOrder places an order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id, err := s.place(lines)
	if err != nil {
		return order.Order{}, err
	}
	now := time.Now()
	page, err := s.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Minute), To: now.Add(time.Minute)})
	if err != nil {
		return order.Order{}, err
	}
	for _, o := range page.Orders {
		if o.ID == id {
			return o, nil
		}
	}
	return order.Order{}, fmt.Errorf("order %s not listed (rejects %v)", id, page.Rejects)
}

// Fulfillments lists the shipping updates of the order's destination: each that added slip
// numbers or marked it shipped is one effect the sink had.
func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	saleID, deliveryID, err := colorme.ParseOrderID(orderID)
	if err != nil {
		return nil, err
	}
	var out []conformance.Fulfillment
	for _, sh := range s.fake.Shippings(saleID, deliveryID) {
		out = append(out, conformance.Fulfillment{TrackingNumbers: sh.SlipNumbers})
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("CONF-%05d", s.n)
		if s.n%2 == 0 {
			s.fake.AddProduct("品物", out[i], 1000, 0)
		} else {
			// Every other SKU is a variant, whose stock the shop keeps apart from the others'.
			s.fake.AddProduct("品物", "CONF-P", 1000, 0, colormetest.VariantInput{Option1: "赤", Option2: "M", ModelNumber: out[i]},
				colormetest.VariantInput{Option1: "赤", Option2: "L", ModelNumber: out[i] + "-L", Stock: 3})
		}
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
