package basetest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHandlers sends arbitrary requests to every endpoint of the fake, with and without a valid
// token: it must answer each without panicking, and every refusal in BASE's error shape.
func FuzzHandlers(f *testing.F) {
	f.Add("GET", "/1/orders", "start_ordered=2026-07-01&end_ordered=2026-07-02+10:00:00&limit=100&offset=0", "", true)
	f.Add("POST", "/1/orders/edit_status", "", "order_item_id=501&status=dispatched&add_comment=x", true)
	f.Add("POST", "/1/orders/edit_status", "", "order_item_id=501&atobarai_status=shipping&delivery_company_id=1&tracking_number=12", true)
	f.Add("POST", "/1/items/edit_stock", "", "item_id=1001&variation_id=101&variation_stock=-4", true)
	f.Add("GET", "/1/items", "order=modified&sort=desc&limit=0&offset=99999999999", "", true)
	f.Add("GET", "/1/orders/detail/ABC", "", "", false)
	f.Add("POST", "/1/oauth/token", "", "grant_type=refresh_token&client_id=client-id", false)
	s := New(Options{})
	defer s.Close()
	s.AddItem("煎茶", "SENCHA", 1200, 5)
	s.AddItem("湯呑", "", 2500, 0, VariationInput{Name: "白", Identifier: "CUP-W", Stock: 2})
	key, err := s.PlaceOrder(OrderInput{Buyer: Address{LastName: "山田", Address: "1-1", ZipCode: "100-0001"},
		Lines: []LineInput{{SKU: "SENCHA", Amount: 1}, {SKU: "CUP-W", Amount: 1}}, Payment: "atobarai"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("GET", "/1/orders/detail/"+key, "", "", true)
	h := s.srv.Config.Handler
	tok := s.Token().AccessToken
	f.Fuzz(func(t *testing.T, method, path, query, body string, auth bool) {
		switch method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead:
		default:
			method = http.MethodGet
		}
		req, err := http.NewRequest(method, "http://fake/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Path, req.URL.RawQuery = path, query
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == http.StatusBadRequest && !strings.Contains(w.Body.String(), `"error"`) {
			t.Fatalf("a refusal without BASE's error body: %s", w.Body.String())
		}
	})
}
