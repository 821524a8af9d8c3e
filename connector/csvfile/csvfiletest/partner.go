// Package csvfiletest is a fake warehouse partner that exchanges files with
// connector/csvfile in the package's default layout: it takes order files (出荷指示) from the
// shared directory as a WMS import does, keeps each request's state as its staff move it
// (received, picked, shipped, cancelled), and writes shipment (出荷実績), stock (在庫) and
// status (作業状況) files.
//
// It reads and writes the files with its own code, by the header names of the default layout
// documented in connector/csvfile (not with the connector's decoder), so a test proves the
// connector against the format, not against itself. Like the WMS imports that layout follows,
// it treats 出荷指示番号 as unique: a second 新規 for a key creates nothing (Copies counts how
// many arrived, so a test sees a connector that writes twice). It applies order files in name
// order, takes each away from the directory as an SFTP pull does, and answers every 変更 and 取消
// with a status row (結果 OK or NG).
//
// Faults a file partner really produces are made with Drop: malformed rows, files that cannot be
// decoded, the same file delivered twice, files arriving out of name order.
package csvfiletest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/tobira-commerce/tobira/connector/csvfile"
	"github.com/tobira-commerce/tobira/order"
)

// State is where a request stands at the partner.
type State string

// The states of a request.
const (
	Received  State = "received"
	Picked    State = "picked"
	Shipped   State = "shipped"
	Cancelled State = "cancelled"
)

// Request is a fulfilment request as the partner holds it.
type Request struct {
	Key, Merchant, Channel, OrderNumber string
	State                               State
	ShipTo                              order.Address
	// Lines hold the quantities still to ship (cancelled units removed).
	Lines []order.Line
	Slot  string
	// Copies counts the 新規 instructions that arrived for the key; Changes the 変更 applied.
	Copies, Changes int
}

// Partner is the fake partner. It is safe for concurrent use.
type Partner struct {
	// Now is the partner's clock; nil means time.Now.
	Now func() time.Time

	dir string
	enc csvfile.Encoding

	mu     gosync.Mutex
	reqs   map[string]*Request
	keys   []string
	tombs  map[string]bool
	seq    int
	shipNo int
}

// New returns a partner sharing dir with a connector configured with Dir: dir and the default
// subdirectories, writing and reading files in enc.
func New(dir string, enc csvfile.Encoding) (*Partner, error) {
	for _, d := range []string{"orders", "shipments", "stock", "status", filepath.Join(".partner", "received")} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return nil, err
		}
	}
	return &Partner{dir: dir, enc: enc, reqs: map[string]*Request{}, tombs: map[string]bool{}}, nil
}

func (p *Partner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

var jst = time.FixedZone("JST", 9*60*60)

// Receive takes every order file from the orders directory, in name order, and applies it.
func (p *Partner) Receive() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	des, err := os.ReadDir(filepath.Join(p.dir, "orders"))
	if err != nil {
		return err
	}
	var answers [][]string
	for _, de := range des {
		if !de.Type().IsRegular() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		src := filepath.Join(p.dir, "orders", de.Name())
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		recs, err := p.decode(data)
		if err != nil {
			return fmt.Errorf("csvfiletest: order file %s: %w", de.Name(), err)
		}
		answers = append(answers, p.apply(recs)...)
		if err := os.Rename(src, filepath.Join(p.dir, ".partner", "received", de.Name())); err != nil {
			return err
		}
	}
	if len(answers) > 0 {
		return p.write("status", "STATUS", []string{"出荷指示番号", "状態", "指示ID", "結果", "理由"}, answers)
	}
	return nil
}

