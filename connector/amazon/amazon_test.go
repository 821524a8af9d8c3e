package amazon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// recordingHarness runs a conformance suite and keeps every fake it made.
type recordingHarness struct {
	mu    gosync.Mutex
	fakes []*amazontest.Server
}

func (h *recordingHarness) rig(t testing.TB) *rig {
	r := conformanceRig(t)
	h.mu.Lock()
	h.fakes = append(h.fakes, r.fake)
	h.mu.Unlock()
	return r
}

// New and Features make the recording harness a conformance.ChannelHarness.
func (h *recordingHarness) New(t testing.TB) (conformance.Channel, conformance.ChannelSeeder) {
	r := h.rig(t)
	return r.client, r
}

func (h *recordingHarness) Features() conformance.ChannelFeatures { return harness{}.Features() }

// accessToken gets an LWA access token from the fake, as a client would.
func accessToken(t *testing.T, f *amazontest.Server) string {
	t.Helper()
	resp, err := http.PostForm(f.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.RefreshToken},
		"client_id": {f.ClientID}, "client_secret": {f.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	return out.AccessToken
}

func raw(t *testing.T, f *amazontest.Server, tok, method, path string, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.URL()+path, rd)
	req.Header.Set("x-amz-access-token", tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAmazonContract proves the fake holds requests to the official models (it refuses what
// they do not allow) and that every request the connector sent during a conformance run of all
// three roles, and every answer the fake gave, fit them.
func TestAmazonContract(t *testing.T) {
	t.Run("FakeRefuses", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		tok := accessToken(t, r.fake)
		id := r.fake.CreateOrder(amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "TEA", Quantity: 1, Price: 1000}}})
		item := r.fake.Packages(id) // none yet
		if len(item) != 0 {
			t.Fatal("a new order has packages")
		}
		o, _ := r.fake.Order(id)
		valid := fmt.Sprintf(`{"marketplaceId":%q,"packageDetail":{"packageReferenceId":"1","carrierCode":"YAMATO","trackingNumber":"123456789012","shipDate":"2026-12-01T00:00:00Z","orderItems":[{"orderItemId":%q,"quantity":1}]%s}}`,
			amazon.Japan, o.Items[0].ID, "%s")
		cases := []struct{ name, method, path, body string }{
			{"unknown body field", "POST", "/orders/v0/orders/" + id + "/shipmentConfirmation", fmt.Sprintf(valid, `,"giftMessage":"x"`)},
			{"missing required field", "POST", "/orders/v0/orders/" + id + "/shipmentConfirmation", `{"marketplaceId":"` + amazon.Japan + `"}`},
			{"unknown query parameter", "GET", "/orders/v0/orders?MarketplaceIds=" + amazon.Japan + "&LastUpdatedAfter=2026-01-01T00:00:00Z&Sort=asc", ""},
			{"missing required parameter", "GET", "/orders/v0/orders?LastUpdatedAfter=2026-01-01T00:00:00Z", ""},
			{"wrong enum", "PATCH", "/listings/2021-08-01/items/" + r.fake.SellerID() + "/TEA?marketplaceIds=" + amazon.Japan, `{"productType":"PRODUCT","patches":[{"op":"upsert","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":1}]}]}`},
		}
		for _, c := range cases {
			before := len(r.fake.Violations())
			status, body := raw(t, r.fake, tok, c.method, c.path, c.body)
			if status != http.StatusBadRequest || !strings.Contains(body, `"InvalidInput"`) {
				t.Errorf("%s: the fake answered %d %s; want 400 InvalidInput", c.name, status, body)
			}
			if len(r.fake.Violations()) != before+1 {
				t.Errorf("%s: the fake did not record the violation", c.name)
			}
		}
		if got := r.fake.Packages(id); len(got) != 0 {
			t.Errorf("a refused confirmation changed the order: %v", got)
		}
		// The same confirmation without the unknown field is served.
		if status, body := raw(t, r.fake, tok, "POST", "/orders/v0/orders/"+id+"/shipmentConfirmation", fmt.Sprintf(valid, "")); status != http.StatusNoContent {
			t.Errorf("a valid confirmation got %d %s", status, body)
		}
		r.fake.ResetViolations()
	})
	t.Run("ConformanceRun", func(t *testing.T) {
		h := &recordingHarness{}
		conformance.TestChannel(t, h)
		ops := map[string]int{}
		for _, f := range h.fakes {
			for _, v := range f.Violations() {
				t.Errorf("during the conformance run: %s", v)
			}
			for op, n := range f.Stats().ByOperation {
				ops[op] += n
			}
		}
		for _, op := range []string{"getOrders", "getOrder", "getOrderItems", "createRestrictedDataToken", "confirmShipment",
			"getOrder2026", "patchListingsItem", "searchListingsItems", "createFeedDocument", "createFeed", "getFeed", "getFeedDocument"} {
			if ops[op] == 0 {
				t.Errorf("the conformance run never called %s, so it was never validated", op)
			}
		}
		t.Logf("validated requests per operation: %v", ops)
	})
}

