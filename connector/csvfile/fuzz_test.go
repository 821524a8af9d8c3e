package csvfile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

func sjis(s string) []byte {
	b, _ := encodeText([]byte(s), ShiftJIS)
	return b
}

var shipmentSeeds = []string{
	"出荷番号,出荷指示番号,受注番号,出荷日,配送業者,送り状番号,明細番号,商品コード,出荷数\r\nS1,k1,#1,2026/12/07,ヤマト運輸,4000,1,TEA,２\r\n",
	"出荷指示番号,出荷日,商品コード,出荷数\nk1,2026-12-07 10:00:00,TEA,1\nk1,2026-12-07 10:00:00,CUP,1\n,,,\n",
	"出荷指示番号,出荷日,商品コード,出荷数\n\"k1,2026/12/07,TEA,1\n",
	"出荷指示番号,出荷日,商品コード\nk1,2026/12/07,TEA\n",
	"\ufeff出荷指示番号,出荷日,商品コード,出荷数\r\nk1,20261207,TEA,-1\r\nk1,x,TEA,1\r\n",
	"",
	"\x00\xff\xfe",
}

// FuzzShipmentFile proves that no shipment file, in either encoding, panics the decoder, and that
// every row comes out as part of a valid shipment or of a Reject that names its line.
func FuzzShipmentFile(f *testing.F) {
	for _, s := range shipmentSeeds {
		f.Add([]byte(s), false)
		f.Add(sjis(s), true)
	}
	conns := map[bool]*Connector{}
	for _, sj := range []bool{false, true} {
		c := fuzzConnector(f, sj)
		if err := writeMarker(c, "k1"); err != nil {
			f.Fatal(err)
		}
		conns[sj] = c
	}
	f.Fuzz(func(t *testing.T, data []byte, shiftJIS bool) {
		c := conns[shiftJIS]
		tb := decodeTable(data, c.cfg.Encoding, c.layouts.Shipments, "shipments")
		e := entry{Name: "f.csv", Hash: digest(string(data)), ModTime: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)}
		for i := 0; i < len(tb.rows); {
			if tb.rows[i].Err == errBlank {
				i++
				continue
			}
			end := groupEnd(tb.rows, i)
			if end <= i || end > len(tb.rows) {
				t.Fatalf("groupEnd(%d) = %d of %d rows", i, end, len(tb.rows))
			}
			s, bad, err := c.shipmentOf(e, tb.rows[i:end], c.submitted)
			if err == nil {
				if verr := s.Validate(); verr != nil {
					t.Fatalf("a shipment does not validate: %v", verr)
				}
			} else if rj := c.shipments.rejectOf(e, bad, err); rj.ID == "" || !strings.Contains(rj.Err.Error(), "line ") {
				t.Fatalf("a Reject without its line: %+v", rj)
			}
			i = end
		}
	})
}

// TestListingSeeds lists every fuzz seed through the file system, paging, in both encodings.
func TestListingSeeds(t *testing.T) {
	for _, s := range shipmentSeeds {
		for _, sj := range []bool{false, true} {
			c := fuzzConnector(t, sj)
			if err := writeMarker(c, "k1"); err != nil {
				t.Fatal(err)
			}
			data := []byte(s)
			if sj {
				data = sjis(s)
			}
			if err := os.WriteFile(filepath.Join(c.shipments.dir, "f.csv"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			var cur connector.Cursor
			for n := 0; ; n++ {
				p, err := c.ListShipments(context.Background(), cur)
				if err != nil {
					t.Fatalf("ListShipments: %v", err)
				}
				if p.Next == "" || n > 100 {
					t.Fatalf("page %d: Next %q", n, p.Next)
				}
				if !p.More {
					break
				}
				cur = p.Next
			}
		}
	}
}

// FuzzStockFile proves the same for stock files, from the start and from a cursor.
func FuzzStockFile(f *testing.F) {
	seeds := []string{
		"商品コード,商品名,在庫数,基準日時\r\nTEA,煎茶,１２,2026/12/07 10:00:00\r\nCUP,,x,\r\n",
		"商品コード,在庫数\nTEA,1,extra\n\n",
		"商品コード\nTEA\n",
		"商品コード,在庫数,基準日時\nTEA,5,2026-12-07T10:00:00+09:00\nTEA,6,2026/13/45\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false)
		f.Add(sjis(s), true)
	}
	conns := map[bool]*Connector{false: fuzzConnector(f, false), true: fuzzConnector(f, true)}
	f.Fuzz(func(t *testing.T, data []byte, shiftJIS bool) {
		c := conns[shiftJIS]
		tb := decodeTable(data, c.cfg.Encoding, c.layouts.Stock, "stock")
		e := entry{Name: "z.csv", ModTime: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)}
		for _, r := range tb.rows {
			if r.Err == errBlank {
				continue
			}
			l, err := c.levelOf(e, r)
			if err != nil {
				continue
			}
			if l.SKU == "" || l.OnHand < 0 || l.AsOf.IsZero() {
				t.Fatalf("an invalid level: %+v", l)
			}
		}
	})
}

// FuzzCursor proves that no cursor panics a listing: it is read or refused as ErrPermanent.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "0:0", "1:2", "-1:0", "0:-1", "x", "0:", ":0", "99999999999999999999:0", "0:1:2"} {
		f.Add(s)
	}
	c := fuzzConnector(f, false)
	f.Fuzz(func(t *testing.T, cur string) {
		for _, list := range []func() error{
			func() error { _, err := c.ListShipments(context.Background(), connector.Cursor(cur)); return err },
			func() error { _, err := c.ListStock(context.Background(), connector.Cursor(cur)); return err },
		} {
			if err := list(); err != nil && connector.Classify(err) != connector.Permanent {
				t.Fatalf("cursor %q: %v, want nil or a permanent error", cur, err)
			}
		}
	})
}

// FuzzValues proves the value parsers never panic and never accept a negative count.
func FuzzValues(f *testing.F) {
	for _, s := range []string{"１２", "1,000", "-3", "2026/12/07", "2026/1/2 3:04", "ﾔﾏﾄ運輸", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseCount(s); err == nil && n < 0 {
			t.Fatalf("parseCount(%q) = %d", s, n)
		}
		_, _, _ = parseTime(s, jst)
		_, _ = carrierOf(s)
		_, _ = parseEntry(s)
		out, _ := encodeText([]byte(s), ShiftJIS)
		_ = decodeText(out, ShiftJIS)
	})
}

func fuzzConnector(t testing.TB, shiftJIS bool) *Connector {
	t.Helper()
	enc := UTF8
	if shiftJIS {
		enc = ShiftJIS
	}
	c, err := New(Config{Dir: t.TempDir(), Encoding: enc, PageSize: 3,
		Now: func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeMarker records a request under key as Submit does, so shipment rows naming it resolve.
func writeMarker(c *Connector, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.instruct(c.submitPath(key), marker{Kind: KindNew, Key: key, Channel: "shop", OrderID: "1",
		Lines: []lineRef{{ID: "1", SKU: "TEA"}}}, func() []map[Field]string {
		return []map[Field]string{{FieldKey: key, FieldKind: KindNew, FieldSKU: "TEA", FieldQuantity: "1"}}
	})
	return err
}
