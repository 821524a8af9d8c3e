package colorme_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/colorme"
	"github.com/tobira-commerce/tobira/connector/colorme/colormetest"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

type env struct {
	fake   *colormetest.Server
	client *colorme.Client
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, opts colormetest.Options, cfg colorme.Config) *env {
	t.Helper()
	e := &env{fake: colormetest.NewTest(t, opts), logs: &bytes.Buffer{}}
	cfg.Shop, cfg.BaseURL, cfg.HTTP = "nagoya-kimono", e.fake.URL(), testHTTP()
	if cfg.Token == "" {
		cfg.Token = e.fake.Token()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := colorme.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

func (e *env) list(t *testing.T) *connector.OrderPage {
	t.Helper()
	now := time.Now()
	page, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	return page
}

func find(page *connector.OrderPage, id string) (order.Order, bool) {
	for _, o := range page.Orders {
		if o.ID == id {
			return o, true
		}
	}
	return order.Order{}, false
}

var (
	grandma = colormetest.Address{Name: "佐藤 花子", Postal: "４６００００８", PrefID: 23, Address1: "名古屋市中区栄3-1-1", Tel: "052-123-4567"}
	uncle   = colormetest.Address{Name: "鈴木 一郎", Postal: "060-0001", PrefID: 1, Address1: "札幌市中央区北1条西2-1", Tel: "011-222-3333"}
)

// TestColormeDeliveries: a sale to two destinations is two orders, each shipped and confirmed on
// its own, each destination showing its own slip number.
func TestColormeDeliveries(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{SendShippingMail: true})
	e.fake.AddProduct("帯締め", "OBI-01", 5800, 10)
	e.fake.AddProduct("手ぬぐい", "TENUGUI", 0, 0, colormetest.VariantInput{Option1: "藍", ModelNumber: "TENUGUI-AI", Stock: 10},
		colormetest.VariantInput{Option1: "紅", ModelNumber: "TENUGUI-BENI", Stock: 10})
	sagawa := e.fake.AddDelivery("佐川急便", "sagawa")
	saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, PaymentID: 1, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "OBI-01", Quantity: 1}}, PreferredDate: "2026-12-24", PreferredPeriod: "14時～16時",
			NoshiText: "御歳暮", NoshiCharge: 200, WrappingName: "和紙包装", WrappingCharge: 300, DeliveryCharge: 800},
		{To: uncle, DeliveryID: sagawa, Lines: []colormetest.LineInput{{SKU: "TENUGUI-BENI", Quantity: 2, Price: 1200}}, DeliveryCharge: 1200},
	}})
	if err != nil {
		t.Fatal(err)
	}
	page := e.list(t)
	if len(page.Orders) != 2 || len(page.Rejects) != 0 {
		t.Fatalf("listed %d orders and %v, want the sale's two destinations", len(page.Orders), page.Rejects)
	}
	first, ok1 := find(page, colorme.OrderID(saleID, dests[0]))
	second, ok2 := find(page, colorme.OrderID(saleID, dests[1]))
	if !ok1 || !ok2 {
		t.Fatalf("orders %v; want IDs %s and %s", page.Orders, colorme.OrderID(saleID, dests[0]), colorme.OrderID(saleID, dests[1]))
	}
	if first.ShipTo.Prefecture != "愛知県" || second.ShipTo.Prefecture != "北海道" || first.ShipTo.Name == second.ShipTo.Name {
		t.Errorf("ship-to %s / %s, want each destination's own address", first.ShipTo.Prefecture, second.ShipTo.Prefecture)
	}
	if len(first.Lines) != 1 || first.Lines[0].SKU != "OBI-01" || len(second.Lines) != 1 || second.Lines[0].SKU != "TENUGUI-BENI" || second.Lines[0].Quantity != 2 {
		t.Errorf("lines %v / %v, want each destination's own", first.Lines, second.Lines)
	}
	if first.Gift == nil || first.Gift.Noshi != "御歳暮" || !first.Gift.Wrapping || second.Gift != nil {
		t.Errorf("gifts %+v / %+v, want のし and wrapping on the first destination only", first.Gift, second.Gift)
	}
	if second.Refs[colorme.RefCarrier] != string(shipment.Sagawa) || first.Refs[colorme.RefCarrier] != string(shipment.Yamato) {
		t.Errorf("carriers %q / %q, want yamato / sagawa from the delivery methods", first.Refs[colorme.RefCarrier], second.Refs[colorme.RefCarrier])
	}

	ship := func(o order.Order, id string, carrier shipment.Carrier, number string) {
		t.Helper()
		var lines []shipment.Line
		for _, l := range o.Lines {
			lines = append(lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Quantity})
		}
		conf := connector.ShipmentConfirmation{Order: o, Complete: true, IdempotencyKey: id,
			Shipment: shipment.Shipment{ID: id, OrderID: o.ID, Lines: lines, Parcels: []shipment.Parcel{{Carrier: carrier, TrackingNumber: number}}, At: time.Now()}}
		for range 2 { // a repeated confirmation has no second effect
			if err := e.client.ConfirmShipment(context.Background(), conf); err != nil {
				t.Fatalf("ConfirmShipment(%s): %v", o.ID, err)
			}
		}
	}
	ship(first, "W-1", shipment.Yamato, "4912-3456-7890")
	sale, _ := e.fake.Sale(saleID)
	if sale.Delivered || !sale.SaleDeliveries[0].Delivered || sale.SaleDeliveries[1].Delivered {
		t.Fatalf("after shipping the first destination: sale delivered %v, destinations %v %v; want only the first",
			sale.Delivered, sale.SaleDeliveries[0].Delivered, sale.SaleDeliveries[1].Delivered)
	}
	if n := len(e.fake.Mails(saleID)); n != 0 {
		t.Errorf("%d mails sent with a destination still to ship", n)
	}
	ship(second, "W-2", shipment.Sagawa, "3601-0000-1111")
	if m := e.fake.Mails(saleID); len(m) != 1 || m[0].Type != "delivered" {
		t.Errorf("mails %v, want one 発送メール once both destinations shipped", m)
	}
	sale, _ = e.fake.Sale(saleID)
	d1, d2 := sale.SaleDeliveries[0], sale.SaleDeliveries[1]
	if got := *d1.SlipNumber; got != "4912-3456-7890" {
		t.Errorf("first destination's slip_number %q, want its own 4912-3456-7890", got)
	}
	if got := *d2.SlipNumber; got != "3601-0000-1111" {
		t.Errorf("second destination's slip_number %q, want its own 3601-0000-1111", got)
	}
	if !strings.Contains(*d1.TrackingURL, "kuronekoyamato") || !strings.Contains(*d2.TrackingURL, "sagawa") {
		t.Errorf("tracking URLs %q / %q, want each carrier's page", *d1.TrackingURL, *d2.TrackingURL)
	}
	if !sale.Delivered {
		t.Error("the sale is not delivered after both destinations shipped")
	}
	if n := len(e.fake.Shippings(saleID, dests[0])) + len(e.fake.Shippings(saleID, dests[1])); n != 2 {
		t.Errorf("%d shipping updates, want one per destination", n)
	}
	// Listed again, both are closed.
	page = e.list(t)
	for _, o := range page.Orders {
		if o.Status != order.StatusClosed {
			t.Errorf("order %s is %s after shipping, want closed", o.ID, o.Status)
		}
	}
}