// TestAmazonFeedLifecycle sends a feed with one SKU Amazon refuses: the others are recorded,
// the refused one fails permanently with Amazon's message.
func TestAmazonFeedLifecycle(t *testing.T) {
	r := newRig(t, rigOptions{})
	const n = 30
	var updates []connector.StockUpdate
	for i := range n {
		sku := fmt.Sprintf("MATCHA-%02d", i)
		r.fake.AddListing(sku, "GROCERY", 1)
		updates = append(updates, connector.StockUpdate{SKU: sku, Available: 10 + i, Key: fmt.Sprintf("k%d", i)})
	}
	const refusal = "出品が停止されています: the listing is suppressed (missing main image)"
	r.fake.RejectUpdates("MATCHA-07", refusal)
	res, err := r.client.SetStock(context.Background(), updates)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != n {
		t.Fatalf("%d results for %d updates", len(res), n)
	}
	for i, x := range res {
		got, _ := r.fake.Quantity(updates[i].SKU)
		if updates[i].SKU == "MATCHA-07" {
			var rej *amazon.RejectedError
			if !errors.As(x.Err, &rej) || !strings.Contains(x.Err.Error(), refusal) || connector.Classify(x.Err) != connector.Permanent {
				t.Errorf("the refused SKU's result is %v; want a permanent *amazon.RejectedError with Amazon's message", x.Err)
			}
			if got != 1 {
				t.Errorf("the refused SKU changed to %d", got)
			}
			continue
		}
		if x.SKU != updates[i].SKU || x.Err != nil {
			t.Errorf("result %d = %s %v, want %s accepted", i, x.SKU, x.Err, updates[i].SKU)
		}
		if got != updates[i].Available {
			t.Errorf("%s shows %d, set to %d", updates[i].SKU, got, updates[i].Available)
		}
	}
	st := r.fake.Stats().ByOperation
	for op, want := range map[string]int{"createFeedDocument": 1, "createFeed": 1, "getFeedDocument": 1, "patchListingsItem": 0} {
		if st[op] != want {
			t.Errorf("%s called %d times, want %d", op, st[op], want)
		}
	}
	if st["getFeed"] < 2 {
		t.Errorf("getFeed called %d times: the feed was not followed through IN_PROGRESS to DONE", st["getFeed"])
	}
}

func placed(t *testing.T, r *rig, in amazontest.OrderInput) order.Order {
	t.Helper()
	var id string
	r.At(time.Now().Add(-10*time.Minute), func() { id = r.fake.CreateOrder(in) })
	o, err := r.client.ReadOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestAmazonPartialShipment ships an order in two shipments, the first in two parcels: each
// package confirms its own items and quantities.
func TestAmazonPartialShipment(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	o := placed(t, r, amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{
		{SKU: "SENCHA", Title: "煎茶", Quantity: 3, Price: 1200}, {SKU: "YUNOMI", Title: "湯呑", Quantity: 1, Price: 2500}}})
	first := shipment.Shipment{ID: "WMS-1", OrderID: o.ID, At: time.Now().Add(-time.Hour),
		Lines:   []shipment.Line{{LineID: o.Lines[0].ID, SKU: "SENCHA", Quantity: 2}, {LineID: o.Lines[1].ID, SKU: "YUNOMI", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400000000011"}, {Carrier: shipment.Seino, TrackingNumber: "9000001"}}}
	if err := r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: first}); err != nil {
		t.Fatal(err)
	}
	got, _ := r.fake.Order(o.ID)
	if got.Status != "PartiallyShipped" {
		t.Errorf("after the first shipment the order is %s, want PartiallyShipped", got.Status)
	}
	second := shipment.Shipment{ID: "WMS-2", OrderID: o.ID, Lines: []shipment.Line{{LineID: o.Lines[0].ID, SKU: "SENCHA", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: "123456789012"}}}
	for range 2 { // the second time is a repeat, which changes nothing
		if err := r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: second, Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = r.fake.Order(o.ID)
	if got.Status != "Shipped" {
		t.Errorf("after the second shipment the order is %s, want Shipped", got.Status)
	}
	type pkg struct {
		carrier, name, tracking string
		items                   []amazontest.PackageItem
	}
	var pkgs []pkg
	refs := map[string]bool{}
	for _, p := range got.Packages {
		pkgs = append(pkgs, pkg{p.CarrierCode, p.CarrierName, p.TrackingNumber, p.Items})
		refs[p.ReferenceID] = true
	}
	want := []pkg{
		{"YAMATO", "", "400000000011", []amazontest.PackageItem{{OrderItemID: o.Lines[0].ID, Quantity: 2}}},
		{"Other", "西濃運輸", "9000001", []amazontest.PackageItem{{OrderItemID: o.Lines[1].ID, Quantity: 1}}},
		{"Other", "日本郵便", "123456789012", []amazontest.PackageItem{{OrderItemID: o.Lines[0].ID, Quantity: 1}}},
	}
	if fmt.Sprint(pkgs) != fmt.Sprint(want) {
		t.Errorf("packages:\n got %v\nwant %v", pkgs, want)
	}
	if len(refs) != 3 {
		t.Errorf("packageReferenceIds %v are not distinct", refs)
	}
	for ref := range refs {
		if ref != amazon.PackageReferenceID("WMS-1", 0) && ref != amazon.PackageReferenceID("WMS-1", 1) && ref != amazon.PackageReferenceID("WMS-2", 0) {
			t.Errorf("unexpected packageReferenceId %s", ref)
		}
	}
	// Shipping more than is left is Amazon's refusal, a permanent error.
	err := r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: shipment.Shipment{ID: "WMS-3", OrderID: o.ID,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "1"}}}})
	if connector.Classify(err) != connector.Permanent {
		t.Errorf("over-shipping gave %v; want a permanent error", err)
	}
}

