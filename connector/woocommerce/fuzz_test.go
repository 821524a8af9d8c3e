package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

type nopIntake struct{ n int }

func (in *nopIntake) IngestOrder(context.Context, order.Order) error { in.n++; return nil }

// refuse fails every request: a fuzzed webhook must never reach a real network.
type refuse struct{}

func (refuse) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in fuzzing")
}

func fuzzClient(tb testing.TB) *Client {
	c, err := New(Config{URL: "https://fuzz.example", ConsumerKey: "ck_fuzz", ConsumerSecret: "cs_fuzz", WebhookSecret: "secret",
		WebhookMaxBody: 64 << 10, WebhookDedup: 16, HTTP: httpclient.New(httpclient.Config{RetryMax: -1, Transport: refuse{}})})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

const orderSeed = `{"id":101,"number":"101","status":"processing","currency":"JPY","date_created_gmt":"2026-07-01T01:00:00",
"date_modified_gmt":"2026-07-01T01:00:00","total":"2400","payment_method":"cod",
"shipping":{"first_name":"太郎","last_name":"山田","address_1":"神宮前1-2-3","city":"渋谷区","state":"JP13","postcode":"1500001","country":"JP","phone":"0312345678"},
"billing":{"email":"a@example.jp"},
"meta_data":[{"id":1,"key":"wc4jp-delivery-date","value":"2026/07/03"},{"id":2,"key":"_delivery_time_frame","value":{"time_from":"14:00","time_to":"16:00"}}],
"line_items":[{"id":5,"name":"煎茶","product_id":9,"variation_id":0,"quantity":2,"sku":"TEA-01","price":1200}]}`

// FuzzDecodeOrder feeds arbitrary bytes to the order decoder: it must not panic, and an order
// it accepts must be valid (or a cancellation) and carry the ID it was given.
func FuzzDecodeOrder(f *testing.F) {
	f.Add([]byte(orderSeed))
	f.Add([]byte(`{"id":1,"date_modified_gmt":"2026-07-01T01:00:00","currency":"XXX","line_items":[{"price":"1e400"}]}`))
	f.Add([]byte(`{"id":-1}`))
	f.Add([]byte(`{"id":"12","line_items":null}`))
	f.Add([]byte(`{"id":1,"status":"cancelled","date_modified_gmt":"x"}`))
	f.Add([]byte(`{"id":1,"date_modified_gmt":"2026-07-01T01:00:00","meta_data":[{"key":"_orddd_timestamp","value":99999999999}]}`))
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := c.DecodeOrder(data)
		if err != nil {
			if !errors.Is(err, connector.ErrPermanent) {
				t.Fatalf("a decode error does not match ErrPermanent: %v", err)
			}
			return
		}
		if o.Status != order.StatusCancelled {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("an accepted order is invalid: %v", verr)
			}
		}
		if o.ID == "" || o.UpdatedAt.IsZero() {
			t.Fatalf("an accepted order has no ID or update time")
		}
	})
}

// FuzzWebhookHandler sends arbitrary bodies, signed or not, through the handler: it must answer
// without panicking and never ingest an unsigned body.
func FuzzWebhookHandler(f *testing.F) {
	f.Add([]byte(orderSeed), true, "order.created", "d1")
	f.Add([]byte(orderSeed), false, "order.updated", "d2")
	f.Add([]byte(`webhook_id=3`), true, "", "")
	f.Add([]byte(`{"id":4}`), true, "order.deleted", "d4")
	f.Add([]byte{0xff, 0xfe}, true, "order.created", "d5")
	c := fuzzClient(f)
	f.Fuzz(func(t *testing.T, body []byte, sign bool, topic, id string) {
		in := &nopIntake{}
		h := c.WebhookHandler(in)
		sig := "bogus"
		if sign {
			sig = sign64(body)
		}
		req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
		req.Header.Set("X-WC-Webhook-Signature", sig)
		req.Header.Set("X-WC-Webhook-Topic", topic)
		req.Header.Set("X-WC-Webhook-Delivery-ID", id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !sign && (rec.Code != http.StatusUnauthorized || in.n != 0) {
			t.Fatalf("an unsigned body got %d and %d orders ingested", rec.Code, in.n)
		}
	})
}

func sign64(body []byte) string {
	return signWith([]byte("secret"), body)
}

// FuzzMeta reads arbitrary meta values as dates and slots: no panic, and whatever is read is
// a real date and a defined slot.
func FuzzMeta(f *testing.F) {
	for _, s := range []string{`"2026/07/01"`, `"２０２６年７月１日"`, `"1751328000"`, `{"time_from":"14:00","time_to":"16:00"}`, `"午前中"`, `"14時～16時"`, `12`, `null`, `"99999999999"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return
		}
		meta := []wcMeta{{Key: "d", Value: v}, {Key: "s", Value: v}, {Key: "n", Value: v}}
		d, _ := MetaKeys{Date: []string{"d"}, Slot: []string{"s"}, Noshi: []string{"n"}}.read(meta, time.UTC)
		if !d.Date.IsZero() && !d.Date.Valid() {
			t.Fatalf("read an impossible date %v from %s", d.Date, v)
		}
		if !d.Slot.Valid() {
			t.Fatalf("read an undefined slot %q from %s", d.Slot, v)
		}
	})
}

// FuzzCursor decodes arbitrary cursors: no panic; a cursor that decodes encodes back the same.
func FuzzCursor(f *testing.F) {
	f.Add("o10.i123")
	f.Add("o-1.i2")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeOrderCursor(connector.Cursor(s))
		if err != nil {
			return
		}
		if back, err := decodeOrderCursor(c.encode()); err != nil || back != c {
			t.Fatalf("cursor %q decoded to %+v, which does not round-trip", s, c)
		}
	})
}
