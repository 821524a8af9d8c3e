package shopifytest_test

import (
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

const setQty = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes(quantityNames: ["available"]) { delta quantityAfterChange } }
    userErrors { code field message }
  }
}`

func setInput(s *shopifytest.Server, item string, n int) map[string]any {
	return map[string]any{"name": "available", "reason": "correction", "quantities": []any{
		map[string]any{"inventoryItemId": item, "locationId": s.LocationID(), "quantity": n, "changeFromQuantity": nil}}}
}

func userErrorCodes(t *testing.T, out map[string]any) []string {
	t.Helper()
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	p := out["data"].(map[string]any)["inventorySetQuantities"].(map[string]any)
	var codes []string
	for _, e := range p["userErrors"].([]any) {
		codes = append(codes, e.(map[string]any)["code"].(string))
	}
	return codes
}

// A key is remembered for Shopify's retention window and forgotten after it: the same request
// within the window is answered without being applied, after it is applied again.
func TestFakeForgetsIdempotencyKeysAfterRetention(t *testing.T) {
	clock := shopifytest.NewVirtualClock(testStart)
	s := shopifytest.NewTest(t, shopifytest.Options{Now: clock.Now})
	item := s.AddVariant("TEA", 10)
	vars := map[string]any{"input": setInput(s, item, 5), "key": "k-1"}
	if _, out := post(t, s, s.Token(), setQty, vars); len(userErrorCodes(t, out)) != 0 {
		t.Fatalf("first set refused: %v", out)
	}
	if n, _ := s.Available("TEA"); n != 5 {
		t.Fatalf("available = %d, want 5", n)
	}
	s.SetAvailable("TEA", 7) // a sale in the shop's admin

	clock.Advance(shopifytest.DefaultIdempotencyRetention - time.Second)
	_, out := post(t, s, s.Token(), setQty, vars)
	if len(userErrorCodes(t, out)) != 0 {
		t.Fatalf("replay refused: %v", out)
	}
	if n, _ := s.Available("TEA"); n != 7 {
		t.Fatalf("a retry within the window was applied again: available = %d, want 7", n)
	}
	// The replay describes the first call's adjustment.
	g := out["data"].(map[string]any)["inventorySetQuantities"].(map[string]any)["inventoryAdjustmentGroup"].(map[string]any)
	if ch := g["changes"].([]any); len(ch) != 1 || ch[0].(map[string]any)["delta"].(float64) != -5 {
		t.Fatalf("replayed group = %v", g)
	}
	// The same key with other parameters is refused within the window.
	other := map[string]any{"input": setInput(s, item, 6), "key": "k-1"}
	if _, out := post(t, s, s.Token(), setQty, other); len(userErrorCodes(t, out)) != 1 || userErrorCodes(t, out)[0] != "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" {
		t.Fatalf("mismatch not refused: %v", out)
	}

	clock.Advance(time.Second)
	if _, out := post(t, s, s.Token(), setQty, vars); len(userErrorCodes(t, out)) != 0 {
		t.Fatalf("set after the window refused: %v", out)
	}
	if n, _ := s.Available("TEA"); n != 5 {
		t.Fatalf("a key past the retention window was still remembered: available = %d, want 5", n)
	}
}
