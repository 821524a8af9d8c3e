package csvfile_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/csvfile"
	"github.com/tobira-commerce/tobira/connector/csvfile/csvfiletest"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// world is a shop, the engine's store, and a file partner sharing dir with the connector.
type world struct {
	dir     string
	shop    *memory.Channel
	store   ledger.Store
	partner *csvfiletest.Partner
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	p, err := csvfiletest.New(dir, csvfile.ShiftJIS)
	if err != nil {
		t.Fatal(err)
	}
	return &world{dir: dir, shop: &memory.Channel{}, store: memstore.New(), partner: p}
}

// engine starts an engine (a process) over store, with a connector of its own on the shared
// directory.
func (w *world) engine(t *testing.T, store ledger.Store) *tobirasync.Engine {
	t.Helper()
	conn, err := csvfile.New(csvfile.Config{Dir: w.dir})
	if err != nil {
		t.Fatal(err)
	}
	e := tobirasync.New(store, tobirasync.Options{})
	if err := e.PutMerchant(tobirasync.Merchant{ID: "sakura-tea",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: w.shop, Sink: w.shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "partner", Fulfiller: conn, Shipments: conn, Stock: conn}},
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

// placeAndSend places n orders on the shop, sends them to the partner, and returns their request
// keys in order number order.
func (w *world) placeAndSend(t *testing.T, e *tobirasync.Engine, n int) []string {
	t.Helper()
	for i := 1; i <= n; i++ {
		w.shop.Place(order.Order{ID: fmt.Sprint(1000 + i), Number: fmt.Sprintf("#%d", 1000+i), Status: order.StatusOpen,
			Lines:  []order.Line{{ID: "1", SKU: "TEA-01", Name: "煎茶", Quantity: 2}},
			ShipTo: order.Address{Name: "山田　太郎", PostalCode: "150-0001", Prefecture: "東京都", Line1: "神宮前１－２－３"}})
	}
	res, err := e.SyncOrders(context.Background(), "sakura-tea", "shop")
	if err != nil || res.New != n {
		t.Fatalf("SyncOrders: %+v, %v; want %d new", res, err, n)
	}
	if err := w.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	reqs := w.partner.Requests()
	if len(reqs) != n {
		t.Fatalf("the partner holds %d requests, want %d", len(reqs), n)
	}
	slices.SortFunc(reqs, func(a, b csvfiletest.Request) int { return strings.Compare(a.OrderNumber, b.OrderNumber) })
	keys := make([]string, n)
	for i, r := range reqs {
		keys[i] = r.Key
	}
	return keys
}

// shipmentFile is a 出荷実績 file as a Japanese WMS exports it: Shift_JIS, CRLF, full-width names
// in columns the layout does not use, a carrier written in Japanese, a full-width quantity, and
// on line 4 a quantity that is not a number.
func shipmentFile(t *testing.T, p *csvfiletest.Partner, keys []string) []byte {
	t.Helper()
	rows := []string{
		"出荷番号,出荷指示番号,受注番号,お届け先名,出荷日,配送業者,送り状番号,商品コード,商品名,出荷数",
		"S-1," + keys[0] + ",#1001,山田　太郎,2026/12/07 10:15:00,ヤマト運輸,400000000001,TEA-01,煎茶　特上,２",
		"S-2," + keys[1] + ",#1002,佐藤　花子,2026/12/07 10:20:00,佐川急便,500000000002,TEA-01,煎茶　特上,2",
		"S-3," + keys[2] + ",#1003,鈴木　一郎,2026/12/07 10:25:00,日本郵便,600000000003,TEA-01,煎茶　特上,たくさん",
		"S-4," + keys[3] + ",#1004,高橋　美咲,2026/12/07 10:30:00,ﾔﾏﾄ運輸,400000000004,TEA-01,煎茶　特上,2",
	}
	data, err := p.Encode(strings.Join(rows, "\r\n") + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func quarantinedShipments(t *testing.T, e *tobirasync.Engine) []ledger.QuarantineEntry {
	t.Helper()
	qs, err := e.ListQuarantine(context.Background(), "sakura-tea")
	if err != nil {
		t.Fatal(err)
	}
	var out []ledger.QuarantineEntry
	for _, q := range qs {
		if q.Kind == "shipment" {
			out = append(out, q)
		}
	}
	return out
}

// checkApplied proves that the good shipments reached the shop once each and the bad row is
// quarantined once, with its file and line, without the personal data on its line.
func checkApplied(t *testing.T, w *world, e *tobirasync.Engine, keys []string) {
	t.Helper()
	log := w.shop.ConfirmationLog()
	got := map[string]int{}
	for _, c := range log {
		got[c.Order.ID+"/"+c.Shipment.ID]++
	}
	want := []string{"1001/S-1", "1002/S-2", "1004/S-4"}
	for _, k := range want {
		if got[k] != 1 {
			t.Errorf("shipment %s reached the shop %d times, want once (all: %v)", k, got[k], got)
		}
	}
	if len(log) != len(want) || w.shop.Calls("ConfirmShipment") != len(want) {
		t.Errorf("the shop got %d confirmations in %d calls, want %d", len(log), w.shop.Calls("ConfirmShipment"), len(want))
	}
	for _, c := range log {
		if c.Shipment.ID == "S-2" && (len(c.Shipment.Parcels) != 1 || c.Shipment.Parcels[0].Carrier != "sagawa") {
			t.Errorf("S-2 parcels %+v, want one by Sagawa (佐川急便)", c.Shipment.Parcels)
		}
		if c.Shipment.ID == "S-1" && (len(c.Shipment.Lines) != 1 || c.Shipment.Lines[0].Quantity != 2) {
			t.Errorf("S-1 lines %+v, want 2 units (full-width ２)", c.Shipment.Lines)
		}
		if c.Shipment.ID == "S-4" && c.Shipment.Parcels[0].Carrier != "yamato" {
			t.Errorf("S-4 carrier %q, want yamato (half-width ﾔﾏﾄ運輸)", c.Shipment.Parcels[0].Carrier)
		}
	}
	qs := quarantinedShipments(t, e)
	if len(qs) != 1 {
		t.Fatalf("%d shipments quarantined, want the one malformed row: %+v", len(qs), qs)
	}
	q := qs[0]
	if !strings.HasSuffix(q.ItemID, ".csv:4") || !strings.Contains(q.Reason, "line 4") || !strings.Contains(q.Reason, "出荷数") {
		t.Errorf("quarantined %q: %q; want the file name, line 4 and the column 出荷数", q.ItemID, q.Reason)
	}
	for _, personal := range []string{"鈴木", "たくさん", "600000000003"} {
		if strings.Contains(q.Reason, personal) || strings.Contains(q.ItemID, personal) {
			t.Errorf("the quarantine entry repeats %q from the row: %q %q", personal, q.ItemID, q.Reason)
		}
	}
}

func TestCSVShiftJIS(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	e := w.engine(t, w.store)
	keys := w.placeAndSend(t, e, 4)
	if err := w.partner.Drop("shipments", "出荷実績_20261207.csv", shipmentFile(t, w.partner, keys)); err != nil {
		t.Fatal(err)
	}
	res, err := e.SyncShipments(ctx, "sakura-tea", "partner")
	if err != nil {
		t.Fatalf("SyncShipments: %v", err)
	}
	if res.Listed != 3 || res.Quarantined != 1 {
		t.Errorf("SyncShipments listed %d and quarantined %d, want 3 and 1", res.Listed, res.Quarantined)
	}
	// The partner delivers the same file again (a re-sync); runs go on.
	if err := w.partner.Drop("shipments", "出荷実績_20261207.csv", shipmentFile(t, w.partner, keys)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if res, err := e.SyncShipments(ctx, "sakura-tea", "partner"); err != nil || res.Listed != 0 {
			t.Errorf("a later SyncShipments listed %d (%v), want nothing new", res.Listed, err)
		}
	}
	checkApplied(t, w, e, keys)
}

var errCrash = errors.New("crash: the process died here")

// crashStore dies when the engine records the shipments cursor, after what the page held was
// recorded: every call from then on fails, as in a dead process.
type crashStore struct {
	ledger.Store
	dead *atomic.Bool
}

func (s crashStore) PutCursor(ctx context.Context, name, value string, version int64) (int64, error) {
	if strings.HasPrefix(name, "shipments/") {
		s.dead.Store(true)
	}
	if s.dead.Load() {
		return 0, errCrash
	}
	return s.Store.PutCursor(ctx, name, value, version)
}

func (s crashStore) GetCursor(ctx context.Context, name string) (string, int64, error) {
	if s.dead.Load() {
		return "", 0, errCrash
	}
	return s.Store.GetCursor(ctx, name)
}

func TestCSVCrashBetweenReadAndMark(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	keys := w.placeAndSend(t, w.engine(t, w.store), 4)
	if err := w.partner.Drop("shipments", "出荷実績_20261207.csv", shipmentFile(t, w.partner, keys)); err != nil {
		t.Fatal(err)
	}

	// The first process takes the file in, records and confirms its shipments, and dies as it
	// marks the file done (the cursor).
	dead := &atomic.Bool{}
	first := w.engine(t, crashStore{Store: w.store, dead: dead})
	if _, err := first.SyncShipments(ctx, "sakura-tea", "partner"); !errors.Is(err, errCrash) {
		t.Fatalf("the first run returned %v, want the crash", err)
	}
	if cur, _, _ := w.store.GetCursor(ctx, "shipments/sakura-tea/partner"); cur != "" {
		t.Fatalf("the cursor %q was recorded; the crash must come before it", cur)
	}

	// A new process on the same store and directory lists the file again: nothing is applied twice.
	second := w.engine(t, w.store)
	res, err := second.SyncShipments(ctx, "sakura-tea", "partner")
	if err != nil {
		t.Fatalf("SyncShipments after the restart: %v", err)
	}
	if res.Listed != 3 {
		t.Errorf("after the restart %d shipments were listed, want the file's 3 again (the mark never landed)", res.Listed)
	}
	if res.Confirmed != 0 {
		t.Errorf("after the restart %d shipments were confirmed again", res.Confirmed)
	}
	if cur, _, _ := w.store.GetCursor(ctx, "shipments/sakura-tea/partner"); cur == "" {
		t.Errorf("the restarted run recorded no cursor")
	}
	if res, err := second.SyncShipments(ctx, "sakura-tea", "partner"); err != nil || res.Listed != 0 {
		t.Errorf("a run after the mark listed %d (%v), want nothing", res.Listed, err)
	}
	checkApplied(t, w, second, keys)
}

// With AwaitAnswers, a change waits for the partner's answer file: the engine retries it until
// the answer arrives, then reports an accepted change or, for a parcel the partner had begun
// picking, a refusal the host hears of.
func TestAwaitAnswers(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	conn, err := csvfile.New(csvfile.Config{Dir: w.dir, AwaitAnswers: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu gosync.Mutex
	var events []tobirasync.Event
	e := tobirasync.New(w.store, tobirasync.Options{Observer: tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	})})
	if err := e.PutMerchant(tobirasync.Merchant{ID: "sakura-tea",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: w.shop, Sink: w.shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "partner", Fulfiller: conn, Shipments: conn, Stock: conn}},
	}); err != nil {
		t.Fatal(err)
	}
	keys := w.placeAndSend(t, e, 2)
	for _, id := range []string{"1001", "1002"} {
		w.shop.Change(id, func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" })
	}
	seen := func(kind string) []tobirasync.Event {
		mu.Lock()
		defer mu.Unlock()
		var out []tobirasync.Event
		for _, ev := range events {
			if ev.Kind() == kind {
				out = append(out, ev)
			}
		}
		return out
	}
	for range 2 {
		if _, err := e.SyncOrders(ctx, "sakura-tea", "shop"); !errors.Is(err, csvfile.ErrAwaitingAnswer) {
			t.Fatalf("SyncOrders before the partner answered: %v, want ErrAwaitingAnswer", err)
		}
	}
	if n := len(seen("order.changed")) + len(seen("order.change_refused")); n != 0 {
		t.Fatalf("%d change answers reported before the partner answered", n)
	}
	if err := w.partner.Pick(keys[1]); err != nil { // 1002: picking began before the change was read
		t.Fatal(err)
	}
	if err := w.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SyncOrders(ctx, "sakura-tea", "shop"); err != nil {
		t.Fatalf("SyncOrders after the answers: %v", err)
	}
	if ch := seen("order.changed"); len(ch) != 1 || ch[0].(tobirasync.OrderChanged).Key.OrderID != "1001" {
		t.Errorf("order.changed events %+v, want one for 1001", ch)
	}
	ref := seen("order.change_refused")
	if len(ref) != 1 || ref[0].(tobirasync.ChangeRefused).Key.OrderID != "1002" || ref[0].(tobirasync.ChangeRefused).Reason != connector.RefusedPicked {
		t.Errorf("order.change_refused events %+v, want one for 1002, picked", ref)
	}
	if r, _ := w.partner.Request(keys[0]); r.ShipTo.Line1 != "神宮前9-9-9" || r.Changes != 1 {
		t.Errorf("the partner holds %+v for 1001, want the change applied once", r)
	}
	// Nothing is written again, and nothing more is reported.
	if _, err := e.SyncOrders(ctx, "sakura-tea", "shop"); err != nil || len(seen("order.changed")) != 1 || len(seen("order.change_refused")) != 1 {
		t.Errorf("a later run: %v, or reported the answers again", err)
	}
	if n := len(orderFiles(t, w.dir)); n != 0 {
		t.Errorf("%d order files written after the answers", n)
	}
}
