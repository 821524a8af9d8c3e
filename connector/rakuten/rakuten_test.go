package rakuten_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// t0 is the start of the virtual timelines.
var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// rig is a fake shop and a client sharing a virtual clock.
type rig struct {
	clock  *tobirasync.ManualClock
	fake   *rakutentest.Server
	client *rakuten.Client
}

func newRig(t *testing.T, opts rakutentest.Options, mod func(*rakuten.Config)) *rig {
	t.Helper()
	r := &rig{clock: tobirasync.NewManualClock(t0)}
	opts.Now = r.clock.Now
	r.fake = rakutentest.NewTest(t, opts)
	cfg := rakuten.Config{Shop: "sakura-tea", BaseURL: r.fake.URL(), ServiceSecret: r.fake.ServiceSecret(),
		LicenseKey: r.fake.LicenseKey(), KeyExpiresAt: r.fake.KeyExpiry(), Now: r.clock.Now, RateScale: 1000, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := rakuten.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	return r
}

func item(sku string, units int) rakutentest.Item {
	return rakutentest.Item{Name: "煎茶 " + sku, ManageNumber: strings.ToLower(sku), VariantID: "std", MerchantSKU: sku, Price: 1200, Units: units}
}

func simple(items ...rakutentest.Item) rakutentest.OrderInput {
	return rakutentest.OrderInput{Orderer: tokyo, Confirmed: true, Packages: []rakutentest.Package{{Sender: tokyo, Items: items}}}
}

// drain lists a window to its end and returns every order listed, by ID (the last version).
func drain(t *testing.T, c *rakuten.Client, from, to time.Time, limit int) (map[string]order.Order, int) {
	t.Helper()
	got := map[string]order.Order{}
	var cur connector.Cursor
	pages := 0
	for ; pages < 10000; pages++ {
		p, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: to, Page: cur, Limit: limit})
		if err != nil {
			t.Fatalf("ListOrders: %v", err)
		}
		for _, r := range p.Rejects {
			t.Errorf("reject %s: %v", r.ID, r.Err)
		}
		for _, o := range p.Orders {
			got[o.ID] = o
		}
		if p.Next == "" {
			return got, pages + 1
		}
		cur = p.Next
	}
	t.Fatal("the listing did not end")
	return nil, 0
}

func TestRakutenWindowSplit(t *testing.T) {
	t.Run("63DaySpan", func(t *testing.T) {
		r := newRig(t, rakutentest.Options{KeyExpires: t0.Add(365 * 24 * time.Hour)}, nil)
		// Orders over 150 days: no single search may span them (RMS refuses more than 63 days).
		var want []string
		for i := range 30 {
			r.clock.Set(t0.Add(time.Duration(i) * 5 * 24 * time.Hour))
			want = append(want, r.fake.PlaceOrder(simple(item("TEA-01", 1))))
		}
		r.clock.Set(t0.Add(160 * 24 * time.Hour))
		got, _ := drain(t, r.client, t0, t0.Add(151*24*time.Hour), 100)
		for _, id := range want {
			if _, ok := got[id]; !ok {
				t.Errorf("order %s was not listed", id)
			}
		}
		st := r.fake.Stats()
		if st.Invalid != 0 {
			t.Errorf("RMS refused %d requests (a search over 63 days?)", st.Invalid)
		}
		if st.Calls["searchOrder"] < 3 {
			t.Errorf("%d searches covered 150 days; at least 3 windows of 63 days are needed", st.Calls["searchOrder"])
		}
	})
	t.Run("ResultCap", func(t *testing.T) {
		// A cap of 50 stands for 15,000: past it the fake keeps an arbitrary 50, as RMS does.
		r := newRig(t, rakutentest.Options{ResultCap: 50}, func(c *rakuten.Config) { c.ResultCap = 50 })
		var want []string
		for i := range 180 {
			r.clock.Set(t0.Add(time.Duration(i) * 20 * time.Second))
			want = append(want, r.fake.PlaceOrder(simple(item(fmt.Sprintf("TEA-%02d", i%7), 1))))
		}
		r.clock.Set(t0.Add(2 * time.Hour))
		got, _ := drain(t, r.client, t0, t0.Add(time.Hour), 100)
		var missed []string
		for _, id := range want {
			if _, ok := got[id]; !ok {
				missed = append(missed, id)
			}
		}
		if len(missed) > 0 {
			t.Errorf("%d of %d orders missed past the cap: %v", len(missed), len(want), missed)
		}
		if len(got) != len(want) {
			t.Errorf("listed %d orders, placed %d", len(got), len(want))
		}
	})
}

