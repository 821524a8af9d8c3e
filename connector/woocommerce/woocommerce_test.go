package woocommerce_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/woocommerce"
	"github.com/tobira-commerce/tobira/connector/woocommerce/woocommercetest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// recorder is an Intake that keeps what it was given.
type recorder struct {
	mu     sync.Mutex
	orders []order.Order
	fail   error
}

func (r *recorder) IngestOrder(_ context.Context, o order.Order) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.orders = append(r.orders, o)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.orders)
}

func serve(h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestWooCommerceWebhookSignature(t *testing.T) {
	s := newSeeder(t, false)
	id := s.fake.CreateOrder(input([]order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 2, UnitPrice: order.Yen(1200)}}))
	intake := &recorder{}
	h := s.client.WebhookHandler(intake)

	// A wrong signature is refused and records nothing, not even the delivery ID.
	req, err := s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderCreated, id, "d-1")
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-WC-Webhook-Signature", woocommercetest.Sign("not-the-secret", []byte("{}")))
	if code := serve(h, req); code != http.StatusUnauthorized {
		t.Errorf("a wrongly signed delivery got %d, want 401", code)
	}
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderCreated, id, "d-1")
	req.Header.Del("X-WC-Webhook-Signature")
	if code := serve(h, req); code != http.StatusUnauthorized {
		t.Errorf("an unsigned delivery got %d, want 401", code)
	}
	// A body changed after signing is refused too.
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderCreated, id, "d-1")
	sig := req.Header.Get("X-WC-Webhook-Signature")
	body, _ := s.fake.OrderJSON(id)
	tampered := bytes.Replace(body, []byte(`"quantity":2`), []byte(`"quantity":9`), 1)
	req2 := httptest.NewRequest(http.MethodPost, "/hooks/woo", bytes.NewReader(tampered))
	req2.Header = req.Header.Clone()
	req2.Header.Set("X-WC-Webhook-Signature", sig)
	if code := serve(h, req2); code != http.StatusUnauthorized {
		t.Errorf("a tampered delivery got %d, want 401", code)
	}
	if n := intake.count(); n != 0 {
		t.Fatalf("refused deliveries recorded %d orders", n)
	}

	// The right signature is taken, under the delivery ID the refused ones carried.
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderCreated, id, "d-1")
	if code := serve(h, req); code != http.StatusOK {
		t.Fatalf("a signed delivery got %d, want 200", code)
	}
	if n := intake.count(); n != 1 {
		t.Fatalf("a signed delivery recorded %d orders, want 1", n)
	}
	got := intake.orders[0]
	if got.ID != strconv.FormatInt(id, 10) || len(got.Lines) != 1 || got.Lines[0].Quantity != 2 || got.Status != order.StatusOpen {
		t.Errorf("the webhook gave order %s with %d lines (%v), status %s", got.ID, len(got.Lines), got.Lines, got.Status)
	}
	// The same order polled is the same order: one fingerprint.
	polled, err := s.client.GetOrder(context.Background(), got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if polled.Fingerprint() != got.Fingerprint() {
		t.Errorf("a pushed order and the same order polled differ")
	}

	// A repeated delivery changes nothing.
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderCreated, id, "d-1")
	if code := serve(h, req); code != http.StatusOK {
		t.Errorf("a repeated delivery got %d, want 200 (WooCommerce disables a webhook after failures)", code)
	}
	if n := intake.count(); n != 1 {
		t.Errorf("a repeated delivery recorded %d orders, want 1", n)
	}

	// A later delivery (a new ID) of a cancellation is taken.
	s.fake.Cancel(id)
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderUpdated, id, "d-2")
	if code := serve(h, req); code != http.StatusOK || intake.count() != 2 {
		t.Fatalf("the cancellation's delivery got %d and %d orders recorded, want 200 and 2", code, intake.count())
	}
	if st := intake.orders[1].Status; st != order.StatusCancelled {
		t.Errorf("the cancellation's webhook gave status %s", st)
	}

	// An intake failure answers 500 and forgets the ID, so a redelivery is taken.
	intake.fail = errors.New("store down")
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderUpdated, id, "d-3")
	if code := serve(h, req); code != http.StatusInternalServerError {
		t.Errorf("a failed intake answered %d, want 500", code)
	}
	intake.fail = nil
	req, _ = s.fake.Webhook("https://wms.example/hooks/woo", woocommerce.TopicOrderUpdated, id, "d-3")
	if code := serve(h, req); code != http.StatusOK || intake.count() != 3 {
		t.Errorf("the redelivery after a failed intake got %d and %d orders, want 200 and 3", code, intake.count())
	}

	// WooCommerce's ping when a webhook is saved carries no topic: 200, nothing recorded.
	ping := []byte("webhook_id=7")
	preq := httptest.NewRequest(http.MethodPost, "/hooks/woo", bytes.NewReader(ping))
	preq.Header.Set("X-WC-Webhook-Signature", woocommercetest.Sign(s.fake.WebhookSecret(), ping))
	if code := serve(h, preq); code != http.StatusOK || intake.count() != 3 {
		t.Errorf("the ping got %d and %d orders, want 200 and 3", code, intake.count())
	}
}

