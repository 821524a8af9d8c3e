package rakutentest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
)

type client struct {
	t    *testing.T
	fake *rakutentest.Server
	auth string
}

func newClient(t *testing.T, opts rakutentest.Options) *client {
	fake := rakutentest.NewTest(t, opts)
	return &client{t: t, fake: fake, auth: "ESA " + base64.StdEncoding.EncodeToString([]byte(fake.ServiceSecret()+":"+fake.LicenseKey()))}
}

func (c *client) post(path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.fake.URL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			c.t.Fatalf("%s answered %d with non-JSON %q", path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, out
}

func code(out map[string]any) string {
	if r, ok := out["Results"].(map[string]any); ok {
		return fmt.Sprint(r["errorCode"])
	}
	if l, ok := out["MessageModelList"].([]any); ok && len(l) > 0 {
		return fmt.Sprint(l[0].(map[string]any)["messageType"], " ", l[0].(map[string]any)["messageCode"])
	}
	if l, ok := out["errors"].([]any); ok && len(l) > 0 {
		e := l[0].(map[string]any)
		return fmt.Sprint(e["code"], " ", e["metadata"].(map[string]any)["propertyPath"])
	}
	return ""
}

const search = `{"dateType":1,"startDatetime":"%s","endDatetime":"%s","PaginationRequestModel":{"requestRecordsAmount":%d,"requestPage":1,"SortModelList":[{"sortColumn":1,"sortDirection":1}]}}`

func TestAuthAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	clock := now
	c := newClient(t, rakutentest.Options{Now: func() time.Time { return clock }, KeyExpires: now.Add(time.Hour)})
	body := fmt.Sprintf(search, "2026-11-01T00:00:00+0900", "2026-11-02T00:00:00+0900", 30)
	if st, out := c.post(rakutentest.SearchOrderPath, body); st != 200 {
		t.Fatalf("a valid search answered %d %v", st, out)
	}
	good := c.auth
	c.auth = "ESA " + base64.StdEncoding.EncodeToString([]byte(c.fake.ServiceSecret()+":wrong"))
	if st, out := c.post(rakutentest.SearchOrderPath, body); st != 401 || code(out) != "ES04-01" {
		t.Errorf("a wrong key answered %d %s, want 401 ES04-01", st, code(out))
	}
	c.auth = good
	clock = now.Add(time.Hour)
	if st, out := c.post(rakutentest.SearchOrderPath, body); st != 401 || code(out) != "ES04-01" {
		t.Errorf("an expired key answered %d %s, want 401 ES04-01", st, code(out))
	}
	c.fake.RenewKey("SL-new", now.Add(91*24*time.Hour))
	c.auth = "ESA " + base64.StdEncoding.EncodeToString([]byte(c.fake.ServiceSecret()+":SL-new"))
	if st, _ := c.post(rakutentest.SearchOrderPath, body); st != 200 {
		t.Errorf("the renewed key answered %d", st)
	}
}

func TestSearchLimitsAndStrictFields(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	c := newClient(t, rakutentest.Options{Now: func() time.Time { return now }})
	cases := map[string]string{
		"64 days":       fmt.Sprintf(search, "2026-08-01T00:00:00+0900", "2026-10-04T00:00:00+0900", 30),
		"731 days back": fmt.Sprintf(search, "2024-10-01T00:00:00+0900", "2024-10-02T00:00:00+0900", 30),
		"1001 records":  fmt.Sprintf(search, "2026-11-01T00:00:00+0900", "2026-11-02T00:00:00+0900", 1001),
		"unknown field": `{"dateType":1,"startDatetime":"2026-11-01T00:00:00+0900","endDatetime":"2026-11-02T00:00:00+0900","updatedSince":"x","PaginationRequestModel":{"requestRecordsAmount":1,"requestPage":1}}`,
		"bad date":      fmt.Sprintf(search, "2026-11-01", "2026-11-02", 30),
		"no pagination": `{"dateType":1,"startDatetime":"2026-11-01T00:00:00+0900","endDatetime":"2026-11-02T00:00:00+0900"}`,
		"dateType 7":    `{"dateType":7,"startDatetime":"2026-11-01T00:00:00+0900","endDatetime":"2026-11-02T00:00:00+0900","PaginationRequestModel":{"requestRecordsAmount":1,"requestPage":1}}`,
	}
	for name, body := range cases {
		st, out := c.post(rakutentest.SearchOrderPath, body)
		if st != 400 || !strings.HasPrefix(code(out), "ERROR ORDER_EXT_API_SEARCH_ORDER_ERROR") {
			t.Errorf("%s: answered %d %s, want 400 with an ERROR message", name, st, code(out))
		}
	}
	if st, out := c.post(rakutentest.GetOrderPath, `{"orderNumberList":["x"],"version":2}`); st != 400 {
		t.Errorf("getOrder version 2 answered %d %v", st, out)
	}
	many := `"x"` + strings.Repeat(`,"x"`, 100)
	if st, _ := c.post(rakutentest.GetOrderPath, `{"orderNumberList":[`+many+`],"version":10}`); st != 400 {
		t.Errorf("getOrder of 101 orders answered %d, want 400", st)
	}
	rows := `{"manageNumber":"a","variantId":"b","mode":"ABSOLUTE","quantity":1}` + strings.Repeat(`,{"manageNumber":"a","variantId":"b","mode":"ABSOLUTE","quantity":1}`, 400)
	if st, out := c.post(rakutentest.BulkUpsertPath, `{"inventories":[`+rows+`]}`); st != 400 || !strings.HasPrefix(code(out), "IE0004") {
		t.Errorf("an upsert of 401 rows answered %d %s", st, code(out))
	}
	st, out := c.post(rakutentest.BulkUpsertPath, `{"inventories":[{"manageNumber":"a","variantId":"b","mode":"ABSOLUTE","quantity":1},{"manageNumber":"a","variantId":"c","mode":"SET","quantity":1}]}`)
	if st != 400 || code(out) != "IE0004 inventories[1].mode" {
		t.Errorf("a bad mode answered %d %s, want 400 IE0004 inventories[1].mode", st, code(out))
	}
	if n, ok := c.fake.Stock("a", "b"); ok {
		t.Errorf("a refused upsert applied its valid row (a:b = %d)", n)
	}
	if st, _ := c.post(rakutentest.BulkUpsertPath, `{"inventories":[{"manageNumber":"A","variantId":"b","mode":"ABSOLUTE","quantity":7}]}`); st != 204 {
		t.Errorf("a valid upsert answered %d, want 204", st)
	}
	if n, _ := c.fake.Stock("a", "b"); n != 7 {
		t.Errorf("manage numbers are lower-cased: a:b shows %d, want 7", n)
	}
}

