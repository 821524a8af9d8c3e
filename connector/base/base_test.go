package base_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/base"
	"github.com/tobira-commerce/tobira/connector/base/basetest"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// start is 10:00 in Japan on a weekday: an hour boundary is at 11:00 JST (02:00 UTC).
var start = time.Date(2026, 7, 1, 10, 0, 0, 0, base.JST)

type env struct {
	fake   *basetest.Server
	client *base.Client
	clock  *basetest.VirtualClock
	events *events
	logs   *bytes.Buffer
}

type events struct {
	mu  sync.Mutex
	got []base.CredentialEvent
}

func (e *events) add(ev base.CredentialEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev)
}

func (e *events) kinds(k base.CredentialKind) []base.CredentialEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []base.CredentialEvent
	for _, ev := range e.got {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// setup starts a fake on a virtual clock and a client sharing it; mod adjusts the config.
func setup(t *testing.T, opts basetest.Options, mod func(*base.Config)) *env {
	t.Helper()
	clock := basetest.NewVirtualClock(start)
	opts.Now = clock.Now
	fake := basetest.NewTest(t, opts)
	e := &env{fake: fake, clock: clock, events: &events{}, logs: &bytes.Buffer{}}
	cfg := base.Config{Shop: "sakura-tea", BaseURL: fake.URL(), ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		RedirectURI: fake.RedirectURI(), Token: token(fake.Token()), Clock: clock, OnCredential: e.events.add,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP:   httpclient.New(httpclient.Config{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})}
	if mod != nil {
		mod(&cfg)
	}
	c, err := base.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func window(e *env) connector.ListOrdersRequest {
	now := e.clock.Now()
	return connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)}
}

// TestBaseHourlyLimit: the 5,001st call of an hour waits for the next hour; nothing is lost
// and nothing errors.
func TestBaseHourlyLimit(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) { c.StockBudget = base.HourlyLimit })
	e.fake.AddItem("煎茶", "SENCHA", 1200, 0)
	ctx := context.Background()
	const writes = base.HourlyLimit // with the catalog read, one call more than the hour allows
	var last time.Time
	for i := range writes {
		res, err := e.client.SetStock(ctx, []connector.StockUpdate{{SKU: "SENCHA", Available: i % 97, Key: "k" + string(rune(i))}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("write %d: %v %v", i+1, err, res)
		}
		last = e.clock.Now()
	}
	st := e.fake.Stats()
	hour := start.UTC().Truncate(time.Hour)
	if got := st.PerHour[hour]; got != base.HourlyLimit {
		t.Errorf("BASE served %d calls in the first hour, want exactly %d", got, base.HourlyLimit)
	}
	if got := st.PerHour[hour.Add(time.Hour)]; got != 1 {
		t.Errorf("BASE served %d calls in the next hour, want the one that waited", got)
	}
	if st.Throttled != 0 {
		t.Errorf("BASE refused %d calls with hour_api_limit; the client must wait before it does", st.Throttled)
	}
	if !last.Equal(hour.Add(time.Hour)) {
		t.Errorf("the last write went out at %s, want at the turn of the hour %s", last, hour.Add(time.Hour))
	}
	if n, _ := e.fake.Stock("SENCHA"); n != (writes-1)%97 {
		t.Errorf("BASE shows %d, the last write set %d", n, (writes-1)%97)
	}
}

// TestHourLimitRefused: when other apps spent the hour, BASE's refusal is one throttle with the
// wait to the next hour, and the client sends nothing more until then: no error loop.
func TestHourLimitRefused(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	ctx := context.Background()
	e.clock.Advance(20 * time.Minute)
	e.fake.UseCalls(base.HourlyLimit - 3)
	for range 3 {
		if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
			t.Fatal(err)
		}
	}
	before := e.fake.Stats().Requests
	_, err := e.client.ListOrders(ctx, window(e))
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "hour_api_limit" || rl.Wait != 40*time.Minute {
		t.Fatalf("got %v, want a *connector.RateLimitError for hour_api_limit waiting 40m", err)
	}
	if connector.Classify(err) != connector.Retryable {
		t.Errorf("the throttle classifies %v", connector.Classify(err))
	}
	if n := e.fake.Stats().Requests - before; n != 1 {
		t.Errorf("the throttled call made %d requests, want 1", n)
	}
	// The engine comes back early: the client waits for 11:00 instead of asking again.
	e.clock.Advance(10 * time.Minute)
	if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
		t.Fatalf("the call after the refusal: %v", err)
	}
	st := e.fake.Stats()
	if st.Throttled != 1 {
		t.Errorf("BASE refused %d calls, want only the first", st.Throttled)
	}
	if got := e.clock.Now(); got.Before(start.Add(time.Hour)) {
		t.Errorf("the next call went out at %s, before the hour turned", got)
	}
}

