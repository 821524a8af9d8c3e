package yahoo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/yahoo"
	"github.com/tobira-commerce/tobira/connector/yahoo/yahootest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// store is a fake store and a client on one manual clock.
type store struct {
	clock  *tobirasync.ManualClock
	fake   *yahootest.Server
	client *yahoo.Client
	events *eventLog
}

type eventLog struct {
	mu sync.Mutex
	ev []yahoo.CredentialEvent
}

func (l *eventLog) add(e yahoo.CredentialEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, e)
}

func (l *eventLog) kinds() []yahoo.CredentialKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []yahoo.CredentialKind
	for _, e := range l.ev {
		out = append(out, e.Kind)
	}
	return out
}

func newStore(t testing.TB, pk bool, edit func(*yahoo.Config)) *store {
	return newStoreOpts(t, yahootest.Options{PublicKeyAuth: pk}, edit)
}

func newStoreOpts(t testing.TB, opts yahootest.Options, edit func(*yahoo.Config)) *store {
	t.Helper()
	pk := opts.PublicKeyAuth
	s := &store{clock: tobirasync.NewManualClock(time.Now().Add(-time.Hour).Truncate(time.Second)), events: &eventLog{}}
	opts.Now = s.clock.Now
	s.fake = yahootest.NewTest(t, opts)
	cfg := config(s.fake, pk)
	cfg.Now = s.clock.Now
	cfg.OnCredential = s.events.add
	if edit != nil {
		edit(&cfg)
	}
	c, err := yahoo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

func (s *store) place(lines ...yahootest.LineInput) string {
	return s.fake.PlaceOrder(yahootest.OrderInput{Lines: lines, ShipTo: tokyo, RequestDate: "20261224", RequestTime: "午前中"})
}

func (s *store) list(t *testing.T, id string) order.Order {
	t.Helper()
	now := s.clock.Now()
	page, err := s.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Second)})
	if err != nil {
		t.Fatalf("ListOrders: %v", err)
	}
	for _, o := range page.Orders {
		if o.ID == id {
			return o
		}
	}
	t.Fatalf("order %s not listed (rejects %v)", id, page.Rejects)
	return order.Order{}
}

var tea = yahootest.LineInput{ItemID: "sencha", SubCode: "100g", Title: "煎茶 100g", Quantity: 2, UnitPrice: 1200}

func TestOrderMapping(t *testing.T) {
	s := newStore(t, true, nil)
	id := s.fake.PlaceOrder(yahootest.OrderInput{Lines: []yahootest.LineInput{tea, {ItemID: "cup", Title: "湯呑", Quantity: 1, UnitPrice: 2500}},
		ShipTo: tokyo, RequestDate: "20261224", RequestTime: "14:00-16:00", PayMethod: "payment_d1"})
	o := s.list(t, id)
	if o.Status != order.StatusOpen || o.ShipTo.Name != "山田 太郎" || o.ShipTo.PostalCode != "150-0001" || o.ShipTo.Prefecture != "東京都" {
		t.Errorf("order = %+v", o)
	}
	if o.Delivery.Date.String() != "2026-12-24" || o.Delivery.Slot != order.Slot1416 {
		t.Errorf("delivery = %+v, want 2026-12-24 1416", o.Delivery)
	}
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount != order.Yen(2*1200+2500) {
		t.Errorf("payment = %+v, want cash on delivery of 4900", o.Payment)
	}
	if len(o.Lines) != 2 || o.Lines[0].SKU != "sencha:100g" || o.Lines[1].SKU != "cup" || o.Lines[0].Quantity != 2 {
		t.Errorf("lines = %+v, want sencha:100g×2 and cup×1", o.Lines)
	}
}

