package shopify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

type nopIntake struct{ n int }

func (in *nopIntake) IngestOrder(context.Context, order.Order) error { in.n++; return nil }

func fuzzClient(tb testing.TB) *Client {
	c, err := New(Config{Shop: "fuzz.myshopify.com", AccessToken: "shpat_fuzz", AppSecret: "secret",
		WebhookMaxBody: 64 << 10, WebhookDedup: 16})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

const webhookSeed = `{"id":1,"admin_graphql_api_id":"gid://shopify/Order/1","name":"#1","created_at":"2026-07-01T10:00:00+09:00",
"updated_at":"2026-07-01T10:00:00+09:00","currency":"JPY","note_attributes":[{"name":"配送希望時間帯","value":"14-16"}],
"line_items":[{"id":2,"sku":"A","name":"A","quantity":1,"price":"100.0"}],
"shipping_address":{"last_name":"山田","address1":"1-1","province_code":"JP-13","zip":"1000005","country_code":"JP"}}`

// FuzzWebhookHandler sends arbitrary bodies, signed or not, through the handler: it must answer
// without panicking, never ingest an unsigned body, and read no more than the cap.
func FuzzWebhookHandler(f *testing.F) {
	f.Add([]byte(webhookSeed), true, "orders/create", "w1")
	f.Add([]byte(webhookSeed), false, "orders/updated", "w2")
	f.Add([]byte(`{"kind":"FULFILLMENT_REQUEST"}`), true, "", "w3")
	f.Add([]byte(`{"line_items":[{"quantity":-1,"price":"1e400"}],"currency":"XXX"}`), true, "orders/cancelled", "")
	f.Add([]byte(codSeed), true, "orders/create", "w6")
	f.Add([]byte(`[]`), true, "orders/create", "w4")
	f.Add([]byte{0xff, 0xfe}, true, "orders/create", "w5")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, sign bool, topic, id string) {
		in := &nopIntake{}
		h := c.WebhookHandler(in)
		sig := "bogus"
		if sign {
			m := hmac.New(sha256.New, []byte("secret"))
			m.Write(body)
			sig = base64.StdEncoding.EncodeToString(m.Sum(nil))
		}
		path := "/webhooks"
		if topic == "" {
			path = "/fs/fulfillment_order_notification"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("X-Shopify-Hmac-SHA256", sig)
		req.Header.Set("X-Shopify-Topic", topic)
		req.Header.Set("X-Shopify-Webhook-Id", id)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !sign && in.n > 0 {
			t.Fatal("unsigned body ingested")
		}
		if len(body) > 64<<10 && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized body answered %d", w.Code)
		}
	})
}

// codSeed is a cash-on-delivery gift order as orders/create carries it.
const codSeed = `{"admin_graphql_api_id":"gid://shopify/Order/9","name":"#9","currency":"JPY","created_at":"2026-07-01T00:00:00Z",
"updated_at":"2026-07-01T00:00:00Z","gateway":"代金引換","payment_gateway_names":["代金引換"],"financial_status":"pending",
"taxes_included":true,"total_price_set":{"shop_money":{"amount":"3530.00","currency_code":"JPY"}},
"total_shipping_price_set":{"shop_money":{"amount":"1210.00","currency_code":"JPY"}},"total_tax_set":{"shop_money":{"amount":"300","currency_code":"JPY"}},
"total_discounts_set":{"shop_money":{"amount":"0.00","currency_code":"JPY"}},"total_outstanding":"3530.00",
"note_attributes":[{"name":"のし名入れ","value":"山田"},{"name":"ギフトラッピング","value":true}],
"line_items":[{"admin_graphql_api_id":"gid://shopify/LineItem/1","sku":"A","name":"A","quantity":2,"price":"1160.00",
"properties":[{"name":"のし","value":"御中元"},{"name":"_gift_id","value":7}]}],
"shipping_address":{"last_name":"山田","address1":"1-1","zip":"1000005","province_code":"JP-13","country_code":"JP"}}`

const ordersSeed = `{"orders":{"pageInfo":{"hasNextPage":true,"endCursor":"abc"},"nodes":[{"id":"gid://shopify/Order/1",
"name":"#1","createdAt":"2026-07-01T00:00:00Z","updatedAt":"2026-07-01T00:00:00Z","cancelledAt":null,"closed":false,
"displayFulfillmentStatus":"UNFULFILLED","email":null,"currencyCode":"JPY","customAttributes":[{"key":"配送希望日","value":"2026-07-03"}],
"shippingAddress":{"firstName":"太郎","lastName":"山田","company":null,"phone":null,"address1":"1-1","address2":null,"city":"千代田区",
"province":"Tokyo","provinceCode":"JP-13","zip":"1000005","countryCodeV2":"JP"},
"lineItems":{"pageInfo":{"hasNextPage":false},"nodes":[{"id":"gid://shopify/LineItem/2","sku":"A","name":"A","quantity":2,
"currentQuantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"1200.0","currencyCode":"JPY"}}}]}}]}}`

// FuzzDecodeOrders feeds arbitrary bytes to the orders page decoder and mapper: no panic, and
// a bounded result (the decoder never produces more orders than the input can describe).
func FuzzDecodeOrders(f *testing.F) {
	f.Add([]byte(ordersSeed))
	f.Add([]byte(`{"orders":{"nodes":[{"lineItems":{"nodes":[{"quantity":1,"originalUnitPriceSet":{"shopMoney":{"amount":"-0.5","currencyCode":"USD"}}}]}}]}}`))
	f.Add([]byte(`{"orders":null}`))
	f.Add([]byte(`{"orders":{"nodes":[{"customAttributes":[{"key":"delivery_time","value":"１９時〜２１時"}]}]}}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var d ordersData
		if err := httpclient.Decode(data, &d, httpclient.DecodeOptions{DisallowUnknownFields: true}); err != nil {
			return
		}
		for i := range d.Orders.Nodes {
			o, err := c.mapOrder(&d.Orders.Nodes[i])
			if err == nil && len(o.Lines) > len(data) {
				t.Fatal("more lines than bytes")
			}
		}
	})
}

// FuzzDecodeEnvelope covers the GraphQL envelope and the throttle signal.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add([]byte(`{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":10,"restoreRate":50}}}}`))
	f.Add([]byte(`{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`))
	f.Add([]byte(`{"data":{},"extensions":{"cost":{"requestedQueryCost":1e308,"throttleStatus":{"restoreRate":1e-308}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if w, ok := Throttled(&http.Response{StatusCode: 200}, data); ok && w < 0 {
			t.Fatalf("negative wait %v", w)
		}
		var env envelope
		_ = httpclient.Decode(data, &env, httpclient.DecodeOptions{})
	})
}
