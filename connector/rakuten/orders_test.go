package rakuten_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

func TestOrdersWaitingForConfirmation(t *testing.T) {
	t.Run("Held", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, nil)
		in := simple(item("TEA-01", 1))
		in.Confirmed = false
		num := r.fake.PlaceOrder(in)
		r.clock.Advance(time.Minute)
		got, _ := drain(t, r.client, t0, t0.Add(time.Minute), 0)
		if o := got[num]; o.Status != order.StatusPending || o.ChannelStatus != "100" {
			t.Fatalf("an order in 100 is listed %q (%s), want pending: the engine holds it", o.Status, o.ChannelStatus)
		}
		if v, _ := r.fake.Order(num); v.Progress != 100 {
			t.Errorf("the client confirmed the order (progress %d) without ConfirmOrders", v.Progress)
		}
		// The shop confirms it in RMS an hour later: a later window lists it open.
		r.clock.Advance(time.Hour)
		if err := r.fake.Confirm(num); err != nil {
			t.Fatal(err)
		}
		from := r.clock.Now().Add(-time.Minute)
		r.clock.Advance(time.Minute)
		got, _ = drain(t, r.client, from, r.clock.Now(), 0)
		if o := got[num]; o.Status != order.StatusOpen {
			t.Errorf("after the shop confirmed it the order is listed %q, want open", o.Status)
		}
	})
	t.Run("ConfirmOrders", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) { c.ConfirmOrders = true })
		in := simple(item("TEA-01", 1))
		in.Confirmed = false
		num := r.fake.PlaceOrder(in)
		r.clock.Advance(time.Minute)
		drain(t, r.client, t0, t0.Add(time.Minute), 0)
		if v, _ := r.fake.Order(num); v.Progress != 300 {
			t.Errorf("with ConfirmOrders the order is in %d after listing, want 300", v.Progress)
		}
		from := r.clock.Now().Add(-time.Second)
		r.clock.Advance(time.Minute)
		got, _ := drain(t, r.client, from, r.clock.Now(), 0)
		if o := got[num]; o.Status != order.StatusOpen {
			t.Errorf("the confirmed order is listed %q in the next window, want open", o.Status)
		}
	})
}

func TestListOrdersWithFaults(t *testing.T) {
	r := newRig(t, rakutentest.Options{Seed: 7}, nil)
	var want []string
	for i := range 40 {
		r.clock.Set(t0.Add(time.Duration(i) * time.Minute))
		want = append(want, r.fake.PlaceOrder(simple(item("TEA-01", 1+i%3))))
	}
	r.clock.Set(t0.Add(2 * time.Hour))
	r.fake.SetFaults(rakutentest.Faults{ServerError: 0.15})
	got := map[string]bool{}
	var cur connector.Cursor
	failures := 0
	for pages := 0; pages < 200; {
		p, err := r.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: t0, To: t0.Add(time.Hour), Page: cur, Limit: 7})
		if err != nil {
			if !errors.Is(err, connector.ErrTemporary) {
				t.Fatalf("ListOrders under 5xx faults: %v, want ErrTemporary", err)
			}
			failures++ // the engine retries the same cursor
			continue
		}
		pages++
		for _, o := range p.Orders {
			got[o.ID] = true
		}
		if p.Next == "" {
			break
		}
		cur = p.Next
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("order %s missed under faults", id)
		}
	}
	if r.fake.Stats().Faults == 0 {
		t.Errorf("no fault was injected; the test proves nothing")
	}
	t.Logf("%d calls failed after the HTTP layer's retries", failures)
}

func TestFaultsAndErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("ServerError", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, nil)
		r.fake.SetFaults(rakutentest.Faults{ServerError: 1})
		_, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: t0, To: t0.Add(time.Hour), Limit: 10})
		if !errors.Is(err, connector.ErrTemporary) || connector.Classify(err) != connector.Retryable {
			t.Errorf("ListOrders against 5xx answers: %v, want a retryable ErrTemporary", err)
		}
	})
	t.Run("SlowWrite", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) { c.Timeout = time.Second })
		r.fake.SetFaults(rakutentest.Faults{Slow: 1, SlowDelay: 5 * time.Second})
		_, err := r.client.SetStock(ctx, []connector.StockUpdate{{SKU: "sencha:std", Available: 1}})
		if !errors.Is(err, connector.ErrOutcomeUnknown) {
			t.Errorf("a write answered after the timeout: %v, want ErrOutcomeUnknown", err)
		}
		if n, _ := r.fake.Stock("sencha", "std"); n != 1 {
			t.Errorf("the slow write was not applied (shows %d): the fake must apply before stalling", n)
		}
	})
	t.Run("WrongKey", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) { c.LicenseKey = "SL-wrong" })
		_, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: t0, To: t0.Add(time.Hour)})
		if !errors.Is(err, connector.ErrUnauthorized) {
			t.Errorf("a wrong key gave %v, want ErrUnauthorized", err)
		}
		if strings.Contains(err.Error(), "SL-wrong") || strings.Contains(err.Error(), r.fake.ServiceSecret()) {
			t.Errorf("the error shows a credential: %v", err)
		}
	})
	t.Run("UnknownOrder", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, nil)
		err := r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: order.Order{ID: "tobira-20261102-0000009999"},
			Shipment: shipment.Shipment{ID: "S1", Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "1"}}}})
		if !errors.Is(err, connector.ErrNotFound) {
			t.Errorf("confirming an unknown order: %v, want ErrNotFound", err)
		}
	})
	t.Run("CancelledOrder", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{}, nil)
		num := r.fake.PlaceOrder(simple(item("TEA-01", 1)))
		o, err := listed(ctx, r.client, num, t0.Add(-time.Minute), t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.fake.Cancel(num); err != nil {
			t.Fatal(err)
		}
		err = r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o,
			Shipment: shipment.Shipment{ID: "S1", Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "1"}}}})
		if connector.Classify(err) != connector.Permanent {
			t.Errorf("confirming a cancelled order: %v, want a permanent error", err)
		}
	})
}