// TestAmazonBuyerCancel: a buyer asks Amazon to cancel; the engine lists the order as cancelled
// and asks the warehouse to cancel it, which answers: yes for an order not yet picked, no (and
// the host hears why) for one already picked.
func TestAmazonBuyerCancel(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	wh := &memory.Warehouse{}
	var mu gosync.Mutex
	var events []tobirasync.Event
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Observer: tobirasync.ObserverFunc(func(e tobirasync.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	})})
	if err := engine.PutMerchant(tobirasync.Merchant{ID: "sakura-tea",
		Channels:   []tobirasync.Channel{{ID: "amazon", Source: r.client, Sink: r.client}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: wh, Shipments: wh}}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	r.At(time.Now().Add(-20*time.Minute), func() {
		for range 2 {
			ids = append(ids, r.fake.CreateOrder(amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "SENCHA", Title: "煎茶", Quantity: 2, Price: 1200}}}))
		}
	})
	if _, err := engine.SyncOrders(ctx, "sakura-tea", "amazon"); err != nil {
		t.Fatal(err)
	}
	reqs := wh.Requests()
	if len(reqs) != 2 {
		t.Fatalf("the warehouse holds %d requests, want 2", len(reqs))
	}
	keyOf := map[string]string{}
	for _, q := range reqs {
		keyOf[q.Order.ID] = q.Key
	}
	if err := wh.Pick(keyOf[ids[1]]); err != nil {
		t.Fatal(err)
	}
	// Stamped three minutes ago: past getOrders' two minutes, inside the engine's overlap.
	r.At(time.Now().Add(-3*time.Minute), func() {
		r.fake.RequestCancel(ids[0], "BuyerCanceled")
		r.fake.RequestCancel(ids[1], "BuyerCanceled")
	})
	if _, err := engine.SyncOrders(ctx, "sakura-tea", "amazon"); err != nil {
		t.Fatal(err)
	}
	if q, _ := wh.Request(keyOf[ids[0]]); q.State != memory.Cancelled {
		t.Errorf("the order not yet picked is %s at the warehouse, want cancelled", q.State)
	}
	if q, _ := wh.Request(keyOf[ids[1]]); q.State != memory.Picked {
		t.Errorf("the picked order is %s at the warehouse, want still picked", q.State)
	}
	mu.Lock()
	defer mu.Unlock()
	var cancelled, refused []string
	for _, e := range events {
		switch e := e.(type) {
		case tobirasync.OrderCancelled:
			cancelled = append(cancelled, e.Key.OrderID)
		case tobirasync.CancelRefused:
			refused = append(refused, e.Key.OrderID+":"+e.Reason)
		}
	}
	if !slices.Equal(cancelled, []string{ids[0]}) {
		t.Errorf("OrderCancelled events for %v, want [%s]", cancelled, ids[0])
	}
	if len(refused) != 1 || !strings.HasPrefix(refused[0], ids[1]+":") || !strings.Contains(refused[0], connector.RefusedPicked) {
		t.Errorf("CancelRefused events %v, want one for %s saying it was picked", refused, ids[1])
	}
}