func TestDayLimitRefused(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.ThrottleNext(true)
	_, err := e.client.ListOrders(context.Background(), window(e))
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "day_api_limit" || rl.Wait != 14*time.Hour {
		t.Fatalf("got %v, want day_api_limit waiting until midnight in Japan (14h)", err)
	}
}

// TestStockBudget: stock writes leave part of the hour to orders and shipments; with
// MaxPaceWait, a long wait is the engine's.
func TestStockBudget(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) {
		c.HourlyBudget, c.StockBudget, c.MaxPaceWait = 10, 4, time.Minute
	})
	e.fake.AddItem("煎茶", "SENCHA", 1200, 0)
	ctx := context.Background()
	for i := range 4 {
		if _, err := e.client.SetStock(ctx, []connector.StockUpdate{{SKU: "SENCHA", Available: i}}); err != nil {
			t.Fatal(err)
		}
	}
	before := e.fake.Stats().Requests
	_, err := e.client.SetStock(ctx, []connector.StockUpdate{{SKU: "SENCHA", Available: 9}})
	if _, ok := connector.RetryAfter(err); !ok {
		t.Fatalf("the fifth stock write of the hour: %v, want a rate limit", err)
	}
	if n := e.fake.Stats().Requests - before; n != 0 {
		t.Errorf("a write over the stock budget sent %d requests", n)
	}
	if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
		t.Errorf("listing orders with the stock budget spent: %v", err)
	}
}

// TestTokenRefreshOnce: 50 concurrent calls on an expired token refresh it once.
func TestTokenRefreshOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		expire func(e *env)
	}{
		{"expired", func(e *env) { e.clock.Advance(2 * time.Hour) }},
		{"refused before its time", func(e *env) { e.fake.ExpireAccessTokens() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, basetest.Options{}, nil)
			old := e.client.Token()
			tc.expire(e)
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := e.client.ListOrders(context.Background(), window(e))
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a call failed: %v", err)
				}
			}
			if n := e.fake.Stats().Refreshes; n != 1 {
				t.Errorf("the token was refreshed %d times, want once", n)
			}
			got := e.events.kinds(base.CredentialRefreshed)
			if len(got) != 1 {
				t.Fatalf("%d CredentialRefreshed events, want 1", len(got))
			}
			now := e.client.Token()
			if got[0].Token != now || now.AccessToken == old.AccessToken || now.RefreshToken == old.RefreshToken {
				t.Errorf("the event carries %v, the client holds %v; want the new pair", got[0].Token, now)
			}
			if !now.RefreshExpiry.Equal(e.clock.Now().Add(base.RefreshTokenTTL)) && tc.name == "expired" {
				t.Errorf("refresh expiry %s, want 30 days from the refresh", now.RefreshExpiry)
			}
		})
	}
}

// TestRefreshBeforeExpiry: the access token is refreshed before it expires, not after a refusal.
func TestRefreshBeforeExpiry(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.clock.Advance(56 * time.Minute)
	if _, err := e.client.ListOrders(context.Background(), window(e)); err != nil {
		t.Fatal(err)
	}
	st := e.fake.Stats()
	if st.Refreshes != 1 || st.Unauthorized != 0 {
		t.Errorf("refreshes %d, refused calls %d; want one refresh before expiry and no refusal", st.Refreshes, st.Unauthorized)
	}
}

