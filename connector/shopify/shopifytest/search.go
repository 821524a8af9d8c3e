package shopifytest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shopify's search syntax (https://shopify.dev/docs/api/usage/search-syntax), the subset the
// connector and typical apps use:
//
//   - terms field:value, values bare or quoted ('…' or "…", with \ escapes);
//   - prefix queries field:value* and exists queries field:*;
//   - comparators field:>value, :>=, :<, :<= on dates, times and numbers (ranges are two of
//     them: created_at:>='2026-07-01' created_at:<'2026-08-01');
//   - AND (also implied between terms), OR, NOT and the - modifier, parentheses.
//
// String values match case-insensitively. Dates without a time are days in the shop's time
// zone (Asia/Tokyo, as the fake's shop reports it).
//
// The fake refuses, with a GraphQL error (code UNSUPPORTED_BY_FAKE) and before running
// anything, a query it cannot evaluate: a term without a field (free text, which Shopify
// searches across default fields by relevance), a field the fake does not evaluate for the
// resource, fuzzy (~) and boost (^) modifiers, a comparator on a text field, a value it cannot
// read. Shopify itself ignores a field it does not know, with a warning in extensions.search,
// and returns every object: a fake doing so would hand a test results it must not trust.

// shopZone is the fake shop's time zone (Shop.ianaTimezone "Asia/Tokyo", which has no DST).
var shopZone = time.FixedZone("JST", 9*60*60)

type searchKind int

const (
	kindText searchKind = iota
	kindTime
	kindNumber
)

// searchFields are the fields the fake evaluates, by root field.
var searchFields = map[string]map[string]searchKind{
	"orders": {"updated_at": kindTime, "created_at": kindTime, "processed_at": kindTime, "id": kindNumber,
		"name": kindText, "email": kindText, "sku": kindText, "financial_status": kindText, "status": kindText,
		"gateway": kindText},
	"productVariants": {"id": kindNumber, "sku": kindText, "title": kindText, "product_id": kindNumber},
	"inventoryItems":  {"id": kindNumber, "sku": kindText},
}

// searchExpr is a parsed search query. get returns a field's values (an order has one SKU per
// line); times are time.Time, numbers int64, text string.
type searchExpr interface {
	match(get func(field string) []any) bool
}

type (
	orExpr   []searchExpr
	andExpr  []searchExpr
	notExpr  struct{ e searchExpr }
	termExpr struct {
		field, op string // op ":" (equal), ">", ">=", "<", "<="
		kind      searchKind
		text      string
		from, to  time.Time // a time value covers [from, to): one instant, or a whole day
		num       int64
		prefix    bool
		exists    bool
	}
	allExpr struct{}
)

func (e orExpr) match(get func(string) []any) bool {
	for _, x := range e {
		if x.match(get) {
			return true
		}
	}
	return false
}

func (e andExpr) match(get func(string) []any) bool {
	for _, x := range e {
		if !x.match(get) {
			return false
		}
	}
	return true
}

func (e notExpr) match(get func(string) []any) bool { return !e.e.match(get) }

func (allExpr) match(func(string) []any) bool { return true }

func (t *termExpr) match(get func(string) []any) bool {
	for _, v := range get(t.field) {
		if t.matchOne(v) {
			return true
		}
	}
	return false
}

func (t *termExpr) matchOne(v any) bool {
	switch x := v.(type) {
	case string:
		if t.exists {
			return x != ""
		}
		if t.prefix {
			return strings.HasPrefix(strings.ToLower(x), strings.ToLower(t.text))
		}
		return strings.EqualFold(x, t.text)
	case time.Time:
		if t.exists {
			return !x.IsZero()
		}
		if x.IsZero() {
			return false
		}
		switch t.op {
		case ">=":
			return !x.Before(t.from)
		case ">":
			return !x.Before(t.to)
		case "<":
			return x.Before(t.from)
		case "<=":
			return x.Before(t.to)
		}
		return !x.Before(t.from) && x.Before(t.to)
	case int64:
		if t.exists {
			return true
		}
		switch t.op {
		case ">=":
			return x >= t.num
		case ">":
			return x > t.num
		case "<":
			return x < t.num
		case "<=":
			return x <= t.num
		}
		return x == t.num
	}
	return false
}

// parseSearch parses q for a resource whose searchable fields are fields. An empty query
// matches everything.
func parseSearch(fields map[string]searchKind, q string) (searchExpr, error) {
	toks, err := searchTokens(q)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return allExpr{}, nil
	}
	p := &searchParser{toks: toks, fields: fields}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q in search query", p.toks[p.i].s)
	}
	return e, nil
}

type searchTok struct {
	s     string // the token as written; "(" and ")" are parentheses only when paren is set
	paren bool
}

// searchTokens splits a query at white space and unescaped, unquoted parentheses.
func searchTokens(q string) ([]searchTok, error) {
	var toks []searchTok
	var b strings.Builder
	quote := rune(0)
	escaped := false
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, searchTok{s: b.String()})
			b.Reset()
		}
	}
	for _, r := range q {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			b.WriteRune(r)
			escaped = true
		case quote != 0:
			b.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		case r == '(' || r == ')':
			flush()
			toks = append(toks, searchTok{s: string(r), paren: true})
		default:
			b.WriteRune(r)
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("unterminated quote or escape in search query")
	}
	flush()
	return toks, nil
}

