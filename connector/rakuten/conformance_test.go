package rakuten_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
	"github.com/tobira-commerce/tobira/order"
)

// tokyo is a recipient in Tokyo.
var tokyo = rakutentest.Person{FamilyName: "山田", FirstName: "太郎", FamilyNameKana: "ヤマダ", FirstNameKana: "タロウ",
	Zip: "150-0001", Prefecture: "東京都", City: "渋谷区", Address: "神宮前1-2-3", Phone: "03-1234-5678"}

// seeder acts on a fake shop for the conformance suites, at the times the suites choose.
type seeder struct {
	conformance.SeedClock
	fake   *rakutentest.Server
	client *rakuten.Client

	n int
}

// newConformance starts a fake whose clock the seeder controls and a client paced 1,000 times
// faster than RMS asks, so the suites take seconds.
func newConformance(t testing.TB, mod func(*rakuten.Config)) *seeder {
	s := &seeder{}
	s.fake = rakutentest.NewTest(t, rakutentest.Options{Now: s.Now})
	cfg := rakuten.Config{Shop: "conformance", BaseURL: s.fake.URL(), ServiceSecret: s.fake.ServiceSecret(),
		LicenseKey: s.fake.LicenseKey(), KeyExpiresAt: s.fake.KeyExpiry(), RateScale: 1000, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := rakuten.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func input(lines []order.Line) rakutentest.OrderInput {
	p := rakutentest.Package{Sender: tokyo}
	for _, l := range lines {
		p.Items = append(p.Items, rakutentest.Item{Name: l.Name, ManageNumber: strings.ToLower(l.SKU), VariantID: "std",
			MerchantSKU: l.SKU, Price: int(l.UnitPrice.Amount), Units: l.Quantity})
	}
	return rakutentest.OrderInput{Orderer: tokyo, Packages: []rakutentest.Package{p}, Confirmed: true}
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	s.At(at, func() { id = s.fake.PlaceOrder(input(lines)) })
	return id, nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	var err error
	s.At(at, func() { err = s.fake.ChangeUnits(id, 0, 7) })
	return err
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	var err error
	s.At(at, func() { err = s.fake.Cancel(id) })
	return err
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Stats().Requests }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

// PlaceOrder places a confirmed order now and returns it as ListOrders gives it.
func (s *seeder) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	id := s.fake.PlaceOrder(input(lines))
	now := time.Now()
	return listed(ctx, s.client, id, now.Add(-time.Minute), now.Add(time.Minute))
}

// listed lists the window and returns the order with the given ID.
func listed(ctx context.Context, c *rakuten.Client, id string, from, to time.Time) (order.Order, error) {
	var cur connector.Cursor
	for range 100 {
		page, err := c.ListOrders(ctx, connector.ListOrdersRequest{From: from, To: to, Page: cur})
		if err != nil {
			return order.Order{}, err
		}
		for _, o := range page.Orders {
			if o.ID == id {
				return o, nil
			}
		}
		if page.Next == "" {
			break
		}
		cur = page.Next
	}
	return order.Order{}, fmt.Errorf("order %s not listed", id)
}

func (s *seeder) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	num, _, _ := strings.Cut(orderID, "/")
	v, ok := s.fake.Order(num)
	if !ok {
		return nil, nil
	}
	var out []conformance.Fulfillment
	for _, b := range v.Baskets {
		for _, r := range b.Rows {
			out = append(out, conformance.Fulfillment{TrackingNumbers: []string{r.Number}})
		}
	}
	return out, nil
}

func (s *seeder) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		s.n++
		out[i] = fmt.Sprintf("conf-%05d:std", s.n)
		s.fake.AddVariant(fmt.Sprintf("conf-%05d", s.n), "std")
	}
	return out, nil
}

func splitSKU(sku string) (string, string) {
	mn, vid, _ := strings.Cut(sku, ":")
	return mn, vid
}

func (s *seeder) Stock(_ context.Context, sku string) (int, error) {
	n, _ := s.fake.Stock(splitSKU(sku))
	return n, nil
}

func (s *seeder) SetByHand(_ context.Context, sku string, n int) error {
	mn, vid := splitSKU(sku)
	s.fake.SetStock(mn, vid, n)
	return nil
}

type harness struct{}

func (harness) New(t testing.TB) (conformance.Channel, conformance.ChannelSeeder) {
	s := newConformance(t, nil)
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
