package shopifytest

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"

	"github.com/tobira-commerce/tobira/internal/gqlresult"
	"github.com/vektah/gqlparser/v2/ast"
)

// object is a GraphQL object the executor can walk: it names its type, the fields it models,
// and resolves them. The executor never asks it for a field it does not model: the fake
// refuses such a query before running it (see model.go).
type object interface {
	typeName() string
	fieldNames() []string
	field(name string, args map[string]any) any
}

// obj is an object made of field functions.
type obj struct {
	typ    string
	fields map[string]func(args map[string]any) any
}

func (o *obj) typeName() string { return o.typ }

func (o *obj) fieldNames() []string {
	names := make([]string, 0, len(o.fields))
	for k := range o.fields {
		names = append(names, k)
	}
	return names
}

func (o *obj) field(name string, args map[string]any) any {
	if f, ok := o.fields[name]; ok {
		return f(args)
	}
	return nil
}

// val wraps a constant for obj.fields.
func val(v any) func(map[string]any) any { return func(map[string]any) any { return v } }

type executor struct {
	schema *ast.Schema
	vars   map[string]any
	// nulls names the non-null positions the answer would hold null at: a fault of the fake
	// (checkModelled lets only modelled fields through), answered as an internal error.
	nulls []string
}

// nullAt reports whether v holds null where t forbids it, at the top or in a list.
func nullAt(t *ast.Type, v any) bool {
	if t == nil {
		return false
	}
	if v == nil {
		return t.NonNull
	}
	if t.Elem != nil {
		if list, ok := v.([]any); ok {
			for _, e := range list {
				if nullAt(t.Elem, e) {
					return true
				}
			}
		}
	}
	return false
}

// exec resolves the selection set against v: exactly the selected fields, under their aliases.
func (e *executor) exec(set ast.SelectionSet, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case object:
		out := gqlresult.Object{}
		e.collect(set, x, &out)
		return out
	case []object:
		list := make([]any, len(x))
		for i, o := range x {
			list[i] = e.exec(set, o)
		}
		return list
	case []any:
		list := make([]any, len(x))
		for i, o := range x {
			list[i] = e.exec(set, o)
		}
		return list
	default:
		return v
	}
}

func (e *executor) collect(set ast.SelectionSet, o object, out *gqlresult.Object) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !e.included(s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			var v any
			if s.Name == "__typename" {
				v = o.typeName()
			} else {
				v = e.exec(s.SelectionSet, o.field(s.Name, s.ArgumentMap(e.vars)))
				if s.Definition != nil && nullAt(s.Definition.Type, v) {
					e.nulls = append(e.nulls, o.typeName()+"."+s.Name)
				}
			}
			out.Set(key, v)
		case *ast.InlineFragment:
			if e.included(s.Directives) && e.matches(s.TypeCondition, o.typeName()) {
				e.collect(s.SelectionSet, o, out)
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && e.included(s.Directives) && e.matches(s.Definition.TypeCondition, o.typeName()) {
				e.collect(s.Definition.SelectionSet, o, out)
			}
		}
	}
}

func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		arg := d.ArgumentMap(e.vars)["if"]
		b, _ := arg.(bool)
		switch d.Name {
		case "skip":
			if b {
				return false
			}
		case "include":
			if !b {
				return false
			}
		}
	}
	return true
}

func (e *executor) matches(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	for _, def := range e.schema.GetImplements(e.schema.Types[typ]) {
		if def.Name == cond {
			return true
		}
	}
	for _, def := range e.schema.GetPossibleTypes(e.schema.Types[cond]) {
		if def.Name == typ {
			return true
		}
	}
	return false
}

// conn is a connection over nodes sorted by key. Cursors are opaque (base64 of the sort
// position, as Shopify's are), so a cursor stays valid when nodes before it change.
type conn struct {
	typ   string // "OrderConnection"
	nodes []object
	keys  map[object]string
	args  map[string]any
	page  *connPage
}

