package shopifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// queryGen writes selections of every field the fake models, from the schema.
type queryGen struct {
	schema  *ast.Schema
	model   map[string]map[string]bool
	loc     string
	visited map[string]bool
	err     error
}

// sel selects every modelled field of typ, descending depth levels of objects and never into
// a type already on the path (the schema's cycles: order → fulfillment orders → order).
func (g *queryGen) sel(typ string, depth int, path []string) string {
	return g.selAs(typ, depth, path, "")
}

// selAs is sel with every field aliased prefix_field: fragments on different types of one
// interface must not select one name with different types.
func (g *queryGen) selAs(typ string, depth int, path []string, prefix string) string {
	def := g.schema.Types[typ]
	g.visited[typ] = true
	path = append(path, typ)
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		parts := []string{"__typename"}
		for _, p := range g.schema.GetPossibleTypes(def) {
			if g.model[p.Name] != nil && !slices.Contains(path, p.Name) {
				parts = append(parts, "... on "+p.Name+" { "+g.selAs(p.Name, depth, path, p.Name)+" }")
			}
		}
		return strings.Join(parts, " ")
	}
	names := make([]string, 0, len(g.model[typ]))
	for n := range g.model[typ] {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{"__typename"}
	for _, n := range names {
		fd := def.Fields.ForName(n)
		if fd == nil {
			g.err = fmt.Errorf("the fake models %s.%s, which the schema lacks", typ, n)
			continue
		}
		args := g.args(typ, fd)
		ft := g.schema.Types[fd.Type.Name()]
		key := n
		if prefix != "" {
			key = prefix + "_" + n + ": " + n
		}
		if ft.Kind == ast.Scalar || ft.Kind == ast.Enum {
			parts = append(parts, key+args)
			continue
		}
		if depth == 0 || slices.Contains(path, ft.Name) {
			continue
		}
		parts = append(parts, key+args+" { "+g.sel(ft.Name, depth-1, path)+" }")
	}
	return strings.Join(parts, " ")
}

func (g *queryGen) args(typ string, fd *ast.FieldDefinition) string {
	var list []string
	for _, a := range fd.Arguments {
		switch {
		case a.Name == "first":
			list = append(list, "first: 3")
		case a.Name == "locationId":
			list = append(list, fmt.Sprintf("locationId: %q", g.loc))
		case a.Name == "names":
			list = append(list, `names: ["available", "on_hand"]`)
		case a.Type.NonNull && a.DefaultValue == nil:
			g.err = fmt.Errorf("no value for the required argument %s.%s(%s)", typ, fd.Name, a.Name)
		}
	}
	if len(list) == 0 {
		return ""
	}
	return "(" + strings.Join(list, ", ") + ")"
}

// checkNulls walks an answer along its document and reports every null at a non-null position.
func checkNulls(t *testing.T, set ast.SelectionSet, v any, path string) int {
	t.Helper()
	m, _ := v.(map[string]any)
	checked := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			fv, present := m[key]
			if !present {
				t.Errorf("%s.%s: missing from the answer", path, key)
				continue
			}
			checked += checkValue(t, s.Definition.Type, s.SelectionSet, fv, path+"."+key)
		case *ast.InlineFragment:
			if m["__typename"] == s.TypeCondition {
				checked += checkNulls(t, s.SelectionSet, v, path)
			}
		}
	}
	return checked
}

func checkValue(t *testing.T, typ *ast.Type, set ast.SelectionSet, v any, path string) int {
	t.Helper()
	checked := 0
	if typ.NonNull {
		checked++
		if v == nil {
			t.Errorf("%s: null for non-null %s", path, typ.String())
			return checked
		}
	}
	if v == nil {
		return checked
	}
	if typ.Elem != nil {
		for i, e := range v.([]any) {
			checked += checkValue(t, typ.Elem, set, e, fmt.Sprintf("%s[%d]", path, i))
		}
		return checked
	}
	if len(set) > 0 {
		checked += checkNulls(t, set, v, path)
	}
	return checked
}

func postDoc(t *testing.T, s *Server, doc string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": doc})
	req, _ := http.NewRequest(http.MethodPost, s.GraphQLURL(), bytes.NewReader(body))
	req.Header.Set("X-Shopify-Access-Token", s.Token())
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
	return out
}

