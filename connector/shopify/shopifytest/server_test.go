package shopifytest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
)

func post(t *testing.T, s *shopifytest.Server, token, query string, vars map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
	req.Header.Set("X-Shopify-Access-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	return resp.StatusCode, out
}

func TestSchemaValidationRejectsMisspelledField(t *testing.T) {
	s := shopifytest.NewTest(t, shopifytest.Options{})
	_, out := post(t, s, s.Token(), `query { orders(first: 1) { nodes { id naem } } }`, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || out["data"] != nil {
		t.Fatalf("misspelled field accepted: %v", out)
	}
	msg := errs[0].(map[string]any)["message"].(string)
	if !strings.Contains(msg, `"naem"`) || !strings.Contains(msg, "Order") {
		t.Fatalf("error does not name the field and type: %q", msg)
	}
	// The correct spelling passes, with exactly the selected fields under their aliases.
	s.CreateOrder(shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "A", Quantity: 1, Price: 100}}})
	_, out = post(t, s, s.Token(), `query { list: orders(first: 1) { nodes { orderId: id name } pageInfo { hasNextPage } } }`, nil)
	b, _ := json.Marshal(out["data"])
	if !strings.HasPrefix(string(b), `{"list":{"nodes":[{"name":"#1001","orderId":"gid://shopify/Order/`) {
		t.Fatalf("data = %s", b)
	}
	if s.Stats().Invalid != 1 {
		t.Fatalf("stats %+v", s.Stats())
	}
}

func TestUnknownArgumentAndTypeRejected(t *testing.T) {
	s := shopifytest.NewTest(t, shopifytest.Options{})
	for _, q := range []string{
		`mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "x", locationId: "y", quantity: 1, compareQuantity: 0}]}) { userErrors { message } } }`,
		`query { orders(frist: 1) { nodes { id } } }`,
		`query($x: NoSuchType) { shop { name } }`,
	} {
		_, out := post(t, s, s.Token(), q, nil)
		if _, ok := out["errors"]; !ok {
			t.Errorf("accepted: %s", q)
		}
	}
}

func TestAuth(t *testing.T) {
	s := shopifytest.NewTest(t, shopifytest.Options{})
	status, out := post(t, s, "wrong", `query { shop { name } }`, nil)
	if status != http.StatusUnauthorized || !strings.Contains(out["errors"].(string), "Invalid API key or access token") {
		t.Fatalf("%d %v", status, out)
	}
}

func TestThrottledShape(t *testing.T) {
	s := shopifytest.NewTest(t, shopifytest.Options{BucketSize: 10, RestoreRate: 1, Now: shopifytest.NewVirtualClock(testStart).Now})
	for range 4 {
		s.CreateOrder(shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "A", Quantity: 1, Price: 100}}})
	}
	q := `query { orders(first: 4) { nodes { id } } }` // 2 + 4×1 = 6 points, all used
	if _, out := post(t, s, s.Token(), q, nil); out["errors"] != nil {
		t.Fatalf("first call throttled: %v", out)
	}
	_, out := post(t, s, s.Token(), q, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "THROTTLED" {
		t.Fatalf("not throttled: %v", out)
	}
	cost := out["extensions"].(map[string]any)["cost"].(map[string]any)
	if cost["requestedQueryCost"].(float64) != 6 || cost["throttleStatus"].(map[string]any)["currentlyAvailable"].(float64) != 4 {
		t.Fatalf("cost = %v", cost)
	}
}