// TestColormeJapaneseFields: のし, message card, wrapping, requested date and slot, prefecture,
// postal code, cash on delivery and totals come through.
func TestColormeJapaneseFields(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{CODPaymentIDs: []int64{7}})
	e.fake.AddProduct("扇子", "SENSU", 3000, 5)
	saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, PaymentID: 7, Fee: 330, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 2}}, PreferredDate: "2026/12/24", PreferredPeriod: "１８：００～２０：００",
			NoshiText: "御祝", NoshiCharge: 100, CardName: "メッセージカード", CardText: "おめでとう", WrappingName: "風呂敷", WrappingCharge: 500, DeliveryCharge: 700},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o, ok := find(e.list(t), colorme.OrderID(saleID, dests[0]))
	if !ok {
		t.Fatal("the sale was not listed")
	}
	want := order.Gift{Wrapping: true, Noshi: "御祝", Message: "おめでとう"}
	if o.Gift == nil || *o.Gift != want || o.Refs[colorme.RefWrappingName] != "風呂敷" || o.Refs[colorme.RefCardName] != "メッセージカード" {
		t.Errorf("gift %+v, refs %v; want %+v with the wrapping and card names in Refs", o.Gift, o.Refs, want)
	}
	if o.Delivery.Date.String() != "2026-12-24" || o.Delivery.Slot != order.Slot1820 {
		t.Errorf("delivery %s %s, want 2026-12-24 1820", o.Delivery.Date, o.Delivery.Slot)
	}
	if o.ShipTo.Prefecture != "愛知県" || o.ShipTo.PostalCode != "460-0008" || o.ShipTo.Email != "taro@example.jp" {
		t.Errorf("ship-to %s %s %s", o.ShipTo.Prefecture, o.ShipTo.PostalCode, o.ShipTo.Email)
	}
	// 6000 + 700 delivery + 330 fee + 100 のし + 500 wrapping.
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount.Amount != 7630 || o.Totals.Total.Amount != 7630 || o.Totals.Fees.Amount != 930 {
		t.Errorf("payment %+v totals %+v, want cash on delivery of 7630", o.Payment, o.Totals)
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]order.TimeSlot{
		"午前中": order.SlotMorning, "午前": order.SlotMorning, "8時～12時": order.SlotMorning, "12:00-14:00": order.Slot1214,
		"14時～16時": order.Slot1416, "１６時－１８時": order.Slot1618, "18:00～20:00": order.Slot1820, "19-21": order.Slot1921,
		"19時から21時": order.Slot1921, "20：00～21：00": order.Slot2021,
	} {
		if got, ok := colorme.ParsePeriod(in); !ok || got != want {
			t.Errorf("ParsePeriod(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"夕方", "10-11", "14時", "1-2-3", "", "123-456"} {
		if got, ok := colorme.ParsePeriod(in); ok {
			t.Errorf("ParsePeriod(%q) = %q, want no slot", in, got)
		}
	}
}

// TestColormeUnknownPeriod: a slot label the client cannot read rejects that order alone, with a
// reason free of personal data; Config.Slots maps the shop's own labels.
func TestColormeUnknownPeriod(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{Slots: map[string]order.TimeSlot{"お昼過ぎ": order.Slot1214}})
	e.fake.AddProduct("扇子", "SENSU", 3000, 5)
	place := func(period, date string) string {
		saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, Destinations: []colormetest.DestinationInput{
			{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}, PreferredPeriod: period, PreferredDate: date}}})
		if err != nil {
			t.Fatal(err)
		}
		return colorme.OrderID(saleID, dests[0])
	}
	bad := place("夕方ごろ", "")
	badDate := place("", "来週")
	mapped := place("お昼過ぎ", "指定なし")
	page := e.list(t)
	if o, ok := find(page, mapped); !ok || o.Delivery.Slot != order.Slot1214 || !o.Delivery.Date.IsZero() {
		t.Errorf("the order with a mapped label: listed %v, slot %q", ok, o.Delivery.Slot)
	}
	rejected := map[string]error{}
	for _, r := range page.Rejects {
		rejected[r.ID] = r.Err
	}
	for _, id := range []string{bad, badDate} {
		err, ok := rejected[id]
		if !ok {
			t.Errorf("order %s was not rejected", id)
			continue
		}
		if connector.Classify(err) != connector.Permanent {
			t.Errorf("reject %v is not permanent", err)
		}
		for _, secret := range []string{"佐藤", "名古屋", "052-", "夕方", "来週"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("reject %q carries %q", err, secret)
			}
		}
	}
}