// engineRig runs the real engine over a Rakuten channel and a memory warehouse.
type engineRig struct {
	*rig
	engine *tobirasync.Engine
	wh     *memory.Warehouse
	mu     sync.Mutex
	events []tobirasync.Event
}

const merchant = "sakura-tea"

func newEngineRig(t *testing.T, mod func(*rakuten.Config)) *engineRig {
	e := &engineRig{rig: newRig(t, rakutentest.Options{}, mod)}
	e.wh = &memory.Warehouse{Now: e.clock.Now}
	e.engine = tobirasync.New(memstore.New(), tobirasync.Options{Clock: e.clock, Observer: tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
	})})
	e.put(t)
	return e
}

func (e *engineRig) put(t *testing.T) {
	t.Helper()
	err := e.engine.PutMerchant(tobirasync.Merchant{ID: merchant,
		Channels:   []tobirasync.Channel{{ID: "rakuten", Source: e.client, Sink: e.client, Target: e.client}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: e.wh}}})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *engineRig) sync(t *testing.T) error {
	t.Helper()
	e.clock.Advance(time.Minute)
	_, err := e.engine.SyncOrders(context.Background(), merchant, "rakuten")
	return err
}

func (e *engineRig) request(t *testing.T, orderID string) memory.Request {
	t.Helper()
	for _, r := range e.wh.Requests() {
		if r.Order.ID == orderID {
			return r
		}
	}
	t.Fatalf("the warehouse has no request for order %s", orderID)
	return memory.Request{}
}

func kinds[T tobirasync.Event](e *engineRig) []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []T
	for _, ev := range e.events {
		if x, ok := ev.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

func TestRakutenChangeAndCancel(t *testing.T) {
	e := newEngineRig(t, nil)
	a := e.fake.PlaceOrder(simple(item("TEA-01", 2), item("CUP-02", 1)))
	b := e.fake.PlaceOrder(simple(item("TEA-01", 1)))
	c := e.fake.PlaceOrder(simple(item("CUP-02", 3)))
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if n := len(e.wh.Requests()); n != 3 {
		t.Fatalf("the warehouse holds %d requests, want 3", n)
	}
	// An hour on, the windows start after the orders were placed: only re-reads can find them.
	for range 6 {
		e.clock.Advance(10 * time.Minute)
		if err := e.sync(t); err != nil {
			t.Fatal(err)
		}
	}

	// The shop changes A's quantity on the buyer's request: 400 変更確定待ち.
	if err := e.fake.ChangeUnits(a, 0, 5); err != nil {
		t.Fatal(err)
	}
	// B's buyer cancels: 800 キャンセル確定待ち, then 900.
	if err := e.fake.RequestCancel(b); err != nil {
		t.Fatal(err)
	}
	// C was picked already: its cancellation is refused by the warehouse.
	if err := e.wh.Pick(e.request(t, c).Key); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.RequestCancel(c); err != nil {
		t.Fatal(err)
	}
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.Cancel(b); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.FixChange(a); err != nil {
		t.Fatal(err)
	}
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}

	ra := e.request(t, a)
	if ra.Changes != 1 {
		t.Errorf("order A's request went through %d changes, want 1", ra.Changes)
	}
	for _, l := range ra.Order.Lines {
		if l.SKU == "TEA-01" && l.Open() != 5 {
			t.Errorf("the warehouse holds %d of TEA-01 for order A, changed to 5", l.Open())
		}
	}
	if got := kinds[tobirasync.OrderChanged](e); len(got) != 1 || got[0].Key.OrderID != a {
		t.Errorf("OrderChanged events %+v, want one for %s", got, a)
	}
	if got := kinds[tobirasync.OrderCancelled](e); len(got) != 1 || got[0].Key.OrderID != b {
		t.Errorf("OrderCancelled events %+v, want one for %s", got, b)
	}
	if rb := e.request(t, b); rb.State != memory.Cancelled {
		t.Errorf("order B's request is %s, want cancelled", rb.State)
	}
	refused := kinds[tobirasync.CancelRefused](e)
	if len(refused) != 1 || refused[0].Key.OrderID != c || refused[0].Reason != connector.RefusedPicked {
		t.Errorf("CancelRefused events %+v, want one for %s with reason %q", refused, c, connector.RefusedPicked)
	}
}