func TestWooCommerceWebhookDeleted(t *testing.T) {
	s := newSeeder(t, false)
	id := s.fake.CreateOrder(input([]order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}}))
	s.fake.SetStatus(id, "trash")
	intake := &recorder{}
	h := s.client.WebhookHandler(intake)
	body := []byte(`{"id":` + strconv.FormatInt(id, 10) + `}`)
	req := httptest.NewRequest(http.MethodPost, "/hooks/woo", bytes.NewReader(body))
	req.Header.Set("X-WC-Webhook-Topic", woocommerce.TopicOrderDeleted)
	req.Header.Set("X-WC-Webhook-Delivery-ID", "del-1")
	req.Header.Set("X-WC-Webhook-Signature", woocommercetest.Sign(s.fake.WebhookSecret(), body))
	if code := serve(h, req); code != http.StatusOK {
		t.Fatalf("order.deleted got %d", code)
	}
	if intake.count() != 1 || intake.orders[0].Status != order.StatusCancelled {
		t.Fatalf("a trashed order's webhook gave %d orders %v, want one cancelled", intake.count(), intake.orders)
	}
}

func TestWooCommerceTrackingWithoutExtension(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	o, err := s.PlaceOrder(ctx, []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}})
	if err != nil {
		t.Fatal(err)
	}
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "SH-1", OrderID: o.ID,
		Lines:   []shipment.Line{{LineID: o.Lines[0].ID, SKU: "TEA-01", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "412345678901"}}, At: time.Now()}}
	for range 2 {
		if err := s.client.ConfirmShipment(ctx, conf); err != nil {
			t.Fatalf("ConfirmShipment: %v", err)
		}
	}
	v, _ := s.fake.Order(oid(o.ID))
	if v.Status != "completed" {
		t.Errorf("the order is %s after its shipment, want completed", v.Status)
	}
	if len(v.Trackings) != 0 {
		t.Errorf("a shop without the extension shows %d tracking entries", len(v.Trackings))
	}
	if len(v.Notes) != 1 {
		t.Fatalf("the shop shows %d notes after the shipment was confirmed twice, want 1", len(v.Notes))
	}
	n := v.Notes[0]
	if !strings.Contains(n.Note, "412345678901") || !strings.Contains(n.Note, "ヤマト運輸") || !n.CustomerNote {
		t.Errorf("the note is %q (to the buyer: %v), want the tracking number and carrier, sent to the buyer", n.Note, n.CustomerNote)
	}
	if st := s.fake.Stats().Routes; st["GET orders/<id>/notes"] == 0 {
		t.Errorf("the notes were not read before writing: %v", st)
	}

	// The extension installed later is found (once the recheck time has passed).
	s2 := newSeeder(t, true)
	o2, _ := s2.PlaceOrder(ctx, []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}})
	conf.Order, conf.Shipment.OrderID = o2, o2.ID
	if err := s2.client.ConfirmShipment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	v2, _ := s2.fake.Order(oid(o2.ID))
	if len(v2.Trackings) != 1 || len(v2.Notes) != 0 || v2.Status != "completed" {
		t.Fatalf("with the extension: %d trackings, %d notes, status %s; want 1, 0, completed", len(v2.Trackings), len(v2.Notes), v2.Status)
	}
	tr := v2.Trackings[0]
	if tr.TrackingNumber != "412345678901" || tr.CustomTrackingProvider != "ヤマト運輸" || !strings.Contains(tr.CustomTrackingLink, "412345678901") {
		t.Errorf("the tracking entry is %+v", tr)
	}

	// A provider the extension knows is named as such, and the extension builds the link.
	c3, err := woocommerce.New(woocommerce.Config{URL: s2.fake.URL(), ConsumerKey: s2.fake.ConsumerKey(), ConsumerSecret: s2.fake.ConsumerSecret(),
		Transport: s2.fake.Transport(), TrackingProviders: map[shipment.Carrier]string{shipment.Yamato: "Yamato"}})
	if err != nil {
		t.Fatal(err)
	}
	o3, _ := s2.PlaceOrder(ctx, []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}})
	conf.Order, conf.Shipment.OrderID = o3, o3.ID
	if err := c3.ConfirmShipment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if v3, _ := s2.fake.Order(oid(o3.ID)); len(v3.Trackings) != 1 || v3.Trackings[0].TrackingProvider != "Yamato" || !strings.Contains(v3.Trackings[0].TrackingLink, "412345678901") {
		t.Errorf("with a known provider the entry is %+v", v3.Trackings)
	}
}

