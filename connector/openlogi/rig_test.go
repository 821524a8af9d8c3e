package openlogi_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/internal/openapicheck"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
	"github.com/tobira-commerce/tobira/order"
)

// rig is a fake OPENLOGI account checked against the OpenAPI file, and a client over it.
type rig struct {
	fake   *openlogitest.Server
	client *openlogi.Client

	mu        sync.Mutex
	submitted map[string]order.Order // request key → order, to name lines when observing
	n         int
}

// newRig starts a fake whose every request and answer is checked against the OpenAPI file; a
// violation in the fake's answers, or a request the file refuses, fails the test at its end
// unless the test expects it (allowInvalid).
func newRig(t testing.TB, opts openlogitest.Options, cfg func(*openlogi.Config)) *rig {
	t.Helper()
	opts.Validator = openapicheck.New(t)
	if opts.RequestsPerMinute == 0 {
		opts.RequestsPerMinute = -1 // the client's pacing is tested apart; suites send many requests
	}
	fake := openlogitest.New(opts)
	t.Cleanup(fake.Close)
	c := openlogi.Config{BaseURL: fake.URL(), Token: fake.Token(), AccountID: fake.AccountID(), Channel: "shop",
		Items: fake.ItemIDs, RequestsPerMinute: 60000}
	if cfg != nil {
		cfg(&c)
	}
	client, err := openlogi.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"TEA-01", "CUP-02", "GIFT-BOX"} {
		fake.AddItem(sku, "品物 "+sku, 1000)
	}
	r := &rig{fake: fake, client: client, submitted: map[string]order.Order{}}
	t.Cleanup(func() {
		if v := fake.Violations(); len(v) > 0 {
			t.Errorf("the fake answered outside the OpenAPI file:\n%s", strings.Join(v, "\n"))
		}
		if st := fake.Stats(); st.Invalid > 0 && !allowInvalid(t) {
			t.Errorf("the client sent %d requests the OpenAPI file refuses", st.Invalid)
		}
	})
	return r
}

var invalidOK sync.Map

// allowInvalid marks t as sending invalid requests on purpose; called with no mark, it reports it.
func allowInvalid(t testing.TB) bool {
	_, ok := invalidOK.Load(t.Name())
	return ok
}

// ---- Fulfiller ----

func (r *rig) Submit(ctx context.Context, req connector.FulfillmentRequest) error {
	r.mu.Lock()
	if _, ok := r.submitted[req.Key]; !ok {
		r.submitted[req.Key] = req.Order
	}
	r.mu.Unlock()
	return r.client.Submit(ctx, req)
}

func (r *rig) Change(ctx context.Context, req connector.ChangeRequest) (connector.Answer, error) {
	return r.client.Change(ctx, req)
}

func (r *rig) Cancel(ctx context.Context, req connector.CancelRequest) (connector.Answer, error) {
	return r.client.Cancel(ctx, req)
}

// Request observes what the fake holds for a key, naming its lines after the submitted order.
func (r *rig) Request(_ context.Context, key string) (conformance.HeldRequest, error) {
	sh, ok := r.fake.Shipment(openlogi.Identifier(key))
	if !ok {
		return conformance.HeldRequest{}, nil
	}
	r.mu.Lock()
	o := r.submitted[key]
	r.mu.Unlock()
	held := conformance.HeldRequest{Copies: sh.Copies, Cancelled: sh.Deleted}
	qty := map[string]int{}
	for _, l := range sh.Lines {
		qty[l.Code] += l.Quantity
	}
	o.Lines = slices.Clone(o.Lines)
	for i := range o.Lines {
		o.Lines[i].Quantity, o.Lines[i].Cancelled = qty[o.Lines[i].SKU], 0
	}
	if rc, ok := sh.Fields["recipient"].(map[string]any); ok {
		a1, _ := rc["address1"].(string)
		o.ShipTo.Line1 = strings.TrimPrefix(a1, o.ShipTo.City)
		o.ShipTo.Name, _ = rc["name"].(string)
	}
	held.Order = o
	return held, nil
}

// Pick starts picking, with staff who refuse every later request at once.
func (r *rig) Pick(_ context.Context, key string) error {
	r.fake.SetDecision(openlogitest.RefuseAtOnce)
	return r.fake.Pick(openlogi.Identifier(key))
}

func (r *rig) Ship(_ context.Context, key string) error {
	_, err := r.fake.Ship(openlogi.Identifier(key))
	return err
}

func (r *rig) ThrottleNext(wait time.Duration) { r.fake.ThrottleNext(wait) }
func (r *rig) Requests() int                   { return r.fake.Requests() }
func (r *rig) StallNext()                      { r.fake.StallNext() }

// ---- ShipmentSource and StockSource seeders ----

type shipSeeder struct{ *rig }

// Ship receives a new request through the client and ships it.
func (s shipSeeder) Ship(ctx context.Context) (string, error) {
	s.mu.Lock()
	s.n++
	key := "ship-" + strings.Repeat("0", 3) + itoa(s.n)
	s.mu.Unlock()
	o := sampleOrder(key)
	if err := s.client.Submit(ctx, connector.FulfillmentRequest{Key: key, Channel: "shop", Order: o}); err != nil {
		return "", err
	}
	return s.fake.Ship(openlogi.Identifier(key))
}

type stockSeeder struct{ *rig }

func (s stockSeeder) SetOnHand(_ context.Context, sku string, n int) error {
	s.fake.AddItem(sku, "品物", n)
	return nil
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

// sampleOrder is a domestic order of two lines, with a delivery request.
func sampleOrder(id string) order.Order {
	return order.Order{
		ID: id, Number: "#" + id, Status: order.StatusOpen,
		PlacedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC(),
		Lines: []order.Line{
			{ID: id + "-1", SKU: "TEA-01", Name: "煎茶", Quantity: 3, UnitPrice: order.Yen(1200)},
			{ID: id + "-2", SKU: "CUP-02", Name: "湯呑", Quantity: 1, UnitPrice: order.Yen(2500)},
		},
		ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "150-0001",
			Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Slot: order.Slot1416},
	}
}