// TestColormeCODSeveralDestinations: cash on delivery cannot be split over destinations.
func TestColormeCODSeveralDestinations(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{CODPaymentIDs: []int64{7}})
	e.fake.AddProduct("扇子", "SENSU", 3000, 5)
	saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, PaymentID: 7, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}},
		{To: uncle, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	page := e.list(t)
	if len(page.Orders) != 0 || len(page.Rejects) != 2 || page.Rejects[0].ID != colorme.OrderID(saleID, dests[0]) {
		t.Errorf("orders %v rejects %v, want both destinations rejected", page.Orders, page.Rejects)
	}
}

// TestColormeHoldUnpaid: with HoldUnpaid, an unpaid prepaid sale waits; paid, it opens.
func TestColormeHoldUnpaid(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{HoldUnpaid: true})
	e.fake.AddProduct("扇子", "SENSU", 3000, 5)
	saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := colorme.OrderID(saleID, dests[0])
	if o, _ := find(e.list(t), id); o.Status != order.StatusPending {
		t.Errorf("unpaid: %s, want pending", o.Status)
	}
	if err := e.fake.MarkPaid(saleID); err != nil {
		t.Fatal(err)
	}
	if o, _ := find(e.list(t), id); o.Status != order.StatusOpen {
		t.Errorf("paid: %s, want open", o.Status)
	}
}