func TestWooCommerceShipmentOfCancelledOrder(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	o, _ := s.PlaceOrder(ctx, []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}})
	s.fake.Cancel(oid(o.ID))
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "SH-1", OrderID: o.ID,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "123456789012"}}}}
	err := s.client.ConfirmShipment(ctx, conf)
	if connector.Classify(err) != connector.Permanent {
		t.Fatalf("confirming a cancelled order's shipment gave %v, want a permanent error", err)
	}
	if v, _ := s.fake.Order(oid(o.ID)); v.Status != "cancelled" || len(v.Notes) != 0 {
		t.Errorf("the cancelled order became %s with %d notes", v.Status, len(v.Notes))
	}
}

func TestWooCommerceDeliveryMeta(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	lines := []woocommercetest.LineInput{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, Price: 1200}}
	place := func(meta ...woocommercetest.Meta) order.Order {
		t.Helper()
		id := s.fake.CreateOrder(woocommercetest.OrderInput{Lines: lines, Shipping: tokyo, Billing: tokyo, Meta: meta})
		o, err := s.client.GetOrder(ctx, strconv.FormatInt(id, 10))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	want := func(o order.Order, date string, slot order.TimeSlot) {
		t.Helper()
		if o.Delivery.Date.String() != date || o.Delivery.Slot != slot {
			t.Errorf("delivery = %s %q, want %s %q", o.Delivery.Date, o.Delivery.Slot, date, slot)
		}
	}
	// Japanized for WooCommerce.
	want(place(woocommercetest.Meta{Key: "wc4jp-delivery-date", Value: "2026/07/01"},
		woocommercetest.Meta{Key: "wc4jp-delivery-time-zone", Value: "14:00-16:00"}), "2026-07-01", order.Slot1416)
	want(place(woocommercetest.Meta{Key: "wc4jp-delivery-date", Value: "２０２６－０７－０２"},
		woocommercetest.Meta{Key: "wc4jp-delivery-time-zone", Value: "午前中"}), "2026-07-02", order.SlotMorning)
	// WooCommerce Order Delivery: a date and a time frame object.
	want(place(woocommercetest.Meta{Key: "_delivery_date", Value: "2026-07-03"},
		woocommercetest.Meta{Key: "_delivery_time_frame", Value: map[string]string{"time_from": "19:00", "time_to": "21:00"}}), "2026-07-03", order.Slot1921)
	// Order Delivery Date (Tyche): a Unix timestamp, read as a day in Tokyo (2026-07-04 00:30 JST).
	ts := time.Date(2026, 7, 4, 0, 30, 0, 0, time.FixedZone("JST", 9*3600)).Unix()
	want(place(woocommercetest.Meta{Key: "_orddd_timestamp", Value: strconv.FormatInt(ts, 10)}), "2026-07-04", order.SlotNone)
	// Unreadable values are left out, not guessed; unrelated keys are ignored.
	want(place(woocommercetest.Meta{Key: "wc4jp-delivery-date", Value: "来週"},
		woocommercetest.Meta{Key: "wc4jp-delivery-time-zone", Value: "指定なし"},
		woocommercetest.Meta{Key: "delivery_date", Value: "2026-08-01"}), "", order.SlotNone)
	// のし from its key.
	if o := place(woocommercetest.Meta{Key: "熨斗タイプ", Value: "御歳暮"}); o.Gift == nil || o.Gift.Noshi != "御歳暮" {
		t.Errorf("のし = %+v, want 御歳暮", o.Gift)
	}

	// A shop's own checkout fields, through the key map.
	c, err := woocommerce.New(woocommerce.Config{URL: s.fake.URL(), ConsumerKey: s.fake.ConsumerKey(), ConsumerSecret: s.fake.ConsumerSecret(),
		Transport: s.fake.Transport(), Meta: woocommerce.MetaKeys{Date: []string{"お届け希望日"}, Slot: []string{"お届け時間帯"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := s.fake.CreateOrder(woocommercetest.OrderInput{Lines: lines, Shipping: tokyo, Billing: tokyo, Meta: []woocommercetest.Meta{
		{Key: "wc4jp-delivery-date", Value: "2026-09-09"}, {Key: "お届け希望日", Value: "2026年7月5日"}, {Key: "お届け時間帯", Value: "18時～20時"}}})
	o, err := c.GetOrder(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	want(o, "2026-07-05", order.Slot1820)
	// The same reading through ListOrders.
	now := time.Now()
	page, err := c.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, lo := range page.Orders {
		if lo.ID == o.ID {
			found = true
			want(lo, "2026-07-05", order.Slot1820)
		}
	}
	if !found {
		t.Errorf("order %s was not listed", o.ID)
	}
}

func TestWooCommerceOrderMapping(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	ship := tokyo
	ship.Postcode = "１５００００１"
	id := s.fake.CreateOrder(woocommercetest.OrderInput{Shipping: ship, Billing: tokyo, PaymentMethod: "cod", Status: "processing",
		Lines: []woocommercetest.LineInput{{SKU: "TEA-01", Name: "煎茶", Quantity: 3, Price: 1200}, {SKU: "CUP-02", Name: "湯呑", Quantity: 1, Price: 2500}}})
	o, err := s.client.GetOrder(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	if o.ShipTo.Name != "山田 太郎" || o.ShipTo.Prefecture != "東京都" || o.ShipTo.PostalCode != "150-0001" || o.ShipTo.Phone != "03-1234-5678" {
		t.Errorf("ship to = %+v", o.ShipTo)
	}
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount != order.Yen(6100) {
		t.Errorf("payment = %+v, want cash on delivery of 6100 yen", o.Payment)
	}
	if o.Lines[0].UnitPrice != order.Yen(1200) || o.Lines[0].Refs[woocommerce.RefLineItemID] == "" {
		t.Errorf("line = %+v", o.Lines[0])
	}
	for status, want := range map[string]order.Status{"pending": order.StatusPending, "on-hold": order.StatusPending,
		"processing": order.StatusOpen, "completed": order.StatusClosed, "refunded": order.StatusCancelled, "cancelled": order.StatusCancelled,
		"failed": order.StatusPending, "wc-shipped-custom": order.StatusPending} {
		s.fake.SetStatus(id, status)
		if o, err := s.client.GetOrder(ctx, strconv.FormatInt(id, 10)); err != nil || o.Status != want || o.ChannelStatus != status {
			t.Errorf("status %s gave %s (%v), want %s", status, o.Status, err, want)
		}
	}
}

// TestWooCommerceListingShift: orders that leave the window between two pages (modified again
// after To) shift the rest towards the start; resuming must miss none of the others.
func TestWooCommerceListingShift(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour)
	var ids []string
	for i := range 30 {
		id, _ := s.Place(ctx, start.Add(time.Duration(i)*time.Second), []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(100)}})
		ids = append(ids, id)
	}
	to := start.Add(time.Hour)
	req := connector.ListOrdersRequest{From: start, To: to, Limit: 5}
	seen := map[string]bool{}
	var next connector.Cursor
	for range 3 { // three pages: the cursor's offset (15) is past the overlap (10)
		req.Page = next
		p, err := s.client.ListOrders(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Orders {
			seen[o.ID] = true
		}
		next = p.Next
	}
	// The first 22 orders are modified now: they leave the window, more than a page's overlap.
	for _, id := range ids[:22] {
		s.fake.SetMeta(oid(id), "touched", "yes")
	}
	for cur := next; cur != ""; {
		req.Page = cur
		p, err := s.client.ListOrders(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Orders {
			seen[o.ID] = true
		}
		cur = p.Next
	}
	for _, id := range ids[22:] {
		if !seen[id] {
			t.Errorf("order %s, in the window all along, was missed after others left it", id)
		}
	}
}

func TestWooCommerceStockMapFresh(t *testing.T) {
	s := newSeeder(t, false)
	ctx := context.Background()
	old := s.fake.AddProduct("TEA-01", 3)
	if r, err := s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA-01", Available: 7}}); err != nil || r[0].Err != nil {
		t.Fatalf("SetStock: %v %v", err, r)
	}
	// The merchant deletes the product and lists it again: a new ID under the same SKU.
	s.fake.DeleteProduct(old)
	s.fake.AddProduct("TEA-01", 0)
	r, err := s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA-01", Available: 8}})
	if err != nil {
		t.Fatal(err)
	}
	if connector.Classify(r[0].Err) != connector.Retryable {
		t.Errorf("a stale ID gave %v, want a retryable error", r[0].Err)
	}
	if r, err := s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA-01", Available: 8}}); err != nil || r[0].Err != nil {
		t.Fatalf("SetStock after the map dropped the stale ID: %v %v", err, r)
	}
	if n, _ := s.fake.Stock("TEA-01"); n != 8 {
		t.Errorf("the recreated product shows %d, want 8", n)
	}
	// A SKU the shop does not carry is a permanent error, after one catalogue scan.
	r, err = s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "NOPE", Available: 1}, {SKU: "TEA-01", Available: 2}})
	if err != nil || !errors.Is(r[0].Err, woocommerce.ErrUnknownSKU) || r[1].Err != nil {
		t.Fatalf("unknown SKU: %v %v", err, r)
	}
	scans := s.fake.Stats().Routes["GET products"]
	s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "NOPE", Available: 1}})
	if n := s.fake.Stats().Routes["GET products"] - scans; n > 1 {
		t.Errorf("an unknown SKU asked again made %d product listings; the catalogue scan waits for Config.SKURescan", n)
	}
}