func TestCredentialExpiring(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) {
		c.Token.RefreshExpiry = start.Add(3 * 24 * time.Hour)
	})
	ctx := context.Background()
	for range 3 {
		if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.events.kinds(base.CredentialExpiring); len(got) != 1 || !got[0].Token.RefreshExpiry.Equal(start.Add(72*time.Hour)) {
		t.Errorf("CredentialExpiring events %v, want one, naming the lapse", got)
	}
	e.clock.Advance(25 * time.Hour) // a new access token too, and BASE answered a new refresh token
	if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
		t.Fatal(err)
	}
	if got := e.events.kinds(base.CredentialExpiring); len(got) != 1 {
		t.Errorf("%d CredentialExpiring events after BASE renewed the refresh token, want still 1", len(got))
	}
}

func TestCredentialRevoked(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.RevokeRefreshTokens()
	e.clock.Advance(2 * time.Hour)
	_, err := e.client.ListOrders(context.Background(), window(e))
	if !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
	if got := e.events.kinds(base.CredentialRevoked); len(got) != 1 {
		t.Errorf("%d CredentialRevoked events, want 1", len(got))
	}
	tok := e.fake.Token()
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, e.fake.ClientSecret()} {
		if strings.Contains(err.Error(), secret) || strings.Contains(e.logs.String(), secret) {
			t.Errorf("a secret leaked into the error or the logs")
		}
	}
}

var hanako = basetest.Address{LastName: "佐藤", FirstName: "花子", ZipCode: "5300001", Prefecture: "大阪府",
	Address: "大阪市北区梅田1-1", Address2: "梅田ビル3F", Tel: "06-1111-2222"}

// TestOrderMapping: the receiver, delivery date and time zone, cash on delivery and the SKUs of
// variations reach the order model.
func TestOrderMapping(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	e.fake.AddItem("湯呑", "", 2500, 0, basetest.VariationInput{Name: "白", Identifier: "CUP-W", Stock: 5},
		basetest.VariationInput{Name: "黒", Identifier: "CUP-B", Stock: 5})
	key, err := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Receiver: &hanako, Payment: "cod",
		Lines:        []basetest.LineInput{{SKU: "SENCHA", Amount: 2}, {SKU: "CUP-B", Amount: 1}},
		DeliveryDate: "2026-07-04", DeliveryTimeZone: "0812", ShippingFee: 600, CODFee: 330})
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || len(page.Rejects) != 0 {
		t.Fatalf("listed %d orders and %v rejects", len(page.Orders), page.Rejects)
	}
	o := page.Orders[0]
	want := order.Address{Name: "佐藤 花子", Phone: "06-1111-2222", PostalCode: "530-0001", Prefecture: "大阪府",
		Line1: "大阪市北区梅田1-1", Line2: "梅田ビル3F"}
	if o.ID != key || o.Status != order.StatusOpen || o.ShipTo != want {
		t.Errorf("order %s %s ships to %#v, want %s open to %#v", o.ID, o.Status, o.ShipTo, key, want)
	}
	if o.Delivery != (order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 7, Day: 4}, Slot: order.SlotMorning}) {
		t.Errorf("delivery %+v, want 2026-07-04 午前中", o.Delivery)
	}
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount != order.Yen(2400+2500+600+330) {
		t.Errorf("payment %+v", o.Payment)
	}
	if o.Totals.Total != order.Yen(5830) || o.Totals.Fees != order.Yen(330) {
		t.Errorf("totals %+v", o.Totals)
	}
	if len(o.Lines) != 2 || o.Lines[0].SKU != "SENCHA" || o.Lines[1].SKU != "CUP-B" || o.Lines[1].Quantity != 1 {
		t.Fatalf("lines %+v", o.Lines)
	}
	if o.Lines[1].Refs[base.RefVariationID] == "" || o.Lines[1].ID != o.Lines[1].Refs[base.RefOrderItemID] {
		t.Errorf("line refs %v", o.Lines[1].Refs)
	}
}