func TestCapAndShippingRows(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	clock := now
	c := newClient(t, rakutentest.Options{Now: func() time.Time { return clock }, ResultCap: 10})
	p := rakutentest.Person{FamilyName: "山田", Zip: "150-0001", Prefecture: "東京都", City: "渋谷区", Address: "1", Phone: "03-1-2"}
	var nums []string
	for i := range 25 {
		clock = now.Add(time.Duration(i) * time.Minute)
		nums = append(nums, c.fake.PlaceOrder(rakutentest.OrderInput{Confirmed: true, Packages: []rakutentest.Package{{Sender: p,
			Items: []rakutentest.Item{{Name: "x", ManageNumber: "m", VariantID: "v", Price: 1, Units: 1}}}}}))
	}
	st, out := c.post(rakutentest.SearchOrderPath, fmt.Sprintf(search, "2026-11-02T00:00:00+0900", "2026-11-03T00:00:00+0900", 1000))
	list := out["orderNumberList"].([]any)
	total := out["PaginationResponseModel"].(map[string]any)["totalRecordsAmount"]
	if st != 200 || len(list) != 10 || fmt.Sprint(total) != "10" {
		t.Fatalf("a search over the cap answered %d with %d numbers, total %v; want the cap, 10", st, len(list), total)
	}
	if list[9] == nums[9] && list[0] == nums[0] {
		t.Errorf("past the cap the fake kept the first orders by date; RMS keeps an arbitrary set")
	}
	// Shipping rows: add 20, the 21st is refused; update one by shippingDetailId.
	v, _ := c.fake.Order(nums[0])
	basket := v.Baskets[0].BasketID
	var rows []string
	for i := range 20 {
		rows = append(rows, fmt.Sprintf(`{"deliveryCompany":"1001","shippingNumber":"%d","shippingDate":"2026-11-02"}`, 1000+i))
	}
	req := func(list string) string {
		return fmt.Sprintf(`{"orderNumber":"%s","BasketidModelList":[{"basketId":%d,"ShippingModelList":[%s]}]}`, nums[0], basket, list)
	}
	if st, out := c.post(rakutentest.UpdateShippingPath, req(strings.Join(rows, ","))); st != 200 || code(out) != "INFO ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101" {
		t.Fatalf("20 rows answered %d %s", st, code(out))
	}
	if st, _ := c.post(rakutentest.UpdateShippingPath, req(rows[0])); st != 400 {
		t.Errorf("a 21st row answered %d, want 400", st)
	}
	v, _ = c.fake.Order(nums[0])
	id := v.Baskets[0].Rows[3].ID
	if st, _ := c.post(rakutentest.UpdateShippingPath, req(fmt.Sprintf(`{"shippingDetailId":%d,"deliveryCompany":"1002","shippingNumber":"999","shippingDate":"2026-11-03"}`, id))); st != 200 {
		t.Fatalf("updating row %d answered %d", id, st)
	}
	v, _ = c.fake.Order(nums[0])
	if r := v.Baskets[0].Rows[3]; len(v.Baskets[0].Rows) != 20 || r.ID != id || r.Number != "999" || r.Company != "1002" || v.Progress != 500 {
		t.Errorf("after the update: %d rows, row %+v, progress %d", len(v.Baskets[0].Rows), r, v.Progress)
	}
	if st, _ := c.post(rakutentest.UpdateShippingPath, req(`{"deliveryCompany":"1001","shippingNumber":"1","shippingDate":"2026-11-02","trackingUrl":"x"}`)); st != 400 {
		t.Errorf("an undocumented field answered %d, want 400", st)
	}
}

func TestThrottleAndStall(t *testing.T) {
	c := newClient(t, rakutentest.Options{})
	c.fake.ThrottleNext(2 * time.Second)
	req, _ := http.NewRequest(http.MethodPost, c.fake.URL()+rakutentest.BulkGetPath, strings.NewReader(`{"inventories":[{"manageNumber":"a","variantId":"b"}]}`))
	req.Header.Set("Authorization", c.auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2.000" {
		t.Errorf("a throttled call answered %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	c.fake.StallNext()
	hc := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ = http.NewRequest(http.MethodPost, c.fake.URL()+rakutentest.BulkUpsertPath, strings.NewReader(`{"inventories":[{"manageNumber":"a","variantId":"b","mode":"ABSOLUTE","quantity":3}]}`))
	req.Header.Set("Authorization", c.auth)
	if _, err := hc.Do(req); err == nil {
		t.Errorf("a stalled write was answered")
	}
	if n, _ := c.fake.Stock("a", "b"); n != 3 {
		t.Errorf("the stalled write was not applied: a:b shows %d", n)
	}
}