func TestWooCommerceInsecureURL(t *testing.T) {
	_, err := woocommerce.New(woocommerce.Config{URL: "http://shop.example.jp", ConsumerKey: "ck_x", ConsumerSecret: "cs_x"})
	if !errors.Is(err, woocommerce.ErrInsecureURL) || connector.Classify(err) != connector.Permanent {
		t.Fatalf("an http:// URL gave %v, want ErrInsecureURL", err)
	}
	if !strings.Contains(err.Error(), "HTTPS") || strings.Contains(err.Error(), "cs_x") {
		t.Errorf("the error does not say why, or leaks the secret: %v", err)
	}
}

func TestWooCommerceAuthAndSecrets(t *testing.T) {
	var logs bytes.Buffer
	fake := woocommercetest.NewTest(t, woocommercetest.Options{})
	c, err := woocommerce.New(woocommerce.Config{URL: fake.URL(), ConsumerKey: fake.ConsumerKey(), ConsumerSecret: "cs_wrong_secret_value",
		Transport: fake.Transport(), Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now()})
	if !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("a wrong secret gave %v, want ErrUnauthorized", err)
	}
	var ae *woocommerce.APIError
	if !errors.As(err, &ae) || ae.Code != "woocommerce_rest_authentication_error" || ae.Status != 401 {
		t.Errorf("the error carries %+v, want WooCommerce's code", ae)
	}
	for _, secret := range []string{"cs_wrong_secret_value", fake.ConsumerKey()} {
		if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
			t.Errorf("the error or the log holds a credential")
		}
	}

	ro := woocommercetest.NewTest(t, woocommercetest.Options{ReadOnly: true})
	ro.AddProduct("TEA-01", 1)
	c, _ = woocommerce.New(woocommerce.Config{URL: ro.URL(), ConsumerKey: ro.ConsumerKey(), ConsumerSecret: ro.ConsumerSecret(), Transport: ro.Transport()})
	if _, err := c.SetStock(context.Background(), []connector.StockUpdate{{SKU: "TEA-01", Available: 2}}); !errors.Is(err, connector.ErrUnauthorized) {
		t.Errorf("a read-only key writing gave %v, want ErrUnauthorized", err)
	}
}