// TestColormeSameSecond: more sales updated in one second than a page holds are paged by offset
// within that second, none missed.
func TestColormeSameSecond(t *testing.T) {
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	e := newEnv(t, colormetest.Options{Now: func() time.Time { return at }}, colorme.Config{PageSize: 3})
	e.fake.AddProduct("扇子", "SENSU", 3000, 100)
	want := map[string]bool{}
	for range 8 {
		saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, Destinations: []colormetest.DestinationInput{
			{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}}}})
		if err != nil {
			t.Fatal(err)
		}
		want[colorme.OrderID(saleID, dests[0])] = true
	}
	got := map[string]int{}
	var cur connector.Cursor
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the listing did not end")
		}
		page, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: at.Add(-time.Minute), To: at.Add(time.Minute), Page: cur})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) > 3 {
			t.Errorf("a page of %d orders, PageSize 3", len(page.Orders))
		}
		for _, o := range page.Orders {
			got[o.ID]++
		}
		if cur = page.Next; cur == "" {
			break
		}
	}
	for id := range want {
		if got[id] != 1 {
			t.Errorf("order %s listed %d times", id, got[id])
		}
	}
}

// TestColormeAuth: a refused token is ErrUnauthorized, reported once as CredentialRevoked, and
// never appears in errors or logs; a missing scope is ErrUnauthorized too.
func TestColormeAuth(t *testing.T) {
	var events []colorme.CredentialEvent
	e := newEnv(t, colormetest.Options{}, colorme.Config{OnCredential: func(ev colorme.CredentialEvent) { events = append(events, ev) }})
	e.fake.RevokeToken()
	for range 2 {
		_, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now()})
		if !errors.Is(err, connector.ErrUnauthorized) {
			t.Fatalf("got %v, want ErrUnauthorized", err)
		}
		if strings.Contains(err.Error(), e.fake.Token()[len("revoked-"):]) {
			t.Errorf("the error carries the token: %v", err)
		}
	}
	if len(events) != 1 || events[0].Kind != colorme.CredentialRevoked {
		t.Errorf("events %v, want one CredentialRevoked", events)
	}
	if strings.Contains(e.logs.String(), "colorme-test-token") {
		t.Error("the logs carry the token")
	}

	ro := newEnv(t, colormetest.Options{Scopes: []string{"read_sales", "read_products"}}, colorme.Config{})
	ro.fake.AddProduct("扇子", "SENSU", 3000, 5)
	res, err := ro.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "SENSU", Available: 1}})
	if !errors.Is(err, connector.ErrUnauthorized) {
		t.Errorf("a write without write_products gave %v %v, want ErrUnauthorized", res, err)
	}
}

// TestColormeRateLimit: past the shop's limit the fake answers 429 with Retry-After, and the
// client returns a *connector.RateLimitError after that one request.
func TestColormeRateLimit(t *testing.T) {
	now := time.Now()
	e := newEnv(t, colormetest.Options{RateLimit: 1, Now: func() time.Time { return now }}, colorme.Config{})
	req := connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now}
	if _, err := e.client.ListOrders(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	before := e.fake.Stats().Requests
	_, err := e.client.ListOrders(context.Background(), req)
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait <= 0 {
		t.Fatalf("got %v, want a RateLimitError with a wait", err)
	}
	if n := e.fake.Stats().Requests - before; n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestColormeVariantStock: a variant's stock is set through its options and leaves the other
// variants alone; a product's own stocks is ignored by the shop once it has options.
func TestColormeVariantStock(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{})
	e.fake.AddProduct("浴衣", "YUKATA", 9800, 0, colormetest.VariantInput{Option1: "紺", Option2: "M", ModelNumber: "YUKATA-NAVY-M", Stock: 1},
		colormetest.VariantInput{Option1: "紺", Option2: "L", ModelNumber: "YUKATA-NAVY-L", Stock: 2})
	res, err := e.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "YUKATA-NAVY-M", Available: 7, Key: "k1"}, {SKU: "NOPE", Available: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !errors.Is(res[1].Err, connector.ErrPermanent) {
		t.Errorf("results %v, want success and an unknown SKU", res)
	}
	if m, _ := e.fake.Stock("YUKATA-NAVY-M"); m != 7 {
		t.Errorf("M shows %d, want 7", m)
	}
	if l, _ := e.fake.Stock("YUKATA-NAVY-L"); l != 2 {
		t.Errorf("L shows %d, want 2 untouched", l)
	}
	got, err := e.client.ReadStock(context.Background(), []string{"YUKATA-NAVY-M", "YUKATA-NAVY-L", "NOPE"})
	if err != nil || got["YUKATA-NAVY-M"] != 7 || got["YUKATA-NAVY-L"] != 2 || len(got) != 2 {
		t.Errorf("ReadStock = %v, %v", got, err)
	}
}

