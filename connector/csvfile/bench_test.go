package csvfile

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkShipmentFile decodes a 10,000-row Shift_JIS shipment file and builds its shipments, as a
// listing does the first time it reads a file. It reports rows per second.
func BenchmarkShipmentFile(b *testing.B) {
	c := fuzzConnector(b, true)
	if err := writeMarker(c, "k1"); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("出荷番号,出荷指示番号,受注番号,出荷日,配送業者,送り状番号,明細番号,商品コード,出荷数\r\n")
	const rows = 10000
	for i := range rows {
		fmt.Fprintf(&sb, "S%d,k1,#1001,2026/12/07 10:00:00,ヤマト運輸,4%011d,1,TEA,２\r\n", i, i)
	}
	data := sjis(sb.String())
	e := entry{Name: "f.csv", Hash: digest(string(data)), ModTime: time.Now()}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		t := decodeTable(data, ShiftJIS, c.layouts.Shipments, "shipments")
		memo := c.submittedMemo()
		n := 0
		for i := 0; i < len(t.rows); {
			end := groupEnd(t.rows, i)
			if _, _, err := c.shipmentOf(e, t.rows[i:end], memo); err != nil {
				b.Fatal(err)
			}
			n++
			i = end
		}
		if n != rows {
			b.Fatalf("%d shipments", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
