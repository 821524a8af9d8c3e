package colormetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzHandlers sends arbitrary requests to the fake: it never panics, and every refusal carries
// Color Me Shop's error body.
func FuzzHandlers(f *testing.F) {
	f.Add("GET", "/v1/sales", "limit=100&update_date_min=2026-01-01+00:00:00", "")
	f.Add("GET", "/v1/sales.json", "ids=1,x&fields=id", "")
	f.Add("PUT", "/v1/sales/1002", "", `{"sale":{"sale_deliveries":[{"id":1003,"slip_number":"1,2","delivered":true}]}}`)
	f.Add("PUT", "/v1/products/1001", "", `{"product":{"variants":[{"option1_value":"赤","stocks":{"increment":-2}}]}}`)
	f.Add("GET", "/v1/stocks", "model_number=A&limit=0", "")
	f.Add("GET", "/v1/products/99999999999999999999", "", "")
	s := New(Options{Now: func() time.Time { return time.Unix(1765000000, 0) }})
	f.Cleanup(s.Close)
	s.AddProduct("扇子", "A", 100, 5, VariantInput{Option1: "赤", ModelNumber: "A-RED"})
	if _, _, err := s.PlaceSale(SaleInput{Destinations: []DestinationInput{{To: Address{Name: "x", Address1: "y", PrefID: 13}, Lines: []LineInput{{SKU: "A-RED", Quantity: 1}}}}}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(http.MethodGet, "/", strings.NewReader(body))
		req.Method = method
		req.URL.Path = path
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+s.Token())
		rec := httptest.NewRecorder()
		s.handle(rec, req)
		if rec.Code >= 400 {
			var e apiError
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || len(e.Errors) == 0 || e.Errors[0].Status != rec.Code {
				t.Fatalf("%s %s?%s: status %d with body %q", method, path, query, rec.Code, rec.Body.String())
			}
		}
	})
}
