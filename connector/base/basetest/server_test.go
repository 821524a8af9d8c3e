package basetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/base/basetest"
)

type answer struct {
	status int
	body   map[string]any
}

func do(t *testing.T, s *basetest.Server, token, method, path string, form url.Values) answer {
	t.Helper()
	var body io.Reader
	u := s.URL() + path
	if method == http.MethodGet && form != nil {
		u += "?" + form.Encode()
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil && method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return answer{resp.StatusCode, m}
}

func wantError(t *testing.T, a answer, code string) {
	t.Helper()
	if a.status != http.StatusBadRequest || a.body["error"] != code || a.body["error_description"] == "" {
		t.Errorf("got %d %v, want 400 with error %s and a description", a.status, a.body, code)
	}
}

var buyer = basetest.Address{LastName: "山田", FirstName: "太郎", ZipCode: "150-0001", Prefecture: "東京都", Address: "渋谷区1-1"}

// TestAuth: BASE refuses a missing, unknown or expired bearer token with 400 invalid_request.
func TestAuth(t *testing.T) {
	clock := basetest.NewVirtualClock(time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC))
	s := basetest.NewTest(t, basetest.Options{Now: clock.Now})
	tok := s.Token()
	wantError(t, do(t, s, "", http.MethodGet, "/1/orders", nil), "invalid_request")
	wantError(t, do(t, s, "nope", http.MethodGet, "/1/orders", nil), "invalid_request")
	if a := do(t, s, tok.AccessToken, http.MethodGet, "/1/orders", nil); a.status != 200 {
		t.Fatalf("a valid token: %v", a)
	}
	clock.Advance(time.Hour)
	wantError(t, do(t, s, tok.AccessToken, http.MethodGet, "/1/orders", nil), "invalid_request")

	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {s.ClientID()}, "client_secret": {s.ClientSecret()},
		"redirect_uri": {s.RedirectURI()}, "refresh_token": {tok.RefreshToken}}
	a := do(t, s, "", http.MethodPost, "/1/oauth/token", refresh)
	if a.status != 200 || a.body["expires_in"] != float64(3600) || a.body["token_type"] != "bearer" || a.body["refresh_token"] == tok.RefreshToken {
		t.Fatalf("refresh: %v", a)
	}
	wantError(t, do(t, s, "", http.MethodPost, "/1/oauth/token", refresh), "invalid_request") // the old one is retired
	bad := url.Values{"grant_type": {"refresh_token"}, "client_id": {s.ClientID()}, "client_secret": {"wrong"},
		"redirect_uri": {s.RedirectURI()}, "refresh_token": {a.body["refresh_token"].(string)}}
	wantError(t, do(t, s, "", http.MethodPost, "/1/oauth/token", bad), "unauthorized_client")
	if a := do(t, s, a.body["access_token"].(string), http.MethodGet, "/1/items", nil); a.status != 200 {
		t.Errorf("the refreshed token: %v", a)
	}
	clock.Advance(31 * 24 * time.Hour)
	bad.Set("client_secret", s.ClientSecret())
	wantError(t, do(t, s, "", http.MethodPost, "/1/oauth/token", bad), "invalid_request") // lapsed after 30 days
}

// TestLimits: the 5,001st call of an hour is refused with hour_api_limit; the next hour serves.
func TestLimits(t *testing.T) {
	clock := basetest.NewVirtualClock(time.Date(2026, 7, 1, 1, 30, 0, 0, time.UTC))
	s := basetest.NewTest(t, basetest.Options{Now: clock.Now, HourlyLimit: 3, DailyLimit: 5})
	tok := s.Token().AccessToken
	for range 3 {
		if a := do(t, s, tok, http.MethodGet, "/1/orders", nil); a.status != 200 {
			t.Fatal(a)
		}
	}
	wantError(t, do(t, s, tok, http.MethodGet, "/1/orders", nil), "hour_api_limit")
	clock.Advance(30 * time.Minute)
	for range 2 {
		if a := do(t, s, tok, http.MethodGet, "/1/items", nil); a.status != 200 {
			t.Fatal(a)
		}
	}
	wantError(t, do(t, s, tok, http.MethodGet, "/1/orders", nil), "day_api_limit")
	clock.Set(time.Date(2026, 7, 1, 15, 0, 0, 0, time.UTC)) // midnight in Japan
	if a := do(t, s, tok, http.MethodGet, "/1/items", nil); a.status != 400 || a.body["error"] != "invalid_request" {
		t.Errorf("after midnight the (expired) token is what BASE refuses: %v", a)
	}
	if st := s.Stats(); st.Throttled != 2 {
		t.Errorf("throttled %d", st.Throttled)
	}
}

