package base

import (
	"context"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// fuzzClient is a client whose catalog is loaded and never reloaded, so decoding an order
// needs no network.
func fuzzClient(tb testing.TB) *Client {
	c, err := New(Config{Shop: "fuzz", BaseURL: "http://127.0.0.1:1", Token: Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)},
		CatalogRefresh: 1000 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	c.catalog = map[string]skuRef{"SENCHA": {ItemID: 1}, "CUP-W": {ItemID: 2, VariationID: 21}}
	c.byItem = map[itemKey]string{{1, 0}: "SENCHA", {2, 21}: "CUP-W"}
	c.loadedAt = time.Now()
	return c
}

const detailSeed = `{"order":{"unique_key":"154D88A39E454289","ordered":1396419762,"cancelled":null,"dispatched":null,
"payment":"cod","shipping_method":"ヤマト運輸","shipping_fee":500,"cod_fee":300,"total":5300,"first_name":"太郎",
"last_name":"山田","country":"Japan","zip_code":"106-0032","prefecture":"東京都","address":"港区六本木",
"address2":"4-11-4","mail_address":"mail@example.jp","tel":"03-1234-5678","remark":"","add_comment":null,
"delivery_date":"2026-07-04","delivery_time_zone":"1416","terminated":false,"dispatch_status":"ordered",
"modified":1396419762,"order_receiver":{"first_name":"花子","last_name":"山田","zip_code":"150-0043",
"prefecture":"東京都","address":"渋谷区道玄坂","address2":"2-10-12","tel":"03-1234-5678"},
"order_discount":{"discount":0,"note":null},"atobarai_payment_transaction":{"collected_fee":null,"status":null},
"order_items":[{"order_item_id":123,"item_id":1,"variation_id":null,"title":"煎茶","variation":null,"price":1500,
"amount":2,"total":3000,"status":"ordered","modified":1396419762},{"order_item_id":124,"item_id":2,"variation_id":21,
"title":"湯呑","variation":"白","price":1500,"amount":1,"total":1500,"status":"cancelled","modified":1396419762}]}}`

// FuzzOrderDetail feeds arbitrary bytes through the detail decoder and the mapping: no panic,
// and whatever becomes an order validates.
func FuzzOrderDetail(f *testing.F) {
	f.Add([]byte(detailSeed))
	f.Add([]byte(`{"order":{"unique_key":"K","order_items":[{"order_item_id":1,"item_id":9,"amount":-1}]}}`))
	f.Add([]byte(`{"order":{"unique_key":"K","delivery_time_zone":"2224","delivery_date":"2026-02-30"}}`))
	f.Add([]byte(`{"order":null}`))
	f.Add([]byte(`{"error":"no_order","error_description":"注文情報が見つかりませんでした。"}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var ans detailAnswer
		if httpclient.Decode(body, &ans, httpclient.DecodeOptions{}) != nil || ans.Order == nil {
			return
		}
		o, err := c.toOrder(context.Background(), ans.Order)
		if err != nil {
			return
		}
		if verr := o.Validate(); verr != nil {
			t.Fatalf("toOrder returned an order that does not validate: %v", verr)
		}
	})
}

// FuzzListAndErrors feeds arbitrary bytes to the listing, item, token and error decoders.
func FuzzListAndErrors(f *testing.F) {
	f.Add([]byte(`{"orders":[{"unique_key":"A","ordered":1,"modified":2,"dispatch_status":"ordered","delivery_time_zone":"0812"}]}`))
	f.Add([]byte(`{"items":[{"item_id":1,"identifier":"X","stock":3,"variations":[{"variation_id":2,"variation_stock":1,"variation_identifier":null}]}]}`))
	f.Add([]byte(`{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r"}`))
	f.Add([]byte(`{"error":"hour_api_limit","error_description":"1時間のAPIの利用上限を超えました。"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var l listAnswer
		_ = httpclient.Decode(body, &l, httpclient.DecodeOptions{})
		var i itemsAnswer
		_ = httpclient.Decode(body, &i, httpclient.DecodeOptions{})
		var tk tokenAnswer
		_ = httpclient.Decode(body, &tk, httpclient.DecodeOptions{})
		var dc companiesAnswer
		_ = httpclient.Decode(body, &dc, httpclient.DecodeOptions{})
		if e, ok := readError(body); ok && e.Error == "" {
			t.Fatal("readError accepted a body without an error code")
		}
	})
}

// FuzzCursor: any string either decodes to a cursor that encodes back to itself, or is a
// permanent error; never a panic.
func FuzzCursor(f *testing.F) {
	f.Add("")
	f.Add(string(cursor{Pass: 2, Offset: 100, FloorT: 1, FloorK: "AB", TopT: 3, TopK: "CD", Handout: true}.encode()))
	f.Add("v=1&p=-1&o=0")
	f.Add("v=1&p=2&o=0")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(connector.Cursor(s))
		if err != nil {
			if connector.Classify(err) != connector.Permanent {
				t.Fatalf("a malformed cursor gave %v", err)
			}
			return
		}
		again, err := decodeCursor(c.encode())
		if err != nil || again != c {
			t.Fatalf("cursor %+v does not survive encoding: %+v %v", c, again, err)
		}
	})
}
