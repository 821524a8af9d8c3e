package eccube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/eccube"
	"github.com/tobira-commerce/tobira/connector/eccube/eccubetest"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

func newShop(t *testing.T, opts eccubetest.Options, cfg eccube.Config) (*eccubetest.Server, *eccube.Client) {
	t.Helper()
	fake := eccubetest.NewTest(t, opts)
	cfg.BaseURL = fake.URL()
	if cfg.ClientID == "" {
		cfg.ClientID = fake.ClientID()
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = fake.ClientSecret()
	}
	if cfg.Rate == 0 {
		cfg.Rate = 1000
	}
	c, err := eccube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func listAll(t *testing.T, c *eccube.Client, from, to time.Time, limit int) *connector.OrderPage {
	t.Helper()
	all := &connector.OrderPage{}
	var cur connector.Cursor
	for range 1000 {
		p, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to, Page: cur, Limit: limit})
		if err != nil {
			t.Fatalf("ListOrders: %v", err)
		}
		if len(p.Orders)+len(p.Rejects) > limit {
			t.Fatalf("a page holds %d orders, limit %d", len(p.Orders)+len(p.Rejects), limit)
		}
		all.Orders = append(all.Orders, p.Orders...)
		all.Rejects = append(all.Rejects, p.Rejects...)
		if p.Next == "" {
			return all
		}
		cur = p.Next
	}
	t.Fatal("the window did not end")
	return nil
}

func window() (time.Time, time.Time) {
	now := time.Now()
	return now.Add(-time.Minute), now.Add(time.Minute)
}

