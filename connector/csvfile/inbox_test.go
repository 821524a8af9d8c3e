package csvfile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
)

func stockIDs(t *testing.T, c *Connector) []string {
	t.Helper()
	var out []string
	var cur connector.Cursor = "0:0"
	for range 100 {
		p, err := c.ListStock(context.Background(), cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Levels {
			out = append(out, fmt.Sprintf("%s=%d", l.SKU, l.OnHand))
		}
		if !p.More {
			return out
		}
		cur = p.Next
	}
	t.Fatal("the listing did not end")
	return nil
}

// A manifest line torn by a crash mid-append is skipped, and the lines after it stand.
func TestTornManifestLine(t *testing.T) {
	c := fuzzConnector(t, false)
	if err := os.WriteFile(c.stock.manifest(), []byte("0123456789abcdef0123456789ab"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.stock.dir, "a.csv"), []byte("商品コード,在庫数\nTEA,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := stockIDs(t, c); len(got) != 1 || got[0] != "TEA=1" {
		t.Fatalf("listed %v, want TEA=1", got)
	}
	c2, err := New(c.cfg) // a restart reads the manifest anew
	if err != nil {
		t.Fatal(err)
	}
	if got := stockIDs(t, c2); len(got) != 1 || got[0] != "TEA=1" {
		t.Errorf("after a restart listed %v, want TEA=1", got)
	}
}

// Two processes on one directory take files in at once: each file is in the manifest once, and
// both list the same sequence.
func TestTwoProcessesTakeFilesIn(t *testing.T) {
	c1 := fuzzConnector(t, false)
	c2, err := New(c1.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		name := filepath.Join(c1.stock.dir, fmt.Sprintf("z%02d.csv", i))
		if err := os.WriteFile(name, []byte(fmt.Sprintf("商品コード,在庫数\nTEA,%d\n", i)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var wg gosync.WaitGroup
	for _, c := range []*Connector{c1, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ListStock(context.Background(), ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	a, b := stockIDs(t, c1), stockIDs(t, c2)
	if len(a) != 20 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the processes list\n%v\n%v\nwant the 20 files once each, in one order", a, b)
	}
}