// TestAmazonRestrictedData: the recipient's name, address and phone are read only with a
// restricted data token (asked for once, for the listing), and never appear in logs or errors.
func TestAmazonRestrictedData(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRig(t, rigOptions{logger: logger})
	ctx := context.Background()
	secret := amazontest.Address{Name: "秘密 花子", Phone: "090-9876-5432", PostalCode: "1060032", Prefecture: "東京都", City: "港区",
		Line1: "六本木6-10-1", Line2: "ヒルズ42F"}
	var id, bad string
	r.At(time.Now().Add(-10*time.Minute), func() {
		id = r.fake.CreateOrder(amazontest.OrderInput{ShipTo: secret, Items: []amazontest.ItemInput{{SKU: "TEA", Quantity: 1, Price: 900}}})
		broken := secret
		broken.PostalCode = "06-1234-56789" // fails validation: the reject must not carry it
		bad = r.fake.CreateOrder(amazontest.OrderInput{ShipTo: broken, Items: []amazontest.ItemInput{{SKU: "TEA", Quantity: 1, Price: 900}}})
	})
	// With a plain access token Amazon shows no personal data.
	tok := accessToken(t, r.fake)
	_, body := raw(t, r.fake, tok, "GET", "/orders/v0/orders/"+id, "")
	for _, pii := range []string{secret.Name, secret.Line1, secret.Phone} {
		if strings.Contains(body, pii) {
			t.Fatalf("the fake shows %q without a restricted data token", pii)
		}
	}
	now := time.Now()
	var errs []error
	for range 2 {
		page, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) != 1 || page.Orders[0].ID != id {
			t.Fatalf("listed %d orders, want %s", len(page.Orders), id)
		}
		a := page.Orders[0].ShipTo
		if a.Name != secret.Name || a.Line1 != secret.Line1 || a.Phone != secret.Phone || a.PostalCode != "106-0032" || a.Prefecture != "東京都" {
			t.Errorf("the listed address %#v lacks what the restricted data token grants", a)
		}
		if len(page.Rejects) != 1 || page.Rejects[0].ID != bad {
			t.Fatalf("rejects %v, want %s", page.Rejects, bad)
		}
		errs = append(errs, page.Rejects[0].Err)
	}
	if n := r.fake.Stats().ByOperation["createRestrictedDataToken"]; n != 1 {
		t.Errorf("createRestrictedDataToken called %d times for two listings, want 1 (cached)", n)
	}
	// Writes never ask for one.
	o, _ := r.client.ReadOrder(ctx, id)
	before := r.fake.Stats().ByOperation["createRestrictedDataToken"]
	_ = r.client.ConfirmShipment(ctx, connector.ShipmentConfirmation{Order: o, Shipment: shipment.Shipment{ID: "S", OrderID: id,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400000000099"}}}})
	r.fake.AddListing("TEA", "PRODUCT", 0)
	_, _ = r.client.SetStock(ctx, []connector.StockUpdate{{SKU: "TEA", Available: 3}})
	if after := r.fake.Stats().ByOperation["createRestrictedDataToken"]; after != before {
		t.Errorf("a shipment and a stock write asked for %d restricted data tokens", after-before)
	}
	// Failures, too, keep the data out.
	r.fake.FailNext(http.StatusServiceUnavailable)
	r.fake.FailNext(http.StatusServiceUnavailable)
	_, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now, Page: `{"n":"garbage","b":"2026-01-01T00:00:00Z"}`})
	errs = append(errs, err)
	_, err = r.client.ReadOrder(ctx, "503-0000000-0000000")
	errs = append(errs, err)
	text := logs.String()
	for _, e := range errs {
		if e != nil {
			text += "\n" + e.Error()
		}
	}
	for _, leak := range []string{secret.Name, secret.Line1, secret.Line2, secret.Phone, "06-1234-56789", "Atza|", "Atz.sprdt|",
		r.fake.RefreshToken, r.fake.ClientSecret} {
		if strings.Contains(text, leak) {
			t.Errorf("logs or errors contain %q", leak)
		}
	}
	if !strings.Contains(text, "postal_code") {
		t.Errorf("the reject does not say what is wrong: %v", errs[0])
	}
}

