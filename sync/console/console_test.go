package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/console"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// rig is an engine with one merchant, its console and a Recorder that counts events.
type rig struct {
	t      *testing.T
	ctx    context.Context
	clock  *tobirasync.ManualClock
	engine *tobirasync.Engine
	shop   *memory.Channel
	wh     *memory.Warehouse
	rec    *console.Recorder
	srv    *httptest.Server

	mu    stdsync.Mutex
	kinds map[string]int
	store *countingStore
}

// countingStore counts the quarantine deletions the engine makes: one per Retry it runs.
type countingStore struct {
	*memstore.Store
	mu      stdsync.Mutex
	deletes int
}

func (s *countingStore) DeleteQuarantine(ctx context.Context, id string) error {
	s.mu.Lock()
	s.deletes++
	s.mu.Unlock()
	return s.Store.DeleteQuarantine(ctx, id)
}

func (s *countingStore) retries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deletes
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), kinds: map[string]int{}}
	r.clock = tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	r.rec = console.NewRecorder(console.RecorderOptions{Clock: r.clock})
	r.shop = &memory.Channel{Now: r.clock.Now}
	r.wh = &memory.Warehouse{Now: r.clock.Now}
	obs := tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		r.rec.Observe(ev)
		r.mu.Lock()
		r.kinds[ev.Kind()]++
		r.mu.Unlock()
	})
	r.store = &countingStore{Store: memstore.New()}
	r.engine = tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Observer: obs, Parallel: func(fns ...func()) {
		for _, f := range fns {
			f()
		}
	}})
	m := tobirasync.Merchant{
		ID:         "tea",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: r.shop, Sink: r.shop, Target: r.shop}, {ID: "mall", Paused: true}},
		Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: r.wh, Shipments: r.wh, Stock: r.wh}},
	}
	if err := r.engine.PutMerchant(m); err != nil {
		t.Fatal(err)
	}
	h := console.New(r.engine, console.Options{Recorder: r.rec, PageSize: 2, Merchant: func(id string) (tobirasync.Merchant, bool) {
		return m, id == m.ID
	}})
	r.srv = httptest.NewServer(http.StripPrefix("/ops", h))
	t.Cleanup(r.srv.Close)
	r.wh.SetOnHand("SENCHA", 10)
	return r
}

func (r *rig) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kinds[kind]
}

func (r *rig) syncOrders() {
	r.t.Helper()
	r.clock.Advance(time.Minute)
	if _, err := r.engine.SyncOrders(r.ctx, "tea", "shop"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) place(id string, status order.Status, qty int) {
	r.shop.Place(order.Order{ID: id, Status: status,
		Lines:  []order.Line{{ID: "1", SKU: "SENCHA", Quantity: qty}},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Line1: "渋谷区神宮前1-2-3"}})
}

// get fetches a console page and returns its status and body.
func (r *rig) get(path string) (int, string) {
	r.t.Helper()
	resp, err := http.Get(r.srv.URL + "/ops" + path)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form the way a browser on the console's own origin does.
func (r *rig) post(path string, form url.Values, header map[string]string) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.srv.URL+"/ops"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// confirmForm reads the hidden fields of a confirmation page.
func confirmForm(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hidden.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	if len(v) == 0 {
		t.Fatalf("no form on the confirmation page:\n%s", body)
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func must(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q:\n%s", w, body)
		}
	}
}

func TestConsoleOverview(t *testing.T) {
	r := newRig(t)
	r.place("1001", order.StatusOpen, 2)
	r.syncOrders()
	r.rec.Observe(tobirasync.CredentialExpiring{Merchant: "tea", Channel: "shop", ExpiresAt: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)})
	code, body := r.get("/")
	if code != 200 {
		t.Fatalf("overview: %d", code)
	}
	must(t, body, "tea", "shop", "mall", "tokyo", `class="running"`, `class="paused"`, "2026-12-05 00:00:00Z", "2026-12-01 09:01:00Z")

	// What waits is counted per merchant.
	r.quarantine("1002")
	_, body = r.get("/")
	must(t, body, "1 quarantined, 0 held")

	r.rec.Observe(tobirasync.ChannelStopped{Merchant: "tea", Channel: "shop", Reason: "401 invalid token"})
	_, body = r.get("/")
	must(t, body, `class="stopped"`, "401 invalid token")

	// A filter that matches nothing lists nothing.
	_, body = r.get("/?q=coffee")
	if strings.Contains(body, "shop") {
		t.Errorf("filter kept tea:\n%s", body)
	}
}