// TestColormeSpecRefuses: the fake refuses what the official manifest does not allow, with
// Color Me Shop's error body, and records it.
func TestColormeSpecRefuses(t *testing.T) {
	fake := colormetest.New(colormetest.Options{Spec: colormetest.TestSpec(t)})
	defer fake.Close()
	id := fake.AddProduct("扇子", "SENSU", 3000, 5)
	do := func(method, path, body string) int {
		req, _ := http.NewRequest(method, fake.URL()+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fake.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		if resp.StatusCode >= 400 && !strings.Contains(b.String(), `"errors"`) {
			t.Errorf("%s %s: error body %s", method, path, b.String())
		}
		return resp.StatusCode
	}
	pid := "/v1/products/" + itoa(id)
	cases := []struct {
		method, path, body string
		ok                 bool
	}{
		{"GET", "/v1/sales?limit=10&update_date_min=2026-01-01", "", true},
		{"GET", "/v1/sales?sort=-update_date", "", false},        // getSales has no sort
		{"GET", "/v1/sales?paid=yes", "", false},                 // not a boolean
		{"GET", "/v1/sales?accepted_mail_state=done", "", false}, // not in the enum
		{"PUT", pid, `{"product":{"stocks":3}}`, true},
		{"PUT", pid, `{"product":{"stocks":{"increment":-1}}}`, true},
		{"PUT", pid, `{"product":{"stocks":-3}}`, false}, // absolute stocks start at 0
		{"PUT", pid, `{"product":{"variants":[{"option1_value":"x","stock":1}]}}`, false},
		{"PUT", "/v1/sales/1", `{"sale":{"sale_deliveries":[{"id":1,"carrier":"yamato"}]}}`, false},
	}
	for _, c := range cases {
		status := do(c.method, c.path, c.body)
		if c.ok && status == http.StatusBadRequest || !c.ok && status != http.StatusBadRequest {
			t.Errorf("%s %s %s: status %d, allowed by the manifest: %v", c.method, c.path, c.body, status, c.ok)
		}
	}
	if n := len(fake.SpecViolations()); n != 6 {
		t.Errorf("%d violations recorded, want 6: %v", n, fake.SpecViolations())
	}
	// The manifest's names the connector relies on are there.
	spec := colormetest.TestSpec(t)
	for _, name := range []string{"slip_number", "delivered", "tracking_url", "noshi_text", "wrapping_name", "card_text", "preferred_date", "preferred_period"} {
		if !contains(spec.Property("updateSale", "sale", "sale_deliveries[]"), name) {
			t.Errorf("updateSale's sale_deliveries has no %s", name)
		}
	}
	for _, name := range []string{"make_date_min", "update_date_min", "update_date_max", "limit", "offset", "fields"} {
		if !contains(spec.Params("getSales"), name) {
			t.Errorf("getSales has no %s", name)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestColormeFaults: a 5xx on a read is temporary, a 5xx on a shipment write is temporary and
// sending it again has one effect, and nothing personal reaches the logs.
func TestColormeFaults(t *testing.T) {
	e := newEnv(t, colormetest.Options{}, colorme.Config{})
	e.fake.AddProduct("扇子", "SENSU", 3000, 5)
	saleID, dests, err := e.fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.SetFaults(colormetest.Faults{ServerError: 1})
	_, err = e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now()})
	if connector.Classify(err) != connector.Retryable || !errors.Is(err, connector.ErrTemporary) {
		t.Fatalf("a 500 on a listing gave %v, want a temporary error", err)
	}
	e.fake.SetFaults(colormetest.Faults{})
	o, ok := find(e.list(t), colorme.OrderID(saleID, dests[0]))
	if !ok {
		t.Fatal("not listed")
	}
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "S1", OrderID: o.ID,
		Lines:   []shipment.Line{{LineID: o.Lines[0].ID, SKU: "SENSU", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: "1234 5678 9012"}}}}
	// The read before the write succeeds, the write fails, and is not retried by the client.
	e.fake.FailNextWrite(http.StatusServiceUnavailable)
	err = e.client.ConfirmShipment(context.Background(), conf)
	if !errors.Is(err, connector.ErrTemporary) {
		t.Fatalf("a 503 on the write gave %v, want a temporary error", err)
	}
	if n := len(e.fake.Shippings(saleID, dests[0])); n != 0 {
		t.Fatalf("a refused write shows %d shippings", n)
	}
	if err := e.client.ConfirmShipment(context.Background(), conf); err != nil {
		t.Fatalf("the confirmation sent again: %v", err)
	}
	if err := e.client.ConfirmShipment(context.Background(), conf); err != nil {
		t.Fatalf("the confirmation sent a third time: %v", err)
	}
	sh := e.fake.Shippings(saleID, dests[0])
	if len(sh) != 1 || len(sh[0].SlipNumbers) != 1 || sh[0].SlipNumbers[0] != "1234 5678 9012" {
		t.Errorf("shippings %+v, want one with the number whole", sh)
	}
	for _, secret := range []string{"佐藤", "名古屋", "052-123", "taro@", e.fake.Token()} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the logs carry %q", secret)
		}
	}
}