// TestStockABA sets a SKU 5 → 4 → 5 → 4, each with a fresh key, the middle write's answer lost
// and retried with its key: Amazon ends at the last value.
func TestStockABA(t *testing.T) {
	for _, n := range []int{1, 25} { // through patches, and through feeds
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newRig(t, rigOptions{})
			ctx := context.Background()
			var skus []string
			for i := range n {
				skus = append(skus, fmt.Sprintf("ABA-%02d", i))
				r.fake.AddListing(skus[i], "PRODUCT", 0)
			}
			set := func(ctx context.Context, v int, key string) error {
				var us []connector.StockUpdate
				for _, s := range skus {
					us = append(us, connector.StockUpdate{SKU: s, Available: v, Key: key + s})
				}
				res, err := r.client.SetStock(ctx, us)
				if err == nil {
					for _, x := range res {
						if x.Err != nil {
							return x.Err
						}
					}
				}
				return err
			}
			for i, v := range []int{5, 4, 5, 4} {
				key := fmt.Sprintf("w%d-", i)
				if i == 2 {
					r.fake.StallNext()
					sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
					err := set(sctx, v, key)
					cancel()
					if !errors.Is(err, connector.ErrOutcomeUnknown) {
						t.Fatalf("the stalled write returned %v; want ErrOutcomeUnknown", err)
					}
				}
				if err := set(ctx, v, key); err != nil {
					t.Fatalf("write %d (%d): %v", i, v, err)
				}
			}
			for _, s := range skus {
				if got, _ := r.fake.Quantity(s); got != 4 {
					t.Errorf("%s shows %d after 5 → 4 → 5 → 4", s, got)
				}
			}
		})
	}
}

// TestTokenRefreshOnce: concurrent calls share one refresh; an expired token is replaced once.
func TestTokenRefreshOnce(t *testing.T) {
	// Twenty calls at once are about the token, not the usage plan (see conformanceRig).
	r := conformanceRig(t)
	for i := range 5 {
		r.fake.AddListing(fmt.Sprintf("T%d", i), "PRODUCT", i)
	}
	ctx := context.Background()
	var wg gosync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.client.ReadStock(ctx, []string{"T1"})
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
	if n := r.fake.Stats().Tokens; n != 1 {
		t.Errorf("20 concurrent calls made %d token refreshes, want 1", n)
	}
	r.fake.ExpireTokens()
	got, err := r.client.ReadStock(ctx, []string{"T1", "T2", "T3"})
	if err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if got["T2"] != 2 || len(got) != 3 {
		t.Errorf("ReadStock = %v", got)
	}
	if n := r.fake.Stats().Tokens; n != 2 {
		t.Errorf("after expiry %d refreshes in all, want 2", n)
	}
	// A revoked authorisation stops the channel.
	bad := newRig(t, rigOptions{client: func(c *amazon.Config) { c.RefreshToken = "Atzr|revoked" }})
	_, err = bad.client.ReadStock(ctx, []string{"T1"})
	if !errors.Is(err, connector.ErrUnauthorized) || strings.Contains(err.Error(), "revoked") {
		t.Errorf("a refused refresh gave %v; want ErrUnauthorized without the token", err)
	}
}

// TestRateLimits: each operation is paced from its usage plan and adopts the rate Amazon states;
// a throttle answer carries a wait even when Amazon sends no Retry-After.
func TestRateLimits(t *testing.T) {
	r := newRig(t, rigOptions{fake: amazontest.Options{RateScale: 2 * timeScale}, client: func(c *amazon.Config) { c.RateScale = timeScale }})
	for op, want := range map[string]float64{"getOrders": 0.0167, "confirmShipment": 2, "createFeed": 0.0083, "patchListingsItem": 5} {
		if got := r.client.RateOf(op); !near(got, want*timeScale) {
			t.Errorf("%s paced at %g/s, want %g", op, got, want*timeScale)
		}
	}
	r.fake.AddListing("X", "PRODUCT", 0)
	if _, err := r.client.ReadStock(context.Background(), []string{"X"}); err != nil {
		t.Fatal(err)
	}
	if got := r.client.RateOf("getListingsItem"); !near(got, 5*2*timeScale) {
		t.Errorf("after x-amzn-RateLimit-Limit said %g, getListingsItem paced at %g", 5.0*2*timeScale, got)
	}
	// A usage plan exhausted on the fake's side (its bucket empty) is a 429 without Retry-After.
	cold := newRig(t, rigOptions{fake: amazontest.Options{EmptyBuckets: true, RateScale: 1}, client: func(c *amazon.Config) { c.RateScale = 1 }})
	cold.fake.AddListing("X", "PRODUCT", 0)
	_, err := cold.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "X", Available: 1}})
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait != 200*time.Millisecond {
		t.Errorf("a throttled patch gave %v; want a RateLimitError waiting 1/5 s", err)
	}
}

func near(a, b float64) bool { return a > b*0.999 && a < b*1.001 }

