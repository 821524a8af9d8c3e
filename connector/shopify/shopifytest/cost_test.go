package shopifytest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

// costQuery builds a query whose requested cost is 2 + a×(3+b) + c: a orders with b line items
// each, and c shop objects.
func costQuery(a, b, c int) string {
	var q strings.Builder
	fmt.Fprintf(&q, "query { orders(first: %d) { nodes { lineItems(first: %d) { nodes { id } } } }", a, b)
	for i := range c {
		fmt.Fprintf(&q, " s%d: shop { id }", i)
	}
	q.WriteString(" }")
	return q.String()
}

func costOf(t *testing.T, out map[string]any) (requested, actual, available float64) {
	t.Helper()
	c := out["extensions"].(map[string]any)["cost"].(map[string]any)
	requested = c["requestedQueryCost"].(float64)
	actual, _ = c["actualQueryCost"].(float64)
	available = c["throttleStatus"].(map[string]any)["currentlyAvailable"].(float64)
	return
}

// Shopify refuses a query over 1,000 points whatever the bucket: a shop with a larger bucket
// (Shopify Plus, Advanced) holds more queries, not bigger ones.
func TestFakeCostLimitIndependentOfBucket(t *testing.T) {
	for _, bucket := range []float64{1000, 2000, 20000} {
		s := shopifytest.NewTest(t, shopifytest.Options{BucketSize: bucket, RestoreRate: bucket / 20})
		_, out := post(t, s, s.Token(), costQuery(27, 34, 0), nil) // 2 + 27×37 = 1001
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 || out["data"] != nil {
			t.Fatalf("bucket %g: 1001-point query not refused: %v", bucket, out)
		}
		ext := errs[0].(map[string]any)["extensions"].(map[string]any)
		if ext["code"] != "MAX_COST_EXCEEDED" || ext["maxCost"].(float64) != 1000 || ext["cost"].(float64) != 1001 {
			t.Fatalf("bucket %g: refusal %v", bucket, errs[0])
		}
		if !strings.Contains(errs[0].(map[string]any)["message"].(string), "exceeds the single query max cost limit (1000)") {
			t.Fatalf("bucket %g: message %v", bucket, errs[0])
		}
		_, out = post(t, s, s.Token(), costQuery(24, 38, 14), nil) // 2 + 24×41 + 14 = 1000
		if out["errors"] != nil {
			t.Fatalf("bucket %g: 1000-point query refused: %v", bucket, out)
		}
		if req, _, _ := costOf(t, out); req != 1000 {
			t.Fatalf("bucket %g: requested %g, want 1000", bucket, req)
		}
	}
}

// The fake charges what the query actually used once it ran and refunds the rest of what was
// requested, as Shopify documents; a throttled query is charged nothing.
func TestFakeChargesActualCost(t *testing.T) {
	s := shopifytest.NewTest(t, shopifytest.Options{Now: shopifytest.NewVirtualClock(testStart).Now})
	for range 3 {
		s.CreateOrder(shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "A", Quantity: 1, Price: 100}, {SKU: "B", Quantity: 1, Price: 100}}})
	}
	_, out := post(t, s, s.Token(), costQuery(100, 5, 0), nil)
	req, actual, avail := costOf(t, out)
	// Requested: 2 + 100×(3+5) = 802. Actual: 2 + 3 orders × (1 + 2 + 2 lines × 1) = 17.
	if req != 802 || actual != 17 || avail != 1000-17 {
		t.Fatalf("requested %g actual %g available %g, want 802, 17, 983", req, actual, avail)
	}
}