func TestSlot(t *testing.T) {
	for in, want := range map[string]order.TimeSlot{"": order.SlotNone, "午前中": order.SlotMorning, "14:00-16:00": order.Slot1416,
		"14時～16時": order.Slot1416, "19:00-21:00": order.Slot1921, "8:00-12:00": order.SlotMorning} {
		if got, ok := yahoo.Slot(in); !ok || got != want {
			t.Errorf("Slot(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"夕方", "13:00-15:00", "99:00-10:00"} {
		if got, ok := yahoo.Slot(in); ok {
			t.Errorf("Slot(%q) = %q, true; want an unknown wording", in, got)
		}
	}
}

// TestYahooChangeHistory: an address change and a quantity change made on the store after the
// order was imported reach the warehouse as changes of the request it already has.
func TestYahooChangeHistory(t *testing.T) {
	s := newStore(t, true, nil)
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: s.clock})
	wh := &memory.Warehouse{Now: s.clock.Now}
	err := engine.PutMerchant(tobirasync.Merchant{ID: "sakura-tea",
		Channels:   []tobirasync.Channel{{ID: "yahoo", Source: s.client, Sink: s.client, Target: s.client}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo-dc", Fulfiller: wh, Shipments: wh, Stock: wh}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sync := func() {
		t.Helper()
		s.clock.Advance(2 * time.Minute)
		if _, err := engine.SyncOrders(ctx, "sakura-tea", "yahoo"); err != nil {
			t.Fatalf("SyncOrders: %v", err)
		}
	}
	id := s.place(tea)
	sync()
	reqs := wh.Requests()
	if len(reqs) != 1 || reqs[0].Order.ID != id {
		t.Fatalf("the warehouse holds %d requests, want order %s", len(reqs), id)
	}
	key := reqs[0].Key

	moved := tokyo
	moved.Address1 = "神宮前9-9-9"
	if !s.fake.ChangeAddress(id, moved) {
		t.Fatal("ChangeAddress failed")
	}
	sync()
	r, _ := wh.Request(key)
	if r.Changes != 1 || r.Order.ShipTo.Line1 != "神宮前9-9-9" {
		t.Fatalf("after the address change the request has %d changes and line1 %q; want 1 change to 神宮前9-9-9", r.Changes, r.Order.ShipTo.Line1)
	}
	if got := r.Order.Refs[yahoo.RefChanges]; got != "orderChange" {
		t.Errorf("the order carries changes %q, want orderChange from orderChangeHistory", got)
	}

	if !s.fake.ChangeQuantity(id, 1, 5) {
		t.Fatal("ChangeQuantity failed")
	}
	sync()
	r, _ = wh.Request(key)
	if r.Changes != 2 || len(r.Order.Lines) != 1 || r.Order.Lines[0].Quantity != 5 {
		t.Fatalf("after the quantity change the request has %d changes and lines %+v; want 2 changes, sencha:100g×5", r.Changes, r.Order.Lines)
	}
	if got := r.Order.Refs[yahoo.RefHistory]; got != "2" {
		t.Errorf("the order carries history ID %q, want 2", got)
	}
	if n := len(wh.Requests()); n != 1 {
		t.Errorf("the warehouse holds %d requests; changes must not make new ones", n)
	}
	// Nothing changed since: another run sends nothing more.
	sync()
	if r, _ = wh.Request(key); r.Changes != 2 {
		t.Errorf("an idle run changed the request again (%d changes)", r.Changes)
	}
}

func confirmation(o order.Order, numbers ...string) connector.ShipmentConfirmation {
	s := shipment.Shipment{ID: "S1", OrderID: o.ID, At: time.Now()}
	for _, l := range o.Lines {
		s.Lines = append(s.Lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Quantity})
	}
	for _, n := range numbers {
		s.Parcels = append(s.Parcels, shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: n})
	}
	return connector.ShipmentConfirmation{Order: o, Shipment: s, Complete: true, IdempotencyKey: "ship-S1"}
}

