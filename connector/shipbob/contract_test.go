package shipbob_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/order"
)

func request(key string) connector.FulfillmentRequest {
	return connector.FulfillmentRequest{Key: key, Merchant: "sakura-tea", Channel: "shopify", Order: order.Order{
		ID: "1001", Number: "#1001", Status: order.StatusOpen, PlacedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Lines: []order.Line{
			{ID: "1", SKU: "TEA-01", Name: "煎茶", Quantity: 3, UnitPrice: order.Yen(1200)},
			{ID: "2", SKU: "CUP-02", Name: "湯呑", Quantity: 1, UnitPrice: order.Yen(2500)},
		},
		ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", Email: "taro@example.jp", PostalCode: "150-0001",
			Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 12, Day: 5}, Slot: order.Slot1416},
		Gift:     &order.Gift{Noshi: "御歳暮", Message: "いつもありがとう"},
	}}
}

// TestShipbobContract proves the fake's exchanges are checked against the OpenAPI file: what
// the connector sends passes, and a request with a field the file lacks fails.
func TestShipbobContract(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	if err := r.client.Submit(ctx, request("k1")); err != nil {
		t.Fatal(err)
	}
	if a, err := r.client.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "c1", Order: request("k1").Order}); err != nil || !a.Accepted {
		t.Fatalf("change: %+v %v", a, err)
	}
	if a, err := r.client.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "x1"}); err != nil || !a.Accepted {
		t.Fatalf("cancel: %+v %v", a, err)
	}
	if _, err := r.client.ListShipments(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.ListStock(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.spec.WaitChecked(7)
	if errs := r.spec.Errors(); len(errs) > 0 {
		t.Fatalf("the connector's exchanges do not match the spec: %v", errs)
	}
	if n := r.spec.Checked(); n < 7 {
		t.Fatalf("only %d exchanges were checked against the spec", n)
	}
	h := r.fake.Held("k1")
	if h.Tags[shipbob.TagDeliveryDate] != "2026-12-05" || h.Tags[shipbob.TagDeliverySlot] != "1416" || h.Tags[shipbob.TagNoshi] != "御歳暮" {
		t.Errorf("delivery request and のし not carried in tags: %v", h.Tags)
	}

	// Now a request the connector would never send: one field more than Orders.CreateOrderModel.
	var body map[string]any
	raw, _ := json.Marshal(map[string]any{"reference_id": "k2", "type": "DTC", "shipping_method": "Standard",
		"recipient": map[string]any{"name": "A", "address": map[string]any{"address1": "x", "city": "y", "country": "JP"}},
		"products":  []any{map[string]any{"reference_id": "TEA-01", "name": "煎茶", "quantity": 1}}})
	_ = json.Unmarshal(raw, &body)
	send := func(b map[string]any) int {
		data, _ := json.Marshal(b)
		req, _ := http.NewRequest(http.MethodPost, r.fake.URL()+"/2026-01/order", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+r.fake.Token())
		req.Header.Set("Content-Type", "application/json")
		req.Header["shipbob_channel_id"] = []string{"100234"}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	before, checked := len(r.spec.Errors()), r.spec.Checked()
	if st := send(body); st != http.StatusCreated {
		t.Fatalf("a valid create answered %d", st)
	}
	r.spec.WaitChecked(checked + 1)
	if n := len(r.spec.Errors()); n != before {
		t.Fatalf("a valid create failed the spec: %v", r.spec.Errors()[before:])
	}
	body["reference_id"] = "k3"
	body["priority"] = "high"
	st := send(body)
	r.spec.WaitChecked(checked + 2)
	errs := r.spec.Errors()[before:]
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "priority") {
		t.Fatalf("a create with a field the spec lacks passed the spec check (errors %v)", errs)
	}
	if st != http.StatusBadRequest {
		t.Errorf("the fake answered %d to a field ShipBob's spec lacks, want 400", st)
	}
	msg, _, _ := strings.Cut(errs[0].Error(), "\n")
	t.Logf("refused as it should be: %s", msg)
	r.spec.Forget(before) // the recorder reports at cleanup; these failures were provoked

}