// TestEccubeSchema: the fake refuses a document with a field the SDL lacks, with the GraphQL
// error the plugin gives, and every document the connector sent was valid.
func TestEccubeSchema(t *testing.T) {
	schema := eccubetest.TestSchema(t)
	bad := `query { orders(limit: 1) { nodes { id gift_wrapping } } }`
	if err := schema.Validate(bad); err == nil {
		t.Fatal("the SDL accepted Order.gift_wrapping, a field it lacks")
	}
	if err := schema.Validate(`query { orders(limit: 1) { nodes { id Shippings { shipping_delivery_date } } } }`); err != nil {
		t.Fatalf("a valid document was refused: %v", err)
	}

	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{})
	fake.AddProduct("SENCHA", "煎茶", 5)
	id := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 1, Price: 1000}}})
	from, to := window()
	page := listAll(t, c, from, to, 10)
	if len(page.Orders) != 1 {
		t.Fatalf("listed %d orders", len(page.Orders))
	}
	if err := c.ConfirmShipment(context.Background(), connector.ShipmentConfirmation{Order: page.Orders[0],
		Shipment: shipment.Shipment{ID: "S1", Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "123456789012"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetStock(context.Background(), []connector.StockUpdate{{SKU: "SENCHA", Available: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadStock(context.Background(), []string{"SENCHA"}); err != nil {
		t.Fatal(err)
	}
	qs := fake.Queries()
	if len(qs) < 4 {
		t.Fatalf("the fake saw %d documents", len(qs))
	}
	for _, q := range qs {
		if err := schema.Validate(q); err != nil {
			t.Errorf("the connector sent a document the SDL refuses: %v", err)
		}
	}
	if n := fake.Stats().InvalidQueries; n != 0 {
		t.Errorf("the fake refused %d documents", n)
	}

	// The same bad document over the wire: HTTP 200 with a GraphQL error, as ApiController answers.
	tok := token(t, fake)
	body, _ := json.Marshal(map[string]any{"query": bad})
	req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/api", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data   any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || len(env.Errors) == 0 || !strings.Contains(env.Errors[0].Message, "gift_wrapping") || env.Data != nil {
		t.Fatalf("status %d, answer %+v; want 200 with an error naming gift_wrapping and no data", resp.StatusCode, env)
	}
	if fake.Shippings(id)[0].Tracking != "123456789012" {
		t.Errorf("tracking not recorded")
	}
}

func token(t *testing.T, fake *eccubetest.Server) string {
	t.Helper()
	resp, err := http.PostForm(fake.URL()+"/token", map[string][]string{"grant_type": {"client_credentials"},
		"client_id": {fake.ClientID()}, "client_secret": {fake.ClientSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.AccessToken == "" || ans.ExpiresIn != 3600 || ans.TokenType != "Bearer" {
		t.Fatalf("token answer %+v, %v", ans, err)
	}
	return ans.AccessToken
}

// TestEccubeJapaneseFields: お届け日 and お届け時間 from the Shipping, 代金引換, the address.
func TestEccubeJapaneseFields(t *testing.T) {
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{TimeSlots: map[string]order.TimeSlot{"夕方便": order.Slot1618}})
	date := time.Date(2026, 12, 24, 0, 0, 0, 0, time.FixedZone("JST", 9*3600)) // EC-CUBE keeps the date at 00:00 JST
	cod := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Email: "hanako@example.jp", PaymentMethod: "代金引換",
		DeliveryFee: 770, Charge: 330, DeliveryDate: date, DeliveryTime: "14時～16時",
		Lines: []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 2, Price: 1000}}})
	morning := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, DeliveryTime: "午前中",
		Lines: []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 1, Price: 1000}}})
	own := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, DeliveryTime: "夕方便",
		Lines: []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 1, Price: 1000}}})
	night := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, DeliveryTime: "夜間",
		Lines: []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 1, Price: 1000}}})
	from, to := window()
	got := map[string]order.Order{}
	for _, o := range listAll(t, c, from, to, 10).Orders {
		got[o.ID] = o
	}
	o := got[cod]
	if o.Delivery.Date != (order.Date{Year: 2026, Month: 12, Day: 24}) || o.Delivery.Slot != order.Slot1416 {
		t.Errorf("delivery %+v, want 2026-12-24 1416", o.Delivery)
	}
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount != order.Yen(2*1100+770+330) {
		t.Errorf("payment %+v, want cash on delivery of 3300", o.Payment)
	}
	if o.ShipTo.Prefecture != "東京都" || o.ShipTo.PostalCode != "150-0001" || o.ShipTo.Name != "山田 花子" ||
		o.ShipTo.City != "渋谷区神宮前" || o.ShipTo.Line1 != "1-2-3 サンプルビル101" {
		t.Errorf("ship to %+v", o.ShipTo)
	}
	if o.Totals.Total != order.Yen(3300) || o.Totals.Subtotal != order.Yen(2200) || !o.Totals.TaxIncluded {
		t.Errorf("totals %+v", o.Totals)
	}
	if len(o.Lines) != 1 || o.Lines[0].UnitPrice != order.Yen(1100) {
		t.Errorf("lines %+v: the delivery fee item is no line, prices include tax", o.Lines)
	}
	if o.Gift != nil {
		t.Errorf("gift %+v: the plugin's schema has no のし or wrapping field", o.Gift)
	}
	if s := got[morning].Delivery.Slot; s != order.SlotMorning {
		t.Errorf("午前中 read as %q", s)
	}
	if s := got[own].Delivery.Slot; s != order.Slot1618 {
		t.Errorf("the shop's own label through Config.TimeSlots read as %q", s)
	}
	if n := got[night]; n.Delivery.Slot != order.SlotNone || n.Refs[eccube.RefDeliveryTime] != "夜間" {
		t.Errorf("夜間: slot %q, ref %q; want none, with the label kept", n.Delivery.Slot, n.Refs[eccube.RefDeliveryTime])
	}
	// Staff move the delivery date: the order is listed again with the new date.
	later := date.AddDate(0, 0, 2)
	time.Sleep(1100 * time.Millisecond) // the shop stamps updates to the second
	fake.ChangeDelivery(cod, later, "18時～20時")
	changed := false
	for _, o := range listAll(t, c, time.Now().Add(-time.Second), time.Now().Add(time.Minute), 10).Orders {
		if o.ID == cod {
			changed = o.Delivery.Date.Day == 26 && o.Delivery.Slot == order.Slot1820
		}
	}
	if !changed {
		t.Errorf("after staff moved the delivery, the order was not listed with 2026-12-26 1820")
	}
}

func TestParseTimeSlot(t *testing.T) {
	for label, want := range map[string]order.TimeSlot{
		"午前中": order.SlotMorning, "午前": order.SlotMorning, "12時～14時": order.Slot1214, "14:00-16:00": order.Slot1416,
		"１６時〜１８時": order.Slot1618, "18～21時": order.Slot1821, "19時-21時": order.Slot1921, "20時～21時": order.Slot2021,
		"指定なし": order.SlotNone, "午後": order.SlotNone, "10時～12時": order.SlotNone, "": order.SlotNone,
	} {
		if got := eccube.ParseTimeSlot(label); got != want {
			t.Errorf("ParseTimeSlot(%q) = %q, want %q", label, got, want)
		}
	}
}