type connPage struct {
	nodes            []object
	hasPrev, hasNext bool
}

func newConn(typ string, nodes []object, key func(object) string, args map[string]any) *conn {
	keys := make(map[object]string, len(nodes))
	for _, n := range nodes {
		keys[n] = key(n)
	}
	sort.SliceStable(nodes, func(i, j int) bool { return keys[nodes[i]] < keys[nodes[j]] })
	return &conn{typ: typ, nodes: nodes, keys: keys, args: args}
}

func (c *conn) key(n object) string { return c.keys[n] }

func encodeCursor(k string) string {
	b, _ := json.Marshal(map[string]string{"last_value": k})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", false
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		return "", false
	}
	v, ok := m["last_value"]
	return v, ok
}

func intArg(args map[string]any, name string) (int, bool) {
	switch x := args[name].(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func strArg(args map[string]any, name string) string {
	s, _ := args[name].(string)
	return s
}

// window applies reverse, after, before, first and last.
func (c *conn) window() (page []object, hasPrev, hasNext bool) {
	nodes := append([]object(nil), c.nodes...)
	if rev, _ := c.args["reverse"].(bool); rev {
		for i, j := 0, len(nodes)-1; i < j; i, j = i+1, j-1 {
			nodes[i], nodes[j] = nodes[j], nodes[i]
		}
	}
	less := func(a, b string) bool { return a < b }
	if rev, _ := c.args["reverse"].(bool); rev {
		less = func(a, b string) bool { return a > b }
	}
	if after := strArg(c.args, "after"); after != "" {
		if k, ok := decodeCursor(after); ok {
			i := 0
			for i < len(nodes) && !less(k, c.key(nodes[i])) {
				i++
			}
			hasPrev = i > 0
			nodes = nodes[i:]
		}
	}
	if before := strArg(c.args, "before"); before != "" {
		if k, ok := decodeCursor(before); ok {
			i := 0
			for i < len(nodes) && less(c.key(nodes[i]), k) {
				i++
			}
			hasNext = i < len(nodes)
			nodes = nodes[:i]
		}
	}
	if n, ok := intArg(c.args, "first"); ok && n >= 0 && n < len(nodes) {
		nodes, hasNext = nodes[:n], true
	}
	if n, ok := intArg(c.args, "last"); ok && n >= 0 && n < len(nodes) {
		nodes, hasPrev = nodes[len(nodes)-n:], true
	}
	return nodes, hasPrev, hasNext
}

func (c *conn) typeName() string { return c.typ }

func (c *conn) fieldNames() []string { return []string{"nodes", "edges", "pageInfo"} }

func (c *conn) field(name string, _ map[string]any) any {
	if c.page == nil {
		p := &connPage{}
		p.nodes, p.hasPrev, p.hasNext = c.window()
		c.page = p
	}
	page, hasPrev, hasNext := c.page.nodes, c.page.hasPrev, c.page.hasNext
	switch name {
	case "nodes":
		return page
	case "edges":
		edgeType := strings.TrimSuffix(c.typ, "Connection") + "Edge"
		edges := make([]object, len(page))
		for i, n := range page {
			edges[i] = &obj{typ: edgeType, fields: map[string]func(map[string]any) any{
				"cursor": val(encodeCursor(c.key(n))),
				"node":   val(n),
			}}
		}
		return edges
	case "pageInfo":
		var start, end any
		if len(page) > 0 {
			start, end = encodeCursor(c.key(page[0])), encodeCursor(c.key(page[len(page)-1]))
		}
		return &obj{typ: "PageInfo", fields: map[string]func(map[string]any) any{
			"hasNextPage": val(hasNext), "hasPreviousPage": val(hasPrev),
			"startCursor": val(start), "endCursor": val(end),
		}}
	}
	return nil
}

// cost estimates a selection's calculated query cost the way Shopify documents it: scalars and
// enums 0, objects 1, connections 2 plus first (or last) times the cost of one node, and 10 for
// each mutation field.
func cost(schema *ast.Schema, set ast.SelectionSet, parent *ast.Definition, vars map[string]any, mutation bool) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition == nil {
				continue
			}
			if mutation {
				total += 10
				continue
			}
			def := schema.Types[s.Definition.Type.Name()]
			if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
				continue
			}
			if strings.HasSuffix(def.Name, "Connection") {
				args := s.ArgumentMap(vars)
				n, ok := intArg(args, "first")
				if !ok {
					n, _ = intArg(args, "last")
				}
				per := 0
				for _, sub := range s.SelectionSet {
					f, ok := sub.(*ast.Field)
					if !ok || f.Definition == nil {
						continue
					}
					switch f.Name {
					case "nodes":
						per += 1 + cost(schema, f.SelectionSet, schema.Types[f.Definition.Type.Name()], vars, false)
					case "edges":
						for _, es := range f.SelectionSet {
							if ef, ok := es.(*ast.Field); ok && ef.Name == "node" && ef.Definition != nil {
								per += 1 + cost(schema, ef.SelectionSet, schema.Types[ef.Definition.Type.Name()], vars, false)
							}
						}
					}
				}
				total += 2 + n*per
				continue
			}
			total += 1 + cost(schema, s.SelectionSet, def, vars, false)
		case *ast.InlineFragment:
			total += cost(schema, s.SelectionSet, parent, vars, mutation)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += cost(schema, s.Definition.SelectionSet, parent, vars, mutation)
			}
		}
	}
	return total
}