// TestYahooInvoiceLimit: three parcels on one order. Yahoo! holds two invoice numbers; by the
// default policy the third goes in ShipNotes, and with ExtraParcelsRefuse the confirmation is
// refused and nothing is written.
func TestYahooInvoiceLimit(t *testing.T) {
	ctx := context.Background()
	t.Run("InNotes", func(t *testing.T) {
		s := newStore(t, true, nil)
		o := s.list(t, s.place(tea))
		conf := confirmation(o, "400000000001", "400000000002", "400000000003")
		for range 2 {
			if err := s.client.ConfirmShipment(ctx, conf); err != nil {
				t.Fatalf("ConfirmShipment: %v", err)
			}
		}
		si, _ := s.fake.Ship(o.ID)
		if si.Status != yahootest.ShipShipped || si.CompanyCode != "1001" {
			t.Errorf("ship status %d company %s, want 3 and 1001", si.Status, si.CompanyCode)
		}
		if !slices.Equal(si.InvoiceNumbers, []string{"400000000001", "400000000002"}) {
			t.Errorf("invoice numbers %v, want the first two parcels'", si.InvoiceNumbers)
		}
		if !strings.Contains(si.Notes, "400000000003") {
			t.Errorf("ShipNotes %q does not list the third parcel", si.Notes)
		}
		if si.Writes != 1 {
			t.Errorf("the store recorded %d shipment writes, want 1: the repeat must read back and send nothing", si.Writes)
		}
	})
	t.Run("Refuse", func(t *testing.T) {
		s := newStore(t, true, func(c *yahoo.Config) { c.ExtraParcels = yahoo.ExtraParcelsRefuse })
		o := s.list(t, s.place(tea))
		err := s.client.ConfirmShipment(ctx, confirmation(o, "400000000001", "400000000002", "400000000003"))
		if !errors.Is(err, connector.ErrPermanent) {
			t.Fatalf("ConfirmShipment of three parcels = %v, want connector.ErrPermanent", err)
		}
		if si, _ := s.fake.Ship(o.ID); si.Status == yahootest.ShipShipped || si.Writes != 0 {
			t.Errorf("a refused confirmation wrote to the store: %+v", si)
		}
		if err := s.client.ConfirmShipment(ctx, confirmation(o, "400000000001", "400000000002")); err != nil {
			t.Errorf("two parcels under the refusing policy: %v", err)
		}
	})
}

// TestTokenRefreshOnce: 50 concurrent calls on an expired token refresh it once, whether the
// client knew it expired or learned it from Yahoo!'s 401.
func TestTokenRefreshOnce(t *testing.T) {
	run := func(t *testing.T, s *store) {
		t.Helper()
		before := s.fake.Refreshes()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				switch i % 3 {
				case 0:
					_, err = s.client.Counts(context.Background())
				case 1:
					_, err = s.client.ReadStock(context.Background(), []string{"sencha:100g"})
				default:
					now := s.clock.Now()
					_, err = s.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now})
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("call: %v", err)
			}
		}
		if n := s.fake.Refreshes() - before; n != 1 {
			t.Errorf("50 concurrent calls refreshed the token %d times, want 1", n)
		}
	}
	// The fake's rate check is off: this test is about the refresh, and 50 calls at once are
	// paced over five seconds otherwise (TestPacing covers the rate).
	unpaced := yahootest.Options{PublicKeyAuth: true, Rate: -1}
	t.Run("KnownExpired", func(t *testing.T) {
		s := newStoreOpts(t, unpaced, nil)
		// A token the client was given with an expiry in the past.
		s.fake.ExpireAccessTokens()
		c := config(s.fake, true)
		c.Now, c.AccessToken, c.AccessExpiry = s.clock.Now, s.fake.AccessToken(), s.clock.Now().Add(-time.Minute)
		client, err := yahoo.New(c)
		if err != nil {
			t.Fatal(err)
		}
		s.client = client
		run(t, s)
	})
	t.Run("ExpiredOnServer", func(t *testing.T) {
		s := newStoreOpts(t, unpaced, nil)
		if _, err := s.client.Counts(context.Background()); err != nil { // obtains a token
			t.Fatal(err)
		}
		s.fake.ExpireAccessTokens() // the client still believes its token good for an hour
		run(t, s)
	})
}

// TestShortRefreshToken: without public-key auth the client warns that the refresh token lasts
// 12 hours, warns again as the end nears, and reports the refusal once it has passed.
func TestShortRefreshToken(t *testing.T) {
	s := newStore(t, false, nil)
	if got := s.events.kinds(); !slices.Equal(got, []yahoo.CredentialKind{yahoo.CredentialShortLived}) {
		t.Fatalf("events after New = %v, want [%s]", got, yahoo.CredentialShortLived)
	}
	_, issued := s.fake.RefreshToken()
	if e := s.events.ev[0]; !e.RefreshExpires.Equal(issued.Add(12 * time.Hour)) {
		t.Errorf("RefreshExpires = %s, want 12 hours after %s", e.RefreshExpires, issued)
	}
	ctx := context.Background()
	if _, err := s.client.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(11 * time.Hour) // the access token has expired; the refresh token has an hour left
	if _, err := s.client.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.events.kinds(); !slices.Contains(got, yahoo.CredentialExpiring) {
		t.Errorf("events = %v, want %s an hour before the end", got, yahoo.CredentialExpiring)
	}
	s.clock.Advance(2 * time.Hour)
	_, err := s.client.Counts(ctx)
	if !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("a call after the refresh token's end = %v, want connector.ErrUnauthorized", err)
	}
	if got := s.events.kinds(); got[len(got)-1] != yahoo.CredentialRefused {
		t.Errorf("events = %v, want %s last", got, yahoo.CredentialRefused)
	}
	// With public-key auth no warning is due.
	if got := newStore(t, true, nil).events.kinds(); len(got) != 0 {
		t.Errorf("events with public-key auth = %v, want none", got)
	}
}

