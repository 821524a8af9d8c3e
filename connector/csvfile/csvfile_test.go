package csvfile_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/csvfile"
	"github.com/tobira-commerce/tobira/connector/csvfile/csvfiletest"
	"github.com/tobira-commerce/tobira/order"
)

func orderFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "orders", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func submit(t *testing.T, c *csvfile.Connector, key string) connector.FulfillmentRequest {
	t.Helper()
	r := connector.FulfillmentRequest{Key: key, Merchant: "m1", Channel: "shop", Order: sampleOrder("1001")}
	if err := c.Submit(context.Background(), r); err != nil {
		t.Fatalf("Submit(%s): %v", key, err)
	}
	return r
}

// A partner takes order files away; a repeated Submit must not put the request back.
func TestSubmitAfterThePartnerTookTheFile(t *testing.T) {
	r := newRig(t, csvfile.ShiftJIS)
	submit(t, r.conn, "k1")
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	if n := len(orderFiles(t, r.dir)); n != 0 {
		t.Fatalf("%d order files left after the partner took them", n)
	}
	submit(t, r.conn, "k1")
	if n := len(orderFiles(t, r.dir)); n != 0 {
		t.Errorf("a repeated Submit wrote %d files after the partner took the first", n)
	}
	// So does a new process over the same state.
	c2, err := csvfile.New(csvfile.Config{Dir: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, c2, "k1")
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	if req, _ := r.partner.Request("k1"); req.Copies != 1 {
		t.Errorf("the partner received %d 新規 for k1, want 1", req.Copies)
	}
}

// A write that failed midway (the share went away after the instruction was recorded) is
// temporary, and the retry writes the one file the first attempt meant to write.
func TestSubmitRetryAfterAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	orders := filepath.Join(dir, "orders")
	if err := os.Remove(orders); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orders, nil, 0o600); err != nil { // not a directory any more
		t.Fatal(err)
	}
	r := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1001")}
	err = c.Submit(context.Background(), r)
	if !errors.Is(err, connector.ErrTemporary) {
		t.Fatalf("Submit with the orders directory gone: %v, want ErrTemporary", err)
	}
	if err := os.Remove(orders); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(orders, 0o750); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Submit(context.Background(), r); err != nil {
			t.Fatalf("Submit after the directory came back: %v", err)
		}
	}
	if n := len(orderFiles(t, dir)); n != 1 {
		t.Errorf("%d order files, want 1", n)
	}
}

