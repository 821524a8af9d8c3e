package woocommerce_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/woocommerce"
	"github.com/tobira-commerce/tobira/connector/woocommerce/woocommercetest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// TestWooCommerceFaults drives every role through a shop that fails often (5xx, truncated JSON,
// answers lost after writes), retrying as the engine does: nothing is lost, nothing doubled, and
// every failure is an error the engine can classify.
func TestWooCommerceFaults(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	hc := httpclient.New(httpclient.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Transport: s.fake.Transport(), Timeout: 200 * time.Millisecond})
	c, err := woocommerce.New(woocommerce.Config{URL: s.fake.URL(), ConsumerKey: s.fake.ConsumerKey(), ConsumerSecret: s.fake.ConsumerSecret(), HTTP: hc})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Hour)
	var ids []string
	for i := range 20 {
		id, _ := s.Place(ctx, start.Add(time.Duration(i)*time.Second), []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(100)}})
		ids = append(ids, id)
	}
	s.fake.AddProduct("TEA-01", 0)
	s.fake.SetFaults(woocommercetest.Faults{ServerError: 0.2, Malformed: 0.1, Timeout: 0.1, TimeoutDelay: time.Second})

	retry := func(what string, f func() error) {
		t.Helper()
		for attempt := 0; ; attempt++ {
			err := f()
			if err == nil {
				return
			}
			if connector.Classify(err) != connector.Retryable {
				t.Fatalf("%s: %v is not retryable", what, err)
			}
			if attempt == 50 {
				t.Fatalf("%s: still failing after 50 attempts: %v", what, err)
			}
		}
	}
	seen := map[string]int{}
	req := connector.ListOrdersRequest{From: start, To: start.Add(time.Hour), Limit: 3}
	for done := false; !done; {
		var p *connector.OrderPage
		retry("ListOrders", func() (err error) { p, err = c.ListOrders(ctx, req); return err })
		for _, o := range p.Orders {
			seen[o.ID]++
		}
		req.Page, done = p.Next, p.Next == ""
	}
	for _, id := range ids {
		if seen[id] == 0 {
			t.Errorf("order %s was lost to faults", id)
		}
	}

	o, err := s.client.GetOrder(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "SH-1", OrderID: o.ID,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "412345678901"}}}}
	retry("ConfirmShipment", func() error { return c.ConfirmShipment(ctx, conf) })
	sawUnknown := false
	for v := range 10 {
		retry("SetStock", func() error {
			res, err := c.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA-01", Available: v}})
			if err == nil {
				err = res[0].Err
			}
			if errors.Is(err, connector.ErrOutcomeUnknown) {
				sawUnknown = true
			}
			return err
		})
	}
	s.fake.SetFaults(woocommercetest.Faults{})
	if v, _ := s.fake.Order(oid(o.ID)); v.Status != "completed" || len(v.Notes) != 1 {
		t.Errorf("after faults the order is %s with %d notes, want completed with 1", v.Status, len(v.Notes))
	}
	if n, _ := s.fake.Stock("TEA-01"); n != 9 {
		t.Errorf("after faults TEA-01 shows %d, want the last value 9", n)
	}
	if st := s.fake.Stats(); st.Faults == 0 {
		t.Errorf("no fault was injected")
	}
	t.Logf("faults injected: %d; a stock write's answer lost: %v", s.fake.Stats().Faults, sawUnknown)
}
