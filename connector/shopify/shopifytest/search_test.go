package shopifytest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

func searchSKUs(t *testing.T, s *shopifytest.Server, root, q string) []string {
	t.Helper()
	doc := `query($q: String) { list: ` + root + `(first: 50, query: $q) { nodes { sku } } }`
	_, out := post(t, s, s.Token(), doc, map[string]any{"q": q})
	if out["errors"] != nil {
		t.Fatalf("%s(query: %q): %v", root, q, out["errors"])
	}
	var skus []string
	for _, n := range out["data"].(map[string]any)["list"].(map[string]any)["nodes"].([]any) {
		sku, _ := n.(map[string]any)["sku"].(string)
		skus = append(skus, sku)
	}
	slices.Sort(skus)
	return skus
}

func orderNames(t *testing.T, s *shopifytest.Server, q string) []string {
	t.Helper()
	_, out := post(t, s, s.Token(), `query($q: String) { orders(first: 50, query: $q) { nodes { name } } }`, map[string]any{"q": q})
	if out["errors"] != nil {
		t.Fatalf("orders(query: %q): %v", q, out["errors"])
	}
	var names []string
	for _, n := range out["data"].(map[string]any)["orders"].(map[string]any)["nodes"].([]any) {
		names = append(names, n.(map[string]any)["name"].(string))
	}
	slices.Sort(names)
	return names
}

func TestFakeSearchSyntax(t *testing.T) {
	clock := shopifytest.NewVirtualClock(testStart) // 2026-07-01T00:00Z, 09:00 in Tokyo
	s := shopifytest.NewTest(t, shopifytest.Options{Now: clock.Now})
	for _, sku := range []string{"TEA-1", "TEA-2", "COFFEE", "O'HARA", ""} {
		s.AddVariant(sku, 1)
	}
	for i := range 3 {
		in := shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "TEA-1", Quantity: 1, Price: 100}}}
		if i == 1 {
			in.Gateways = []string{"代金引換"}
			in.Lines[0].SKU = "COFFEE"
		}
		s.CreateOrder(in)
		clock.Advance(24 * time.Hour)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", []string{"", "COFFEE", "O'HARA", "TEA-1", "TEA-2"}},
		{"sku:TEA*", []string{"TEA-1", "TEA-2"}},
		{"sku:tea-1", []string{"TEA-1"}},
		{"sku:*", []string{"COFFEE", "O'HARA", "TEA-1", "TEA-2"}},
		{"NOT sku:*", []string{""}},
		{"-sku:TEA*", []string{"", "COFFEE", "O'HARA"}},
		{`sku:'O\'HARA'`, []string{"O'HARA"}},
		{`sku:"O'HARA"`, []string{"O'HARA"}},
		{"sku:TEA-1 OR sku:COFFEE", []string{"COFFEE", "TEA-1"}},
		{"(sku:TEA* OR sku:COFFEE) AND NOT sku:TEA-2", []string{"COFFEE", "TEA-1"}},
		{"sku:TEA* sku:TEA-2", []string{"TEA-2"}},
		{"sku:TEA\\*", nil},
	} {
		for _, root := range []string{"productVariants", "inventoryItems"} {
			if got := searchSKUs(t, s, root, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s(query: %q) = %q, want %q", root, tc.q, got, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"created_at:>='2026-07-02' created_at:<'2026-07-03'", []string{"#1002"}}, // days in the shop's zone
		{"created_at:2026-07-02", []string{"#1002"}},
		{"created_at:<=2026-07-02", []string{"#1001", "#1002"}},
		{"created_at:>2026-07-02", []string{"#1003"}},
		{"updated_at:>'2026-07-01T00:00:00Z'", []string{"#1002", "#1003"}},
		{"updated_at:>='2026-07-01T00:00:00Z' AND updated_at:<'2026-07-02T00:00:00Z'", []string{"#1001"}},
		{"financial_status:pending", []string{"#1002"}},
		{"gateway:代金引換 OR sku:TEA*", []string{"#1001", "#1002", "#1003"}},
		{"sku:COFFEE", []string{"#1002"}},
		{"name:#1003 OR name:1001", []string{"#1001", "#1003"}},
	} {
		if got := orderNames(t, s, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("orders(query: %q) = %q, want %q", tc.q, got, tc.want)
		}
	}
	// What the fake cannot evaluate is refused before anything runs.
	for _, q := range []string{
		"TEA",           // free text
		"vendor:Sakura", // a field the fake does not search
		"sku:TEA~",      // fuzzy
		"sku:TEA^2",     // boost
		"sku:>A",        // a comparator on text
		"(sku:TEA-1",    // unbalanced
		"sku:TEA-1 AND", // dangling connective
		"sku:'TEA",      // unterminated quote
		"created_at:>yesterday",
	} {
		_, out := post(t, s, s.Token(), `query($q: String) { productVariants(first: 5, query: $q) { nodes { id } } orders(first: 5, query: $q) { nodes { id } } }`, map[string]any{"q": q})
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 || out["data"] != nil || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNSUPPORTED_BY_FAKE" {
			t.Errorf("query %q not refused: %v", q, out)
		}
	}
}