func TestSignatureRequired(t *testing.T) {
	s := newStore(t, true, nil)
	c := config(s.fake, false) // the store registered a key; the client has none
	c.AccessToken, c.AccessExpiry, c.Now = s.fake.AccessToken(), s.clock.Now().Add(time.Hour), s.clock.Now
	client, err := yahoo.New(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Counts(context.Background())
	if !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("an unsigned order call = %v, want connector.ErrUnauthorized", err)
	}
	var ae *yahoo.APIError
	if !errors.As(err, &ae) || ae.Status != 403 {
		t.Errorf("error %v, want a *yahoo.APIError with status 403", err)
	}
}

// TestPacing: calls at once on one API are paced under Yahoo!'s 10 a second, so the store
// (which refuses more) throttles none of them.
func TestPacing(t *testing.T) {
	s := newStore(t, true, nil)
	if _, err := s.client.Counts(context.Background()); err != nil { // obtains a token
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 25)
	start := time.Now()
	for range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.client.Counts(context.Background())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call: %v", err)
		}
	}
	// 26 calls at 10 a second cannot all leave within two seconds.
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("26 calls took %s; paced at 10 a second they take over 2 s", d)
	}
}

func TestDailyCap(t *testing.T) {
	// Two stores of one application share its budget of three requests.
	budget := yahoo.NewBudget(3)
	other := newStore(t, true, func(c *yahoo.Config) { c.Budget = budget })
	if _, err := other.client.Counts(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, true, func(c *yahoo.Config) { c.Budget = budget })
	ctx := context.Background()
	for range 2 {
		if _, err := s.client.Counts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := budget.Used(s.clock.Now()); n != 3 {
		t.Errorf("Budget.Used = %d, want 3", n)
	}
	before := s.fake.Requests()
	_, err := s.client.Counts(ctx)
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("the call past the daily cap = %v, want a *connector.RateLimitError", err)
	}
	now := s.clock.Now().In(yahoo.JST)
	y, m, d := now.Date()
	if want := time.Date(y, m, d+1, 0, 0, 0, 0, yahoo.JST).Sub(now); rl.Wait != want {
		t.Errorf("Wait = %s, want %s (midnight JST)", rl.Wait, want)
	}
	if n := s.fake.Requests() - before; n != 0 {
		t.Errorf("the refused call reached Yahoo! (%d requests)", n)
	}
	s.clock.Advance(rl.Wait)
	other.clock.Advance(rl.Wait)
	if _, err := s.client.Counts(ctx); err != nil {
		t.Errorf("the first call of the next day: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s := newStore(t, true, nil)
	ctx := context.Background()
	s.fake.FailNext(10)
	_, err := s.client.Counts(ctx)
	if !errors.Is(err, connector.ErrTemporary) {
		t.Errorf("a call answered 503 = %v, want connector.ErrTemporary", err)
	}
	s.fake.FailNext(0)
	_, err = s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "bad code!", Available: 1}, {SKU: "sencha:100g", Available: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if s.fake.Stock("sencha:100g") != 4 {
		t.Errorf("a malformed SKU stopped the valid one")
	}
	res, _ := s.client.SetStock(ctx, []connector.StockUpdate{{SKU: "bad code!", Available: 1}})
	if !errors.Is(res[0].Err, connector.ErrPermanent) {
		t.Errorf("a malformed SKU = %v, want connector.ErrPermanent", res[0].Err)
	}
	s.fake.SlowNext(time.Second)
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.client.SetStock(tctx, []connector.StockUpdate{{SKU: "sencha:100g", Available: 5}}); !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Errorf("a stock write that timed out = %v, want connector.ErrOutcomeUnknown", err)
	}
}

// TestStockABA: 5 → 4 → 5 → 4, each with its own key, the middle write's answer lost and the
// write repeated with the same key: the store ends at the last value.
func TestStockABA(t *testing.T) {
	s := newStore(t, true, nil)
	ctx := context.Background()
	sku := "sencha:100g"
	s.fake.ListItem(sku, 0)
	set := func(ctx context.Context, n int, key string) error {
		res, err := s.client.SetStock(ctx, []connector.StockUpdate{{SKU: sku, Available: n, Key: key}})
		if err != nil {
			return err
		}
		return res[0].Err
	}
	if err := set(ctx, 5, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := set(ctx, 4, "k2"); err != nil {
		t.Fatal(err)
	}
	s.fake.StallNext()
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err := set(sctx, 5, "k3")
	cancel()
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("the stalled write = %v, want connector.ErrOutcomeUnknown", err)
	}
	if err := set(ctx, 5, "k3"); err != nil {
		t.Fatal(err)
	}
	if err := set(ctx, 4, "k4"); err != nil {
		t.Fatal(err)
	}
	if got := s.fake.Stock(sku); got != 4 {
		t.Errorf("after 5 → 4 → 5 → 4 the store shows %d, want 4", got)
	}
}

// TestNoSecretsInLogsOrErrors: tokens, the signature, names, addresses and phone numbers stay
// out of errors and debug logs, whatever happens.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newStore(t, true, func(c *yahoo.Config) { c.Logger = log })
	ctx := context.Background()
	id := s.place(tea)
	var msgs []string
	note := func(err error) {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	now := s.clock.Now()
	req := connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Second)}
	_, err := s.client.ListOrders(ctx, req)
	note(err)
	s.fake.ThrottleNext(time.Second)
	_, err = s.client.ListOrders(ctx, req)
	note(err)
	s.fake.FailNext(10)
	_, err = s.client.ListOrders(ctx, req)
	note(err)
	s.fake.FailNext(0)
	s.fake.ExpireAccessTokens()
	note(s.client.ConfirmShipment(ctx, confirmation(order.Order{ID: id + "-x"}, "400000000001")))
	all := buf.String() + strings.Join(msgs, "\n")
	refresh, _ := s.fake.RefreshToken()
	for _, secret := range []string{s.fake.AccessToken(), refresh, s.fake.ClientSecret(), "山田", "太郎", "神宮前", "03-1234-5678", "X-sws-signature:"} {
		if strings.Contains(all, secret) {
			t.Errorf("logs or errors contain %q:\n%s", secret, all)
		}
	}
	if len(msgs) < 3 {
		t.Errorf("expected errors from the faults, got %v", msgs)
	}
}

