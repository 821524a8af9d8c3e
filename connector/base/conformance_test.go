package base_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/base"
	"github.com/tobira-commerce/tobira/connector/base/basetest"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/order"
)

// seeder acts on a fake BASE shop for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *basetest.Server
	client *base.Client

	n int
}

var buyer = basetest.Address{LastName: "山田", FirstName: "太郎", ZipCode: "150-0001", Prefecture: "東京都",
	Address: "渋谷区神宮前1-2-3", Tel: "03-1234-5678", Mail: "taro@example.jp"}

// newConformance starts a fake whose clock the seeder controls and a client on the real clock.
func newConformance(t testing.TB) *seeder {
	s := &seeder{}
	s.fake = basetest.NewTest(t, basetest.Options{Now: s.Now})
	c, err := base.New(base.Config{Shop: "conformance", BaseURL: s.fake.URL(), ClientID: s.fake.ClientID(),
		ClientSecret: s.fake.ClientSecret(), RedirectURI: s.fake.RedirectURI(), Token: token(s.fake.Token()),
		CatalogRefresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func token(t basetest.Token) base.Token {
	return base.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, RefreshExpiry: t.RefreshExpiry}
}

// listed makes sure every SKU of lines is an item of the shop.
func (s *seeder) listed(lines []order.Line) []basetest.LineInput {
	var in []basetest.LineInput
	for _, l := range lines {
		if _, ok := s.fake.Stock(l.SKU); !ok {
			s.fake.AddItem(l.Name, l.SKU, l.UnitPrice.Amount, 100)
		}
		in = append(in, basetest.LineInput{SKU: l.SKU, Amount: l.Quantity, Price: l.UnitPrice.Amount})
	}
	return in
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	var err error
	in := s.listed(lines)
	s.At(at, func() { id, err = s.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: in}) })
	return id, err
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	moved := buyer
	moved.Address = "渋谷区神宮前9-9-9"
	var err error
	s.At(at, func() { err = s.fake.ChangeReceiver(id, moved) })
	return err
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	var err error
	s.At(at, func() { err = s.fake.CancelOrder(id) })
	return err
}

func (s *seeder) ThrottleNext(time.Duration) { s.fake.ThrottleNext(false) }
func (s *seeder) Requests() int              { return s.fake.Stats().Requests }
func (s *seeder) StallNext()                 { s.fake.StallNext() }

// PlaceOrder places an order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id, err := s.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: s.listed(lines)})
	if err != nil {
		return order.Order{}, err
	}
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

var reTracking = regexp.MustCompile(`\[送り状番号\](\S+)`)

// Fulfillments groups the order's dispatches by the message they carried: one confirmation
// writes one message on every item it dispatches, so each message is one shipment to buyers.
func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	var out []conformance.Fulfillment
	index := map[string]int{}
	for _, d := range s.fake.Dispatches(orderID) {
		if d.Atobarai {
			out = append(out, conformance.Fulfillment{TrackingNumbers: []string{d.TrackingNumber}})
			continue
		}
		if _, ok := index[d.Comment]; ok && d.Comment != "" {
			continue
		}
		var f conformance.Fulfillment
		for _, m := range reTracking.FindAllStringSubmatch(d.Comment, -1) {
			f.TrackingNumbers = append(f.TrackingNumbers, m[1])
		}
		index[d.Comment] = len(out)
		out = append(out, f)
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("CONF-%05d", s.n)
		if s.n%2 == 0 {
			s.fake.AddItem("品物", out[i], 1000, 0)
		} else {
			// Every other SKU is a variation, whose stock BASE keeps apart from the item's.
			s.fake.AddItem("品物", "", 1000, 0, basetest.VariationInput{Name: "M", Identifier: out[i]},
				basetest.VariationInput{Name: "L", Identifier: out[i] + "-L", Stock: 3})
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