func readSJIS(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

func TestOrderFileContent(t *testing.T) {
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir, Now: func() time.Time { return time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	o := sampleOrder("1001")
	o.PlacedAt = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC) // 12/07 in Japan
	o.Delivery = order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 12, Day: 24}, Slot: order.SlotMorning}
	o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(5530)}
	o.Gift = &order.Gift{Wrapping: true, Noshi: "御歳暮", Message: "いつもありがとう🍵"}
	o.Lines[1].Cancelled = 1 // nothing left of line 2: not written
	if err := c.Submit(context.Background(), connector.FulfillmentRequest{Key: "sakura/shop/1001", Merchant: "sakura", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	files := orderFiles(t, dir)
	if len(files) != 1 || !strings.HasPrefix(filepath.Base(files[0]), "order_20261207T100203") || !strings.Contains(files[0], "_NEW_") {
		t.Fatalf("order files %v, want one order_20261207T100203…_NEW_….csv (Japan time)", files)
	}
	text := readSJIS(t, files[0])
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if len(lines) != 2 {
		t.Fatalf("the file has %d CRLF lines, want a header and one line row:\n%s", len(lines), text)
	}
	want := "出荷指示番号,指示区分,指示ID,荷主コード,店舗コード,受注番号,受注日,お届け先名,お届け先会社名,お届け先郵便番号,お届け先都道府県,お届け先市区町村,お届け先住所1,お届け先住所2,お届け先電話番号,配達指定日,配達時間帯,代引金額,ギフト包装,のし,ギフトメッセージ,明細番号,商品コード,商品名,数量,単価,備考"
	if lines[0] != want {
		t.Errorf("header\n%s\nwant\n%s", lines[0], want)
	}
	wantRow := "sakura/shop/1001,新規,,sakura,shop,#1001,2026/12/07,山田 太郎,,150-0001,東京都,渋谷区,神宮前1-2-3,,03-1234-5678,2026/12/24,0812,5530,1,御歳暮,いつもありがとう〓,1001-1,TEA-01,煎茶,2,1200,"
	if lines[1] != wantRow {
		t.Errorf("row\n%s\nwant\n%s", lines[1], wantRow)
	}
}

// Nothing personal reaches the logs or the errors.
func TestNoPersonalData(t *testing.T) {
	var logs bytes.Buffer
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o := sampleOrder("1001")
	o.Gift = &order.Gift{Message: "お誕生日おめでとう😀"}
	if err := c.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	bad := sampleOrder("1002")
	bad.ShipTo.PostalCode = "1500001X"
	errs := []error{c.Submit(ctx, connector.FulfillmentRequest{Key: "k2", Channel: "shop", Order: bad})}
	_, err = c.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "c1", Order: bad})
	errs = append(errs, err)
	if _, err := c.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "c2", Order: o}); err != nil {
		t.Fatal(err)
	}
	p := []byte("出荷指示番号,出荷日,商品コード,出荷数,配送業者,送り状番号\r\nk1,2026/12/07,TEA-01,二,謎の運送,4000\r\nk1,2026/12/07,TEA-01,2,謎の運送,4001\r\n")
	sj, _ := japanese.ShiftJIS.NewEncoder().Bytes(p)
	if err := os.WriteFile(filepath.Join(dir, "shipments", "s.csv"), sj, 0o600); err != nil {
		t.Fatal(err)
	}
	page, err := c.ListShipments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rejects) != 1 || len(page.Shipments) != 0 {
		t.Fatalf("%d shipments, %d rejects; want the two rows as one shipment, rejected", len(page.Shipments), len(page.Rejects))
	}
	errs = append(errs, page.Rejects[0].Err)
	all := logs.String()
	for _, e := range errs {
		if e == nil {
			t.Fatal("an invalid order was taken")
		}
		all += "\n" + e.Error()
	}
	for _, secret := range []string{"山田", "03-1234-5678", "神宮前", "1500001X", "誕生日", "謎の運送", "二"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked into logs or errors:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "line 2") {
		t.Errorf("the reject does not name its line: %v", page.Rejects[0].Err)
	}
}

// A file arriving after a listing, with a name sorting before the files already read, is listed
// from the cursor: the order is the order of arrival, not of names.
func TestLateFileWithAnEarlierName(t *testing.T) {
	r := newRig(t, csvfile.UTF8)
	ctx := context.Background()
	id1, err := r.shipNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.conn.ListShipments(ctx, "")
	if err != nil || len(p.Shipments) != 1 || p.Shipments[0].ID != id1 {
		t.Fatalf("first listing %+v, %v", p, err)
	}
	submit(t, r.conn, "late")
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	data := []byte("出荷番号,出荷指示番号,出荷日,配送業者,送り状番号,商品コード,出荷数\nEARLY,late,2026/12/01 09:00:00,佐川急便,500000000009,TEA-01,2\n")
	if err := r.partner.Drop("shipments", "AAA_early.csv", data); err != nil {
		t.Fatal(err)
	}
	p2, err := r.conn.ListShipments(ctx, p.Next)
	if err != nil || len(p2.Shipments) != 1 || p2.Shipments[0].ID != "EARLY" {
		t.Fatalf("listing from %q: %+v, %v; want the late file's shipment", p.Next, p2, err)
	}
}