// TestEccubeTokenRefreshedOnce: concurrent calls share one token request, also after the
// shop revoked the token.
func TestEccubeTokenRefreshedOnce(t *testing.T) {
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{})
	fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})
	from, to := window()
	run := func() {
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to, Limit: 10})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if n := fake.Stats().TokensIssued; n != 1 {
		t.Fatalf("16 concurrent calls made %d tokens, want 1", n)
	}
	fake.ExpireTokens()
	run()
	if n := fake.Stats().TokensIssued; n != 2 {
		t.Fatalf("after the token was revoked, 16 concurrent calls made %d tokens in all, want 2", n)
	}
}

// TestEccubeRefreshToken: the refresh_token grant, with rotation reported to the host; the
// client_credentials grant refused by a shop with the plugin's default config.
func TestEccubeRefreshToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	fake := eccubetest.NewTest(t, eccubetest.Options{})
	first := fake.IssueRefreshToken()
	c, err := eccube.New(eccube.Config{BaseURL: fake.URL(), ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		RefreshToken: first, Rate: 1000, OnRefreshToken: func(rt string) { mu.Lock(); seen = append(seen, rt); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	from, to := window()
	for range 2 {
		if _, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to}); err != nil {
			t.Fatal(err)
		}
		fake.ExpireTokens()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] == first || seen[0] == seen[1] {
		t.Fatalf("refresh tokens reported %d, want 2 new ones", len(seen))
	}

	cc, _ := eccube.New(eccube.Config{BaseURL: fake.URL(), ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(), Rate: 1000})
	_, err = cc.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to})
	if !errors.Is(err, connector.ErrUnauthorized) || !strings.Contains(err.Error(), "RefreshToken") {
		t.Fatalf("client credentials on a shop without them: %v; want ErrUnauthorized pointing at Config.RefreshToken", err)
	}
	bad, _ := eccube.New(eccube.Config{BaseURL: fake.URL(), ClientID: fake.ClientID(), ClientSecret: "wrong", RefreshToken: first, Rate: 1000})
	if _, err := bad.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to}); !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("a wrong secret: %v", err)
	}
}

type recorder struct {
	mu     sync.Mutex
	orders []order.Order
}

func (r *recorder) IngestOrder(_ context.Context, o order.Order) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders = append(r.orders, o)
	return nil
}

// TestEccubeWebhookSignature: a wrong signature is refused and records nothing; a signed
// webhook hands the order over; a repeated delivery hands over the same order.
func TestEccubeWebhookSignature(t *testing.T) {
	const secret = "webhook-secret"
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{WebhookSecret: secret})
	rec := &recorder{}
	srv := httptest.NewServer(c.WebhookHandler(rec))
	defer srv.Close()
	id := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})

	forged := fake.TakeWebhook(srv.URL, "not-the-secret")
	body, _ := io.ReadAll(forged.Body)
	send := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set(eccube.SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := send(forged.Header.Get(eccube.SignatureHeader)); st != http.StatusUnauthorized {
		t.Fatalf("a wrong signature answered %d", st)
	}
	if st := send(""); st != http.StatusUnauthorized {
		t.Fatalf("no signature answered %d", st)
	}
	if len(rec.orders) != 0 {
		t.Fatalf("refused webhooks recorded %d orders", len(rec.orders))
	}
	good := eccubetest.Sign(body, secret)
	for range 2 {
		if st := send(good); st != http.StatusOK {
			t.Fatalf("a signed webhook answered %d", st)
		}
	}
	if len(rec.orders) != 2 || rec.orders[0].ID != id || rec.orders[0].Fingerprint() != rec.orders[1].Fingerprint() {
		t.Fatalf("recorded %d orders; want order %s twice, the same", len(rec.orders), id)
	}
}