// decode reads a CSV file with a header row into one map per row, by header name.
func (p *Partner) decode(data []byte) ([]map[string]string, error) {
	if p.enc == csvfile.ShiftJIS {
		var err error
		if data, err = japanese.ShiftJIS.NewDecoder().Bytes(data); err != nil {
			return nil, err
		}
	}
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for i, h := range header {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
}

// apply applies the instructions of one file, consecutive rows with the same key, 指示区分 and
// 指示ID being one instruction, and returns the answer rows.
func (p *Partner) apply(recs []map[string]string) [][]string {
	var answers [][]string
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j]["出荷指示番号"] == recs[i]["出荷指示番号"] && recs[j]["指示区分"] == recs[i]["指示区分"] && recs[j]["指示ID"] == recs[i]["指示ID"] {
			j++
		}
		if a := p.instruction(recs[i:j]); a != nil {
			answers = append(answers, a)
		}
		i = j
	}
	return answers
}

// lines reads the rows' lines; ok is false when a 数量 is not a positive whole number, which a
// WMS import refuses.
func lines(rows []map[string]string) (ls []order.Line, ok bool) {
	for _, r := range rows {
		if r["商品コード"] == "" {
			continue
		}
		q, err := strconv.Atoi(r["数量"])
		if err != nil || q <= 0 {
			return nil, false
		}
		ls = append(ls, order.Line{ID: r["明細番号"], SKU: r["商品コード"], Name: r["商品名"], Quantity: q})
	}
	return ls, true
}

func address(r map[string]string) order.Address {
	return order.Address{Name: r["お届け先名"], Company: r["お届け先会社名"], PostalCode: r["お届け先郵便番号"],
		Prefecture: r["お届け先都道府県"], City: r["お届け先市区町村"], Line1: r["お届け先住所1"],
		Line2: r["お届け先住所2"], Phone: r["お届け先電話番号"]}
}

func (p *Partner) instruction(rows []map[string]string) []string {
	first := rows[0]
	key, instr := first["出荷指示番号"], first["指示ID"]
	req := p.reqs[key]
	answer := func(ok bool, reason string) []string {
		st := ""
		if req != nil {
			st = stateWord[req.State]
		}
		res := "OK"
		if !ok {
			res = "NG"
		}
		return []string{key, st, instr, res, reason}
	}
	ls, valid := lines(rows)
	if !valid {
		return answer(false, "invalid 数量")
	}
	switch first["指示区分"] {
	case csvfile.KindNew:
		if req != nil {
			req.Copies++
			return nil // a duplicate 出荷指示番号 creates nothing
		}
		if p.tombs[key] {
			return nil
		}
		req = &Request{Key: key, Merchant: first["荷主コード"], Channel: first["店舗コード"], OrderNumber: first["受注番号"],
			State: Received, ShipTo: address(first), Lines: ls, Slot: first["配達時間帯"], Copies: 1}
		p.reqs[key] = req
		p.keys = append(p.keys, key)
		return nil
	case csvfile.KindChange:
		switch {
		case req == nil:
			return answer(false, "unknown")
		case req.State != Received:
			return answer(false, string(req.State))
		}
		req.ShipTo, req.Lines, req.Slot = address(first), ls, first["配達時間帯"]
		req.Changes++
		return answer(true, "")
	case csvfile.KindCancel:
		cut := ls
		switch {
		case req == nil && len(cut) == 0:
			p.tombs[key] = true
			return answer(true, "")
		case req == nil:
			return answer(false, "unknown")
		case req.State == Cancelled:
			return answer(true, "")
		case req.State != Received:
			return answer(false, string(req.State))
		case len(cut) == 0:
			req.State = Cancelled
			return answer(true, "")
		}
		open := 0
		for i := range req.Lines {
			for _, c := range cut {
				if (c.ID != "" && c.ID == req.Lines[i].ID) || (c.ID == "" && c.SKU == req.Lines[i].SKU) {
					req.Lines[i].Quantity = max(0, req.Lines[i].Quantity-c.Quantity)
				}
			}
			open += req.Lines[i].Quantity
		}
		if open == 0 {
			req.State = Cancelled
		}
		return answer(true, "")
	}
	return answer(false, "unknown 指示区分")
}