// actualCost is the cost of what an answer holds, by the rules of cost: a connection costs 2
// plus what its returned nodes cost (not first times a node), an object 1 plus its fields, a
// list of objects what its costliest element costs. It is never more than the requested cost.
func actualCost(schema *ast.Schema, set ast.SelectionSet, v any) int {
	o, _ := v.(gqlresult.Object)
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition == nil {
				continue
			}
			def := schema.Types[s.Definition.Type.Name()]
			if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			fv, _ := o.Get(key)
			if strings.HasSuffix(def.Name, "Connection") {
				total += 2 + connActual(schema, s.SelectionSet, fv)
				continue
			}
			total += 1 + maxElem(schema, s.SelectionSet, fv)
		case *ast.InlineFragment:
			total += actualCost(schema, s.SelectionSet, v)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += actualCost(schema, s.Definition.SelectionSet, v)
			}
		}
	}
	return total
}

// connActual is what a connection's returned nodes (through nodes or edges) cost.
func connActual(schema *ast.Schema, set ast.SelectionSet, v any) int {
	c, _ := v.(gqlresult.Object)
	total := 0
	for _, sub := range set {
		f, ok := sub.(*ast.Field)
		if !ok || f.Definition == nil {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		list, _ := c.Get(key)
		elems, _ := list.([]any)
		switch f.Name {
		case "nodes":
			for _, n := range elems {
				total += 1 + actualCost(schema, f.SelectionSet, n)
			}
		case "edges":
			for _, e := range elems {
				eo, _ := e.(gqlresult.Object)
				for _, es := range f.SelectionSet {
					if ef, ok := es.(*ast.Field); ok && ef.Name == "node" && ef.Definition != nil {
						k := ef.Alias
						if k == "" {
							k = ef.Name
						}
						n, _ := eo.Get(k)
						total += 1 + actualCost(schema, ef.SelectionSet, n)
					}
				}
			}
		}
	}
	return total
}

func maxElem(schema *ast.Schema, set ast.SelectionSet, v any) int {
	list, ok := v.([]any)
	if !ok {
		return actualCost(schema, set, v)
	}
	most := 0
	for _, e := range list {
		most = max(most, actualCost(schema, set, e))
	}
	return most
}