// TestOrderRejects: an order BASE answers with a time zone code nobody knows is rejected, with
// a reason free of personal data, and the rest of the page goes on.
func TestOrderRejects(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	good, _ := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	bad, _ := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}},
		DeliveryTimeZone: "2224"})
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || page.Orders[0].ID != good {
		t.Errorf("listed %v, want only %s", page.Orders, good)
	}
	if len(page.Rejects) != 1 || page.Rejects[0].ID != bad {
		t.Fatalf("rejects %v, want %s", page.Rejects, bad)
	}
	msg := page.Rejects[0].Err.Error()
	for _, pii := range []string{buyer.LastName, buyer.Address, buyer.Tel, buyer.Mail, buyer.ZipCode} {
		if strings.Contains(msg, pii) {
			t.Errorf("the reject reason %q carries personal data", msg)
		}
	}
}

// TestCancelledLines: an order cancelled on BASE is listed cancelled, its lines cancelled.
func TestCancelledLines(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	key, _ := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 2}}})
	e.clock.Advance(time.Minute)
	if err := e.fake.CancelOrder(key); err != nil {
		t.Fatal(err)
	}
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("%v %v", page, err)
	}
	o := page.Orders[0]
	if o.Status != order.StatusCancelled || o.Lines[0].Open() != 0 {
		t.Errorf("status %s, open %d; want cancelled with nothing open", o.Status, o.Lines[0].Open())
	}
}

func placeAndList(t *testing.T, e *env, in basetest.OrderInput) order.Order {
	t.Helper()
	key, err := e.fake.PlaceOrder(in)
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range page.Orders {
		if o.ID == key {
			return o
		}
	}
	t.Fatalf("order %s not listed", key)
	return order.Order{}
}

func shipAll(o order.Order, id string, complete bool, parcels ...shipment.Parcel) connector.ShipmentConfirmation {
	s := shipment.Shipment{ID: id, OrderID: o.ID, Parcels: parcels}
	for _, l := range o.Lines {
		s.Lines = append(s.Lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Quantity})
	}
	return connector.ShipmentConfirmation{Order: o, Shipment: s, Complete: complete, IdempotencyKey: "c-" + id}
}

// TestAtobarai: a 後払い order takes its tracking number through atobarai_status with the
// shipment that completes it; partial shipments before it are acknowledged without a call.
func TestAtobarai(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	e.fake.AddItem("湯呑", "CUP", 2500, 10)
	o := placeAndList(t, e, basetest.OrderInput{Buyer: buyer, Payment: "atobarai",
		Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}, {SKU: "CUP", Amount: 1}}})
	ctx := context.Background()
	part := shipAll(o, "S1", false, shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: "4000-1111-2222"})
	part.Shipment.Lines = part.Shipment.Lines[:1]
	if err := e.client.ConfirmShipment(ctx, part); err != nil {
		t.Fatal(err)
	}
	if d := e.fake.Dispatches(o.ID); len(d) != 0 {
		t.Fatalf("a partial shipment of a 後払い order made %d calls", len(d))
	}
	full := shipAll(o, "S2", true, shipment.Parcel{Carrier: shipment.Sagawa, TrackingNumber: "5000-3333-4444"},
		shipment.Parcel{Carrier: shipment.Sagawa, TrackingNumber: "5000-5555-6666"})
	for range 2 {
		if err := e.client.ConfirmShipment(ctx, full); err != nil {
			t.Fatal(err)
		}
	}
	d := e.fake.Dispatches(o.ID)
	if len(d) != 1 || !d[0].Atobarai || d[0].TrackingNumber != "500033334444" || d[0].DeliveryCompanyID != 2 ||
		!strings.Contains(d[0].Comment, "500055556666") && !strings.Contains(d[0].Comment, "5000-5555-6666") {
		t.Errorf("dispatches %+v; want one atobarai shipping with 佐川 and the first number, the second in the message", d)
	}
	if _, st := e.fake.ItemStatuses(o.ID); st != "shipping" {
		t.Errorf("dispatch_status %s, want shipping", st)
	}
}

