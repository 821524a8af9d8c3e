package eccube

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
)

const sampleOrder = `{"id":"12","order_no":"12","name01":"山田","name02":"花子","email":"h@example.jp","phone_number":"0312345678",
"payment_method":"代金引換","currency_code":"JPY","subtotal":2420.0,"discount":0.0,"delivery_fee_total":770.0,"charge":330.0,
"tax":220.0,"total":3520.0,"payment_total":3520.0,"create_date":"2026-12-01T03:00:00+00:00","update_date":"2026-12-01T03:00:05+00:00",
"order_date":"2026-12-01T03:00:00+00:00","OrderStatus":{"id":"1","name":"新規受付"},
"OrderItems":[{"id":"30","product_name":"煎茶","product_code":"SENCHA","class_category_name1":null,"class_category_name2":null,
"price":1100.0,"tax":110.0,"quantity":2.0,"OrderItemType":{"id":"1"}},{"id":"31","product_name":"送料","product_code":null,
"class_category_name1":null,"class_category_name2":null,"price":770.0,"tax":0.0,"quantity":1.0,"OrderItemType":{"id":"2"}}],
"Shippings":[{"id":"20","name01":"山田","name02":"花子","company_name":null,"phone_number":"0312345678","postal_code":"1500001",
"addr01":"渋谷区神宮前","addr02":"1-2-3","Pref":{"name":"東京都"},"shipping_delivery_date":"2026-12-23T15:00:00+00:00",
"shipping_delivery_time":"14時～16時","shipping_date":null,"tracking_number":null}]}`

func fuzzClient(t testing.TB) *Client {
	c, err := New(Config{BaseURL: "https://shop.example.jp", ClientID: "id", ClientSecret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSampleOrderDecodes(t *testing.T) {
	o, err := fuzzClient(t).decodeOrder(json.RawMessage(sampleOrder))
	if err != nil {
		t.Fatal(err)
	}
	if o.Delivery.Date.String() != "2026-12-24" || o.Delivery.Slot != "1416" || len(o.Lines) != 1 || o.Lines[0].UnitPrice.Amount != 1210 {
		t.Fatalf("decoded %+v", o)
	}
}

// FuzzDecodeOrder: any order node decodes to a valid order or an error without personal data,
// never a panic.
func FuzzDecodeOrder(f *testing.F) {
	f.Add(sampleOrder)
	f.Add(`{}`)
	f.Add(`{"id":12,"Shippings":[{},{}]}`)
	f.Add(strings.Replace(sampleOrder, `"quantity":2.0`, `"quantity":1e300`, 1))
	f.Add(strings.Replace(sampleOrder, `"2026-12-23T15:00:00+00:00"`, `"not a date"`, 1))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, s string) {
		o, err := c.decodeOrder(json.RawMessage(s))
		if err != nil {
			// The order's ID is named in errors on purpose; whatever else they say must not
			// come from the payload's personal fields.
			var head struct {
				ID flexID `json:"id"`
			}
			_ = json.Unmarshal([]byte(s), &head)
			msg := err.Error()
			if head.ID != "" {
				msg = strings.ReplaceAll(msg, string(head.ID), "<id>")
			}
			for _, secret := range []string{"山田", "0312345678", "渋谷区", "h@example.jp"} {
				if strings.Contains(s, secret) && strings.Contains(msg, secret) {
					t.Fatalf("error carries personal data %q: %v", secret, err)
				}
			}
			return
		}
		if o.Status != "cancelled" {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("decoded an invalid order: %v", verr)
			}
		}
	})
}

func FuzzDecodeWebhook(f *testing.F) {
	f.Add(`[{"entity":"order","id":13,"action":"created"},{"entity":"product","id":"14","action":"updated"}]`)
	f.Add(`{"entity":"order"}`)
	f.Add(`[{"id":1e999}]`)
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := DecodeWebhook([]byte(s))
		if err == nil {
			for _, e := range evs {
				_ = numeric(string(e.ID))
			}
		}
		_ = Verify([]byte("k"), []byte(s), s)
	})
}

func FuzzOrderCursor(f *testing.F) {
	f.Add(string(orderCursor{Lo: 1764550000, X: 12}.encode()))
	f.Add("")
	f.Add("eyJsbyI6LTF9")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeOrderCursor(connector.Cursor(s))
		if err == nil && (c.Lo < 0 || c.X < 0) {
			t.Fatalf("accepted a negative cursor %+v", c)
		}
	})
}

func FuzzParseTimeSlot(f *testing.F) {
	for _, s := range []string{"午前中", "14時～16時", "１８時〜２１時", "14:00-16:00", "夜間", "", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if slot := ParseTimeSlot(s); !slot.Valid() {
			t.Fatalf("ParseTimeSlot(%q) = %q, not a valid slot", s, slot)
		}
	})
}