// TestFakeNeverNullForNonNull asks the fake, for every query and mutation it implements, every
// field it models (generated from the schema, through objects, connections, lists, interfaces),
// over a shop in every state it models, and fails on any null at a non-null position. It also
// checks that what the fake does not model is refused, not answered with null.
func TestFakeNeverNullForNonNull(t *testing.T) {
	clock := NewVirtualClock(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	s := NewTest(t, Options{Now: clock.Now, BucketSize: 1e6, RestoreRate: 1e6})
	item := s.AddVariant("TEA", 10)
	s.AddVariant("", 0) // a variant without SKU
	var orders, fos []string
	for i := range 6 {
		in := OrderInput{Email: "b@example.jp", Attributes: []Attribute{{Key: "配送希望日", Value: "2026/07/10"}},
			ShipTo: Address{LastName: "山田", Address1: "1-2-3", City: "渋谷区", ProvinceCode: "JP-13", Zip: "150-0001", CountryCode: "JP"},
			Lines:  []LineInput{{SKU: "TEA", Quantity: 2, Price: 1200, Properties: []Attribute{{Key: "のし", Value: "御中元"}}}, {SKU: "", Title: "custom", Quantity: 1, Price: 100}},
		}
		if i%2 == 0 {
			in.Gateways, in.Shipping = []string{"代金引換"}, []ShippingLine{{Title: "通常配送", Price: 880}}
		}
		id := s.CreateOrder(in)
		orders = append(orders, id)
		fos = append(fos, s.FulfillmentOrderIDs(id)[0])
	}
	for _, fo := range fos[:5] {
		if err := s.RequestFulfillment(fo, "please"); err != nil {
			t.Fatal(err)
		}
	}
	s.CancelOrder(orders[5], "CUSTOMER")
	model := modelOf()
	g := &queryGen{schema: s.schema.ast, model: model, loc: s.LocationID(), visited: map[string]bool{}}

	run := func(name, doc string) {
		t.Helper()
		out := postDoc(t, s, doc)
		if out["errors"] != nil {
			t.Errorf("%s: errors %v", name, out["errors"])
			return
		}
		q, errs := gqlparser.LoadQueryWithRules(s.schema.ast, doc, rules.NewDefaultRules())
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		if n := checkNulls(t, q.Operations[0].SelectionSet, out["data"], name); n == 0 {
			t.Errorf("%s: no non-null position checked", name)
		}
	}
	q := func(root, args, typ string) string {
		depth := 4
		if strings.HasSuffix(typ, "Connection") {
			depth = 2 // a page of many: shallow, under the 1,000-point limit; each node deep below
		}
		return "query { " + root + args + " { " + g.sel(typ, depth, nil) + " } }"
	}
	ids := fmt.Sprintf(`[%q, %q, %q, "gid://shopify/Order/1"]`, orders[0], fos[0], item)
	queries := map[string]string{
		"shop":                      q("shop", "", "Shop"),
		"orders":                    q("orders", "(first: 10)", "OrderConnection"),
		"order":                     q("order", fmt.Sprintf("(id: %q)", orders[0]), "Order"),
		"fulfillmentOrder":          q("fulfillmentOrder", fmt.Sprintf("(id: %q)", fos[0]), "FulfillmentOrder"),
		"assignedFulfillmentOrders": q("assignedFulfillmentOrders", "(first: 10)", "FulfillmentOrderConnection"),
		"productVariants":           q("productVariants", "(first: 10)", "ProductVariantConnection"),
		"inventoryItems":            q("inventoryItems", "(first: 10)", "InventoryItemConnection"),
		"inventoryItem":             q("inventoryItem", fmt.Sprintf("(id: %q)", item), "InventoryItem"),
		"nodes":                     q("nodes", "(ids: "+ids+")", "Node"),
	}
	for _, name := range rootQueries {
		if queries[name] == "" {
			t.Fatalf("no query for %s", name)
		}
	}
	m := func(field, args, payload string) string {
		return "mutation { " + field + "(" + args + ") { " + g.sel(payload, 4, nil) + " } }"
	}
	idArg := func(id string) string { return fmt.Sprintf("id: %q", id) }
	setQty := func(key string, itemID string) string {
		return fmt.Sprintf(`mutation { inventorySetQuantities(input: {name: "available", reason: "correction", referenceDocumentUri: "tobira://t", quantities: [{inventoryItemId: %q, locationId: %q, quantity: 4, changeFromQuantity: null}]}) @idempotent(key: %q) { %s } }`,
			itemID, s.LocationID(), key, g.sel("InventorySetQuantitiesPayload", 4, nil))
	}
	missing := "gid://shopify/FulfillmentOrder/1"
	// In an order that walks each fulfillment order through its states; the failures too.
	mutations := []struct{ name, doc string }{
		{"accept", m("fulfillmentOrderAcceptFulfillmentRequest", idArg(fos[0])+`, message: "ok"`, "FulfillmentOrderAcceptFulfillmentRequestPayload")},
		{"accept again", m("fulfillmentOrderAcceptFulfillmentRequest", idArg(fos[0]), "FulfillmentOrderAcceptFulfillmentRequestPayload")},
		{"accept missing", m("fulfillmentOrderAcceptFulfillmentRequest", idArg(missing), "FulfillmentOrderAcceptFulfillmentRequestPayload")},
		{"reject", m("fulfillmentOrderRejectFulfillmentRequest", idArg(fos[1]), "FulfillmentOrderRejectFulfillmentRequestPayload")},
		{"reject missing", m("fulfillmentOrderRejectFulfillmentRequest", idArg(missing), "FulfillmentOrderRejectFulfillmentRequestPayload")},
		{"accept 2", m("fulfillmentOrderAcceptFulfillmentRequest", idArg(fos[2]), "FulfillmentOrderAcceptFulfillmentRequestPayload")},
		{"accept 3", m("fulfillmentOrderAcceptFulfillmentRequest", idArg(fos[3]), "FulfillmentOrderAcceptFulfillmentRequestPayload")},
		{"hold", m("fulfillmentOrderHold", idArg(fos[4])+`, fulfillmentHold: {reason: OTHER, reasonNotes: "check"}`, "FulfillmentOrderHoldPayload")},
		{"hold missing", m("fulfillmentOrderHold", idArg(missing)+`, fulfillmentHold: {reason: OTHER}`, "FulfillmentOrderHoldPayload")},
		{"release", m("fulfillmentOrderReleaseHold", idArg(fos[4]), "FulfillmentOrderReleaseHoldPayload")},
		{"release missing", m("fulfillmentOrderReleaseHold", idArg(missing), "FulfillmentOrderReleaseHoldPayload")},
		{"fulfil", m("fulfillmentCreate", fmt.Sprintf(`fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: %q}], trackingInfo: {company: "ヤマト運輸", number: "1234-5678-9012"}}`, fos[0]), "FulfillmentCreatePayload")},
		{"fulfil missing", m("fulfillmentCreate", fmt.Sprintf(`fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: %q}]}`, missing), "FulfillmentCreatePayload")},
		{"set", setQty("k1", item)},
		{"set replayed", setQty("k1", item)},
		{"set unknown item", setQty("k2", "gid://shopify/InventoryItem/1")},
	}
	for _, mu := range mutations {
		run(mu.name, mu.doc)
		if mu.name == "accept 3" {
			for _, fo := range fos[2:4] {
				if err := s.RequestCancellation(fo, "changed my mind"); err != nil {
					t.Fatal(err)
				}
			}
			mutations = append(mutations,
				struct{ name, doc string }{"accept cancellation", m("fulfillmentOrderAcceptCancellationRequest", idArg(fos[2]), "FulfillmentOrderAcceptCancellationRequestPayload")},
				struct{ name, doc string }{"reject cancellation", m("fulfillmentOrderRejectCancellationRequest", idArg(fos[3]), "FulfillmentOrderRejectCancellationRequestPayload")},
				struct{ name, doc string }{"accept cancellation missing", m("fulfillmentOrderAcceptCancellationRequest", idArg(missing), "FulfillmentOrderAcceptCancellationRequestPayload")},
				struct{ name, doc string }{"reject cancellation missing", m("fulfillmentOrderRejectCancellationRequest", idArg(missing), "FulfillmentOrderRejectCancellationRequestPayload")},
			)
		}
	}
	// Every query after the mutations, over every state they left, and each order and
	// fulfillment order in full.
	for _, name := range rootQueries {
		run(name, queries[name])
	}
	for i := range orders {
		run("order "+orders[i], q("order", fmt.Sprintf("(id: %q)", orders[i]), "Order"))
		run("fulfillmentOrder "+fos[i], q("fulfillmentOrder", fmt.Sprintf("(id: %q)", fos[i]), "FulfillmentOrder"))
	}
	if g.err != nil {
		t.Fatal(g.err)
	}
	for _, name := range rootMutations {
		found := false
		for _, mu := range mutations {
			found = found || strings.Contains(mu.doc, "{ "+name+"(")
		}
		if !found {
			t.Errorf("mutation %s not exercised", name)
		}
	}
	for typ := range model {
		if !g.visited[typ] {
			t.Errorf("modelled type %s not reached by any generated document", typ)
		}
	}

	// What the fake does not model is refused, and a refused mutation changes nothing.
	before, _ := s.Available("TEA")
	for _, doc := range []string{
		`query { orders(first: 1) { nodes { id totalWeight } } }`,
		`query { orders(first: 1) { nodes { fulfillmentOrders(first: 1, query: "status:open") { nodes { id } } } } }`,
		`query { publications(first: 1) { nodes { id } } }`,
		fmt.Sprintf(`mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: %q, locationId: %q, quantity: 9, changeFromQuantity: null}]}) @idempotent(key: "k3") { inventoryAdjustmentGroup { id app { id } } userErrors { message } } }`, item, s.LocationID()),
	} {
		out := postDoc(t, s, doc)
		errs, _ := out["errors"].([]any)
		if len(errs) != 1 || out["data"] != nil || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "UNSUPPORTED_BY_FAKE" {
			t.Errorf("not refused: %s\n%v", doc, out)
		}
	}
	if after, _ := s.Available("TEA"); after != before {
		t.Errorf("a refused mutation was applied: %d → %d", before, after)
	}
}