// TestCommentLimit: add_comment holds at most 250 characters; the parcels beyond are dropped.
func TestCommentLimit(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	o := placeAndList(t, e, basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	var parcels []shipment.Parcel
	for i := range 20 {
		parcels = append(parcels, shipment.Parcel{Carrier: shipment.JapanPost, TrackingNumber: strings.Repeat(string(rune('0'+i%10)), 12)})
	}
	if err := e.client.ConfirmShipment(context.Background(), shipAll(o, "S1", true, parcels...)); err != nil {
		t.Fatal(err)
	}
	d := e.fake.Dispatches(o.ID)
	if len(d) != 1 || len([]rune(d[0].Comment)) > 250 || !strings.Contains(d[0].Comment, "[送り状番号]000000000000") {
		t.Errorf("dispatches %+v", d)
	}
	if !strings.Contains(e.logs.String(), "dropped") {
		t.Errorf("the dropped tracking numbers were not logged")
	}
}

// TestStockABA: 5 → 4 → 5 → 4, each with a fresh key, the middle write's answer lost and sent
// again with the same key, leaves BASE at the last value.
func TestStockABA(t *testing.T) {
	for _, sku := range []string{"SENCHA", "CUP-W"} {
		t.Run(sku, func(t *testing.T) {
			e := setup(t, basetest.Options{}, nil)
			e.fake.AddItem("煎茶", "SENCHA", 1200, 0)
			e.fake.AddItem("湯呑", "", 2500, 0, basetest.VariationInput{Name: "白", Identifier: "CUP-W"},
				basetest.VariationInput{Name: "黒", Identifier: "CUP-B", Stock: 7})
			ctx := context.Background()
			set := func(ctx context.Context, n int, key string) error {
				res, err := e.client.SetStock(ctx, []connector.StockUpdate{{SKU: sku, Available: n, Key: key}})
				if err == nil {
					err = res[0].Err
				}
				return err
			}
			if err := set(ctx, 5, "k1"); err != nil {
				t.Fatal(err)
			}
			e.fake.StallNext()
			sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			err := set(sctx, 4, "k2")
			cancel()
			if !errors.Is(err, connector.ErrOutcomeUnknown) {
				t.Fatalf("a write whose answer was lost: %v, want ErrOutcomeUnknown", err)
			}
			for _, w := range []struct {
				n   int
				key string
			}{{4, "k2"}, {5, "k3"}, {4, "k4"}} {
				if err := set(ctx, w.n, w.key); err != nil {
					t.Fatal(err)
				}
			}
			if n, _ := e.fake.Stock(sku); n != 4 {
				t.Errorf("BASE shows %d of %s, want 4", n, sku)
			}
			if n, _ := e.fake.Stock("CUP-B"); n != 7 {
				t.Errorf("the other variation changed to %d", n)
			}
		})
	}
}

func TestUnknownSKU(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	res, err := e.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "NOPE", Available: 1}})
	if err != nil || len(res) != 1 || connector.Classify(res[0].Err) != connector.Permanent {
		t.Errorf("SetStock of an unknown SKU: %v %v, want a permanent per-update error", res, err)
	}
}

// TestNoPersonalDataInLogs: a listing at debug level logs nothing of the buyer's.
func TestNoPersonalDataInLogs(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	placeAndList(t, e, basetest.OrderInput{Buyer: buyer, Receiver: &hanako, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	e.fake.SetFaults(basetest.Faults{ServerError: 1})
	_, err := e.client.ListOrders(context.Background(), window(e))
	if err == nil {
		t.Fatal("a listing against a failing shop succeeded")
	}
	out := e.logs.String() + err.Error()
	tok := e.client.Token()
	for _, s := range []string{hanako.LastName, hanako.Address, hanako.Tel, buyer.Mail, buyer.Tel, tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(out, s) {
			t.Errorf("logs or errors carry %q", s)
		}
	}
}

// TestRetriesCounted: the HTTP layer's retries of a read after 5xx answers count against the
// hour like any call.
func TestRetriesCounted(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) { c.HourlyBudget, c.MaxPaceWait = 5, time.Minute })
	ctx := context.Background()
	e.fake.SetFaults(basetest.Faults{ServerError: 1})
	if _, err := e.client.ListOrders(ctx, window(e)); !errors.Is(err, connector.ErrTemporary) {
		t.Fatalf("a listing answered 503 four times: %v", err)
	}
	e.fake.SetFaults(basetest.Faults{})
	if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
		t.Fatalf("the fifth call of the hour: %v", err)
	}
	before := e.fake.Stats().Requests
	if _, err := e.client.ListOrders(ctx, window(e)); err == nil {
		t.Fatal("the sixth call of a five-call hour went through")
	}
	if n := e.fake.Stats().Requests - before; n != 0 {
		t.Errorf("the call over budget sent %d requests", n)
	}
}