// TestEccubeMultipleShippings: an order shipping to two addresses is one Reject; the page goes on.
func TestEccubeMultipleShippings(t *testing.T) {
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{})
	split := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}},
		More: []eccubetest.ShippingInput{{ShipTo: tokyo, Lines: []eccubetest.LineInput{{Code: "B", Name: "b", Quantity: 1, Price: 100}}}}})
	plain := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})
	from, to := window()
	p := listAll(t, c, from, to, 10)
	if len(p.Orders) != 1 || p.Orders[0].ID != plain {
		t.Fatalf("orders %d", len(p.Orders))
	}
	if len(p.Rejects) != 1 || p.Rejects[0].ID != split || !errors.Is(p.Rejects[0].Err, eccube.ErrMultipleShippings) {
		t.Fatalf("rejects %+v", p.Rejects)
	}
	if strings.Contains(p.Rejects[0].Err.Error(), "山田") {
		t.Fatalf("a reject carries a name: %v", p.Rejects[0].Err)
	}
}

// TestEccubeSameSecond: more than a page of orders updated in one second are each listed once.
func TestEccubeSameSecond(t *testing.T) {
	for _, asc := range []bool{false, true} {
		t.Run(fmt.Sprintf("TiesAscending=%v", asc), func(t *testing.T) { sameSecond(t, asc) })
	}
}

func sameSecond(t *testing.T, asc bool) {
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true, TiesAscending: asc, Now: func() time.Time { return at }}, eccube.Config{})
	want := map[string]bool{}
	for range 11 {
		want[fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})] = true
	}
	p := listAll(t, c, at.Add(-time.Minute), at.Add(time.Minute), 3)
	seen := map[string]int{}
	for _, o := range p.Orders {
		seen[o.ID]++
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("order %s listed %d times", id, seen[id])
		}
	}
}

// TestEccubeShipmentRefused: a cancelled order cannot ship; a Shipping staff shipped with
// another number is not silently taken for ours.
func TestEccubeShipmentRefused(t *testing.T) {
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{SendMail: true})
	a := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})
	b := fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})
	from, to := window()
	orders := map[string]order.Order{}
	for _, o := range listAll(t, c, from, to, 10).Orders {
		orders[o.ID] = o
	}
	conf := func(id, number string) connector.ShipmentConfirmation {
		return connector.ShipmentConfirmation{Order: orders[id], Complete: true, Shipment: shipment.Shipment{ID: "S1",
			At: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: number}}}}
	}
	fake.SetStatus(a, eccubetest.StatusCancel)
	err := c.ConfirmShipment(context.Background(), conf(a, "111"))
	if connector.Classify(err) != connector.Permanent || !strings.Contains(err.Error(), "cannot be shipped") {
		t.Fatalf("shipping a cancelled order: %v", err)
	}
	if err := c.ConfirmShipment(context.Background(), conf(b, "222")); err != nil {
		t.Fatal(err)
	}
	sh := fake.Shippings(b)[0]
	if !sh.Shipped || sh.DeliveryName != "ヤマト運輸" || !sh.MailSent || !sh.ShippingDate.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("shipping %+v", sh)
	}
	if fake.Status(b) != eccubetest.StatusDelivered {
		t.Errorf("the order's status is %d, want 発送済み", fake.Status(b))
	}
	if err := c.ConfirmShipment(context.Background(), conf(b, "333")); !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("a second shipment with another number: %v; want permanent", err)
	}
	if n := fake.Stats().ShippedCalls; n != 2 {
		t.Errorf("updateShipped ran %d times, want 2 (the repeat is answered from a read)", n)
	}
}

// TestEccubeStockPerItem: one refused update does not fail the others; unlimited stock is not
// read back as a number; a read-only token cannot write.
func TestEccubeStockPerItem(t *testing.T) {
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{})
	fake.AddProduct("A", "a", 1)
	fake.AddProduct("B", "b", 1)
	fake.AddProduct("DUP", "d1", 1)
	fake.AddProduct("DUP", "d2", 1)
	res, err := c.SetStock(context.Background(), []connector.StockUpdate{{SKU: "A", Available: 7}, {SKU: "NOPE", Available: 1}, {SKU: "DUP", Available: 2}, {SKU: "B", Available: -3}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !errors.Is(res[1].Err, connector.ErrPermanent) || !errors.Is(res[2].Err, connector.ErrPermanent) || res[3].Err != nil {
		t.Fatalf("results %+v", res)
	}
	if n, _, _ := fake.Stock("A"); n != 7 {
		t.Errorf("A = %d", n)
	}
	if n, _, _ := fake.Stock("B"); n != 0 {
		t.Errorf("B = %d, want 0 for a negative Available", n)
	}
	if fake.Stats().Requests > 3 {
		t.Errorf("%d requests for one batch (token included)", fake.Stats().Requests)
	}
	got, err := c.ReadStock(context.Background(), []string{"A", "NOPE"})
	if err != nil || len(got) != 1 || got["A"] != 7 {
		t.Fatalf("ReadStock = %v, %v", got, err)
	}

	_, ro := newShop(t, eccubetest.Options{ClientCredentials: true, ReadOnly: true}, eccube.Config{})
	if _, err := ro.SetStock(context.Background(), []connector.StockUpdate{{SKU: "A", Available: 1}}); !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("a read-only token writing: %v", err)
	}
}

