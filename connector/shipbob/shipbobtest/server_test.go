package shipbobtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/shipbob/internal/specvalidate"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
)

type client struct {
	t    testing.TB
	f    *shipbobtest.Server
	spec *specvalidate.Recorder
}

func newFake(t testing.TB, opts shipbobtest.Options) *client {
	c := &client{t: t, spec: specvalidate.NewRecorder(t, specvalidate.Load(t))}
	opts.Observe = func(e shipbobtest.Exchange) {
		c.spec.Check(e.Method, e.URL, e.Header, e.Body, e.Status, e.ResponseHeader, e.ResponseBody)
	}
	c.f = shipbobtest.New(opts)
	t.Cleanup(c.f.Close)
	return c
}

func (c *client) do(method, path string, body any) (int, http.Header, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, c.f.URL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.f.Token())
	req.Header["shipbob_channel_id"] = []string{"100234"}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func newOrder(ref string) map[string]any {
	return map[string]any{"reference_id": ref, "type": "DTC", "shipping_method": "Standard",
		"recipient": map[string]any{"name": "山田 太郎", "address": map[string]any{"address1": "神宮前1-2-3", "city": "渋谷区", "country": "JP"}},
		"products":  []any{map[string]any{"reference_id": "TEA-01", "name": "煎茶", "quantity": 2}}}
}

// TestFakeFollowsTheSpec drives every operation the fake serves, and its warehouse steps,
// checking each exchange against the OpenAPI file.
func TestFakeFollowsTheSpec(t *testing.T) {
	c := newFake(t, shipbobtest.Options{})
	c.f.SetOnHand("TEA-01", 10)
	if st, _, _ := c.do(http.MethodGet, "/2026-01/channel", nil); st != 200 {
		t.Fatalf("channels: %d", st)
	}
	st, _, body := c.do(http.MethodPost, "/2026-01/order", newOrder("r1"))
	if st != http.StatusCreated {
		t.Fatalf("create: %d %s", st, body)
	}
	if st, _, _ := c.do(http.MethodPost, "/2026-01/order", newOrder("r1")); st != http.StatusUnprocessableEntity {
		t.Errorf("a second order with reference_id r1 answered %d, want 422", st)
	}
	h := c.f.Held("r1")
	if h.Copies != 1 || h.ShipmentStatus != "Processing" {
		t.Fatalf("held %+v", h)
	}
	if n, _ := c.f.OnHand("TEA-01"); n != 10 {
		t.Errorf("on hand %d before shipping", n)
	}
	oid, sid := itoa(h.OrderID), itoa(h.ShipmentID)
	for _, p := range []string{"/2026-01/order/" + oid, "/2026-01/order/" + oid + "/shipment", "/2026-01/shipment/" + sid,
		"/2026-01/order?ReferenceIds=r1", "/2026-01/inventory-level?PageSize=1"} {
		if st, _, body := c.do(http.MethodGet, p, nil); st != 200 {
			t.Errorf("GET %s: %d %s", p, st, body)
		}
	}
	if st, _, body := c.do(http.MethodPut, "/2026-01/shipment/"+sid+":updateAddress",
		map[string]any{"street_address1": "神宮前9-9-9", "city": "渋谷区"}); st != 200 {
		t.Errorf("updateAddress: %d %s", st, body)
	}
	if err := c.f.Pick("r1"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := c.do(http.MethodPut, "/2026-01/shipment/"+sid+":updateAddress",
		map[string]any{"street_address1": "x", "city": "y"}); st != http.StatusBadRequest {
		t.Errorf("updateAddress after picking: %d, want 400", st)
	}
	_, _, body = c.do(http.MethodPost, "/2026-01/order/"+oid+":cancel", nil)
	if !strings.Contains(string(body), `"status":"Failure"`) {
		t.Errorf("cancel after picking: %s", body)
	}
	if err := c.f.Pack("r1"); err != nil {
		t.Fatal(err)
	}
	if err := c.f.Ship("r1", "USPS", "9400100"); err != nil {
		t.Fatal(err)
	}
	if err := c.f.Ship("r1", "USPS", "9400100"); err == nil {
		t.Errorf("shipping twice succeeded")
	}
	if n, _ := c.f.OnHand("TEA-01"); n != 8 {
		t.Errorf("on hand %d after shipping 2 of 10", n)
	}
	_, hdr, body := c.do(http.MethodGet, "/2026-01/order?HasTracking=true&SortOrder=Oldest&Limit=1", nil)
	if hdr.Get("total-count") != "1" || !strings.Contains(string(body), "9400100") {
		t.Errorf("listing with tracking: %s %v", body, hdr)
	}
	if st, _, body := c.do(http.MethodPost, "/2026-01/shipment:batchUpdateTrackingUpload",
		map[string]any{"shipment_ids": []int{h.ShipmentID}, "is_tracking_uploaded": true}); st != 200 || !strings.Contains(string(body), `"successful":1`) {
		t.Errorf("batchUpdateTrackingUpload: %d %s", st, body)
	}
	if _, hdr, _ := c.do(http.MethodGet, "/2026-01/order?IsTrackingUploaded=false&HasTracking=true", nil); hdr.Get("total-count") != "0" {
		t.Errorf("an uploaded order still listed as not uploaded")
	}
	c.do(http.MethodPost, "/2026-01/order", newOrder("r2"))
	if err := c.f.Refuse("r2"); err != nil {
		t.Fatal(err)
	}
	if h := c.f.Held("r2"); h.ShipmentStatus != "Exception" || h.Status != "Exception" {
		t.Errorf("refused: %+v", h)
	}
	if st, _, _ := c.do(http.MethodPost, "/2026-01/webhook", map[string]any{"url": "https://example.com/hook", "topics": []string{"order.shipped"}}); st != 200 {
		t.Errorf("webhook: %d", st)
	}
	c.spec.WaitChecked(16)
	if c.spec.Checked() < 16 || len(c.spec.Errors()) > 0 {
		t.Errorf("%d exchanges checked, failures: %v", c.spec.Checked(), c.spec.Errors())
	}
}

// TestFakeAuthAndLimits proves the token check and the sliding one-minute window.
func TestFakeAuthAndLimits(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c := newFake(t, shipbobtest.Options{Now: clock})
	req, _ := http.NewRequest(http.MethodGet, c.f.URL()+"/2026-01/channel", nil)
	req.Header.Set("Authorization", "Bearer nope")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token answered %d", resp.StatusCode)
	}
	for i := 1; i < shipbobtest.RatePerMinute; i++ {
		if st, _, _ := c.do(http.MethodGet, "/2026-01/channel", nil); st != 200 {
			t.Fatalf("request %d answered %d", i+1, st)
		}
	}
	st, hdr, body := c.do(http.MethodGet, "/2026-01/channel", nil)
	if st != http.StatusTooManyRequests || hdr.Get("x-retry-after") != "60" || !strings.Contains(string(body), "Rate limit is exceeded") {
		t.Errorf("request 151 in a minute: %d %v %s", st, hdr, body)
	}
	now = now.Add(time.Minute)
	if st, _, _ := c.do(http.MethodGet, "/2026-01/channel", nil); st != 200 {
		t.Errorf("a minute later: %d", st)
	}
}

