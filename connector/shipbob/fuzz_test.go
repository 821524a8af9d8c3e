package shipbob

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

const sampleOrders = `[{"id":310000001,"reference_id":"k1","status":"Fulfilled","tags":[{"name":"tobira_channel","value":"shopify"},{"name":"tobira_order","value":"1001"}],
"products":[{"reference_id":"TEA-01","quantity":3}],
"shipments":[{"id":550000001,"order_id":310000001,"reference_id":"k1","status":"Completed","status_details":[],
"tracking":{"carrier":"USPS","tracking_number":"9400","shipping_date":"2026-12-01T10:00:00Z"},
"products":[{"reference_id":"TEA-01","sku":"TEA-01","inventory_items":[{"id":1,"quantity":3}]}],
"actual_fulfillment_date":"2026-12-01T10:00:00Z","last_update_at":"2026-12-01T10:00:00Z"}]},
{"id":"broken"}]`

func FuzzDecodeShipments(f *testing.F) {
	f.Add([]byte(sampleOrders))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"shipments":[{"status":"Completed","tracking":{"tracking_number":"1"},"products":[{"inventory_items":[{"quantity":-1}]}]}]}]`))
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page, n, err := decodeShipments(body)
		if err != nil {
			return
		}
		if len(page.Shipments)+len(page.Rejects) > 0 && n == 0 {
			t.Fatalf("shipments from an empty page")
		}
		for _, s := range page.Shipments {
			if err := s.Validate(); err != nil {
				t.Fatalf("an invalid shipment was listed: %v", err)
			}
		}
		for _, r := range page.Rejects {
			if r.Err == nil {
				t.Fatalf("a reject without a reason")
			}
		}
	})
}

func TestDecodeShipmentsRejectsBrokenOrder(t *testing.T) {
	page, n, err := decodeShipments([]byte(sampleOrders))
	if err != nil || n != 2 {
		t.Fatalf("decode: %v, %d orders", err, n)
	}
	if len(page.Shipments) != 1 || len(page.Rejects) != 1 {
		t.Fatalf("got %d shipments and %d rejects, want 1 and 1", len(page.Shipments), len(page.Rejects))
	}
	if s := page.Shipments[0]; s.ID != "550000001" || s.RequestKey != "k1" || s.OrderID != "1001" || s.Lines[0].Quantity != 3 {
		t.Errorf("shipment %+v", s)
	}
}

func FuzzDecodeLevels(f *testing.F) {
	f.Add([]byte(`{"items":[{"inventory_id":1,"sku":"A","total_on_hand_quantity":4},{"inventory_id":2}],"next":"/2026-01/inventory-level?Cursor=2"}`))
	f.Add([]byte(`{"items":null,"next":"https://evil.example/steal"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		page := &connector.StockPage{}
		next, err := decodeLevels(body, time.Unix(1, 0), page)
		if err != nil {
			return
		}
		if next != "" && !strings.HasPrefix(next, "/"+APIVersion+"/inventory-level?") {
			t.Fatalf("followed a link out of the listing: %q", next)
		}
		for _, l := range page.Levels {
			if l.SKU == "" || l.AsOf.IsZero() {
				t.Fatalf("a level without SKU or AsOf: %+v", l)
			}
		}
	})
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"id":310000001}`), "msg_1", "1700000000", "v1,AAAA")
	f.Add([]byte(`{"order_id":"12"}`), "", "x", "v2,abc v1,")
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig string) {
		_, _ = webhookOrderID(body)
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		secs, _ := strconv.ParseInt(ts, 10, 64)
		if verify([]byte("key"), h, body, time.Unix(secs, 0)) == nil {
			t.Fatalf("a signature made without the key verified")
		}
	})
}

func FuzzShipCursor(f *testing.F) {
	f.Add("s1:p=2&since=2026-12-01T00%3A00%3A00Z&start=2026-12-01T00%3A10%3A00Z")
	f.Add("s1:p=0")
	f.Add("i1:snapshot")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := parseShipCursor(s)
		if err != nil {
			return
		}
		again, err := parseShipCursor(k.String())
		if err != nil || again.page != k.page || !again.since.Equal(k.since) || !again.start.Equal(k.start) {
			t.Fatalf("a cursor does not survive a round trip: %q -> %+v -> %+v, %v", s, k, again, err)
		}
	})
}

func TestDecodeLevelsRejectsBrokenItems(t *testing.T) {
	page := &connector.StockPage{}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	next, err := decodeLevels([]byte(`{"items":[{"inventory_id":1,"sku":"A","total_on_hand_quantity":4},
		{"inventory_id":2,"sku":"B"},{"inventory_id":"x"},{"inventory_id":3,"sku":"C","total_on_hand_quantity":0}],
		"next":"https://api.shipbob.com/2026-01/inventory-level?PageSize=3&Cursor=3"}`), at, page)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Levels) != 2 || page.Levels[0].OnHand != 4 || page.Levels[1].SKU != "C" || !page.Levels[0].AsOf.Equal(at) {
		t.Errorf("levels %+v", page.Levels)
	}
	if len(page.Rejects) != 2 || page.Rejects[0].ID != "2" {
		t.Errorf("rejects %+v", page.Rejects)
	}
	if next != "/2026-01/inventory-level?PageSize=3&Cursor=3" {
		t.Errorf("next %q", next)
	}
	if _, err := decodeLevels([]byte(`{"items":[],"next":"https://evil.example/2026-01/orders"}`), at, page); err == nil {
		t.Errorf("a next link out of the listing was followed")
	}
}

func TestCarrier(t *testing.T) {
	for name, want := range map[string]string{"USPS": "usps", "FedEx Ground": "fedex", "UPS SurePost": "ups", "DHL eCommerce": "dhl",
		"Yamato Transport": "yamato", "Sagawa Express": "sagawa", "Japan Post": "japanpost", "OnTrac": "other", "": "other"} {
		if got := string(Carrier(name)); got != want {
			t.Errorf("Carrier(%q) = %s, want %s", name, got, want)
		}
	}
}