// TestEccubeSecretsStayOut: no error or log line carries the secret, tokens or personal data.
func TestEccubeSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := httpclient.New(httpclient.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Logger: logger})
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true}, eccube.Config{Logger: logger, HTTP: hc})
	fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Email: "hanako@example.jp", Lines: []eccubetest.LineInput{{Code: "", Name: "a", Quantity: 1, Price: 100}}})
	from, to := window()
	var errs []string
	fake.FailNext(500)
	fake.FailNext(500)
	fake.FailNext(500)
	fake.FailNext(500)
	if _, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to}); err != nil {
		errs = append(errs, err.Error())
	}
	p, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rejects) != 1 {
		t.Fatalf("an order without a product code: %d rejects", len(p.Rejects))
	}
	errs = append(errs, p.Rejects[0].Err.Error())
	bad, _ := eccube.New(eccube.Config{BaseURL: fake.URL(), ClientID: fake.ClientID(), ClientSecret: "s3cret-value", Logger: logger, Rate: 1000})
	if _, err := bad.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to}); err != nil {
		errs = append(errs, err.Error())
	}
	all := strings.Join(errs, "\n") + logs.String()
	for _, secret := range []string{fake.ClientSecret(), "s3cret-value", "eyJ0eXAi", "山田", "花子", "0312345678", "1500001", "神宮前", "hanako@example.jp"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked into errors or logs:\n%s", secret, all)
		}
	}
	if len(errs) < 3 {
		t.Fatalf("expected three failures, got %v", errs)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []eccube.Config{
		{},
		{BaseURL: "http://shop.example.jp", ClientID: "a", ClientSecret: "b"},
		{BaseURL: "https://shop.example.jp", ClientID: "a"},
		{BaseURL: "shop.example.jp", ClientID: "a", ClientSecret: "b"},
	} {
		if _, err := eccube.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	for _, u := range []string{"https://shop.example.jp", "http://127.0.0.1:8080", "http://localhost"} {
		if _, err := eccube.New(eccube.Config{BaseURL: u, ClientID: "a", ClientSecret: "b"}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestEccubeWindowChangesDuringWalk: orders placed inside the window and orders leaving it
// while a window is walked leave no gap: the walk goes from the oldest end.
func TestEccubeWindowChangesDuringWalk(t *testing.T) {
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	var mu sync.Mutex
	now := base
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	fake, c := newShop(t, eccubetest.Options{ClientCredentials: true, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}, eccube.Config{})
	place := func(at time.Time) string {
		set(at)
		return fake.PlaceOrder(eccubetest.OrderInput{Buyer: tokyo, Lines: []eccubetest.LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 100}}})
	}
	var ids []string
	for i := range 10 {
		ids = append(ids, place(base.Add(time.Duration(i)*time.Minute)))
	}
	from, to := base, base.Add(time.Hour)
	seen := map[string]int{}
	p, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range p.Orders {
		seen[o.ID]++
	}
	// While the walk is under way: one order not yet listed moves out of the window, a new one
	// arrives in its middle, and one already listed changes within the window.
	set(base.Add(2 * time.Hour))
	fake.ChangeAddress(ids[7], "moved")
	late := place(base.Add(5*time.Minute + 30*time.Second))
	set(base.Add(50 * time.Minute))
	fake.ChangeAddress(ids[0], "changed")
	for cur := p.Next; cur != ""; {
		p, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to, Page: cur, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range p.Orders {
			seen[o.ID]++
		}
		cur = p.Next
	}
	for i, id := range append(ids, late) {
		if i == 7 {
			continue // now outside the window: the next window lists it
		}
		if seen[id] == 0 {
			t.Errorf("order %s was missed", id)
		}
	}
}