// Stock 5, then 3, then 5 again under one file name overwritten by the partner, without 基準日時:
// three reports, the latest last.
func TestStockBackToAnEarlierValue(t *testing.T) {
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: csvfile.UTF8})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	path := filepath.Join(dir, "stock", "zaiko.csv")
	var cur connector.Cursor
	for i, n := range []string{"5", "3", "5"} {
		if err := os.WriteFile(path, []byte("商品コード,在庫数\nTEA-01,"+n+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		mod := time.Date(2026, 12, 7, 10, i, 0, 0, time.UTC)
		if err := os.Chtimes(path, mod, mod); err != nil {
			t.Fatal(err)
		}
		p, err := c.ListStock(ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && (len(p.Levels) != 1 || p.Levels[0].OnHand != atoi(n) || !p.Levels[0].AsOf.Equal(mod)) {
			t.Errorf("report %d (%s): listed %+v, want TEA-01 at %s as of %s", i+1, n, p.Levels, n, mod)
		}
		cur = p.Next
	}
	snap, err := c.ListStock(ctx, "")
	if err != nil || len(snap.Levels) != 1 || snap.Levels[0].OnHand != 5 {
		t.Errorf("snapshot %+v, %v; want TEA-01 at 5", snap, err)
	}
	// The same file delivered again (a mirror downloading it anew) is not a new report.
	if err := os.WriteFile(path, []byte("商品コード,在庫数\nTEA-01,5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := c.ListStock(ctx, cur); err != nil || len(p.Levels) != 0 {
		t.Errorf("a re-delivered file listed %+v, %v; want nothing", p, err)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// A file missing a required column is one Reject; the next file goes on.
func TestUnreadableFileIsOneReject(t *testing.T) {
	r := newRig(t, csvfile.UTF8)
	ctx := context.Background()
	if err := r.partner.Drop("shipments", "a.csv", []byte("出荷指示番号,出荷日,商品コード\nk1,2026/12/07,TEA-01\n")); err != nil {
		t.Fatal(err)
	}
	id, err := r.shipNew(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.conn.ListShipments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rejects) != 1 || p.Rejects[0].ID != "a.csv" || !strings.Contains(p.Rejects[0].Err.Error(), "quantity") {
		t.Errorf("rejects %+v, want a.csv for its missing 出荷数", p.Rejects)
	}
	if len(p.Shipments) != 1 || p.Shipments[0].ID != id {
		t.Errorf("shipments %+v, want %s from the next file", p.Shipments, id)
	}
}

func TestLostStateIsPermanent(t *testing.T) {
	r := newRig(t, csvfile.UTF8)
	for _, cur := range []connector.Cursor{"7:0", "x", "1:-1"} {
		if _, err := r.conn.ListShipments(context.Background(), cur); connector.Classify(err) != connector.Permanent {
			t.Errorf("ListShipments(%q) = %v, want a permanent error", cur, err)
		}
	}
}

func TestKeepInbox(t *testing.T) {
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: csvfile.UTF8, KeepInbox: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "stock", "z.csv")
	if err := os.WriteFile(path, []byte("商品コード,在庫数\nTEA-01,4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := c.ListStock(context.Background(), "0:0")
	if err != nil || len(p.Levels) != 1 {
		t.Fatalf("%+v, %v", p, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the partner's file was not kept: %v", err)
	}
	if p, err := c.ListStock(context.Background(), p.Next); err != nil || len(p.Levels) != 0 {
		t.Errorf("the kept file was listed again: %+v, %v", p, err)
	}
}

// MinAge leaves a file that is still changing alone.
func TestMinAge(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: csvfile.UTF8, MinAge: time.Minute, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "stock", "z.csv")
	if err := os.WriteFile(path, []byte("商品コード,在庫数\nTEA-01,4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(path, now.Add(-30*time.Second), now.Add(-30*time.Second))
	if p, _ := c.ListStock(context.Background(), ""); len(p.Levels) != 0 {
		t.Errorf("a file 30 s old was taken in with MinAge 1 minute")
	}
	now = now.Add(time.Minute)
	if p, _ := c.ListStock(context.Background(), ""); len(p.Levels) != 1 {
		t.Errorf("a file older than MinAge was not taken in")
	}
}

func TestChangeAndCancelAnswers(t *testing.T) {
	r := newRig(t, csvfile.ShiftJIS)
	ctx := context.Background()
	if _, err := r.conn.Cancel(ctx, connector.CancelRequest{Key: "none", IdempotencyKey: "x1", Lines: []connector.LineQuantity{{SKU: "TEA-01", Quantity: 1}}}); !errors.Is(err, connector.ErrNotFound) {
		t.Errorf("a partial cancel of a key never written: %v, want ErrNotFound", err)
	}
	req := submit(t, r.conn, "k1")
	if a, err := r.conn.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "x2"}); err != nil || !a.Accepted {
		t.Fatalf("cancel: %+v, %v", a, err)
	}
	a, err := r.conn.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "c1", Order: req.Order})
	if err != nil || a.Accepted || a.Reason != "cancelled" {
		t.Errorf("a change after the cancellation: %+v, %v; want refused, cancelled", a, err)
	}
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.partner.Request("k1"); h.State != "cancelled" || h.Changes != 0 {
		t.Errorf("the partner holds %+v, want k1 cancelled and unchanged", h)
	}
	if _, err := r.conn.Change(ctx, connector.ChangeRequest{Key: "k1", Order: req.Order}); connector.Classify(err) != connector.Permanent {
		t.Errorf("a change without idempotency key: %v, want permanent", err)
	}
}

// A partner with its own column names and no header row, in UTF-8.
func TestCustomLayout(t *testing.T) {
	dir := t.TempDir()
	ls := csvfile.Layouts{Shipments: csvfile.Layout{NoHeader: true, Columns: []csvfile.Column{
		{Field: csvfile.FieldKey}, {Field: csvfile.FieldSKU}, {Field: csvfile.FieldQuantity},
		{Field: csvfile.FieldShippedAt}, {Field: csvfile.FieldCarrier}, {Field: csvfile.FieldTrackingNumber}}}}
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: csvfile.UTF8, Layouts: ls})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, c, "k1")
	data := "k1,TEA-01,1,2026-12-07 10:00:00,sagawa,500000000001\r\nk1,TEA-01,1,2026-12-07 10:00:00,sagawa,500000000002\r\nk1,CUP-02,1,2026-12-07 10:00:00,sagawa,500000000002\r\n"
	if err := os.WriteFile(filepath.Join(dir, "shipments", "s.txt"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := c.ListShipments(context.Background(), "")
	if err != nil || len(p.Shipments) != 1 {
		t.Fatalf("%+v, %v; want one shipment", p, err)
	}
	s := p.Shipments[0]
	if s.OrderID != "1001" || s.Channel != "shop" || len(s.Parcels) != 2 || len(s.Lines) != 2 || s.Lines[0].Quantity != 2 || s.Lines[0].LineID != "1001-1" {
		t.Errorf("shipment %+v: want order 1001, two parcels, TEA-01×2 on line 1001-1 and CUP-02×1", s)
	}
	if !strings.HasPrefix(s.ID, "csv-") {
		t.Errorf("ID %q: want one derived from the key and tracking numbers", s.ID)
	}
	// The same shipment in a later, cumulative export gets the same ID.
	if err := os.WriteFile(filepath.Join(dir, "shipments", "s2.txt"), []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	p2, err := c.ListShipments(context.Background(), p.Next)
	if err != nil || len(p2.Shipments) != 1 || p2.Shipments[0].ID != s.ID {
		t.Errorf("the re-exported shipment: %+v, %v; want ID %s", p2, err, s.ID)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []csvfile.Config{
		{},
		{Dir: "x", Encoding: 7},
		{Dir: "x", PageSize: -1},
		{Dir: "x", FilePrefix: "a/b"},
		{Dir: "x", Layouts: csvfile.Layouts{Stock: csvfile.Layout{Columns: []csvfile.Column{{Name: "品番", Field: csvfile.FieldSKU}}}}},
		{Dir: "x", Layouts: csvfile.Layouts{Stock: csvfile.Layout{Columns: []csvfile.Column{{Name: "a", Field: csvfile.FieldSKU}, {Name: "a", Field: csvfile.FieldOnHand}}}}},
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("config %d validated: %+v", i, c)
		}
	}
	if err := (csvfile.Config{Dir: "x"}).Validate(); err != nil {
		t.Errorf("the minimal config: %v", err)
	}
}

// A change accepted while the partner was already picking (its status file not yet arrived) is
// refused by the partner later; the host hears of it through OnRefusal.
func TestLateRefusalReachesTheHost(t *testing.T) {
	dir := t.TempDir()
	var heard []csvfile.Refusal
	c, err := csvfile.New(csvfile.Config{Dir: dir, OnRefusal: func(r csvfile.Refusal) { heard = append(heard, r) }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := csvfiletest.New(dir, csvfile.ShiftJIS)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := submit(t, c, "k1")
	if err := p.Receive(); err != nil {
		t.Fatal(err)
	}
	o := req.Order
	o.ShipTo.Line1 = "神宮前9-9-9"
	a, err := c.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/1", Order: o})
	if err != nil || !a.Accepted {
		t.Fatalf("the change: %+v, %v; want accepted (nothing reported yet)", a, err)
	}
	if err := p.Pick("k1"); err != nil { // picking began before the partner read the change
		t.Fatal(err)
	}
	if err := p.Receive(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListShipments(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 || heard[0].Key != "k1" || heard[0].InstructionID != "k1/change/1" {
		t.Errorf("OnRefusal heard %+v, want the partner's NG to k1/change/1", heard)
	}
	if _, err := c.ListShipments(ctx, ""); err != nil || len(heard) != 1 {
		t.Errorf("a second listing told the host again (%d times, %v)", len(heard), err)
	}
}

// A change decided (accepted) before a crash kept its file from being written stays accepted on
// the retry, and its file is written, even if the partner reported picking in between: the
// answer to one idempotency key never changes.
func TestChangeDecidedBeforeACrash(t *testing.T) {
	r := newRig(t, csvfile.ShiftJIS)
	ctx := context.Background()
	req := submit(t, r.conn, "k1")
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	orders := filepath.Join(r.dir, "orders")
	if err := os.Remove(orders); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orders, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o := req.Order
	o.ShipTo.Line1 = "神宮前2-2-2"
	ch := connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/1", Order: o}
	if _, err := r.conn.Change(ctx, ch); !errors.Is(err, connector.ErrTemporary) {
		t.Fatalf("the change with the orders directory gone: %v, want ErrTemporary", err)
	}
	if err := os.Remove(orders); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(orders, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := r.partner.Pick("k1"); err != nil {
		t.Fatal(err)
	}
	a, err := r.conn.Change(ctx, ch)
	if err != nil || !a.Accepted {
		t.Fatalf("the retried change: %+v, %v; want accepted, as decided", a, err)
	}
	if n := len(orderFiles(t, r.dir)); n != 1 {
		t.Errorf("%d order files after the retry, want the change's", n)
	}
	// A new change now is refused: the partner is picking.
	ch2 := connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/2", Order: req.Order}
	if a, err := r.conn.Change(ctx, ch2); err != nil || a.Accepted || a.Reason != connector.RefusedPicked {
		t.Errorf("a new change while picking: %+v, %v; want refused, picked", a, err)
	}
}

// A file larger than MaxFileSize is one Reject, not read.
func TestFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	c, err := csvfile.New(csvfile.Config{Dir: dir, Encoding: csvfile.UTF8, MaxFileSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	big := "商品コード,在庫数\n" + strings.Repeat("TEA-01,1\n", 20)
	if err := os.WriteFile(filepath.Join(dir, "stock", "big.csv"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := c.ListStock(context.Background(), "0:0")
	if err != nil || len(p.Levels) != 0 || len(p.Rejects) != 1 || p.Rejects[0].ID != "big.csv" {
		t.Errorf("%+v, %v; want one Reject for big.csv", p, err)
	}
}

// A change to B and back to A, each with its own idempotency key, leaves the partner at A: a
// content sent before is a new instruction, never answered from the old one.
func TestChangeBackToAnEarlierContent(t *testing.T) {
	r := newRig(t, csvfile.ShiftJIS)
	ctx := context.Background()
	req := submit(t, r.conn, "k1")
	a, b := req.Order, req.Order
	b.ShipTo.Line1 = "神宮前2-2-2"
	for i, o := range []order.Order{b, a, b, a} {
		ans, err := r.conn.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/" + string(rune('1'+i)), Order: o})
		if err != nil || !ans.Accepted {
			t.Fatalf("change %d: %+v, %v", i+1, ans, err)
		}
	}
	if err := r.partner.Receive(); err != nil {
		t.Fatal(err)
	}
	if h, _ := r.partner.Request("k1"); h.ShipTo.Line1 != a.ShipTo.Line1 || h.Changes != 4 {
		t.Errorf("the partner holds %q after %d changes, want %q after 4", h.ShipTo.Line1, h.Changes, a.ShipTo.Line1)
	}
}

// Two processes (replicas, or a retry racing its original after a restart) submit one key at
// once: the exclusive record of the instruction makes them agree on one file.
func TestSubmitFromTwoProcessesAtOnce(t *testing.T) {
	dir := t.TempDir()
	var conns []*csvfile.Connector
	for range 2 {
		c, err := csvfile.New(csvfile.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	r := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1001")}
	start := make(chan struct{})
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			<-start
			errs <- conns[i%2].Submit(context.Background(), r)
		}()
	}
	close(start)
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(orderFiles(t, dir)); n != 1 {
		t.Errorf("%d order files, want 1", n)
	}
}
