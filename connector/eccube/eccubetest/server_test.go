package eccubetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func newFake(t *testing.T) *Server {
	t.Helper()
	return NewTest(t, Options{ClientCredentials: true})
}

func bearer(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&ans)
	tok, _ := ans["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", ans)
	}
	return tok
}

type answer struct {
	Status int
	Body   map[string]any
	Raw    string
}

func post(t *testing.T, s *Server, tok, query string, vars map[string]any) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api", bytes.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

func firstError(a answer) string {
	errs, _ := a.Body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestAuth(t *testing.T) {
	s := newFake(t)
	if a := post(t, s, "", `{ hello }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", a.Status)
	}
	if a := post(t, s, "forged", `{ hello }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("a forged token: %d", a.Status)
	}
	tok := bearer(t, s)
	if a := post(t, s, tok, `{ hello }`, nil); a.Status != 200 || !strings.Contains(a.Raw, `"hello":"hello"`) {
		t.Fatalf("a valid token: %d %s", a.Status, a.Raw)
	}
	s.ExpireTokens()
	if a := post(t, s, tok, `{ hello }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", a.Status)
	}
	resp, _ := http.PostForm(s.URL()+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID()}, "client_secret": {"x"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong secret: %d", resp.StatusCode)
	}
	plain := NewTest(t, Options{})
	resp, _ = http.PostForm(plain.URL()+"/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {plain.ClientID()}, "client_secret": {plain.ClientSecret()}})
	var oe map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&oe)
	resp.Body.Close()
	if resp.StatusCode != 400 || oe["error"] != "unsupported_grant_type" {
		t.Fatalf("client credentials on the plugin's default config: %d %v", resp.StatusCode, oe)
	}
	ro := NewTest(t, Options{ClientCredentials: true, ReadOnly: true})
	ro.AddProduct("A", "a", 1)
	a := post(t, ro, bearer(t, ro), `mutation { updateProductStock(code: "A", stock: 2, stock_unlimited: false) { code } }`, nil)
	if !strings.Contains(firstError(a), "Insufficient permission") {
		t.Fatalf("a read-only token writing: %s", a.Raw)
	}
}

func TestPaging(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s := NewTest(t, Options{ClientCredentials: true, Now: func() time.Time { at = at.Add(time.Second); return at }})
	for range 5 {
		s.PlaceOrder(OrderInput{Buyer: Address{Name01: "a", Name02: "b"}, Lines: []LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 1}}})
	}
	tok := bearer(t, s)
	q := `query($p: Int, $l: Int) { orders(page: $p, limit: $l) { totalCount pageInfo { hasNextPage hasPreviousPage } nodes { id update_date } } }`
	a := post(t, s, tok, q, map[string]any{"p": 2, "l": 2})
	o := a.Body["data"].(map[string]any)["orders"].(map[string]any)
	nodes := o["nodes"].([]any)
	pi := o["pageInfo"].(map[string]any)
	if o["totalCount"].(float64) != 5 || len(nodes) != 2 || pi["hasNextPage"] != true || pi["hasPreviousPage"] != true {
		t.Fatalf("page 2 of 5 by 2: %s", a.Raw)
	}
	// Newest update first.
	if nodes[0].(map[string]any)["id"].(string) <= nodes[1].(map[string]any)["id"].(string) {
		t.Fatalf("not newest first: %s", a.Raw)
	}
	a = post(t, s, tok, q, map[string]any{"p": 0, "l": 2})
	if !strings.HasPrefix(firstError(a), "page:") || !strings.Contains(a.Raw, `"orders":null`) {
		t.Fatalf("page 0: %s", a.Raw)
	}
	a = post(t, s, tok, `{ orders(update_datetime_start: "2026-12-01") { totalCount } }`, nil)
	if firstError(a) == "" {
		t.Fatalf("a date that is not DATE_ATOM: %s", a.Raw)
	}
	a = post(t, s, tok, `{ orders(update_datetime_start: "2026-12-01T00:00:03+00:00") { totalCount } }`, nil)
	if !strings.Contains(a.Raw, `"totalCount":3`) {
		t.Fatalf("update_datetime_start: %s", a.Raw)
	}
}

func TestMutations(t *testing.T) {
	s := newFake(t)
	s.AddProduct("A", "a", 1)
	id := s.PlaceOrder(OrderInput{Buyer: Address{Name01: "a", Name02: "b"}, Lines: []LineInput{{Code: "A", Name: "a", Quantity: 1, Price: 1}}})
	tok := bearer(t, s)
	sh := s.Shippings(id)[0].ID
	m := `mutation($id: ID!) { updateShipped(id: $id, tracking_number: "1", shipping_delivery_name: "佐川急便") { id tracking_number shipping_date } }`
	if a := post(t, s, tok, m, map[string]any{"id": sh}); firstError(a) != "" || s.Status(id) != StatusDelivered {
		t.Fatalf("updateShipped: %s, status %d", a.Raw, s.Status(id))
	}
	if a := post(t, s, tok, m, map[string]any{"id": sh}); firstError(a) != "id: Already shipped;" {
		t.Fatalf("shipped twice: %s", a.Raw)
	}
	if a := post(t, s, tok, m, map[string]any{"id": "99999"}); firstError(a) != "id: No Shipping found;" {
		t.Fatalf("unknown shipping: %s", a.Raw)
	}
	a := post(t, s, tok, `mutation { a: updateProductStock(code: "A", stock: 5, stock_unlimited: false) { stock } b: updateProductStock(code: "X", stock: 5, stock_unlimited: false) { stock } c: updateProductStock(code: "A", stock_unlimited: false) { stock } }`, nil)
	if !strings.Contains(a.Raw, `"a":{"stock":5.0}`) || !strings.Contains(a.Raw, `"b":null`) || !strings.Contains(a.Raw, "stock is required") {
		t.Fatalf("stock fields: %s", a.Raw)
	}
	if a := post(t, s, tok, `mutation { updateProductStock(code: "A", stock_unlimited: true) { stock stock_unlimited } }`, nil); !strings.Contains(a.Raw, `"stock":null,"stock_unlimited":true`) {
		t.Fatalf("unlimited: %s", a.Raw)
	}
	if _, unlimited, _ := s.Stock("A"); !unlimited {
		t.Fatal("not unlimited")
	}
	if a := post(t, s, tok, `{ orders { nodes { id no_such_field } } }`, nil); a.Status != 200 || !strings.Contains(firstError(a), "no_such_field") {
		t.Fatalf("an unknown field: %d %s", a.Status, a.Raw)
	}
}

func TestFaults(t *testing.T) {
	s := newFake(t)
	tok := bearer(t, s)
	s.ThrottleNext(3 * time.Second)
	if a := post(t, s, tok, `{ hello }`, nil); a.Status != 429 {
		t.Fatalf("throttle: %d", a.Status)
	}
	s.FailNext(503)
	if a := post(t, s, tok, `{ hello }`, nil); a.Status != 503 {
		t.Fatalf("fail: %d", a.Status)
	}
	if a := post(t, s, tok, `{ hello }`, nil); a.Status != 200 {
		t.Fatalf("after the faults: %d", a.Status)
	}
	s.SlowNext(time.Minute)
	client := &http.Client{Timeout: 50 * time.Millisecond}
	start := time.Now()
	resp, err := client.Get(s.URL() + "/api?query=%7Bhello%7D")
	if err == nil {
		resp.Body.Close()
		t.Fatal("a slow answer came in time")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the client's timeout did not end the slow answer")
	}
	s.AddProduct("A", "a", 1)
	s.StallNext()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api", strings.NewReader(`{"query":"mutation { updateProductStock(code: \"A\", stock: 9, stock_unlimited: false) { code } }"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a stalled mutation answered")
	}
	if n, _, _ := s.Stock("A"); n != 9 {
		t.Fatalf("the stalled mutation was not applied: stock %d", n)
	}
}

func TestWebhook(t *testing.T) {
	s := newFake(t)
	s.PlaceOrder(OrderInput{Buyer: Address{Name01: "a"}, Lines: []LineInput{{Code: "A", Quantity: 1}}})
	req := s.TakeWebhook("http://example.invalid/hook", "k")
	body, _ := io.ReadAll(req.Body)
	if string(body) != `[{"entity":"order","id":1,"action":"created"}]` || req.Header.Get("X-ECCUBE-Signature") != Sign(body, "k") {
		t.Fatalf("webhook %s %v", body, req.Header)
	}
	if s.TakeWebhook("http://example.invalid/hook", "k") != nil {
		t.Fatal("a second webhook without changes")
	}
}

func TestExtractSDL(t *testing.T) {
	if _, err := ExtractSDL([]byte("# no fence\n")); err == nil {
		t.Fatal("a page without SDL was accepted")
	}
	sdl, err := ExtractSDL([]byte("text\n```graphql\ntype Query { a: Int }\n```\nmore\n"))
	if err != nil || strings.TrimSpace(sdl) != "type Query { a: Int }" {
		t.Fatalf("%q %v", sdl, err)
	}
}

// FuzzAPI: any document and variables get an answer, never a crash of the handler.
func FuzzAPI(f *testing.F) {
	f.Add(`{ orders(limit: 2) { nodes { id Shippings { id } } } }`, `{}`)
	f.Add(`mutation($c: String!) { updateProductStock(code: $c, stock: -1, stock_unlimited: false) { code } }`, `{"c":"A"}`)
	f.Add(`mutation($id: ID!) { updateShipped(id: $id, shipping_date: "x") { id } }`, `{"id":"2"}`)
	f.Add(`query Q($p: Int) { orders(page: $p) { totalCount } } query R { hello }`, `{"p":1e300}`)
	f.Add(`{ __typename ... on Query { hello } }`, `null`)
	s := NewTest(f, Options{ClientCredentials: true})
	s.AddProduct("A", "a", 1)
	s.PlaceOrder(OrderInput{Buyer: Address{Name01: "a"}, Lines: []LineInput{{Code: "A", Quantity: 1}}})
	tok := ""
	f.Fuzz(func(t *testing.T, query, vars string) {
		if tok == "" {
			tok = bearer(t, s)
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(validJSON(vars))})
		req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("the fake dropped the connection (a handler panic?): %v", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var v any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatalf("the answer is not JSON: %v", err)
		}
	})
}

func validJSON(s string) string {
	if json.Valid([]byte(s)) {
		return s
	}
	return "null"
}
