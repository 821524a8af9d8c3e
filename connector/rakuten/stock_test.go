package rakuten_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
)

// TestStockABA sets a SKU 5 → 4 → 5 → 4, each with a fresh key, the middle write's answer lost
// and retried with its key: the platform ends at the last value.
func TestStockABA(t *testing.T) {
	r := newRig(t, rakutentest.Options{}, nil)
	r.fake.AddVariant("sencha-100g", "std")
	ctx, cancelAll := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelAll()
	set := func(ctx context.Context, n int, key string) error {
		res, err := r.client.SetStock(ctx, []connector.StockUpdate{{SKU: "sencha-100g:std", Available: n, Key: key}})
		if err == nil && res[0].Err != nil {
			err = res[0].Err
		}
		return err
	}
	if err := set(ctx, 5, "k1"); err != nil {
		t.Fatal(err)
	}
	r.fake.StallNext()
	short, cancel := context.WithTimeout(ctx, time.Second)
	err := set(short, 4, "k2")
	cancel()
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("a write whose answer was lost returned %v, want ErrOutcomeUnknown", err)
	}
	for _, w := range []struct {
		n   int
		key string
	}{{4, "k2"}, {5, "k3"}, {4, "k4"}} {
		if err := set(ctx, w.n, w.key); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := r.fake.Stock("sencha-100g", "std"); n != 4 {
		t.Errorf("RMS shows %d, the last value set was 4", n)
	}
}

func TestSetStockRowsAndLimits(t *testing.T) {
	r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) {
		c.Variants = map[string]rakuten.Variant{"MATCHA-30G": {ManageNumber: "Matcha", VariantID: "30g"}}
	})
	r.fake.AddVariant("sencha", "100g")
	ctx := context.Background()
	res, err := r.client.SetStock(ctx, []connector.StockUpdate{
		{SKU: "sencha:100g", Available: 3},
		{SKU: "MATCHA-30G", Available: 250000}, // over RMS's maximum: capped
		{SKU: "no-variant", Available: 1},      // maps to nothing: fails alone
		{SKU: "sencha:100g", Available: -2},    // named twice: the last value wins, negative is 0
		{SKU: "toolong-manage-number-beyond-32-bytes:v", Available: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, wantErr := range []bool{false, false, true, false, true} {
		if (res[i].Err != nil) != wantErr {
			t.Errorf("result %d (%s): %v, want error %v", i, res[i].SKU, res[i].Err, wantErr)
		}
		if wantErr && !errors.Is(res[i].Err, connector.ErrPermanent) {
			t.Errorf("result %d: %v, want ErrPermanent", i, res[i].Err)
		}
	}
	if n, _ := r.fake.Stock("sencha", "100g"); n != 0 {
		t.Errorf("sencha shows %d, want 0 (the last update, -2, floored)", n)
	}
	if n, _ := r.fake.Stock("matcha", "30g"); n != 99999 {
		t.Errorf("matcha shows %d, want 99999", n)
	}
	got, err := r.client.ReadStock(ctx, []string{"sencha:100g", "MATCHA-30G", "gyokuro:std", "no-variant"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["sencha:100g"] != 0 || got["MATCHA-30G"] != 99999 {
		t.Errorf("ReadStock = %v, want sencha 0 and matcha 99999, no row for gyokuro and nothing for the unmappable SKU", got)
	}
	if _, err := r.client.SetStock(ctx, make([]connector.StockUpdate, 401)); !errors.Is(err, connector.ErrPermanent) {
		t.Errorf("401 updates gave %v, want ErrPermanent", err)
	}
}

func TestSetStockRefusedRowFailsAlone(t *testing.T) {
	// A manage number RMS refuses (over 32 bytes through Variants) fails alone; the rest lands.
	r := newRig(t, rakutentest.Options{}, func(c *rakuten.Config) {
		c.Variants = map[string]rakuten.Variant{"BAD": {ManageNumber: "x", VariantID: "a-variant-id-longer-than-32-bytes-surely"}}
	})
	res, err := r.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "a:1", Available: 1}, {SKU: "BAD", Available: 2}, {SKU: "b:1", Available: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[2].Err != nil || !errors.Is(res[1].Err, connector.ErrPermanent) {
		t.Errorf("results %+v, want only BAD refused", res)
	}
	if a, _ := r.fake.Stock("a", "1"); a != 1 {
		t.Errorf("a:1 shows %d, want 1", a)
	}
	if b, _ := r.fake.Stock("b", "1"); b != 3 {
		t.Errorf("b:1 shows %d, want 3", b)
	}
	if st := r.fake.Stats(); st.Calls["bulk-upsert"] != 2 {
		t.Errorf("%d bulk-upsert calls, want 2 (the refused one and the rest)", st.Calls["bulk-upsert"])
	}
}
