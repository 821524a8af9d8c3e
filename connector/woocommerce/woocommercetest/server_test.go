package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type got struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) send(t testing.TB, method, path string, query url.Values, body any, auth bool) got {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u := s.URL() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, _ := http.NewRequest(method, u, rd)
	if auth {
		req.SetBasicAuth(s.ConsumerKey(), s.ConsumerSecret())
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return got{resp.StatusCode, resp.Header, b}
}

func wantError(t *testing.T, g got, status int, code string) {
	t.Helper()
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Data    struct {
			Status int `json:"status"`
		} `json:"data"`
	}
	if err := json.Unmarshal(g.body, &e); err != nil {
		t.Fatalf("the error body %q is not WooCommerce's shape: %v", g.body, err)
	}
	if g.status != status || e.Code != code || e.Data.Status != status || e.Message == "" {
		t.Errorf("got %d %+v, want %d %s", g.status, e, status, code)
	}
}

func TestAuth(t *testing.T) {
	s := NewTest(t, Options{})
	wantError(t, s.send(t, "GET", APIPrefix+"/orders", nil, nil, false), 401, "woocommerce_rest_cannot_view")
	wantError(t, s.send(t, "POST", APIPrefix+"/products/batch", nil, map[string]any{}, false), 401, "woocommerce_rest_cannot_create")
	wrong := url.Values{"consumer_key": {s.ConsumerKey()}, "consumer_secret": {"nope"}}
	wantError(t, s.send(t, "GET", APIPrefix+"/orders", wrong, nil, false), 401, "woocommerce_rest_authentication_error")
	ok := url.Values{"consumer_key": {s.ConsumerKey()}, "consumer_secret": {s.ConsumerSecret()}}
	if g := s.send(t, "GET", APIPrefix+"/orders", ok, nil, false); g.status != 200 {
		t.Errorf("query-string credentials over HTTPS got %d", g.status)
	}
	if g := s.send(t, "GET", APIPrefix+"/orders", nil, nil, true); g.status != 200 {
		t.Errorf("Basic credentials got %d", g.status)
	}
	if st := s.Stats(); st.Unauthorized != 3 {
		t.Errorf("Unauthorized = %d, want 3", st.Unauthorized)
	}
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Errorf("the fake is not served over TLS: %s", s.URL())
	}
}

func TestPagingAndLimits(t *testing.T) {
	now := time.Date(2026, 7, 1, 3, 0, 0, 0, time.UTC)
	clock := now
	s := NewTest(t, Options{Now: func() time.Time { return clock }})
	for i := range 25 {
		clock = now.Add(time.Duration(i) * time.Second)
		s.CreateOrder(OrderInput{Lines: []LineInput{{SKU: "A", Quantity: 1, Price: 100}}})
	}
	q := url.Values{"per_page": {"10"}, "page": {"3"}, "orderby": {"id"}, "order": {"asc"}}
	g := s.send(t, "GET", APIPrefix+"/orders", q, nil, true)
	var list []map[string]any
	json.Unmarshal(g.body, &list)
	if g.status != 200 || len(list) != 5 || g.header.Get("X-WP-Total") != "25" || g.header.Get("X-WP-TotalPages") != "3" {
		t.Fatalf("page 3: %d, %d orders, total %s/%s", g.status, len(list), g.header.Get("X-WP-Total"), g.header.Get("X-WP-TotalPages"))
	}
	if !strings.Contains(g.header.Get("Link"), `rel="prev"`) || strings.Contains(g.header.Get("Link"), `rel="next"`) {
		t.Errorf("Link = %s", g.header.Get("Link"))
	}
	wantError(t, s.send(t, "GET", APIPrefix+"/orders", url.Values{"per_page": {"101"}}, nil, true), 400, "rest_invalid_param")
	wantError(t, s.send(t, "GET", APIPrefix+"/orders", url.Values{"orderby": {"modified"}}, nil, true), 400, "rest_invalid_param")
	wantError(t, s.send(t, "GET", APIPrefix+"/nothing", nil, nil, true), 404, "rest_no_route")
	wantError(t, s.send(t, "GET", TrackingPrefix+"/orders/1/shipment-trackings", nil, nil, true), 404, "rest_no_route")
	wantError(t, s.send(t, "GET", APIPrefix+"/orders/99999", nil, nil, true), 404, "woocommerce_rest_shop_order_invalid_id")

	// modified_after is strict; dates_are_gmt reads the bound in UTC, otherwise in Tokyo.
	after := now.Add(9 * time.Second).Format("2006-01-02T15:04:05")
	g = s.send(t, "GET", APIPrefix+"/orders", url.Values{"modified_after": {after}, "dates_are_gmt": {"true"}, "per_page": {"100"}}, nil, true)
	if g.header.Get("X-WP-Total") != "15" {
		t.Errorf("modified_after %s (GMT) matched %s orders, want 15", after, g.header.Get("X-WP-Total"))
	}
	g = s.send(t, "GET", APIPrefix+"/orders", url.Values{"modified_after": {after}, "per_page": {"100"}}, nil, true)
	if g.header.Get("X-WP-Total") != "25" {
		t.Errorf("modified_after %s in the site's zone (9 hours earlier) matched %s orders, want 25", after, g.header.Get("X-WP-Total"))
	}

	var items []map[string]any
	for i := range 101 {
		items = append(items, map[string]any{"id": i + 1, "stock_quantity": 1})
	}
	wantError(t, s.send(t, "POST", APIPrefix+"/products/batch", nil, map[string]any{"update": items}, true), 413, "woocommerce_rest_request_entity_too_large")
}