func TestRakutenParcels(t *testing.T) {
	r := newRig(t, rakutentest.Options{}, nil)
	num := r.fake.PlaceOrder(simple(item("TEA-01", 3)))
	o, err := listed(context.Background(), r.client, num, t0.Add(-time.Minute), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	parcels := []shipment.Parcel{
		{Carrier: shipment.Yamato, TrackingNumber: "400000000011"},
		{Carrier: shipment.Yamato, TrackingNumber: "400000000022"},
		{Carrier: shipment.Yamato, TrackingNumber: "400000000033"},
	}
	conf := connector.ShipmentConfirmation{Order: o, Complete: true, IdempotencyKey: "ship-S1", Shipment: shipment.Shipment{
		ID: "S1", OrderID: o.ID, At: t0, Parcels: parcels,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, SKU: o.Lines[0].SKU, Quantity: 3}}}}
	ctx := context.Background()
	if err := r.client.ConfirmShipment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	v, _ := r.fake.Order(num)
	rows := v.Baskets[0].Rows
	if len(rows) != 3 || v.Progress != 500 {
		t.Fatalf("after three parcels the basket shows %d rows in progress %d, want 3 in 500", len(rows), v.Progress)
	}
	for i, row := range rows {
		if row.Company != "1001" || row.Number != parcels[i].TrackingNumber || row.Date != "2026-11-02" {
			t.Errorf("row %d = %+v, want Yamato (1001) %s shipped 2026-11-02", i, row, parcels[i].TrackingNumber)
		}
	}
	// The warehouse corrects the second tracking number: the row is updated, none added.
	conf.Shipment.Parcels = slices.Clone(parcels)
	conf.Shipment.Parcels[1].TrackingNumber = "400000000099"
	if err := r.client.ConfirmShipment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	v, _ = r.fake.Order(num)
	after := v.Baskets[0].Rows
	if len(after) != 3 {
		t.Fatalf("after the correction the basket shows %d rows, want 3", len(after))
	}
	if after[1].ID != rows[1].ID || after[1].Number != "400000000099" {
		t.Errorf("row 2 is %+v, want row %d carrying 400000000099", after[1], rows[1].ID)
	}
	if after[0] != rows[0] || after[2] != rows[2] {
		t.Errorf("the other rows changed: %+v, were %+v", after, rows)
	}
	calls := r.fake.Stats().Calls["updateOrderShipping"]
	if err := r.client.ConfirmShipment(ctx, conf); err != nil {
		t.Fatal(err)
	}
	if n := r.fake.Stats().Calls["updateOrderShipping"]; n != calls {
		t.Errorf("confirming the corrected shipment again sent %d more updates, want none", n-calls)
	}
	// More than 20 parcels for one destination is refused before anything is sent.
	big := conf
	big.Shipment.ID = "S2"
	big.Shipment.Parcels = nil
	for i := range 18 {
		big.Shipment.Parcels = append(big.Shipment.Parcels, shipment.Parcel{Carrier: shipment.Sagawa, TrackingNumber: fmt.Sprintf("5%011d", i)})
	}
	if err := r.client.ConfirmShipment(ctx, big); !errors.Is(err, connector.ErrPermanent) {
		t.Errorf("a shipment taking the basket past 20 rows gave %v, want ErrPermanent", err)
	}
}