var stateWord = map[State]string{Received: "受付", Picked: "ピッキング済", Shipped: "出荷済", Cancelled: "取消済"}

// Request returns what the partner holds for key.
func (p *Partner) Request(key string) (Request, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reqs[key]
	if !ok {
		return Request{}, false
	}
	c := *r
	c.Lines = slices.Clone(r.Lines)
	return c, true
}

// Requests returns every request the partner holds, in arrival order.
func (p *Partner) Requests() []Request {
	p.mu.Lock()
	keys := slices.Clone(p.keys)
	p.mu.Unlock()
	out := make([]Request, 0, len(keys))
	for _, k := range keys {
		r, _ := p.Request(k)
		out = append(out, r)
	}
	return out
}

// Pick starts picking a received request and reports it in a status file.
func (p *Partner) Pick(key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reqs[key]
	if r == nil || r.State != Received {
		return fmt.Errorf("csvfiletest: Pick %s: no received request", key)
	}
	r.State = Picked
	return p.write("status", "STATUS", []string{"出荷指示番号", "状態", "指示ID", "結果", "理由"},
		[][]string{{key, stateWord[Picked], "", "", ""}})
}

// Ship ships every open unit of a request in one parcel by Yamato and writes the shipment file. It
// returns the shipment's 出荷番号.
func (p *Partner) Ship(key string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reqs[key]
	if r == nil || r.State == Shipped || r.State == Cancelled {
		return "", fmt.Errorf("csvfiletest: Ship %s: nothing to ship", key)
	}
	p.shipNo++
	id := fmt.Sprintf("SHP-%06d", p.shipNo)
	tracking := fmt.Sprintf("4%011d", p.shipNo)
	at := p.now().In(jst).Format("2006/01/02 15:04:05")
	var rows [][]string
	for _, l := range r.Lines {
		if l.Quantity > 0 {
			rows = append(rows, []string{id, key, r.OrderNumber, at, "ヤマト運輸", tracking, l.ID, l.SKU, strconv.Itoa(l.Quantity)})
		}
	}
	r.State = Shipped
	return id, p.write("shipments", "SHIP",
		[]string{"出荷番号", "出荷指示番号", "受注番号", "出荷日", "配送業者", "送り状番号", "明細番号", "商品コード", "出荷数"}, rows)
}

// SetOnHand reports a SKU's stock in a stock file, as after a count or a receipt.
func (p *Partner) SetOnHand(sku string, n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.now().In(jst).Format("2006/01/02 15:04:05")
	return p.write("stock", "ZAIKO", []string{"商品コード", "商品名", "在庫数", "基準日時"},
		[][]string{{sku, "", strconv.Itoa(n), at}})
}

// Drop writes raw bytes as a file of a kind ("shipments", "stock", "status") under name, at once
// (a hidden temporary file renamed into place).
func (p *Partner) Drop(kind, name string, data []byte) error {
	switch kind {
	case "shipments", "stock", "status":
	default:
		return errors.New("csvfiletest: Drop: unknown kind " + kind)
	}
	return atomic(filepath.Join(p.dir, kind), name, data)
}

// Encode turns UTF-8 text into the partner's encoding, for files made with Drop.
func (p *Partner) Encode(s string) ([]byte, error) {
	if p.enc == csvfile.ShiftJIS {
		return japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	}
	return []byte(s), nil
}

// write writes one file of rows with a header, named PREFIX_time_seq.csv. Called with p.mu held.
func (p *Partner) write(kind, prefix string, header []string, rows [][]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	data, err := p.Encode(buf.String())
	if err != nil {
		return err
	}
	p.seq++
	name := fmt.Sprintf("%s_%s_%06d.csv", prefix, p.now().In(jst).Format("20060102150405"), p.seq)
	return atomic(filepath.Join(p.dir, kind), name, data)
}

func atomic(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, ".partner-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}