// TestColormeSlow: every call is timed out; a read that times out is temporary, a write that
// timed out after it was sent is ErrOutcomeUnknown, since it may have landed.
func TestColormeSlow(t *testing.T) {
	fake := colormetest.NewTest(t, colormetest.Options{})
	fake.AddProduct("扇子", "SENSU", 3000, 5)
	c, err := colorme.New(colorme.Config{Shop: "slow", BaseURL: fake.URL(), Token: fake.Token(),
		HTTP: httpclient.New(httpclient.Config{Timeout: 100 * time.Millisecond, RetryMax: -1})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadStock(context.Background(), []string{"SENSU"}); err != nil { // learn where SENSU lives
		t.Fatal(err)
	}
	fake.SetFaults(colormetest.Faults{Slow: 1, SlowDelay: time.Second})
	start := time.Now()
	_, err = c.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now()})
	if !errors.Is(err, connector.ErrTemporary) {
		t.Errorf("a slow listing gave %v, want a temporary error", err)
	}
	fake.SetFaults(colormetest.Faults{Lost: 1, LostDelay: time.Second})
	_, err = c.SetStock(context.Background(), []connector.StockUpdate{{SKU: "SENSU", Available: 9, Key: "k"}})
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Errorf("a stock write whose answer was lost gave %v, want ErrOutcomeUnknown", err)
	}
	if n, _ := fake.Stock("SENSU"); n != 9 {
		t.Errorf("the lost write shows %d; the fake applies it before losing the answer", n)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("took %s; the calls must give up at their timeout", d)
	}
}

// TestColormeCarrierMethod: with CarrierMethods, a destination shipped with another carrier than
// its delivery method's is moved to the carrier's method, once.
func TestColormeCarrierMethod(t *testing.T) {
	fake := colormetest.NewTest(t, colormetest.Options{})
	jp := fake.AddDelivery("ゆうパック", "jp")
	fake.AddProduct("扇子", "SENSU", 3000, 5)
	c, err := colorme.New(colorme.Config{Shop: "m", BaseURL: fake.URL(), Token: fake.Token(), HTTP: testHTTP(),
		CarrierMethods: map[shipment.Carrier]int64{shipment.JapanPost: jp}})
	if err != nil {
		t.Fatal(err)
	}
	saleID, dests, err := fake.PlaceSale(colormetest.SaleInput{Buyer: buyer, Destinations: []colormetest.DestinationInput{
		{To: grandma, Lines: []colormetest.LineInput{{SKU: "SENSU", Quantity: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	page, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("%v %v", page, err)
	}
	o := page.Orders[0]
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, Shipment: shipment.Shipment{ID: "S1", OrderID: o.ID,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, SKU: "SENSU", Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: "1234-5678-9012"}}}}
	for range 2 {
		if err := c.ConfirmShipment(context.Background(), conf); err != nil {
			t.Fatal(err)
		}
	}
	sale, _ := fake.Sale(saleID)
	if got := sale.SaleDeliveries[0].DeliveryID; got != jp {
		t.Errorf("delivery_id %d, want the ゆうパック method %d", got, jp)
	}
	if n := len(fake.Shippings(saleID, dests[0])); n != 1 {
		t.Errorf("%d shipping updates, want 1", n)
	}
	if _, err := colorme.New(colorme.Config{Shop: "m", Token: "t", CarrierMethods: map[shipment.Carrier]int64{"pigeon": 1}}); err == nil {
		t.Error("an unknown carrier in CarrierMethods was accepted")
	}
}