// TestOrderMapping checks what the warehouse gets from an Amazon order: cash on delivery, the
// delivery window as a date and slot, gifts, the prefecture and postal code, and that AFN orders
// never arrive.
func TestOrderMapping(t *testing.T) {
	r := newRig(t, rigOptions{})
	start := time.Date(2026, 12, 24, 14, 0, 0, 0, time.FixedZone("JST", 9*3600))
	in := amazontest.OrderInput{ShipTo: amazontest.Address{Name: "佐藤 一郎", Phone: "06-1111-2222", PostalCode: "5300001", Prefecture: "大阪府",
		City: "大阪市北区", Line1: "梅田1-1-1"}, PaymentMethod: "COD", DeliveryStart: start, DeliveryEnd: start.Add(2 * time.Hour),
		Items: []amazontest.ItemInput{{SKU: "GYOKURO", Title: "玉露", Quantity: 2, Price: 3000, Gift: true}}}
	o := placed(t, r, in)
	if o.Payment.Method != order.PaymentCashOnDelivery || o.Payment.CollectAmount != order.Yen(6000) {
		t.Errorf("payment %+v, want cash on delivery of ¥6000", o.Payment)
	}
	if o.Delivery.Date != (order.Date{Year: 2026, Month: 12, Day: 24}) || o.Delivery.Slot != order.Slot1416 {
		t.Errorf("delivery %+v, want 2026-12-24 14–16", o.Delivery)
	}
	if o.Gift == nil {
		t.Error("a gift item did not make the order a gift")
	}
	if o.ShipTo.Prefecture != "大阪府" || o.ShipTo.PostalCode != "530-0001" || o.ShipTo.City != "大阪市北区" {
		t.Errorf("address %+v", o.ShipTo)
	}
	if o.Lines[0].UnitPrice != order.Yen(3000) || o.Lines[0].Refs[amazon.RefOrderItemID] == "" || o.Status != order.StatusOpen {
		t.Errorf("line %+v status %s", o.Lines[0], o.Status)
	}
	var afn string
	r.At(time.Now().Add(-10*time.Minute), func() {
		afn = r.fake.CreateOrder(amazontest.OrderInput{AFN: true, ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "FBA", Quantity: 1, Price: 1}}})
	})
	now := time.Now()
	page, err := r.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range page.Orders {
		if x.ID == afn {
			t.Error("an AFN order was listed")
		}
	}
	if _, err := r.client.ReadOrder(context.Background(), afn); connector.Classify(err) != connector.Permanent || !strings.Contains(err.Error(), "AFN") {
		t.Errorf("reading an AFN order gave %v; want a permanent error naming AFN", err)
	}
	// The two-minute rule: a window reaching now asks for nothing younger than two minutes.
	var young string
	r.At(time.Now().Add(-30*time.Second), func() {
		young = r.fake.CreateOrder(amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "NEW", Quantity: 1, Price: 1}}})
	})
	page, err = r.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: time.Now()})
	if err != nil {
		t.Fatalf("a window reaching now: %v", err)
	}
	for _, x := range page.Orders {
		if x.ID == young {
			t.Error("an order updated 30 seconds ago was listed: LastUpdatedBefore broke the two-minute rule")
		}
	}
}