type searchParser struct {
	toks   []searchTok
	i      int
	fields map[string]searchKind
}

func (p *searchParser) peek(s string) bool {
	return p.i < len(p.toks) && p.toks[p.i].s == s && (p.toks[p.i].paren == (s == "(" || s == ")"))
}

func (p *searchParser) or() (searchExpr, error) {
	var alts orExpr
	for {
		e, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, e)
		if !p.peek("OR") {
			break
		}
		p.i++
		if p.i >= len(p.toks) || p.peek(")") {
			return nil, fmt.Errorf("OR without a term after it")
		}
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return alts, nil
}

func (p *searchParser) and() (searchExpr, error) {
	var all andExpr
	for p.i < len(p.toks) && !p.peek(")") && !p.peek("OR") {
		if p.peek("AND") {
			if len(all) == 0 {
				return nil, fmt.Errorf("AND without a term before it")
			}
			p.i++
			if p.i >= len(p.toks) || p.peek(")") || p.peek("OR") || p.peek("AND") {
				return nil, fmt.Errorf("AND without a term after it")
			}
			continue
		}
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		all = append(all, e)
	}
	switch len(all) {
	case 0:
		return nil, fmt.Errorf("connective without a term after it")
	case 1:
		return all[0], nil
	}
	return all, nil
}

func (p *searchParser) unary() (searchExpr, error) {
	if p.i >= len(p.toks) {
		return nil, fmt.Errorf("search query ends where a term is expected")
	}
	t := p.toks[p.i]
	switch {
	case t.paren && t.s == "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peek(")") {
			return nil, fmt.Errorf("unbalanced parentheses in search query")
		}
		p.i++
		return e, nil
	case t.paren:
		return nil, fmt.Errorf("unbalanced parentheses in search query")
	case t.s == "NOT":
		p.i++
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	case strings.HasPrefix(t.s, "-") && len(t.s) > 1:
		p.toks[p.i].s = t.s[1:]
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	p.i++
	return p.term(t.s)
}

// term reads field:[comparator]value.
func (p *searchParser) term(s string) (searchExpr, error) {
	field, rest, ok := cutUnescaped(s, ':')
	if !ok {
		return nil, fmt.Errorf("the fake shop does not search free text (%q has no field)", s)
	}
	kind, known := p.fields[field]
	if !known {
		return nil, fmt.Errorf("the fake shop does not search the field %q here", field)
	}
	t := &termExpr{field: field, op: ":", kind: kind}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(rest, op) {
			t.op, rest = op, rest[len(op):]
			break
		}
	}
	if rest == "" {
		return nil, fmt.Errorf("no value for %s", field)
	}
	var value string
	if q := rest[0]; q == '\'' || q == '"' {
		if len(rest) < 2 || rest[len(rest)-1] != q {
			return nil, fmt.Errorf("malformed quoted value for %s", field)
		}
		value = unescape(rest[1 : len(rest)-1])
	} else {
		switch {
		case rest == "*":
			if t.op != ":" {
				return nil, fmt.Errorf("an exists query takes no comparator")
			}
			t.exists = true
			return t, nil
		case strings.ContainsAny(rest, "~^"):
			return nil, fmt.Errorf("the fake shop does not evaluate fuzzy (~) or boost (^) modifiers")
		case strings.HasSuffix(rest, "*") && !strings.HasSuffix(rest, `\*`):
			t.prefix = true
			rest = rest[:len(rest)-1]
		}
		value = unescape(rest)
	}
	switch kind {
	case kindText:
		if t.op != ":" {
			return nil, fmt.Errorf("the fake shop does not compare text with %s (field %s)", t.op, field)
		}
		t.text = value
	case kindNumber:
		if t.prefix {
			return nil, fmt.Errorf("a prefix query on the number field %s", field)
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s takes a number", field)
		}
		t.num = n
	case kindTime:
		if t.prefix {
			return nil, fmt.Errorf("a prefix query on the date field %s", field)
		}
		from, to, err := searchTime(value)
		if err != nil {
			return nil, fmt.Errorf("%s takes a date or a time", field)
		}
		t.from, t.to = from, to
	}
	return t, nil
}

// searchTime reads an RFC 3339 time (one instant), a time without zone (the shop's), or a
// date (the whole day in the shop's zone).
func searchTime(v string) (from, to time.Time, err error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, t.Add(time.Nanosecond), nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, shopZone); err == nil {
		return t, t.Add(time.Nanosecond), nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, shopZone)
	if err != nil {
		return from, to, err
	}
	return t, t.AddDate(0, 0, 1), nil
}

// cutUnescaped cuts s at the first sep not escaped with \ and outside quotes.
func cutUnescaped(s string, sep byte) (string, string, bool) {
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == sep:
			return unescape(s[:i]), s[i+1:], true
		}
	}
	return s, "", false
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