func TestBatchPerItemErrors(t *testing.T) {
	s := NewTest(t, Options{})
	a := s.AddProduct("A", 1)
	parent, vars := s.AddVariableProduct("V", "V1")
	g := s.send(t, "POST", APIPrefix+"/products/batch", nil, map[string]any{"update": []any{
		map[string]any{"id": a, "stock_quantity": 5}, map[string]any{"id": vars[0], "stock_quantity": 5}}}, true)
	var out struct {
		Update []map[string]any `json:"update"`
	}
	json.Unmarshal(g.body, &out)
	if g.status != 200 || len(out.Update) != 2 || out.Update[1]["error"] == nil || out.Update[0]["error"] != nil {
		t.Fatalf("batch answered %d %s", g.status, g.body)
	}
	if n, _ := s.Stock("A"); n != 5 {
		t.Errorf("A = %d", n)
	}
	if n, _ := s.Stock("V1"); n != 0 {
		t.Errorf("a variation changed through products/batch: %d", n)
	}
	g = s.send(t, "POST", fmt.Sprintf("%s/products/%d/variations/batch", APIPrefix, parent), nil, map[string]any{"update": []any{map[string]any{"id": vars[0], "stock_quantity": 4}}}, true)
	if n, _ := s.Stock("V1"); g.status != 200 || n != 4 {
		t.Errorf("variations/batch: %d, V1 = %d", g.status, n)
	}
}

func TestThrottleAndStall(t *testing.T) {
	s := NewTest(t, Options{})
	s.ThrottleNext(2 * time.Second)
	g := s.send(t, "GET", APIPrefix+"/orders", nil, nil, true)
	if g.status != 429 || g.header.Get("Retry-After") != "2" {
		t.Errorf("throttled: %d Retry-After %q", g.status, g.header.Get("Retry-After"))
	}
	s.AddProduct("A", 1)
	id, _ := s.ProductID("A")
	s.StallNext()
	c := s.Client()
	c.Timeout = 100 * time.Millisecond
	b, _ := json.Marshal(map[string]any{"update": []any{map[string]any{"id": id, "stock_quantity": 9}}})
	req, _ := http.NewRequest("POST", s.URL()+APIPrefix+"/products/batch", bytes.NewReader(b))
	req.SetBasicAuth(s.ConsumerKey(), s.ConsumerSecret())
	if _, err := c.Do(req); err == nil {
		t.Errorf("a stalled write answered")
	}
	if n, _ := s.Stock("A"); n != 9 {
		t.Errorf("the stalled write did not apply: A = %d", n)
	}
}

// FuzzServer sends arbitrary authenticated requests: the fake must not panic and must answer
// every failure with WooCommerce's error body.
func FuzzServer(f *testing.F) {
	f.Add("GET", "/wp-json/wc/v3/orders", "per_page=5&offset=2&modified_after=2026-01-01T00:00:00", []byte(nil))
	f.Add("POST", "/wp-json/wc/v3/products/batch", "", []byte(`{"update":[{"id":101,"stock_quantity":3}]}`))
	f.Add("PUT", "/wp-json/wc/v3/orders/102", "", []byte(`{"status":"completed","meta_data":[{"key":"k","value":{"a":1}}]}`))
	f.Add("POST", "/wp-json/wc/v3/orders/102/notes", "", []byte(`{"note":"x","customer_note":true}`))
	f.Add("GET", "/wp-json/wc/v3/products/103/variations", "include=104,x", []byte(nil))
	f.Add("POST", "/wp-json/wc-shipment-tracking/v3/orders/102/shipment-trackings", "", []byte(`{"tracking_provider":"Yamato","tracking_number":"1"}`))
	s := NewTest(f, Options{TrackingExtension: true})
	s.AddProduct("A", 1)
	s.CreateOrder(OrderInput{Lines: []LineInput{{SKU: "A", Quantity: 1, Price: 1}}})
	s.AddVariableProduct("V", "V1")
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE":
		default:
			return
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?# \x00") {
			return
		}
		u, err := url.Parse(s.URL() + path + "?" + query)
		if err != nil {
			return
		}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.SetBasicAuth(s.ConsumerKey(), s.ConsumerSecret())
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 400 && strings.HasPrefix(path, "/wp-json/") {
			var e struct {
				Code string `json:"code"`
			}
			if json.Unmarshal(b, &e) != nil || e.Code == "" {
				t.Fatalf("%s %s answered %d without an error body: %q", method, path, resp.StatusCode, b)
			}
		}
	})
}