// TestNotifications: ORDER_CHANGE bodies (SQS or EventBridge) reach the intake once per
// NotificationId, re-read from Amazon; AFN and other sellers' notifications are dropped.
func TestNotifications(t *testing.T) {
	r := newRig(t, rigOptions{})
	o := placed(t, r, amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "TEA", Quantity: 1, Price: 500}}})
	in := &intake{}
	n := r.client.Notifications(in)
	body := func(nid, seller, ftype string) []byte {
		return fmt.Appendf(nil, `{"NotificationVersion":"1.0","NotificationType":"ORDER_CHANGE","PayloadVersion":"1.0","EventTime":"2026-12-01T00:00:00Z",
"Payload":{"OrderChangeNotification":{"NotificationLevel":"OrderLevel","SellerId":%q,"AmazonOrderId":%q,"OrderChangeType":"BuyerRequestedChange",
"OrderChangeTrigger":{"TimeOfOrderChange":"2026-12-01T00:00:00Z","ChangeReason":"Buyer Requested Cancel"},
"Summary":{"MarketplaceId":%q,"OrderStatus":"Unshipped","FulfillmentType":%q,"OrderItems":[]}}},
"NotificationMetadata":{"ApplicationId":"app","SubscriptionId":"sub","PublishTime":"2026-12-01T00:00:00Z","NotificationId":%q}}`,
			seller, o.ID, amazon.Japan, ftype, nid)
	}
	ctx := context.Background()
	for _, b := range [][]byte{body("n1", r.fake.SellerID(), "MFN"), body("n1", r.fake.SellerID(), "MFN"),
		[]byte(`{"detail-type":"ORDER_CHANGE","detail":` + string(body("n2", r.fake.SellerID(), "MFN")) + `}`)} {
		if err := n.Handle(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if len(in.orders) != 2 || in.orders[0].ID != o.ID || in.orders[0].ShipTo.Name != tokyo.Name {
		t.Errorf("intake got %d orders, want 2 (n1 once, n2 once) with the address read back", len(in.orders))
	}
	if err := n.Handle(ctx, body("n3", r.fake.SellerID(), "AFN")); err != nil || len(in.orders) != 2 {
		t.Errorf("an AFN notification gave %v and %d orders", err, len(in.orders))
	}
	if err := n.Handle(ctx, body("n4", "A3OTHERSELLER", "MFN")); !errors.Is(err, amazon.ErrNotOurs) {
		t.Errorf("another seller's notification gave %v", err)
	}
	if err := n.Handle(ctx, []byte(`{"NotificationType":`)); connector.Classify(err) != connector.Permanent {
		t.Errorf("a broken body gave %v", err)
	}
	in.fail = errors.New("intake down")
	if err := n.Handle(ctx, body("n5", r.fake.SellerID(), "MFN")); err == nil {
		t.Fatal("a failed intake was not reported")
	}
	in.fail = nil
	if err := n.Handle(ctx, body("n5", r.fake.SellerID(), "MFN")); err != nil || len(in.orders) != 3 {
		t.Errorf("a notification whose intake failed was not taken on redelivery: %v, %d orders", err, len(in.orders))
	}
}

type intake struct {
	orders []order.Order
	fail   error
}

func (i *intake) IngestOrder(_ context.Context, o order.Order) error {
	if i.fail != nil {
		return i.fail
	}
	i.orders = append(i.orders, o)
	return nil
}

// TestFeedOutcomeUnknown: a feed whose processing SetStock stopped waiting for is an unknown
// outcome; a later write of one of its SKUs waits for it first, so the old feed cannot land
// after the newer value.
func TestFeedOutcomeUnknown(t *testing.T) {
	r := newRig(t, rigOptions{fake: amazontest.Options{FeedDelay: 300 * time.Millisecond}})
	var updates []connector.StockUpdate
	for i := range 25 {
		sku := fmt.Sprintf("HOJI-%02d", i)
		r.fake.AddListing(sku, "PRODUCT", 0)
		updates = append(updates, connector.StockUpdate{SKU: sku, Available: 7, Key: "old" + sku})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	_, err := r.client.SetStock(ctx, updates)
	cancel()
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("a feed still processing when the caller gave up gave %v; want ErrOutcomeUnknown", err)
	}
	res, err := r.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "HOJI-03", Available: 2, Key: "new"}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("the newer write: %v %v", err, res)
	}
	time.Sleep(400 * time.Millisecond)
	_, _ = r.client.ReadStock(context.Background(), []string{"HOJI-03"}) // any request lets the fake process what is due
	if got, _ := r.fake.Quantity("HOJI-03"); got != 2 {
		t.Errorf("HOJI-03 shows %d: the old feed landed after the newer value 2", got)
	}
	if got, _ := r.fake.Quantity("HOJI-04"); got != 7 {
		t.Errorf("HOJI-04 shows %d: the feed did not land", got)
	}
}

// TestRefusedNextToken: a NextToken Amazon no longer takes makes ListOrders list the cursor's
// window again from its start: duplicates, never a gap.
func TestRefusedNextToken(t *testing.T) {
	r := newRig(t, rigOptions{})
	var ids []string
	for i := range 3 {
		r.At(time.Now().Add(-time.Duration(30-i)*time.Minute), func() {
			ids = append(ids, r.fake.CreateOrder(amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "S", Quantity: 1, Price: 1}}}))
		})
	}
	ctx := context.Background()
	now := time.Now()
	first, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now, Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	var cur map[string]any
	_ = json.Unmarshal([]byte(first.Next), &cur)
	cur["n"] = "expired-token"
	b, _ := json.Marshal(cur)
	got := map[string]bool{}
	for next := connector.Cursor(b); next != ""; {
		p, err := r.client.ListOrders(ctx, connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now, Page: next, Limit: 2})
		if err != nil {
			t.Fatalf("resuming from a refused token: %v", err)
		}
		for _, o := range p.Orders {
			got[o.ID] = true
		}
		next = p.Next
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("order %s missed after the token was refused", id)
		}
	}
}

