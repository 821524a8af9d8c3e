package shopifytest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// What the fake models, and how it refuses the rest.
//
// Shopify never answers null for a non-null field, and a field it has a value for is never
// null; a fake that answered null for what it does not model would teach a client wrong
// things (or break a typed client). So before running a document the fake checks that every
// field it selects is one the fake models, on every type the field can resolve to, and that no
// field filters with a search it does not evaluate; otherwise it refuses the whole document
// with a GraphQL error (code UNSUPPORTED_BY_FAKE) and applies nothing. The model is read from
// the resolvers themselves (modelOf), so it cannot drift from what they answer; payload and
// user-error types, whose fields vary by outcome, are declared in payloadModel.

// rootQueries are the query fields the fake answers; rootMutations the mutations it applies.
var (
	rootQueries   = []string{"shop", "orders", "order", "fulfillmentOrder", "assignedFulfillmentOrders", "productVariants", "inventoryItems", "inventoryItem", "nodes"}
	rootMutations = []string{"fulfillmentOrderAcceptFulfillmentRequest", "fulfillmentOrderRejectFulfillmentRequest",
		"fulfillmentOrderAcceptCancellationRequest", "fulfillmentOrderRejectCancellationRequest", "fulfillmentOrderHold",
		"fulfillmentOrderReleaseHold", "fulfillmentCreate", "inventorySetQuantities"}
)

// payloadModel lists the fields of the mutation payloads and user errors the fake answers.
var payloadModel = map[string][]string{
	"FulfillmentOrderAcceptFulfillmentRequestPayload":  {"fulfillmentOrder", "userErrors"},
	"FulfillmentOrderRejectFulfillmentRequestPayload":  {"fulfillmentOrder", "userErrors"},
	"FulfillmentOrderAcceptCancellationRequestPayload": {"fulfillmentOrder", "userErrors"},
	"FulfillmentOrderRejectCancellationRequestPayload": {"fulfillmentOrder", "userErrors"},
	"FulfillmentOrderHoldPayload":                      {"fulfillmentHold", "fulfillmentOrder", "remainingFulfillmentOrder", "userErrors"},
	"FulfillmentOrderReleaseHoldPayload":               {"fulfillmentOrder", "userErrors"},
	"FulfillmentCreatePayload":                         {"fulfillment", "userErrors"},
	"InventorySetQuantitiesPayload":                    {"inventoryAdjustmentGroup", "userErrors"},
	"UserError":                                        {"field", "message"},
	"FulfillmentOrderHoldUserError":                    {"field", "message", "code"},
	"FulfillmentOrderReleaseHoldUserError":             {"field", "message", "code"},
	"InventorySetQuantitiesUserError":                  {"field", "message", "code"},
}

var (
	modelOnce sync.Once
	modelVal  map[string]map[string]bool
)

// modelOf returns, by type name, the fields the fake's resolvers answer. It builds a small
// shop holding one of everything and walks every object its resolvers produce.
func modelOf() map[string]map[string]bool {
	modelOnce.Do(func() { modelVal = buildModel() })
	return modelVal
}

func buildModel() map[string]map[string]bool {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Server{
		opts: Options{Shop: "model.myshopify.com", IdempotencyRetention: time.Hour}, now: func() time.Time { return at },
		items: map[string]*invItem{}, orders: map[string]*fOrder{}, fos: map[string]*fOrderFO{},
		fulfills: map[string]*fulfillment{}, idempotent: map[string]*idemEntry{}, stats: Stats{Operations: map[string]int{}},
	}
	s.locationID = s.gid("Location")
	s.AddVariant("M", 1)
	id := s.CreateOrder(OrderInput{Email: "m@example.com", Attributes: []Attribute{{Key: "k", Value: "v"}},
		Lines:    []LineInput{{SKU: "M", Quantity: 1, Price: 1, Properties: []Attribute{{Key: "k", Value: "v"}}}},
		Shipping: []ShippingLine{{Title: "t", Price: 1}}})
	o := s.orders[id]
	fo := o.fos[0]
	fo.requests = append(fo.requests, merchantRequest{kind: "FULFILLMENT_REQUEST", message: "m", at: at})
	fo.holds = append(fo.holds, hold{id: s.gid("FulfillmentHold"), reason: "OTHER"})
	f := &fulfillment{id: s.gid("Fulfillment"), order: o, status: "SUCCESS", createdAt: at, lines: map[string]int{fo.lines[0].id: 1}}
	o.fulfillments = append(o.fulfillments, f)
	g := &adjGroup{id: s.gid("InventoryAdjustmentGroup"), reason: "correction", at: at,
		changes: []adjChange{{item: s.variants[0].item, loc: s.locationID, name: "available", delta: 1, after: 1}}}

	model := map[string]map[string]bool{}
	args := map[string]any{"locationId": s.locationID, "names": []any{"available", "on_hand"}, "first": 2}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case object:
			if model[x.typeName()] != nil {
				return
			}
			names := map[string]bool{}
			model[x.typeName()] = names
			for _, n := range x.fieldNames() {
				names[n] = true
			}
			for _, n := range x.fieldNames() {
				walk(x.field(n, args))
			}
		case []object:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, v := range []any{s.orderObj(o), s.variantObj(s.variants[0]), s.groupObj(g)} {
		walk(v)
	}
	ids := []any{id, fo.id, s.variants[0].item.id}
	for _, name := range rootQueries {
		v, _ := s.query(name, map[string]any{"first": 2, "id": id, "ids": ids})
		walk(v)
	}
	for typ, names := range payloadModel {
		if model[typ] == nil {
			model[typ] = map[string]bool{}
		}
		for _, n := range names {
			model[typ][n] = true
		}
	}
	return model
}