// TestNoSecretsOrPersonalDataInLogsAndErrors runs every call with a debug logger against a
// failing fake and looks for the key, the secret, names, addresses and phone numbers.
func TestNoSecretsOrPersonalDataInLogsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) {
		c.Logger, c.ParseRemarks, c.KeyExpiresAt = log, true, time.Time{}
	})
	ctx := context.Background()
	in := simple(item("TEA-01", 1))
	in.Remarks = "お届けは山田様のご都合で 090-1111-2222 に連絡"
	num := r.fake.PlaceOrder(in)
	var errs []error
	page, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: t0.Add(-time.Minute), To: t0.Add(time.Minute)})
	errs = append(errs, err)
	r.fake.SetFaults(rakutentest.Faults{ServerError: 1})
	_, err = r.client.ListOrders(ctx, connector.ListOrdersRequest{From: t0.Add(-time.Minute), To: t0.Add(time.Minute)})
	errs = append(errs, err)
	r.fake.SetFaults(rakutentest.Faults{})
	if page != nil && len(page.Orders) > 0 {
		err = r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: page.Orders[0],
			Shipment: shipment.Shipment{ID: "S1", Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: ""}}}})
		errs = append(errs, err)
	}
	r.client.SetLicenseKey("SL-revoked-key", time.Time{})
	_, err = r.client.SetStock(ctx, []connector.StockUpdate{{SKU: "tea:1", Available: 1}})
	errs = append(errs, err)
	var text strings.Builder
	text.WriteString(buf.String())
	for _, e := range errs {
		if e != nil {
			text.WriteString(e.Error() + "\n")
		}
	}
	for _, secret := range []string{r.fake.LicenseKey(), "SL-revoked-key", r.fake.ServiceSecret(), "山田", "太郎", "神宮前", "1234-5678", "090-1111", "150-0001"} {
		if strings.Contains(text.String(), secret) {
			t.Errorf("logs or errors contain %q:\n%s", secret, text.String())
		}
	}
	if !strings.Contains(buf.String(), "could not be parsed") || !strings.Contains(buf.String(), num) {
		t.Errorf("the unparsed remarks were not reported (by order number) in the log:\n%s", buf.String())
	}
}

func TestConfirmShipmentsAsync(t *testing.T) {
	r := newRig(t, rakutentest.Options{}, nil)
	ctx := context.Background()
	var confs []connector.ShipmentConfirmation
	for i := range 3 {
		num := r.fake.PlaceOrder(simple(item("TEA-01", 1)))
		o, err := listed(ctx, r.client, num, t0.Add(-time.Minute), t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		confs = append(confs, connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "S1", At: t0,
			Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: "70000000000" + string(rune('1'+i))}}}})
	}
	// The first one was confirmed already: the bulk report skips it.
	if err := r.client.ConfirmShipment(ctx, confs[0]); err != nil {
		t.Fatal(err)
	}
	req, err := r.client.ConfirmShipmentsAsync(ctx, confs)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Skipped) != 1 || req.Skipped[0] != 0 || req.RequestID == "" {
		t.Fatalf("async request %+v, want confirmation 0 skipped and a requestId", req)
	}
	res, err := r.client.AsyncResult(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[1] != nil || res[2] != nil {
		t.Errorf("async results %v, want confirmations 1 and 2 applied", res)
	}
	for _, c := range confs {
		v, _ := r.fake.Order(c.Order.ID)
		if len(v.Baskets[0].Rows) != 1 || v.Baskets[0].Rows[0].Company != "1003" {
			t.Errorf("order %s shows rows %+v, want one Japan Post (1003) row", c.Order.ID, v.Baskets[0].Rows)
		}
	}
}