func TestRakutenKeyExpiry(t *testing.T) {
	expires := t0.Add(20 * 24 * time.Hour)
	e := &engineRig{}
	e.rig = newRig(t, rakutentest.Options{KeyExpires: expires}, func(c *rakuten.Config) {
		c.KeyExpiresAt = time.Time{} // asked of the license-management API
	})
	e.wh = &memory.Warehouse{Now: e.clock.Now}
	e.engine = tobirasync.New(memstore.New(), tobirasync.Options{Clock: e.clock, CredentialWarning: 7 * 24 * time.Hour, Observer: tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
	})})
	e.put(t)
	nwarn := func() int { return len(kinds[tobirasync.CredentialExpiring](e)) }

	first := e.fake.PlaceOrder(simple(item("TEA-01", 1)))
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	if got := e.client.CredentialExpiry(); !got.Equal(expires) {
		t.Errorf("the client learned expiry %s, RMS says %s", got, expires)
	}
	if nwarn() != 0 {
		t.Errorf("warned %d times 20 days before expiry; the warning period is 7 days", nwarn())
	}
	// Catch up day by day to 6 days before expiry: the host hears of it once.
	catchUp := func(until time.Time) {
		for e.clock.Now().Before(until) {
			e.clock.Advance(min(6*time.Hour, until.Sub(e.clock.Now())))
			if err := e.sync(t); err != nil {
				t.Fatal(err)
			}
		}
	}
	catchUp(expires.Add(-6 * 24 * time.Hour))
	if nwarn() != 1 {
		t.Fatalf("warned %d times within the warning period, want once", nwarn())
	}
	if w := kinds[tobirasync.CredentialExpiring](e)[0]; !w.ExpiresAt.Equal(expires) || w.Channel != "rakuten" {
		t.Errorf("warning %+v, want channel rakuten expiring %s", w, expires)
	}
	catchUp(expires.Add(-time.Hour))

	// The key expires; orders keep coming in.
	e.clock.Set(expires.Add(time.Minute))
	during := []string{e.fake.PlaceOrder(simple(item("TEA-01", 2)))}
	before := e.fake.Stats()
	err := e.sync(t)
	if !errors.Is(err, tobirasync.ErrStopped) && !errors.Is(err, connector.ErrUnauthorized) {
		t.Fatalf("SyncOrders after expiry returned %v, want the channel stopped", err)
	}
	for range 3 {
		if err := e.sync(t); !errors.Is(err, tobirasync.ErrStopped) {
			t.Fatalf("SyncOrders on a stopped channel returned %v, want ErrStopped", err)
		}
	}
	if st := e.fake.Stats(); st.Requests != before.Requests {
		t.Errorf("the stopped channel sent %d requests with an expired key; it must send none", st.Requests-before.Requests)
	}
	if got := kinds[tobirasync.ChannelStopped](e); len(got) != 1 {
		t.Errorf("%d ChannelStopped events, want 1", len(got))
	}
	e.clock.Advance(3 * time.Hour)
	during = append(during, e.fake.PlaceOrder(simple(item("CUP-02", 1))))

	// The shop issues a new key in RMS; the host hands it over and renews the merchant.
	e.clock.Advance(time.Hour)
	e.fake.RenewKey("SL000001_renewed", e.clock.Now().Add(90*24*time.Hour))
	e.client.SetLicenseKey("SL000001_renewed", time.Time{})
	e.put(t)
	for range 20 {
		if err := e.sync(t); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range append([]string{first}, during...) {
		e.request(t, id)
	}
	if n := len(e.wh.Requests()); n != 3 {
		t.Errorf("the warehouse holds %d requests after the back-fill, want 3", n)
	}
	if nwarn() != 1 {
		t.Errorf("warned %d times in all, want once (the new key is far from expiry)", nwarn())
	}
}

