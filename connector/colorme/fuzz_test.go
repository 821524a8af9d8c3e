package colorme

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/colorme/colormetest"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

const sampleSale = `{"id":1001,"make_date":1765000000,"update_date":1765000100,"payment_id":7,"paid":false,"delivered":false,"canceled":false,
"fee":330,"tax":0,"point_discount":0,"gmo_point_discount":0,"other_discount":0,"total_price":7630,
"customer":{"id":5,"name":"山田 太郎","mail":"taro@example.jp","tel":"03-1234-5678"},
"details":[{"id":11,"product_id":2,"sale_delivery_id":21,"option1_value":null,"option2_value":null,"product_model_number":"SENSU","product_name":"扇子","pristine_product_full_name":"扇子","price":3000,"product_num":2}],
"sale_deliveries":[{"id":21,"delivery_id":101,"detail_ids":[11],"name":"佐藤 花子","postal":"4600008","pref_id":23,"pref_name":"愛知県","address1":"名古屋市中区栄3-1-1","address2":null,"tel":"052-123-4567",
"preferred_date":"2026-12-24","preferred_period":"午前中","slip_number":null,"noshi_text":"御祝","noshi_charge":100,"card_name":null,"card_text":null,"card_charge":null,
"wrapping_name":"風呂敷","wrapping_charge":500,"delivery_charge":700,"tracking_url":null,"delivered":false}]}`

func fuzzClient(f *testing.F) *Client {
	fake := colormetest.New(colormetest.Options{})
	f.Cleanup(fake.Close)
	fake.AddProduct("扇子", "SENSU", 3000, 5, colormetest.VariantInput{Option1: "赤", ModelNumber: "SENSU-RED"})
	c, err := New(Config{Shop: "fuzz", BaseURL: fake.URL(), Token: fake.Token(), CODPaymentIDs: []int64{7},
		HTTP: httpclient.New(httpclient.Config{RetryMax: -1, Timeout: time.Second})})
	if err != nil {
		f.Fatal(err)
	}
	return c
}

// FuzzSales feeds GET /v1/sales answers to the decoder and the mapping: no panic, every listed
// sale becomes orders or rejects, every order validates, and no reject carries the buyer's data.
func FuzzSales(f *testing.F) {
	f.Add(`{"sales":[` + sampleSale + `],"meta":{"total":1,"limit":10,"offset":0}}`)
	f.Add(`{"sales":[{"id":1,"sale_deliveries":[{"id":2}],"details":[{"id":3,"sale_delivery_id":2,"product_num":-1}]}],"meta":{"total":1}}`)
	f.Add(`{"sales":[{"id":"x"},null,{}],"meta":{"total":3}}`)
	f.Add(`{"sales":[{"id":9,"canceled":true,"sale_deliveries":[{"id":2,"name":"a","address1":"b","preferred_period":"19-21"}],"details":[{"id":3,"sale_delivery_id":2,"product_model_number":"A","product_num":0}]}],"meta":{"total":1}}`)
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body string) {
		var ans salesAnswer
		if httpclient.Decode([]byte(body), &ans, httpclient.DecodeOptions{}) != nil {
			return
		}
		page, err := c.fill(context.Background(), &connector.OrderPage{}, ans.Sales)
		if err != nil {
			return // a call to the fake failed (an unknown product): not the decoder's doing
		}
		for _, o := range page.Orders {
			if err := o.Validate(); err != nil {
				t.Fatalf("an order that does not validate: %v", err)
			}
		}
		for _, r := range page.Rejects {
			if r.Err == nil || connector.Classify(r.Err) != connector.Permanent {
				t.Fatalf("reject %+v is not a permanent error", r)
			}
			if strings.Contains(r.Err.Error(), "佐藤") || strings.Contains(r.Err.Error(), "052-123") {
				t.Fatalf("reject carries personal data: %v", r.Err)
			}
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add("v=1&at=1765000000")
	f.Add("v=1&at=1765000000&o=3&n=9")
	f.Add("v=2&at=x")
	f.Add("%zz")
	f.Fuzz(func(t *testing.T, s string) {
		cur, err := decodeCursor(connector.Cursor(s), time.Unix(0, 0))
		if err != nil {
			if connector.Classify(err) != connector.Permanent {
				t.Fatalf("a bad cursor is %v, want permanent", err)
			}
			return
		}
		back, err := decodeCursor(cur.encode(), time.Unix(0, 0))
		if err != nil || back != cur {
			t.Fatalf("round trip of %+v gave %+v, %v", cur, back, err)
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"午前中", "14時～16時", "１８：００－２０：００", "19-21", "夕方", "999-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slot, ok := ParsePeriod(s)
		if ok && (slot == order.SlotNone || !slot.Valid()) {
			t.Fatalf("ParsePeriod(%q) = %q, not a slot", s, slot)
		}
	})
}

func FuzzOrderID(f *testing.F) {
	f.Add("1001-21")
	f.Add("1001-21-never-placed")
	f.Add("-1-2")
	f.Add("01-2")
	f.Fuzz(func(t *testing.T, s string) {
		a, b, err := ParseOrderID(s)
		if err != nil {
			return
		}
		if OrderID(a, b) != s {
			t.Fatalf("ParseOrderID(%q) = %d, %d, which print as %q", s, a, b, OrderID(a, b))
		}
	})
}

// TestSampleSale is the decoder's seed as a plain test: the sample maps as the docs say.
func TestSampleSale(t *testing.T) {
	s, err := decodeSale(json.RawMessage(sampleSale))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(Config{Shop: "t", Token: "x", CODPaymentIDs: []int64{7}})
	c.carriers, c.carriersT = map[int64]deliveryMethod{101: {ID: 101, MethodType: ptr("yamato")}}, time.Now()
	orders, rejects, err := c.toOrders(context.Background(), s)
	if err != nil || len(rejects) != 0 || len(orders) != 1 {
		t.Fatalf("%v %v %v", orders, rejects, err)
	}
	o := orders[0]
	if o.ID != "1001-21" || o.Delivery.Slot != order.SlotMorning || o.Gift.Noshi != "御祝" || o.Payment.CollectAmount.Amount != 7630 || o.Refs[RefCarrier] != "yamato" {
		t.Errorf("%+v", o)
	}
}

func ptr(s string) *string { return &s }