func TestWooCommercePersonalDataStaysOut(t *testing.T) {
	s := newSeeder(t, false)
	bad := tokyo
	bad.Postcode = "12" // invalid: the order is rejected
	id := s.fake.CreateOrder(woocommercetest.OrderInput{Shipping: bad, Billing: bad,
		Lines: []woocommercetest.LineInput{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, Price: 100}}})
	good := s.fake.CreateOrder(input([]order.Line{{SKU: "TEA-02", Name: "玉露", Quantity: 1, UnitPrice: order.Yen(100)}}))
	now := time.Now()
	p, err := s.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rejects) != 1 || p.Rejects[0].ID != strconv.FormatInt(id, 10) || len(p.Orders) != 1 || p.Orders[0].ID != strconv.FormatInt(good, 10) {
		t.Fatalf("page = %d orders, rejects %v; want the good order and one reject", len(p.Orders), p.Rejects)
	}
	msg := p.Rejects[0].Err.Error()
	for _, pii := range []string{"山田", "太郎", "神宮前", "03-1234-5678", "taro@example.jp"} {
		if strings.Contains(msg, pii) {
			t.Errorf("the reject %q holds personal data %q", msg, pii)
		}
	}
	if !errors.Is(p.Rejects[0].Err, connector.ErrPermanent) {
		t.Errorf("the reject is %v, want ErrPermanent", p.Rejects[0].Err)
	}
}