func TestRakutenJapaneseFields(t *testing.T) {
	r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) { c.ParseRemarks = true })
	osaka := rakutentest.Person{FamilyName: "佐藤", FirstName: "花子", FamilyNameKana: "サトウ", FirstNameKana: "ハナコ",
		Zip: "530-0001", Prefecture: "大阪府", City: "大阪市北区", Address: "梅田1-1", Phone: "06-1234-5678"}
	island := tokyo
	island.Prefecture, island.City, island.Address, island.Zip, island.IsolatedIsland = "東京都", "八丈島八丈町", "三根1", "100-1511", true
	plain := func(term int) rakutentest.OrderInput {
		in := simple(item("TEA-01", 1))
		in.DeliveryDate, in.ShippingTerm = "2026-11-10", term
		return in
	}
	terms := map[int]struct {
		slot     order.TimeSlot
		unmapped string
	}{0: {"", ""}, 1: {order.SlotMorning, ""}, 2: {"", "午後"}, 9: {"", "その他"}, 1416: {order.Slot1416, ""},
		812: {order.SlotMorning, ""}, 1921: {order.Slot1921, ""}, 1012: {"", "10時-12時"}}
	ids := map[int]string{}
	for term := range terms {
		ids[term] = r.fake.PlaceOrder(plain(term))
	}
	gift := simple(item("TEA-01", 1))
	gift.Gift = true
	gift.Packages[0].Noshi = "御歳暮"
	giftID := r.fake.PlaceOrder(gift)
	cod := simple(item("TEA-01", 2))
	cod.COD, cod.RequestPrice = true, 2730
	codID := r.fake.PlaceOrder(cod)
	two := rakutentest.OrderInput{Orderer: tokyo, Confirmed: true, Packages: []rakutentest.Package{
		{Sender: tokyo, Items: []rakutentest.Item{item("TEA-01", 1)}},
		{Sender: osaka, Items: []rakutentest.Item{{Name: "湯呑", ManageNumber: "Cup-02", VariantID: "blue-m", Price: 2500, Units: 2}}, Noshi: "御祝"},
	}}
	twoID := r.fake.PlaceOrder(two)
	islandID := r.fake.PlaceOrder(rakutentest.OrderInput{Orderer: tokyo, Confirmed: true, Packages: []rakutentest.Package{{Sender: island, Items: []rakutentest.Item{item("TEA-01", 1)}}}})
	remarks := simple(item("TEA-01", 1))
	remarks.Remarks = "[配送日時指定:]\nお届け日: 2026-11-12(木)\nお届け時間: 14:00～16:00"
	remarksID := r.fake.PlaceOrder(remarks)
	vague := simple(item("TEA-01", 1))
	vague.Remarks = "お届けは週末の夕方でお願いします"
	vagueID := r.fake.PlaceOrder(vague)

	r.clock.Advance(time.Hour)
	got, _ := drain(t, r.client, t0.Add(-time.Minute), t0.Add(time.Minute), 100)
	for term, want := range terms {
		o := got[ids[term]]
		if o.Delivery.Date != (order.Date{Year: 2026, Month: 11, Day: 10}) {
			t.Errorf("shippingTerm %d: delivery date %s, want 2026-11-10", term, o.Delivery.Date)
		}
		if o.Delivery.Slot != want.slot || o.Refs[rakuten.RefUnmappedSlot] != want.unmapped {
			t.Errorf("shippingTerm %d: slot %q unmapped %q, want %q and %q", term, o.Delivery.Slot, o.Refs[rakuten.RefUnmappedSlot], want.slot, want.unmapped)
		}
	}
	if g := got[giftID].Gift; g == nil || g.Noshi != "御歳暮" {
		t.Errorf("gift order: Gift = %+v, want のし 御歳暮", g)
	}
	if p := got[codID].Payment; p.Method != order.PaymentCashOnDelivery || p.CollectAmount != order.Yen(2730) {
		t.Errorf("代金引換 order: payment %+v, want COD collecting ¥2730", p)
	}
	first, second := got[twoID], got[twoID+"/"+got[twoID].Refs[rakuten.RefBasketID]]
	var other order.Order
	for id, o := range got {
		if strings.HasPrefix(id, twoID+"/") {
			other = o
		}
	}
	_ = second
	if first.ShipTo.Prefecture != "東京都" || other.ShipTo.Prefecture != "大阪府" {
		t.Fatalf("two destinations: got %q and %q, want 東京都 and 大阪府 as two orders", first.ShipTo.Prefecture, other.ShipTo.Prefecture)
	}
	if len(other.Lines) != 1 || other.Lines[0].SKU != "cup-02:blue-m" || other.Lines[0].Quantity != 2 {
		t.Errorf("second destination lines %+v, want cup-02:blue-m ×2 (manageNumber:variantId, no merchantDefinedSkuId)", other.Lines)
	}
	if other.Gift == nil || other.Gift.Noshi != "御祝" || first.Gift != nil {
		t.Errorf("のし per destination: first %+v, second %+v", first.Gift, other.Gift)
	}
	if other.Refs[rakuten.RefNameKana] != "サトウ ハナコ" || other.ShipTo.Name != "佐藤 花子" || other.ShipTo.PostalCode != "530-0001" {
		t.Errorf("second destination: name %q kana %q postal %q", other.ShipTo.Name, other.Refs[rakuten.RefNameKana], other.ShipTo.PostalCode)
	}
	if got[islandID].Refs[rakuten.RefIsolatedIsland] != "1" || got[ids[0]].Refs[rakuten.RefIsolatedIsland] != "" {
		t.Errorf("remote-island flag: %q on the island order, %q on Tokyo", got[islandID].Refs[rakuten.RefIsolatedIsland], got[ids[0]].Refs[rakuten.RefIsolatedIsland])
	}
	if d := got[remarksID].Delivery; d.Date != (order.Date{Year: 2026, Month: 11, Day: 12}) || d.Slot != order.Slot1416 {
		t.Errorf("delivery request from the remarks: %+v, want 2026-11-12 1416", d)
	}
	if v := got[vagueID]; v.Refs[rakuten.RefRemarks] == "" || !v.Delivery.Date.IsZero() {
		t.Errorf("an unparsed request in the remarks must be kept: refs %v, delivery %+v", v.Refs, v.Delivery)
	}
}

