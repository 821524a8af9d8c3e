package csvfile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/csvfile"
	"github.com/tobira-commerce/tobira/connector/csvfile/csvfiletest"
	"github.com/tobira-commerce/tobira/order"
)

const pageSize = 4

// rig is a connector and the fake partner sharing one directory.
type rig struct {
	conn    *csvfile.Connector
	partner *csvfiletest.Partner
	dir     string
	n       int
}

func newRig(t testing.TB, enc csvfile.Encoding) *rig {
	t.Helper()
	dir := t.TempDir()
	p, err := csvfiletest.New(dir, enc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: enc, PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{conn: c, partner: p, dir: dir}
}

// Request implements conformance.WarehouseSeeder: the partner takes in what was written first.
func (r *rig) Request(_ context.Context, key string) (conformance.HeldRequest, error) {
	if err := r.partner.Receive(); err != nil {
		return conformance.HeldRequest{}, err
	}
	req, ok := r.partner.Request(key)
	if !ok {
		return conformance.HeldRequest{}, nil
	}
	return conformance.HeldRequest{Copies: req.Copies, Cancelled: req.State == csvfiletest.Cancelled,
		Order: order.Order{ID: req.OrderNumber, Lines: req.Lines, ShipTo: req.ShipTo}}, nil
}

func (r *rig) Pick(_ context.Context, key string) error {
	if err := r.partner.Receive(); err != nil {
		return err
	}
	return r.partner.Pick(key)
}

// Ship ships a request already written (WarehouseSeeder).
func (r *rig) Ship(_ context.Context, key string) error {
	if err := r.partner.Receive(); err != nil {
		return err
	}
	_, err := r.partner.Ship(key)
	return err
}

// shipNew submits a new request through the connector and has the partner ship it
// (ShipmentSeeder).
func (r *rig) shipNew(ctx context.Context) (string, error) {
	r.n++
	key := fmt.Sprintf("k%d", r.n)
	if err := r.conn.Submit(ctx, connector.FulfillmentRequest{Key: key, Merchant: "m1", Channel: "shop", Order: sampleOrder(fmt.Sprint(1000 + r.n))}); err != nil {
		return "", err
	}
	if err := r.partner.Receive(); err != nil {
		return "", err
	}
	return r.partner.Ship(key)
}

func (r *rig) SetOnHand(_ context.Context, sku string, n int) error {
	return r.partner.SetOnHand(sku, n)
}

type shipper struct{ *rig }

func (s shipper) Ship(ctx context.Context) (string, error) { return s.shipNew(ctx) }

func sampleOrder(id string) order.Order {
	now := time.Now().UTC().Truncate(time.Second)
	return order.Order{ID: id, Number: "#" + id, Status: order.StatusOpen, PlacedAt: now, UpdatedAt: now,
		Lines: []order.Line{
			{ID: id + "-1", SKU: "TEA-01", Name: "煎茶", Quantity: 2, UnitPrice: order.Yen(1200)},
			{ID: id + "-2", SKU: "CUP-02", Name: "湯呑", Quantity: 1, UnitPrice: order.Yen(2500)},
		},
		ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "150-0001",
			Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Slot: order.Slot1416}}
}

type fulfillerHarness struct{ enc csvfile.Encoding }

func (h fulfillerHarness) New(t testing.TB) (connector.Fulfiller, conformance.WarehouseSeeder) {
	r := newRig(t, h.enc)
	return r.conn, r
}

// Features: a file partner cannot be made to throttle or to lose an answer (a file is written or
// not, and the write returns), so those checks are skipped with their reason.
func (fulfillerHarness) Features() conformance.FulfillerFeatures {
	return conformance.FulfillerFeatures{PartialCancel: true}
}

type shipmentHarness struct{ enc csvfile.Encoding }

func (h shipmentHarness) New(t testing.TB) (connector.ShipmentSource, conformance.ShipmentSeeder) {
	r := newRig(t, h.enc)
	return r.conn, shipper{r}
}

func (shipmentHarness) Features() conformance.ShipmentSourceFeatures {
	return conformance.ShipmentSourceFeatures{PageSize: pageSize}
}

type stockHarness struct{ enc csvfile.Encoding }

func (h stockHarness) New(t testing.TB) (connector.StockSource, conformance.StockSourceSeeder) {
	r := newRig(t, h.enc)
	return r.conn, r
}

func (stockHarness) Features() conformance.StockSourceFeatures {
	return conformance.StockSourceFeatures{PageSize: pageSize}
}

func TestWarehouseConformance(t *testing.T) {
	for _, enc := range []csvfile.Encoding{csvfile.ShiftJIS, csvfile.UTF8} {
		t.Run(enc.String(), func(t *testing.T) {
			t.Run("Fulfiller", func(t *testing.T) { conformance.TestFulfiller(t, fulfillerHarness{enc}) })
			t.Run("ShipmentSource", func(t *testing.T) { conformance.TestShipmentSource(t, shipmentHarness{enc}) })
			t.Run("StockSource", func(t *testing.T) { conformance.TestStockSource(t, stockHarness{enc}) })
		})
	}
}