// TestOrderLifecycle: edit_status moves items from ordered only, keeps 後払い and unpaid
// orders to BASE's rules, and the listing filters by order date in Japanese time.
func TestOrderLifecycle(t *testing.T) {
	clock := basetest.NewVirtualClock(time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC)) // 10:00 JST
	s := basetest.NewTest(t, basetest.Options{Now: clock.Now})
	tok := s.Token().AccessToken
	s.AddItem("煎茶", "SENCHA", 1200, 10)
	card, _ := s.PlaceOrder(basetest.OrderInput{Buyer: buyer, Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	cvs, _ := s.PlaceOrder(basetest.OrderInput{Buyer: buyer, Payment: "cvs", Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	ato, _ := s.PlaceOrder(basetest.OrderInput{Buyer: buyer, Payment: "atobarai", Lines: []basetest.LineInput{{SKU: "SENCHA", Amount: 1}}})
	item := func(key string) string { return jsonInt(s.OrderItemIDs(key)[0]) }

	ok := do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(card)}, "status": {"dispatched"}, "add_comment": {"[送り状番号]1"}})
	if ok.status != 200 || ok.body["order"].(map[string]any)["dispatch_status"] != "dispatched" {
		t.Fatalf("dispatch: %v", ok)
	}
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(card)}, "status": {"dispatched"}}), "not_change_status")
	wantError(t, do(t, s, tok, http.MethodGet, "/1/orders/edit_status", nil), "not_post_method")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(cvs)}, "status": {"dispatched"}}), "not_change_status_cvs")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(cvs)}, "status": {"cancelled"}}), "not_cancel_cvs")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(ato)}, "status": {"dispatched"}}), "not_change_status_atobarai")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(ato)}, "atobarai_status": {"shipping"}}), "no_params")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {"999999"}, "status": {"dispatched"}}), "no_order")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(card)}, "status": {"dispatched"},
		"add_comment": {strings.Repeat("あ", 251)}}), "bad_params")
	if a := do(t, s, tok, http.MethodPost, "/1/orders/edit_status", url.Values{"order_item_id": {item(ato)}, "atobarai_status": {"shipping"},
		"delivery_company_id": {"1"}, "tracking_number": {"123412341234"}}); a.status != 200 {
		t.Fatalf("atobarai shipping: %v", a)
	}
	if _, st := s.ItemStatuses(ato); st != "shipping" {
		t.Errorf("後払い order %s, want shipping", st)
	}
	if err := s.Arrive(ato); err != nil {
		t.Fatal(err)
	}
	if st, ds := s.ItemStatuses(ato); st[0] != "dispatched" || ds != "dispatched" {
		t.Errorf("after arrival %v %s", st, ds)
	}

	list := func(start, end string) int {
		a := do(t, s, tok, http.MethodGet, "/1/orders", url.Values{"start_ordered": {start}, "end_ordered": {end}})
		return len(a.body["orders"].([]any))
	}
	if n := list("2026-07-01 10:00:00", "2026-07-01 10:00:00"); n != 3 {
		t.Errorf("the second 10:00:00 JST lists %d orders, want 3", n)
	}
	if n := list("2026-07-01", "2026-07-01"); n != 3 {
		t.Errorf("the day lists %d", n)
	}
	if n := list("2026-07-01 10:00:01", "2026-07-02"); n != 0 {
		t.Errorf("after 10:00:00 JST lists %d", n)
	}
	wantError(t, do(t, s, tok, http.MethodGet, "/1/orders", url.Values{"start_ordered": {"yesterday"}}), "bad_params")
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestEditStock: variations keep their own stock, the item's is their sum; BASE's own refusals.
func TestEditStock(t *testing.T) {
	s := basetest.NewTest(t, basetest.Options{})
	tok := s.Token().AccessToken
	id := s.AddItem("湯呑", "", 2500, 0, basetest.VariationInput{Name: "白", Identifier: "W", Stock: 1},
		basetest.VariationInput{Name: "黒", Identifier: "B", Stock: 2})
	item := jsonInt(id)
	a := do(t, s, tok, http.MethodGet, "/1/items/detail/"+item, nil)
	vars := a.body["item"].(map[string]any)["variations"].([]any)
	white := jsonInt(int64(vars[0].(map[string]any)["variation_id"].(float64)))
	if a := do(t, s, tok, http.MethodPost, "/1/items/edit_stock", url.Values{"item_id": {item}, "variation_id": {white}, "variation_stock": {"7"}}); a.status != 200 ||
		a.body["item"].(map[string]any)["stock"] != float64(9) {
		t.Errorf("edit_stock: %v", a)
	}
	wantError(t, do(t, s, tok, http.MethodPost, "/1/items/edit_stock", url.Values{"item_id": {"1"}, "stock": {"1"}}), "bad_item_id")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/items/edit_stock", url.Values{"item_id": {item}, "variation_id": {"1"}, "variation_stock": {"1"}}), "bad_variation_id")
	wantError(t, do(t, s, tok, http.MethodPost, "/1/items/edit_stock", url.Values{"item_id": {item}, "variation_id": {white}, "variation_stock": {"-1"}}), "validation_error")
	if n, _ := s.Stock("W"); n != 7 {
		t.Errorf("W shows %d", n)
	}
}
