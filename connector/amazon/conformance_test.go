package amazon_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
	"github.com/tobira-commerce/tobira/connector/amazon/internal/oas"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/order"
)

// timeScale compresses the usage plans in tests: the fake and the client both run every
// operation this many times faster than Amazon allows.
const timeScale = 1000

var tokyo = amazontest.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "150-0001", Prefecture: "東京都",
	City: "渋谷区", Line1: "神宮前1-2-3", Line2: "表参道ビル101"}

// rig is a fake seller and a client on it; the seeder's clock stamps what it does.
type rig struct {
	conformance.SeedClock
	fake   *amazontest.Server
	client *amazon.Client
	models *oas.Models

	n int
}

type rigOptions struct {
	fake   amazontest.Options
	client func(*amazon.Config)
	logger *slog.Logger
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{models: oas.ForTest(t)}
	o.fake.Now = r.Now
	o.fake.Validator = r.models
	if o.fake.RateScale == 0 {
		o.fake.RateScale = timeScale
	}
	r.fake = amazontest.NewTest(t, o.fake)
	cfg := amazon.Config{SellerID: r.fake.SellerID(), ClientID: r.fake.ClientID, ClientSecret: r.fake.ClientSecret,
		RefreshToken: r.fake.RefreshToken, Endpoint: r.fake.URL(), TokenEndpoint: r.fake.TokenURL(),
		RateScale: o.fake.RateScale, FeedPoll: 2 * time.Millisecond, Logger: o.logger}
	if o.client != nil {
		o.client(&cfg)
	}
	c, err := amazon.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	return r
}

func (r *rig) input(lines []order.Line) amazontest.OrderInput {
	in := amazontest.OrderInput{ShipTo: tokyo}
	for _, l := range lines {
		in.Items = append(in.Items, amazontest.ItemInput{SKU: l.SKU, Title: l.Name, Quantity: l.Quantity, Price: l.UnitPrice.Amount})
	}
	return in
}

func (r *rig) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	var id string
	r.At(at, func() { id = r.fake.CreateOrder(r.input(lines)) })
	return id, nil
}

func (r *rig) Change(_ context.Context, id string, at time.Time) error {
	moved := tokyo
	moved.Line1 = "渋谷9-9-9"
	r.At(at, func() { r.fake.ChangeAddress(id, moved) })
	return nil
}

func (r *rig) Cancel(_ context.Context, id string, at time.Time) error {
	r.At(at, func() { r.fake.CancelOrder(id) })
	return nil
}

func (r *rig) ThrottleNext(wait time.Duration) { r.fake.ThrottleNext(wait) }
func (r *rig) Requests() int                   { return r.fake.Stats().Requests }
func (r *rig) StallNext()                      { r.fake.StallNext() }

// PlaceOrder places an order ten minutes ago (getOrders sees nothing younger than two) and
// returns it as the client reads it.
func (r *rig) PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error) {
	var id string
	r.At(time.Now().Add(-10*time.Minute), func() { id = r.fake.CreateOrder(r.input(lines)) })
	return r.client.ReadOrder(ctx, id)
}

func (r *rig) Fulfillments(_ context.Context, orderID string) ([]conformance.Fulfillment, error) {
	var out []conformance.Fulfillment
	for _, p := range r.fake.Packages(orderID) {
		out = append(out, conformance.Fulfillment{TrackingNumbers: []string{p.TrackingNumber}})
	}
	return out, nil
}

func (r *rig) SKUs(_ context.Context, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		r.n++
		out[i] = fmt.Sprintf("CONF-%05d", r.n)
		r.fake.AddListing(out[i], "PRODUCT", 0)
	}
	return out, nil
}

func (r *rig) Stock(_ context.Context, sku string) (int, error) {
	n, _ := r.fake.Quantity(sku)
	return n, nil
}

func (r *rig) SetByHand(_ context.Context, sku string, n int) error {
	r.fake.SetQuantity(sku, n)
	return nil
}

// conformanceRig is the rig the conformance suites run on. Its fake applies no usage plan: the
// suites' throttle checks answer 429 through ThrottleNext, and pacing is TestRateLimits' to prove.
// With the plans compressed a thousandfold, a client pacing exactly at the plan is refused now
// and then when a loaded machine delays one request and not the next, and the suites would
// fail for the machine, not the connector.
func conformanceRig(t testing.TB) *rig {
	return newRig(t, rigOptions{fake: amazontest.Options{NoThrottle: true}})
}

type harness struct{}

func (harness) New(t testing.TB) (conformance.Channel, conformance.ChannelSeeder) {
	r := conformanceRig(t)
	return r.client, r
}

func (harness) Features() conformance.ChannelFeatures {
	return conformance.ChannelFeatures{
		Orders:    conformance.OrderSourceFeatures{PageSize: 4, Throttles: true},
		Shipments: conformance.ShipmentSinkFeatures{Throttles: true, Stalls: true},
		Stock:     conformance.StockTargetFeatures{Throttles: true, Stalls: true},
	}
}

func TestConformance(t *testing.T) { conformance.TestChannel(t, harness{}) }