// TestEngineShipsTwoDestinations: an order with two destinations reaches the warehouse as two
// requests; the warehouse ships each in its own parcels and the engine reports each to its
// basket.
func TestEngineShipsTwoDestinations(t *testing.T) {
	e := newEngineRig(t, nil)
	osaka := tokyo
	osaka.Prefecture, osaka.City, osaka.Zip = "大阪府", "大阪市北区", "530-0001"
	num := e.fake.PlaceOrder(rakutentest.OrderInput{Orderer: tokyo, Confirmed: true, Packages: []rakutentest.Package{
		{Sender: tokyo, Items: []rakutentest.Item{item("TEA-01", 1), item("CUP-02", 1)}},
		{Sender: osaka, Items: []rakutentest.Item{item("TEA-01", 2)}}}})
	if err := e.sync(t); err != nil {
		t.Fatal(err)
	}
	reqs := e.wh.Requests()
	if len(reqs) != 2 {
		t.Fatalf("the warehouse holds %d requests for a two-destination order, want 2", len(reqs))
	}
	ctx := context.Background()
	for i, r := range reqs {
		var lines []shipment.Line
		for _, l := range r.Order.Lines {
			lines = append(lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Open()})
		}
		s := shipment.Shipment{ID: fmt.Sprintf("S%d", i+1), RequestKey: r.Key, Channel: "rakuten", OrderID: r.Order.ID, At: e.clock.Now(), Lines: lines,
			Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: fmt.Sprintf("3600000000%02d", i)}}}
		if err := e.engine.RecordShipment(ctx, merchant, "tokyo", s); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := e.fake.Order(num)
	if v.Progress != 500 {
		t.Errorf("the order is in progress %d after both destinations shipped, want 500", v.Progress)
	}
	for _, b := range v.Baskets {
		if len(b.Rows) != 1 || b.Rows[0].Company != "1002" {
			t.Errorf("basket %d shows rows %+v, want one Sagawa (1002) row", b.BasketID, b.Rows)
		}
	}
	if got := kinds[tobirasync.ShipmentConfirmed](e); len(got) != 2 {
		t.Errorf("%d ShipmentConfirmed events, want 2", len(got))
	}
}