func TestConsoleOverviewPaged(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := r.engine.PutMerchant(tobirasync.Merchant{ID: id, Warehouses: []tobirasync.Warehouse{{ID: "w", Fulfiller: &memory.Warehouse{}}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := r.get("/")
	must(t, body, "Page 1 of 2", "a1", "a2")
	if strings.Contains(body, ">tea<") {
		t.Errorf("page 1 shows the fourth merchant")
	}
	_, body = r.get("/?page=2")
	must(t, body, "Page 2 of 2", "tea")
}

// quarantine places an order the engine cannot process and returns its quarantine entry.
func (r *rig) quarantine(id string) ledger.QuarantineEntry {
	r.t.Helper()
	r.place(id, order.StatusOpen, -1)
	r.syncOrders()
	items, err := r.engine.ListQuarantine(r.ctx, "tea")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, q := range items {
		if q.ItemID == id {
			return q
		}
	}
	r.t.Fatalf("order %s not quarantined: %+v", id, items)
	return ledger.QuarantineEntry{}
}

func TestConsoleAttention(t *testing.T) {
	r := newRig(t)
	q := r.quarantine("2001")
	// A refused cancellation: sent, picked, then cancelled on the channel.
	r.place("2002", order.StatusOpen, 1)
	r.syncOrders()
	if err := r.wh.Pick(tobirasync.RequestKey(ledger.OrderKey{Merchant: "tea", Channel: "shop", OrderID: "2002"}, "tokyo")); err != nil {
		t.Fatal(err)
	}
	r.shop.Cancel("2002")
	r.syncOrders()
	if r.count("order.cancel_refused")+r.count("cancel.refused") == 0 && len(r.rec.Refusals("")) == 0 {
		t.Fatalf("no refusal: %v", r.kinds)
	}
	// A held order (unpaid).
	r.place("2003", order.StatusPending, 1)
	r.syncOrders()

	code, body := r.get("/attention")
	if code != 200 {
		t.Fatalf("attention: %d", code)
	}
	must(t, body, "Quarantined", q.Reason, "retry?", "2002", "cancel", "2003", "pending on the channel")
	// Filtered by another merchant, nothing is listed.
	_, body = r.get("/attention?merchant=other")
	if strings.Contains(body, "2001") || strings.Contains(body, "2003") {
		t.Errorf("filter kept tea's items:\n%s", body)
	}
}

func TestConsoleRetryRunsOnce(t *testing.T) {
	r := newRig(t)
	q := r.quarantine("3001")
	code, body := r.get("/retry?" + url.Values{"merchant": {"tea"}, "id": {q.ID}}.Encode())
	if code != 200 {
		t.Fatalf("confirm: %d %s", code, body)
	}
	must(t, body, "Retry order 3001", q.Reason, `method="post"`)
	form := confirmForm(t, body)
	n0 := r.store.retries()

	// Two clicks at once, then a third after both: the retry runs once.
	var wg stdsync.WaitGroup
	bodies := make([]string, 2)
	for i := range 2 {
		wg.Go(func() {
			c, b := r.post("/retry", form, nil)
			if c != 200 {
				t.Errorf("retry: %d %s", c, b)
			}
			bodies[i] = b
		})
	}
	wg.Wait()
	_, third := r.post("/retry", form, nil)
	if got := r.store.retries(); got != n0+1 {
		t.Errorf("retry ran %d times, want once", got-n0)
	}
	all := bodies[0] + bodies[1]
	must(t, all, "Retried order 3001", "Already done")
	must(t, third, "Already done")

}

func TestConsoleRetryCrossOriginRefused(t *testing.T) {
	r := newRig(t)
	q := r.quarantine("4001")
	form := url.Values{"merchant": {"tea"}, "id": {q.ID}, "at": {q.At.Format(time.RFC3339Nano)}}
	n0 := r.store.retries()
	code, _ := r.post("/retry", form, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if code != http.StatusForbidden {
		t.Errorf("cross-site POST: %d, want 403", code)
	}
	code, _ = r.post("/retry", form, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Errorf("POST from another Origin: %d, want 403", code)
	}
	if r.store.retries() != n0 {
		t.Errorf("a refused POST retried the item")
	}
	if items, _ := r.engine.ListQuarantine(r.ctx, "tea"); len(items) != 1 || !items[0].At.Equal(q.At) {
		t.Errorf("quarantine changed: %+v", items)
	}
	// GET never acts.
	if code, _ := r.get("/retry?" + form.Encode()); code != 200 {
		t.Errorf("confirm page: %d", code)
	}
}

func TestConsoleRetryGone(t *testing.T) {
	r := newRig(t)
	code, body := r.get("/retry?merchant=tea&id=nope")
	if code != http.StatusNotFound {
		t.Errorf("confirm of a missing item: %d", code)
	}
	must(t, body, "no longer quarantined")
	code, _ = r.post("/retry", url.Values{"merchant": {"tea"}, "id": {"x"}}, nil)
	if code != http.StatusBadRequest {
		t.Errorf("retry without its time: %d", code)
	}
}

func TestConsoleRelease(t *testing.T) {
	r := newRig(t)
	k := ledger.OrderKey{Merchant: "tea", Channel: "shop", OrderID: "5001"}
	r.place("5001", order.StatusPending, 1)
	r.syncOrders() // held: unpaid
	if err := r.engine.Hold(r.ctx, k, "fraud check"); err != nil {
		t.Fatal(err)
	}
	r.shop.Change("5001", func(o *order.Order) { o.Status = order.StatusOpen })
	r.syncOrders() // now held by hand only
	if r.count("order.sent") != 0 {
		t.Fatalf("held order sent")
	}
	_, body := r.get("/attention")
	must(t, body, "5001", "release?")

	q := url.Values{"merchant": {k.Merchant}, "channel": {k.Channel}, "order": {k.OrderID}}
	code, body := r.get("/release?" + q.Encode())
	if code != 200 {
		t.Fatalf("confirm: %d %s", code, body)
	}
	must(t, body, "fraud check")
	form := confirmForm(t, body)
	_, body = r.post("/release", form, nil)
	must(t, body, "Released order 5001")
	_, body = r.post("/release", form, nil)
	must(t, body, "Already done")
	r.syncOrders()
	if n := r.count("order.sent"); n != 1 {
		t.Errorf("%d orders sent after release, want 1", n)
	}
	// Nothing left to release.
	if code, _ := r.get("/release?" + q.Encode()); code != http.StatusConflict {
		t.Errorf("confirm after release: %d", code)
	}
	// A stale form (another version) does nothing.
	form.Set("version", "1")
	_, body = r.post("/release", form, nil)
	must(t, body, "Nothing to release")
	if code, _ := r.post("/release", form, map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("cross-site release: %d", code)
	}
}

func TestConsoleOrder(t *testing.T) {
	r := newRig(t)
	r.place("6001", order.StatusOpen, 2)
	r.syncOrders()
	key := tobirasync.RequestKey(ledger.OrderKey{Merchant: "tea", Channel: "shop", OrderID: "6001"}, "tokyo")
	if _, err := r.wh.Ship(key, nil); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Minute)
	if _, err := r.engine.SyncShipments(r.ctx, "tea", "tokyo"); err != nil {
		t.Fatal(err)
	}
	code, body := r.get("/order?merchant=tea&channel=shop&order=6001")
	if code != 200 {
		t.Fatalf("order: %d", code)
	}
	must(t, body, "6001", "shipped", "SENCHA", "tokyo", "Timeline", "sent to warehouse tokyo", "channel told of shipment")
	if strings.Contains(body, "<script") {
		t.Errorf("page carries script")
	}
	code, body = r.get("/order?merchant=tea&channel=shop&order=nope")
	if code != http.StatusNotFound {
		t.Errorf("missing order: %d", code)
	}
	must(t, body, "No order nope")
	if code, _ := r.get("/order"); code != 200 {
		t.Errorf("empty search: %d", code)
	}
}

func TestConsoleSKU(t *testing.T) {
	r := newRig(t)
	r.place("7001", order.StatusOpen, 3)
	r.syncOrders()
	if _, err := r.engine.SyncStock(r.ctx, "tea"); err != nil {
		t.Fatal(err)
	}
	code, body := r.get("/sku?merchant=tea&channel=shop&sku=SENCHA")
	if code != 200 {
		t.Fatalf("sku: %d", code)
	}
	must(t, body, "<strong>7</strong> may be sold", "SENCHA", ">10<", ">3<")
	// Without a channel, every channel the console knows is explained.
	_, body = r.get("/sku?merchant=tea&sku=SENCHA")
	must(t, body, "<h2>shop</h2>", "<h2>mall</h2>")
	if code, _ := r.get("/sku"); code != 200 {
		t.Errorf("empty search: %d", code)
	}
}

func TestConsoleNotFound(t *testing.T) {
	r := newRig(t)
	if code, _ := r.get("/nothing"); code != http.StatusNotFound {
		t.Errorf("unknown page: %d", code)
	}
	if code, _ := r.post("/", nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST to a page: %d", code)
	}
}

func TestConsoleAttentionPaged(t *testing.T) {
	r := newRig(t)
	for _, id := range []string{"8001", "8002", "8003"} {
		r.quarantine(id)
	}
	_, body := r.get("/attention")
	must(t, body, "Page 1 of 2 (3)", ">8001<", ">8002<", "qp=2")
	if strings.Contains(body, ">8003<") {
		t.Errorf("page 1 shows the third item")
	}
	_, body = r.get("/attention?qp=2")
	must(t, body, "Page 2 of 2 (3)", ">8003<", "qp=1")
	// A page past the end shows the last.
	_, body = r.get("/attention?qp=9")
	must(t, body, ">8003<")
}

func TestConsoleTrustedOrigin(t *testing.T) {
	r := newRig(t)
	cop := http.NewCrossOriginProtection()
	if err := cop.AddTrustedOrigin("https://ops.example"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(console.New(r.engine, console.Options{Recorder: r.rec, CrossOrigin: cop}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/retry", strings.NewReader("merchant=tea&id=x&at=2026-12-01T09:00:00Z"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://ops.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST from a trusted origin: %d", resp.StatusCode)
	}
}

// TestConsoleHeldFromLedger: a console started after an order was held (a new process, a fresh
// recorder that saw no event) still lists the hold, as the ledger has it.
func TestConsoleHeldFromLedger(t *testing.T) {
	r := newRig(t)
	r.place("6001", order.StatusPending, 1)
	r.syncOrders() // held: unpaid
	fresh := console.New(r.engine, console.Options{Recorder: console.NewRecorder(console.RecorderOptions{Clock: r.clock})})
	srv := httptest.NewServer(fresh)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/attention?merchant=tea")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	must(t, string(b), "6001")
}

// TestConsoleUnconfirmedAndDrift: a shipment its channel has not taken for over an hour shows on
// the attention page, and the drift page lists a SKU the channel shows otherwise than planned.
func TestConsoleUnconfirmedAndDrift(t *testing.T) {
	r := newRig(t)
	r.place("7001", order.StatusOpen, 1)
	r.syncOrders()
	if _, err := r.wh.Ship(tobirasync.RequestKey(ledger.OrderKey{Merchant: "tea", Channel: "shop", OrderID: "7001"}, "tokyo"), nil); err != nil {
		t.Fatal(err)
	}
	r.shop.FailNext(100, nil) // the channel is down
	_, _ = r.engine.SyncShipments(r.ctx, "tea", "tokyo")
	_, body := r.get("/attention")
	if strings.Contains(body, "tea / shop / 7001") {
		t.Fatalf("a shipment minutes old is listed as unconfirmed")
	}
	r.clock.Advance(2 * time.Hour)
	_, body = r.get("/attention?merchant=tea")
	must(t, body, "Shipments no channel confirmed", "tea / shop / 7001", "drift?merchant=tea")

	r.shop.FailNext(0, nil)
	if _, err := r.engine.SyncStock(r.ctx, "tea"); err != nil {
		t.Fatal(err)
	}
	r.shop.SetStockByHand("SENCHA", 99) // a merchant edits the shop by hand
	code, body := r.get("/drift?merchant=tea")
	if code != http.StatusOK {
		t.Fatalf("drift page: %d", code)
	}
	must(t, body, "SENCHA", "99")
}

// TestConsoleOverviewLag: orders the warehouse has not taken show on the overview with the age of
// the oldest.
func TestConsoleOverviewLag(t *testing.T) {
	r := newRig(t)
	r.wh.FailNext(100, nil) // the warehouse is down
	r.place("8001", order.StatusOpen, 1)
	r.clock.Advance(time.Minute)
	_, _ = r.engine.SyncOrders(r.ctx, "tea", "shop")
	r.clock.Advance(20 * time.Minute)
	_, body := r.get("/")
	must(t, body, "1 to send, oldest 20m0s")
}

// TestConsoleOrderByNumber: an operator finds an order by the number the buyer quotes, which is
// not the channel's order ID.
func TestConsoleOrderByNumber(t *testing.T) {
	r := newRig(t)
	r.shop.Place(order.Order{ID: "gid://shop/Order/9001", Number: "#1001", Status: order.StatusOpen,
		Lines:  []order.Line{{ID: "1", SKU: "SENCHA", Quantity: 1}},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Line1: "渋谷区神宮前1-2-3"}})
	r.syncOrders()
	code, body := r.get("/order?merchant=tea&channel=shop&number=%231001")
	if code != http.StatusOK {
		t.Fatalf("order by number: %d", code)
	}
	must(t, body, "gid://shop/Order/9001", "#1001")
	if code, _ := r.get("/order?merchant=tea&channel=shop&number=%239999"); code != http.StatusNotFound {
		t.Fatalf("an unknown number answered %d, want 404", code)
	}
}
