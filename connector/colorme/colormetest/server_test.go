package colormetest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, path, b)
	}
	if resp.StatusCode >= 400 {
		errs, _ := m["errors"].([]any)
		if len(errs) != 1 {
			t.Errorf("%s %s: status %d without Color Me's error body: %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, m
}

var where = Address{Name: "佐藤 花子", Postal: "460-0008", PrefID: 23, Address1: "名古屋市中区栄3-1-1"}

func TestServerBehaviour(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, JST)
	s := NewTest(t, Options{Now: func() time.Time { return now }})
	pid := s.AddProduct("手ぬぐい", "", 1200, 0, VariantInput{Option1: "藍", ModelNumber: "T-AI", Stock: 5}, VariantInput{Option1: "紅", ModelNumber: "T-BENI", Stock: 5})
	old, _, _ := s.PlaceSale(SaleInput{Destinations: []DestinationInput{{To: where, Lines: []LineInput{{SKU: "T-AI", Quantity: 1}}}}})
	now = now.Add(10 * 24 * time.Hour)
	recent, dests, _ := s.PlaceSale(SaleInput{Destinations: []DestinationInput{{To: where, Lines: []LineInput{{SKU: "T-AI", Quantity: 2}}}}})

	t.Run("Auth", func(t *testing.T) {
		if st, _ := call(t, s, "", "GET", "/v1/sales", ""); st != http.StatusUnauthorized {
			t.Errorf("no token: %d", st)
		}
		if st, _ := call(t, s, "wrong", "GET", "/v1/sales", ""); st != http.StatusUnauthorized {
			t.Errorf("wrong token: %d", st)
		}
	})
	t.Run("DefaultWindow", func(t *testing.T) {
		// Without a date only the last seven days are listed; make_date_min reaches further.
		_, m := call(t, s, s.Token(), "GET", "/v1/sales", "")
		if sales := m["sales"].([]any); len(sales) != 1 || int64(sales[0].(map[string]any)["id"].(float64)) != recent {
			t.Errorf("default window lists %v, want only the recent sale", m["sales"])
		}
		_, m = call(t, s, s.Token(), "GET", "/v1/sales?make_date_min=2026-12-01", "")
		if total := m["meta"].(map[string]any)["total"].(float64); total != 2 {
			t.Errorf("make_date_min 2026-12-01 counts %v, want both (sale %d too)", total, old)
		}
	})
	t.Run("Limits", func(t *testing.T) {
		if st, _ := call(t, s, s.Token(), "GET", "/v1/sales?limit=101", ""); st != http.StatusBadRequest {
			t.Errorf("limit 101: %d", st)
		}
		if st, _ := call(t, s, s.Token(), "GET", "/v1/stocks?limit=51", ""); st != http.StatusBadRequest {
			t.Errorf("stocks limit 51: %d", st)
		}
		_, m := call(t, s, s.Token(), "GET", "/v1/sales?make_date_min=2026-12-01&limit=1&offset=1&fields=id", "")
		sales := m["sales"].([]any)
		if len(sales) != 1 || len(sales[0].(map[string]any)) != 1 || int64(sales[0].(map[string]any)["id"].(float64)) != old {
			t.Errorf("offset 1, fields=id: %v", sales)
		}
	})
	t.Run("UpdateSaleWholeOrNothing", func(t *testing.T) {
		body := `{"sale":{"sale_deliveries":[{"id":` + strconv.FormatInt(dests[0], 10) + `,"slip_number":"1","delivered":true},{"id":1,"delivered":true}]}}`
		if st, _ := call(t, s, s.Token(), "PUT", "/v1/sales/"+strconv.FormatInt(recent, 10), body); st != http.StatusNotFound {
			t.Errorf("an unknown destination: %d", st)
		}
		if sale, _ := s.Sale(recent); sale.SaleDeliveries[0].Delivered {
			t.Error("a refused update changed the first destination")
		}
	})
	t.Run("OptionsIgnoreProductStocks", func(t *testing.T) {
		call(t, s, s.Token(), "PUT", "/v1/products/"+strconv.FormatInt(pid, 10), `{"product":{"stocks":50,"variants":[{"option1_value":"紅","stocks":{"increment":-2}}]}}`)
		if n, _ := s.Stock("T-BENI"); n != 3 {
			t.Errorf("紅 shows %d, want 5-2", n)
		}
		if n, _ := s.Stock("T-AI"); n != 2 {
			t.Errorf("藍 shows %d, want 5-1-2 (the product-level 50 ignored)", n)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		if err := s.CancelSale(recent, true); err != nil {
			t.Fatal(err)
		}
		sale, _ := s.Sale(recent)
		if !sale.Canceled || sale.Details[0].ProductNum != 0 || sale.TotalPrice != 0 {
			t.Errorf("cancelled sale: canceled %v, product_num %d, total %d", sale.Canceled, sale.Details[0].ProductNum, sale.TotalPrice)
		}
		if n, _ := s.Stock("T-AI"); n != 4 {
			t.Errorf("藍 shows %d after the restock, want 4", n)
		}
		body := `{"sale":{"sale_deliveries":[{"id":` + strconv.FormatInt(dests[0], 10) + `,"delivered":true}]}}`
		if st, _ := call(t, s, s.Token(), "PUT", "/v1/sales/"+strconv.FormatInt(recent, 10), body); st != http.StatusBadRequest {
			t.Errorf("shipping a cancelled sale: %d", st)
		}
	})
	t.Run("Throttle", func(t *testing.T) {
		s.ThrottleNext(3 * time.Second)
		req, _ := http.NewRequest("GET", s.URL()+"/v1/sales", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
			t.Errorf("throttled: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
}
