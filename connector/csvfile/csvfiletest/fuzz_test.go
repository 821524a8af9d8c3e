package csvfiletest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tobira-commerce/tobira/connector/csvfile"
)

// FuzzReceive proves that no order file panics the partner: it is applied or refused with an
// error.
func FuzzReceive(f *testing.F) {
	for _, s := range []string{
		"出荷指示番号,指示区分,指示ID,商品コード,数量\r\nk1,新規,,TEA,2\r\nk1,変更,c1,TEA,1\r\nk1,取消,x1,,\r\n",
		"出荷指示番号,指示区分,指示ID,商品コード,数量\nk1,取消,x1,TEA,9\nk1,取消,x2,,\n",
		"出荷指示番号\n\"k1\n",
		"",
	} {
		f.Add([]byte(s), false)
	}
	parts := map[bool]*Partner{}
	for _, sj := range []bool{false, true} {
		enc := csvfile.UTF8
		if sj {
			enc = csvfile.ShiftJIS
		}
		p, err := New(f.TempDir(), enc)
		if err != nil {
			f.Fatal(err)
		}
		parts[sj] = p
	}
	f.Fuzz(func(t *testing.T, data []byte, sj bool) {
		p := parts[sj]
		if err := os.WriteFile(filepath.Join(p.dir, "orders", "o.csv"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := p.Receive(); err != nil {
			_ = os.Remove(filepath.Join(p.dir, "orders", "o.csv")) // refused: a WMS leaves it for people
		}
		for _, r := range p.Requests() {
			for _, l := range r.Lines {
				if l.Quantity < 0 {
					t.Fatalf("a negative open quantity: %+v", l)
				}
			}
		}
	})
}