func TestWooCommerceWebhookLimits(t *testing.T) {
	s := newSeeder(t, false)
	c, err := woocommerce.New(woocommerce.Config{URL: s.fake.URL(), ConsumerKey: "ck", ConsumerSecret: "cs", WebhookSecret: s.fake.WebhookSecret(),
		Transport: s.fake.Transport(), WebhookMaxBody: 1024})
	if err != nil {
		t.Fatal(err)
	}
	intake := &recorder{}
	h := c.WebhookHandler(intake)
	big := bytes.Repeat([]byte("x"), 2048)
	req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(big))
	req.Header.Set("X-WC-Webhook-Topic", woocommerce.TopicOrderCreated)
	req.Header.Set("X-WC-Webhook-Signature", woocommercetest.Sign(s.fake.WebhookSecret(), big))
	if code := serve(h, req); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the cap got %d, want 413", code)
	}
	if code := serve(h, httptest.NewRequest(http.MethodGet, "/hooks", nil)); code != http.StatusMethodNotAllowed {
		t.Errorf("a GET got %d, want 405", code)
	}
	if intake.count() != 0 {
		t.Errorf("refused requests recorded orders")
	}
}

// TestWooCommerceTrackingDetection: the extension is found by its route answering, and an
// answer that it is missing is trusted for TrackingRecheck.
func TestWooCommerceTrackingDetection(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		recheck time.Duration
		want    string // where the second shipment's tracking goes once the extension is installed
	}{{time.Hour, "note"}, {time.Nanosecond, "tracking"}} {
		s := newSeeder(t, false)
		c, err := woocommerce.New(woocommerce.Config{URL: s.fake.URL(), ConsumerKey: s.fake.ConsumerKey(), ConsumerSecret: s.fake.ConsumerSecret(),
			Transport: s.fake.Transport(), TrackingRecheck: tc.recheck})
		if err != nil {
			t.Fatal(err)
		}
		ship := func(number string) int64 {
			o, err := s.PlaceOrder(ctx, []order.Line{{SKU: "TEA-01", Name: "煎茶", Quantity: 1, UnitPrice: order.Yen(1200)}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "SH-" + number,
				OrderID: o.ID, Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}},
				Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: number}}}})
			if err != nil {
				t.Fatal(err)
			}
			return oid(o.ID)
		}
		first := ship("111122223333")
		if v, _ := s.fake.Order(first); len(v.Notes) != 1 || len(v.Trackings) != 0 {
			t.Fatalf("without the extension: %d notes, %d trackings", len(v.Notes), len(v.Trackings))
		}
		s.fake.SetTrackingExtension(true)
		second := ship("444455556666")
		v, _ := s.fake.Order(second)
		got := "note"
		if len(v.Trackings) == 1 && len(v.Notes) == 0 {
			got = "tracking"
		}
		if got != tc.want {
			t.Errorf("recheck %s: the second shipment went to a %s (%d notes, %d trackings), want a %s", tc.recheck, got, len(v.Notes), len(v.Trackings), tc.want)
		}
	}
}