// errUnsupported is a document the fake cannot answer as Shopify would.
type errUnsupported struct{ msg string }

func (e *errUnsupported) Error() string { return e.msg }

// checkModelled refuses a document selecting what the fake does not model. root is the
// operation's root type.
func (s *Server) checkModelled(set ast.SelectionSet, root *ast.Definition, mutation bool, vars map[string]any) error {
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name == "__typename" {
			continue
		}
		known := rootQueries
		if mutation {
			known = rootMutations
		}
		if !slices.Contains(known, f.Name) {
			return &errUnsupported{fmt.Sprintf("shopifytest: the fake shop does not implement %s.%s", root.Name, f.Name)}
		}
		if err := s.checkArgs(f, vars); err != nil {
			return err
		}
		if f.Definition != nil {
			if err := s.checkSet(f.SelectionSet, f.Definition.Type.Name(), vars, []string{f.Name}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) checkArgs(f *ast.Field, vars map[string]any) error {
	q, ok := f.ArgumentMap(vars)["query"]
	if !ok || q == nil {
		return nil
	}
	fields, searchable := searchFields[f.Name]
	if !searchable {
		return &errUnsupported{fmt.Sprintf("shopifytest: the fake shop does not search %s (query argument)", f.Name)}
	}
	qs, _ := q.(string)
	if _, err := parseSearch(fields, qs); err != nil {
		return &errUnsupported{fmt.Sprintf("shopifytest: invalid search query for %s: %v", f.Name, err)}
	}
	return nil
}

// checkSet checks a selection on values of type typ (an object, interface or union type).
func (s *Server) checkSet(set ast.SelectionSet, typ string, vars map[string]any, path []string) error {
	def := s.schema.ast.Types[typ]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return nil
	}
	model := modelOf()
	// The concrete types the fake can answer here: typ itself, or its modelled possible types.
	var concrete []string
	if def.Kind == ast.Object {
		concrete = []string{typ}
	} else {
		for _, p := range s.schema.ast.GetPossibleTypes(def) {
			if model[p.Name] != nil {
				concrete = append(concrete, p.Name)
			}
		}
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Name == "__typename" {
				continue
			}
			for _, c := range concrete {
				if !model[c][x.Name] {
					return &errUnsupported{fmt.Sprintf("shopifytest: the fake shop does not model %s.%s (at %s)", c, x.Name, strings.Join(append(path, x.Alias), "."))}
				}
			}
			if err := s.checkArgs(x, vars); err != nil {
				return err
			}
			if x.Definition != nil {
				if err := s.checkSet(x.SelectionSet, x.Definition.Type.Name(), vars, append(path, x.Alias)); err != nil {
					return err
				}
			}
		case *ast.InlineFragment:
			if err := s.checkFragment(x.TypeCondition, typ, x.SelectionSet, vars, path); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if x.Definition != nil {
				if err := s.checkFragment(x.Definition.TypeCondition, typ, x.Definition.SelectionSet, vars, path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Server) checkFragment(cond, typ string, set ast.SelectionSet, vars map[string]any, path []string) error {
	if cond == "" {
		cond = typ
	}
	if d := s.schema.ast.Types[cond]; d != nil && d.Kind == ast.Object && modelOf()[cond] == nil {
		return nil // a type the fake never answers: the fragment never applies
	}
	return s.checkSet(set, cond, vars, path)
}
