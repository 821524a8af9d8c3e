package eccubetest

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tobira-commerce/tobira/internal/gqlresult"
	"github.com/vektah/gqlparser/v2/ast"
)

// node is an object being resolved: field name → value. A value of type lazy is computed only
// when selected (objects refer to each other: Order.Shippings, Shipping.Order). A field the fake
// does not model resolves to null.
type node map[string]any

type lazy func() any

// float is a GraphQL Float as PHP's json_encode writes it: 10.0, not 10.
type float float64

func (f float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return []byte(strconv.FormatFloat(v, 'f', 1, 64)), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

// atom is PHP's DateTime::ATOM, the plugin's DateTime scalar in both directions.
const atom = "2006-01-02T15:04:05-07:00"

func dateTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(atom)
}

func dateTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return dateTime(*t)
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type executor struct {
	vars map[string]any
}

// value resolves a selection set against v: exactly the selected fields, under their aliases.
func (e *executor) value(set ast.SelectionSet, v any) any {
	switch x := v.(type) {
	case lazy:
		return e.value(set, x())
	case node:
		out := gqlresult.Object{}
		e.fields(set, x, &out)
		return out
	case []node:
		list := make([]any, len(x))
		for i, n := range x {
			list[i] = e.value(set, n)
		}
		return list
	default:
		return v
	}
}

func (e *executor) fields(set ast.SelectionSet, n node, out *gqlresult.Object) {
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
			if s.Name == "__typename" {
				if s.ObjectDefinition != nil {
					out.Set(key, s.ObjectDefinition.Name)
				}
				continue
			}
			out.Set(key, e.value(s.SelectionSet, n[s.Name]))
		case *ast.InlineFragment:
			if e.included(s.Directives) {
				e.fields(s.SelectionSet, n, out)
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && e.included(s.Directives) {
				e.fields(s.Definition.SelectionSet, n, out)
			}
		}
	}
}

func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		b, _ := d.ArgumentMap(e.vars)["if"].(bool)
		if (d.Name == "skip" && b) || (d.Name == "include" && !b) {
			return false
		}
	}
	return true
}

// gqlError is one entry of a GraphQL answer's errors, as webonyx/graphql-php writes it.
type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
	Locations  []location     `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
}

type location struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// argError is what a resolver throws: the plugin's InvalidArgumentException, whose message is
// "<argument>: <problem>;" and whose category is "Invalid argument".
type argError string

func (a argError) Error() string { return string(a) }

func invalid(format string, args ...any) error { return argError(fmt.Sprintf(format, args...)) }

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	}
	return "", false
}

// toTime reads a DateTime argument: only "Y-m-d\TH:i:sP" parses, as in the plugin's scalar.
func toTime(v any) (time.Time, bool, error) {
	if v == nil {
		return time.Time{}, false, nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false, invalid("DateTime parse error")
	}
	t, err := time.Parse(atom, s)
	if err != nil {
		return time.Time{}, false, invalid(`DateTime parse error, please specify in "Y-m-d\TH:i:sP".`)
	}
	return t, true, nil
}
