package openlogitest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/openlogi/internal/openapicheck"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newFake starts a fake checked against the OpenAPI file; a bad answer fails the test.
func newFake(t *testing.T, opts Options) *Server {
	t.Helper()
	opts.Validator = openapicheck.New(t)
	s := New(opts)
	t.Cleanup(func() {
		s.Close()
		if v := s.Violations(); len(v) > 0 {
			t.Errorf("answers outside the OpenAPI file:\n%s", strings.Join(v, "\n"))
		}
	})
	return s
}

// do sends one request straight to the handler.
func do(s *Server, method, path, body string, hdr map[string]string) (int, http.Header, map[string]any) {
	u, err := url.ParseRequestURI("/api" + path)
	if err != nil {
		return 0, nil, nil
	}
	req := (&http.Request{Method: method, URL: u, Host: "example.com", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body))}).WithContext(context.Background())
	req.Header.Set("Authorization", "Bearer "+s.opts.Token)
	req.Header.Set("X-Api-Version", APIVersion)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.serveHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, rec.Header(), out
}

const order1 = `{"identifier":"k1","order_no":"1001","recipient":{"postcode":"150-0001","prefecture":"東京都","address1":"渋谷区神宮前1-2-3","name":"山田 太郎"},"items":[{"code":"TEA-01","quantity":2}]}`

func TestAuthAndVersion(t *testing.T) {
	s := newFake(t, Options{})
	if code, _, body := do(s, "GET", "/shipments", "", map[string]string{"Authorization": "Bearer nope"}); code != 401 || body["error"] != "unauthorized" {
		t.Errorf("a wrong token: %d %v", code, body)
	}
	if code, _, body := do(s, "GET", "/shipments", "", map[string]string{"X-Api-Version": ""}); code != 400 || body["error"] != "api_exception" {
		t.Errorf("no version: %d %v", code, body)
	}
	if code, _, _ := do(s, "GET", "/shipments/TS999/k1", "", nil); code != 403 {
		t.Errorf("another account's path: %d, want 403", code)
	}
}

