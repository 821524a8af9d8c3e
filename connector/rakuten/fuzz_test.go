package rakuten_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/rakuten"
	"github.com/tobira-commerce/tobira/connector/rakuten/rakutentest"
)

const sampleOrder = `{"orderNumber":"tobira-20261102-0000000001","orderProgress":300,"orderDatetime":"2026-11-02T19:00:00+0900",
"shopOrderCfmDatetime":"2026-11-02T19:00:00+0900","deliveryDate":"2026-11-10","shippingTerm":1416,"remarks":"お届け: 2026-11-12 14:00～16:00",
"giftCheckFlag":1,"requestPrice":2400,"SettlementModel":{"settlementMethod":"代金引換"},"DeliveryModel":{"deliveryName":"宅配便"},
"PackageModelList":[{"basketId":1000001,"totalPrice":2400,"noshi":"御歳暮","packageDeleteFlag":0,
"SenderModel":{"zipCode1":"150","zipCode2":"0001","prefecture":"東京都","city":"渋谷区","subAddress":"神宮前1-2-3","familyName":"山田","firstName":"太郎","familyNameKana":"ヤマダ","firstNameKana":"タロウ","phoneNumber1":"03","phoneNumber2":"1234","phoneNumber3":"5678","isolatedIslandFlag":0},
"ItemModelList":[{"itemDetailId":1000002,"itemName":"煎茶","manageNumber":"tea-01","price":1200,"units":2,"deleteItemFlag":0,"SkuModelList":[{"variantId":"std","merchantDefinedSkuId":"TEA-01"}]}],
"ShippingModelList":[]}],"ChangeReasonModelList":[{"changeType":4,"changeApplyDatetime":"2026-11-03T10:00:00+0900"}]}`

// FuzzMapOrder feeds arbitrary OrderModels through the decoder and the mapping: no input
// panics, and every order that comes out validates.
func FuzzMapOrder(f *testing.F) {
	f.Add([]byte(sampleOrder))
	f.Add([]byte(`{"orderNumber":"x","orderProgress":900,"orderDatetime":"2026-11-02T19:00:00+0900","PackageModelList":[{"basketId":1,"packageDeleteFlag":1,"ItemModelList":[{"units":-1,"price":-9999}]}]}`))
	f.Add([]byte(`{"orderNumber":"x","orderProgress":300,"orderDatetime":"2026-11-02T19:00:00+09:00","shippingTerm":2424,"deliveryDate":"2026-02-30"}`))
	c, err := rakuten.New(rakuten.Config{ServiceSecret: "s", LicenseKey: "k", ParseRemarks: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orders, _, err := c.MapOrderJSON(data)
		if err != nil {
			return
		}
		for _, o := range orders {
			if err := o.Validate(); err != nil {
				t.Fatalf("a mapped order does not validate: %v", err)
			}
		}
	})
}

// FuzzParseRemarks: free text never panics and a parsed slot is a real one.
func FuzzParseRemarks(f *testing.F) {
	for _, s := range []string{"[配送日時指定:]\nお届け日: 2026-11-12(木)\nお届け時間: 14:00～16:00", "午前中希望", "2026年12月24日 19-21時", "お届け 99-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, slot, _, parsed := rakuten.ParseRemarks(s)
		if !slot.Valid() || (!d.IsZero() && !d.Valid()) {
			t.Fatalf("parseRemarks(%q) = %v %q", s, d, slot)
		}
		if !parsed && (!d.IsZero() || slot != "") {
			t.Fatalf("parseRemarks(%q) returned a request but parsed=false", s)
		}
	})
}

// FuzzCursor: ListOrders with any cursor returns a page or an error, never panics.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", `{"p":0,"t":1,"e":2}`, `{"p":1,"t":-9223372036854775808,"e":9223372036854775807}`, `{"p":0,"t":1,"s":["a","b"]}`, "{", `{"p":7}`} {
		f.Add(s)
	}
	fake := rakutentest.New(rakutentest.Options{})
	f.Cleanup(fake.Close)
	c, err := rakuten.New(rakuten.Config{BaseURL: fake.URL(), ServiceSecret: fake.ServiceSecret(), LicenseKey: fake.LicenseKey(),
		KeyExpiresAt: fake.KeyExpiry(), RateScale: 1e6})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, cur string) {
		_, _ = c.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now, Page: connector.Cursor(cur), Limit: 5})
	})
}

// FuzzFakeHandlers sends arbitrary bodies to every path of the fake: it answers, never panics.
func FuzzFakeHandlers(f *testing.F) {
	paths := []string{rakutentest.SearchOrderPath, rakutentest.GetOrderPath, rakutentest.ConfirmOrderPath, rakutentest.UpdateShippingPath,
		rakutentest.UpdateShippingAsync, rakutentest.AsyncResultPath, rakutentest.BulkUpsertPath, rakutentest.BulkGetPath}
	f.Add(uint8(0), []byte(`{"dateType":1,"startDatetime":"2026-11-01T00:00:00+0900","endDatetime":"2026-11-02T00:00:00+0900","PaginationRequestModel":{"requestRecordsAmount":30,"requestPage":1}}`))
	f.Add(uint8(1), []byte(`{"orderNumberList":["tobira-20261102-0000000001"],"version":10}`))
	f.Add(uint8(2), []byte(`{"orderNumberList":["tobira-20261102-0000000001"]}`))
	f.Add(uint8(3), []byte(`{"orderNumber":"tobira-20261102-0000000001","BasketidModelList":[{"basketId":1000001,"ShippingModelList":[{"deliveryCompany":"1001","shippingNumber":"1","shippingDate":"2026-11-02"},{"shippingDetailId":5,"shippingDeleteFlag":1}]}]}`))
	f.Add(uint8(4), []byte(`{"OrderShippingModelList":[{"orderNumber":"tobira-20261102-0000000001","BasketidModelList":[]}]}`))
	f.Add(uint8(5), []byte(`{"requestId":"req-1"}`))
	f.Add(uint8(6), []byte(`{"inventories":[{"manageNumber":"a","variantId":"b","mode":"RELATIVE","quantity":-5}]}`))
	f.Add(uint8(7), []byte(`{"inventories":[{"manageNumber":"a","variantId":"b"}]}`))
	fake := rakutentest.New(rakutentest.Options{})
	f.Cleanup(fake.Close)
	fake.PlaceOrder(rakutentest.OrderInput{Confirmed: true, Packages: []rakutentest.Package{{Sender: tokyo, Items: []rakutentest.Item{item("TEA-01", 1)}}}})
	req := func(path string, body []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Authorization", "ESA "+basic(fake.ServiceSecret(), fake.LicenseKey()))
		return r
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		w := httptest.NewRecorder()
		fake.ServeHTTP(w, req(paths[int(which)%len(paths)], body))
		if w.Code == 0 || w.Code >= 500 {
			t.Fatalf("the fake answered %d", w.Code)
		}
	})
}

func basic(secret, key string) string {
	return base64.StdEncoding.EncodeToString([]byte(secret + ":" + key))
}