// FuzzFakeHandlers sends arbitrary bodies and queries: the fake answers, never panics.
func FuzzFakeHandlers(f *testing.F) {
	data, _ := json.Marshal(newOrder("r1"))
	f.Add("POST", "/2026-01/order", "", data)
	f.Add("GET", "/2026-01/order", "Page=0&Limit=999&LastUpdateStartDate=x", []byte(nil))
	f.Add("PUT", "/2026-01/shipment/550000001:updateAddress", "", []byte(`{"city":null}`))
	f.Add("POST", "/2026-01/order/310000001:cancel", "", []byte(nil))
	f.Add("GET", "/2026-01/shipment/550000001:getLineItems", "", []byte(nil))
	f.Add("POST", "/2026-01/shipment:batchUpdateTrackingUpload", "", []byte(`{"shipment_ids":[1,550000001],"is_tracking_uploaded":true}`))
	f.Add("POST", "/2026-01/shipment/550000001:updateLineItems", "", []byte(`{"items":[{"inventory_id":8800001,"quantity":0}]}`))
	f.Add("GET", "/2026-01/inventory-level", "PageSize=-1&Cursor=zz", []byte(nil))
	f.Add("POST", "/2026-01/webhook", "", []byte(`{"url":"x","topics":[]}`))
	fake := shipbobtest.New(shipbobtest.Options{RatePerMinute: -1})
	defer fake.Close()
	fake.Place("r0", shipbobtest.Line{SKU: "TEA-01", Quantity: 1})
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		u, err := url.Parse(fake.URL() + "/")
		if err != nil {
			t.Fatalf("the fake's URL does not parse: %v", err)
		}
		u.Path, u.RawQuery = path, query
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+fake.Token())
		req.Header["shipbob_channel_id"] = []string{"100234"}
		resp, err := fake.Client().Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s answered %d", method, path, query, resp.StatusCode)
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
