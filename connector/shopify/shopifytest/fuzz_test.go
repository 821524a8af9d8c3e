package shopifytest

import (
	"testing"
	"time"
)

// FuzzParseSearch: any query either parses or is refused, and a parsed one evaluates, without
// panicking.
func FuzzParseSearch(f *testing.F) {
	for _, q := range []string{"", "sku:TEA*", "NOT sku:*", `sku:'O\'HARA'`, "(a:b OR c:d) AND -e:f",
		"created_at:>='2026-07-01T00:00:00Z'", "id:>=10", "((", "sku:\\", `"`, "- -", "NOT", "a:b OR"} {
		f.Add(q)
	}
	fields := searchFields["orders"]
	get := func(field string) []any {
		switch fields[field] {
		case kindTime:
			return []any{time.Unix(1, 0)}
		case kindNumber:
			return []any{int64(7)}
		}
		return []any{"TEA-1", ""}
	}
	f.Fuzz(func(t *testing.T, q string) {
		e, err := parseSearch(fields, q)
		if err == nil {
			e.match(get)
		}
	})
}