// TestSlowAnswers: a slow read gives up with its context and is retryable; a slow answer that
// still comes in time is used.
func TestSlowAnswers(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	e.fake.SetFaults(basetest.Faults{Slow: 1, SlowDelay: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.client.ReadStock(ctx, []string{"SENCHA"})
	if err == nil || connector.Classify(err) != connector.Retryable || errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("a read that timed out: %v, want a retryable error that is not an unknown outcome", err)
	}
	e.fake.SetFaults(basetest.Faults{Slow: 1, SlowDelay: 10 * time.Millisecond})
	got, err := e.client.ReadStock(context.Background(), []string{"SENCHA", "NOPE"})
	if err != nil || len(got) != 1 || got["SENCHA"] != 10 {
		t.Errorf("ReadStock = %v, %v; want SENCHA 10 and no entry for an unknown SKU", got, err)
	}
}

// TestLookback: a change to an order placed within Lookback is listed in the window of the
// change; an order placed before it is not (the documented policy).
func TestLookback(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) { c.Lookback = 10 * 24 * time.Hour })
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	old, _ := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	e.clock.Advance(5 * 24 * time.Hour)
	recent, _ := e.fake.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	e.clock.Advance(6 * 24 * time.Hour)
	for _, k := range []string{old, recent} {
		if err := e.fake.ChangeDelivery(k, "2026-07-20", "1820"); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || page.Orders[0].ID != recent || page.Orders[0].Delivery.Slot != order.Slot1820 {
		t.Errorf("listed %v, want only %s with its new slot", page.Orders, recent)
	}
}

// TestPartialQuantity: BASE dispatches whole items; a second shipment of the rest of an item
// has nothing left to report and makes no call.
func TestPartialQuantity(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	o := placeAndList(t, e, basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 2}}})
	ctx := context.Background()
	first := shipAll(o, "S1", false, shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: "400011112222"})
	first.Shipment.Lines[0].Quantity = 1
	second := shipAll(o, "S2", true, shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: "400033334444"})
	second.Shipment.Lines[0].Quantity = 1
	for _, c := range []connector.ShipmentConfirmation{first, second} {
		if err := e.client.ConfirmShipment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if d := e.fake.Dispatches(o.ID); len(d) != 1 || !strings.Contains(d[0].Comment, "400011112222") {
		t.Errorf("dispatches %+v, want the first shipment's only", d)
	}
	if st, ds := e.fake.ItemStatuses(o.ID); st[0] != "dispatched" || ds != "dispatched" {
		t.Errorf("statuses %v %s", st, ds)
	}
}

// TestUnpaid: a convenience-store order waits unpaid (pending) and opens once paid; BASE refuses
// to dispatch it before, and the refusal is permanent.
func TestUnpaid(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	e.fake.AddItem("煎茶", "SENCHA", 1200, 10)
	o := placeAndList(t, e, basetest.OrderInput{Buyer: buyer, Payment: "cvs", Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	if o.Status != order.StatusPending || o.ChannelStatus != "unpaid" {
		t.Errorf("an unpaid order is %s (%s), want pending", o.Status, o.ChannelStatus)
	}
	err := e.client.ConfirmShipment(context.Background(), shipAll(o, "S1", true, shipment.Parcel{Carrier: shipment.Sagawa, TrackingNumber: "1"}))
	if connector.Classify(err) != connector.Permanent || !strings.Contains(err.Error(), "not_change_status_cvs") {
		t.Errorf("dispatching an unpaid order: %v, want BASE's permanent refusal", err)
	}
	e.clock.Advance(time.Minute)
	if err := e.fake.MarkPaid(o.ID); err != nil {
		t.Fatal(err)
	}
	page, err := e.client.ListOrders(context.Background(), window(e))
	if err != nil || len(page.Orders) != 1 || page.Orders[0].Status != order.StatusOpen {
		t.Errorf("after payment: %v %v, want the order open", page, err)
	}
}