func Example() {
	fake, _ := yahootest.New(yahootest.Options{})
	defer fake.Close()
	refresh, issued := fake.RefreshToken()
	client, err := yahoo.New(yahoo.Config{
		SellerID: fake.SellerID(), BaseURL: fake.URL(), TokenURL: fake.TokenURL(),
		ClientID: fake.ClientID(), ClientSecret: fake.ClientSecret(),
		RefreshToken: refresh, RefreshIssued: issued,
		PublicKey: fake.PublicKeyPEM(), KeyVersion: fake.KeyVersion(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	fake.ListItem("sencha:100g", 0)
	id := fake.PlaceOrder(yahootest.OrderInput{
		Lines:  []yahootest.LineInput{{ItemID: "sencha", SubCode: "100g", Title: "煎茶", Quantity: 2, UnitPrice: 1200}},
		ShipTo: yahootest.Address{FirstName: "太郎", LastName: "山田", ZipCode: "1500001", Prefecture: "東京都", City: "渋谷区", Address1: "神宮前1-2-3", Phone: "0312345678"},
	})
	counts, _ := client.Counts(ctx)
	fmt.Println("new orders:", counts.NewOrders)

	now := time.Now()
	page, err := client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now.Add(time.Minute)})
	if err != nil {
		fmt.Println(err)
		return
	}
	o := page.Orders[0]
	fmt.Println(o.ID == id, o.Lines[0].SKU, o.Lines[0].Quantity)

	err = client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: shipment.Shipment{ID: "S1",
		Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "123456789012"}}}})
	ship, _ := fake.Ship(id)
	fmt.Println(err, ship.Status, ship.CompanyCode, ship.InvoiceNumbers)

	res, err := client.SetStock(ctx, []connector.StockUpdate{{SKU: "sencha:100g", Available: 7}})
	fmt.Println(err, res[0].Err, fake.Stock("sencha:100g"))
	// Output:
	// new orders: 1
	// true sencha:100g 2
	// <nil> 3 1002 [123456789012]
	// <nil> <nil> 7
}