// TestSlowAnswers: a read answered after the caller's deadline is a temporary error; a write
// answered after it is an unknown outcome, and sending it again has one effect.
func TestSlowAnswers(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.fake.AddListing("SLOW", "PRODUCT", 3)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	r.fake.SlowNext(time.Second)
	_, err := r.client.ReadStock(ctx, []string{"SLOW"})
	cancel()
	if err == nil || errors.Is(err, connector.ErrOutcomeUnknown) || connector.Classify(err) != connector.Retryable {
		t.Errorf("a slow read gave %v; want a retryable error that is not an unknown outcome", err)
	}
	o := placed(t, r, amazontest.OrderInput{ShipTo: tokyo, Items: []amazontest.ItemInput{{SKU: "SLOW", Quantity: 1, Price: 1}}})
	conf := connector.ShipmentConfirmation{Order: o, Shipment: shipment.Shipment{ID: "S1", OrderID: o.ID,
		Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "400000000123"}}}}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	r.fake.SlowNext(time.Second)
	err = r.client.ConfirmShipment(ctx, conf)
	cancel()
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Errorf("a slow confirmation gave %v; want ErrOutcomeUnknown", err)
	}
	if err := r.client.ConfirmShipment(context.Background(), conf); err != nil {
		t.Fatal(err)
	}
	if n := len(r.fake.Packages(o.ID)); n != 1 {
		t.Errorf("%d packages after a slow answer and a resend, want 1", n)
	}
}

// TestOrderItemPages: an order whose items come in several getOrderItems pages is listed whole.
func TestOrderItemPages(t *testing.T) {
	r := newRig(t, rigOptions{fake: amazontest.Options{ItemsPerPage: 2}})
	var items []amazontest.ItemInput
	for i := range 5 {
		items = append(items, amazontest.ItemInput{SKU: fmt.Sprintf("SET-%d", i), Quantity: 1 + i, Price: 100})
	}
	o := placed(t, r, amazontest.OrderInput{ShipTo: tokyo, Items: items})
	if len(o.Lines) != 5 || o.Lines[4].SKU != "SET-4" || o.Lines[4].Quantity != 5 {
		t.Errorf("read %d lines, want 5: %+v", len(o.Lines), o.Lines)
	}
	if n := r.fake.Stats().ByOperation["getOrderItems"]; n != 3 {
		t.Errorf("getOrderItems called %d times for 5 items in pages of 2, want 3", n)
	}
}

// TestFeedEmptySKU: an update without a SKU fails alone; the feed carries the others.
func TestFeedEmptySKU(t *testing.T) {
	r := newRig(t, rigOptions{})
	var updates []connector.StockUpdate
	for i := range 22 {
		sku := fmt.Sprintf("E-%02d", i)
		if i == 5 {
			sku = ""
		} else {
			r.fake.AddListing(sku, "PRODUCT", 0)
		}
		updates = append(updates, connector.StockUpdate{SKU: sku, Available: i})
	}
	res, err := r.client.SetStock(context.Background(), updates)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range res {
		switch {
		case i == 5 && connector.Classify(x.Err) != connector.Permanent:
			t.Errorf("the empty SKU gave %v", x.Err)
		case i != 5 && (x.Err != nil || x.SKU != updates[i].SKU):
			t.Errorf("result %d: %s %v", i, x.SKU, x.Err)
		case i != 5:
			if got, _ := r.fake.Quantity(x.SKU); got != i {
				t.Errorf("%s shows %d, set to %d", x.SKU, got, i)
			}
		}
	}
}

// TestUsageReportsStatedRate: the client's calls are counted per operation with its usage plan,
// replaced by the rate Amazon states in x-amzn-RateLimit-Limit.
func TestUsageReportsStatedRate(t *testing.T) {
	r := newRig(t, rigOptions{fake: amazontest.Options{RateScale: 2 * timeScale}, client: func(c *amazon.Config) { c.RateScale = timeScale }})
	r.fake.AddListing("X", "PRODUCT", 0)
	if _, err := r.client.ReadStock(context.Background(), []string{"X"}); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, u := range r.client.Usage(time.Now()) {
		if !strings.HasPrefix(u.Key, r.fake.SellerID()+"/") {
			t.Errorf("usage of another seller: %q", u.Key)
		}
		for _, o := range u.Operations {
			if o.Name != "getListingsItem" {
				continue
			}
			found = true
			if o.Calls < 1 || o.BytesReceived == 0 {
				t.Errorf("getListingsItem counts = %+v", o.Counts)
			}
			if b := o.Budget; !near(b.Rate, 5*2*timeScale) || b.Burst == 0 || b.AsOf.IsZero() || b.Unit != "calls" {
				t.Errorf("getListingsItem budget = %+v, want the stated %d/s with the plan's burst", b, 5*2*timeScale)
			}
		}
	}
	if !found {
		t.Fatalf("no usage of getListingsItem in %+v", r.client.Usage(time.Now()))
	}
}