func TestRateLimit(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 1, 0, 0, 10, 0, time.UTC)}
	s := newFake(t, Options{Now: c.Now})
	for i := range 60 {
		if code, h, _ := do(s, "GET", "/shipments", "", nil); code != 200 || h.Get("X-RateLimit-Remaining") != itoa(59-i) {
			t.Fatalf("request %d: %d, remaining %s", i+1, code, h.Get("X-RateLimit-Remaining"))
		}
	}
	code, h, body := do(s, "GET", "/shipments", "", nil)
	if code != 429 || body["error"] != "Too Many Attempts." || h.Get("Retry-After") != "50" || h.Get("X-RateLimit-Limit") != "60" {
		t.Errorf("the 61st request: %d %v %v", code, h, body)
	}
	c.advance(50 * time.Second)
	if code, _, _ := do(s, "GET", "/shipments", "", nil); code != 200 {
		t.Errorf("the next minute: %d", code)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestLifecycle(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}
	s := newFake(t, Options{Now: c.Now})
	s.AddItem("TEA-01", "煎茶", 3)
	if code, _, body := do(s, "POST", "/shipments", order1, nil); code != 201 || body["status"] != "waiting" || body["id"] != "TS001-S000001" {
		t.Fatalf("create: %d %v", code, body)
	}
	if code, _, body := do(s, "POST", "/shipments", order1, nil); code != 422 || body["error"] != "validation_failed" {
		t.Errorf("a second create with the identifier: %d %v", code, body)
	}
	if it, _ := s.Item("TEA-01"); it.Available() != 1 {
		t.Errorf("available after allocating 2 of 3: %d", it.Available())
	}
	short := strings.Replace(strings.Replace(order1, `"k1"`, `"k2"`, 1), `"quantity":2`, `"quantity":5`, 1)
	if code, _, _ := do(s, "POST", "/shipments", short, nil); code != 422 {
		t.Errorf("a shipment the stock cannot cover: %d, want 422", code)
	}
	back := strings.Replace(short, `"items"`, `"backorder_if_unavailable":true,"items"`, 1)
	if code, _, body := do(s, "POST", "/shipments", back, nil); code != 201 || body["status"] != "backordered" {
		t.Errorf("backordered: %d %v", code, body)
	}
	if err := s.Pick("k1"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := do(s, "PUT", "/shipments/TS001/k1", order1, nil); code != 400 {
		t.Errorf("PUT while picking: %d, want 400", code)
	}
	if code, _, _ := do(s, "DELETE", "/shipments/TS001/k1", "", nil); code != 400 {
		t.Errorf("DELETE while picking: %d, want 400", code)
	}
	mod := `{"identifier":"k1","items":[{"code":"TEA-01","quantity":1}],"recipient":{"postcode":"150-0001","prefecture":"東京都","address1":"渋谷区神宮前9-9-9","name":"山田 太郎"},"delivery_time_slot":"AM"}`
	if code, _, body := do(s, "POST", "/shipments/TS001/k1/modify", mod, nil); code != 200 || body["status"] != "modify_request" {
		t.Fatalf("modify: %d %v", code, body)
	}
	if err := s.AcceptRequest("k1"); err != nil {
		t.Fatal(err)
	}
	sh, _ := s.Shipment("k1")
	if sh.Status != "picking" || sh.Lines[0].Quantity != 1 || sh.Fields["delivery_time_slot"] != "AM" {
		t.Errorf("after accepting the modify request: %+v", sh)
	}
	if err := s.Pack("k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ship("k1", "1234-5678"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := do(s, "POST", "/shipments/TS001/k1/cancel", "", nil); code != 400 {
		t.Errorf("cancel after shipping: %d %v", code, body)
	}
	code, _, body := do(s, "GET", "/shipments/shipped/2026/12/01", "", nil)
	list, _ := body["shipments"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["tracking_codes"].([]any)[0] != "1234-5678" {
		t.Errorf("shipped list: %d %v", code, body)
	}
	if code, _, body := do(s, "GET", "/shipments/shipped?date_after=20261202", "", nil); code != 200 || len(body["shipments"].([]any)) != 0 {
		t.Errorf("date_after past the last day: %d %v", code, body)
	}
	id := s.AddItem("TEA-01", "", 3)
	code, _, body = do(s, "GET", "/items?id="+id+"&stock=1", "", nil)
	stock := body["items"].([]any)[0].(map[string]any)["stock"].(map[string]any)
	if code != 200 || stock["quantity"] != 3.0 || stock["available"] != 3.0 {
		t.Errorf("stock after shipping 1 of 3 and recounting 3: %d %v", code, stock)
	}
}

// FuzzHandlers: no request makes the fake panic or lose track of its stock.
func FuzzHandlers(f *testing.F) {
	f.Add("POST", "/shipments", order1)
	f.Add("PUT", "/shipments/TS001/k1", order1)
	f.Add("POST", "/shipments/TS001/k1/modify", `{"identifier":"k1","items":[{"code":"TEA-01","quantity":"x"}]}`)
	f.Add("POST", "/shipments/TS001/k1/cancel", ``)
	f.Add("DELETE", "/shipments/TS001/k1", ``)
	f.Add("GET", "/shipments/shipped?date_before=20261301", ``)
	f.Add("GET", "/items?id=a,b&stock=1", ``)
	f.Add("GET", "/shipments/shipped/2026/2/31", ``)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if _, err := url.ParseRequestURI("/api" + path); err != nil || !strings.HasPrefix(path, "/") || len(path) > 200 {
			return
		}
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return
		}
		for _, picked := range []bool{false, true} {
			s := newState(Options{Token: "t", AccountID: "TS001", RequestsPerMinute: -1, Now: time.Now})
			s.AddItem("TEA-01", "煎茶", 100)
			do(s, "POST", "/shipments", order1, nil)
			if picked {
				_ = s.Pick("k1")
			}
			do(s, method, path, body, nil)
			_, _ = s.Ship("k1")
			do(s, method, path, body, nil)
			it, _ := s.Item("TEA-01")
			if it.Shipping < 0 || it.Quantity > 100 || it.Quantity < 0 {
				t.Fatalf("the fake's stock went wrong: %+v", it)
			}
		}
	})
}
