package shopify_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/order"
)

// intake records what the webhook handler hands over.
type intake struct {
	mu     sync.Mutex
	orders []order.Order
}

func (in *intake) IngestOrder(_ context.Context, o order.Order) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.orders = append(in.orders, o)
	return nil
}

func (in *intake) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.orders)
}

func TestWebhookHandler(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) { c.WebhookMaxBody = 64 << 10 })
	in := &intake{}
	notified := make(chan string, 1)
	h := e.client.WebhookHandlerWithNotify(in, func(_ context.Context, kind string) { notified <- kind })
	srv := httptest.NewServer(h)
	defer srv.Close()
	e.fake.RegisterWebhooks(srv.URL+"/webhooks", srv.URL+"/fs")
	ctx := context.Background()

	id := e.fake.CreateOrder(newOrder(1))
	// Good: the order arrives with the same ID and content polling gives.
	whID, err := e.fake.SendOrderWebhook(ctx, shopify.TopicOrdersCreate, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.count() != 1 || in.orders[0].ID != id || in.orders[0].Delivery.Slot != order.Slot1416 || in.orders[0].Lines[0].UnitPrice != order.Yen(1200) {
		t.Fatalf("ingested %+v", in.orders)
	}
	// Duplicate delivery (same webhook ID): accepted, not ingested again.
	body := []byte(`{"admin_graphql_api_id":"` + id + `"}`)
	if err := e.fake.Deliver(ctx, srv.URL+"/webhooks", shopify.TopicOrdersCreate, whID, body); err != nil {
		t.Fatal(err)
	}
	if in.count() != 1 {
		t.Fatalf("duplicate ingested: %d", in.count())
	}
	// Cancellation arrives as an update of the same order.
	e.fake.CancelOrder(id, "CUSTOMER")
	if _, err := e.fake.SendOrderWebhook(ctx, shopify.TopicOrdersCancelled, id); err != nil {
		t.Fatal(err)
	}
	if in.count() != 2 || in.orders[1].Status != order.StatusCancelled {
		t.Fatalf("cancellation: %+v", in.orders)
	}
	// Bad signature.
	post := func(body []byte, sig, whID string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Hmac-SHA256", sig)
		req.Header.Set("X-Shopify-Topic", shopify.TopicOrdersUpdated)
		req.Header.Set("X-Shopify-Webhook-Id", whID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := []byte(`{"admin_graphql_api_id":"gid://shopify/Order/1","name":"#1"}`)
	if code := post(good, e.fake.Sign(append([]byte(nil), "x"...)), "w-bad"); code != http.StatusUnauthorized {
		t.Fatalf("bad signature answered %d", code)
	}
	if code := post(good, "", "w-none"); code != http.StatusUnauthorized {
		t.Fatalf("missing signature answered %d", code)
	}
	// Oversized body: refused before verification.
	big := bytes.Repeat([]byte("x"), 65<<10)
	if code := post(big, e.fake.Sign(big), "w-big"); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body answered %d", code)
	}
	if in.count() != 2 {
		t.Fatalf("rejected deliveries ingested: %d", in.count())
	}
	// The fulfillment service callback is a hint to re-read requests.
	if err := e.fake.NotifyFulfillmentService(ctx, "FULFILLMENT_REQUEST"); err != nil {
		t.Fatal(err)
	}
	select {
	case kind := <-notified:
		if kind != "FULFILLMENT_REQUEST" {
			t.Fatalf("kind %q", kind)
		}
	case <-time.After(time.Second):
		t.Fatal("no notification")
	}
}

func TestWebhookDedupIsBounded(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) { c.WebhookDedup = 2 })
	in := &intake{}
	srv := httptest.NewServer(e.client.WebhookHandler(in))
	defer srv.Close()
	id := e.fake.CreateOrder(newOrder(1))
	e.fake.RegisterWebhooks(srv.URL, "")
	ctx := context.Background()
	first, _ := e.fake.SendOrderWebhook(ctx, shopify.TopicOrdersUpdated, id)
	for range 3 {
		if _, err := e.fake.SendOrderWebhook(ctx, shopify.TopicOrdersUpdated, id); err != nil {
			t.Fatal(err)
		}
	}
	if in.count() != 4 {
		t.Fatalf("ingested %d", in.count())
	}
	// The first ID has been forgotten (memory is bounded); the engine's ledger absorbs the copy.
	if err := e.fake.Deliver(ctx, srv.URL, shopify.TopicOrdersUpdated, first, []byte(sampleWebhook)); err != nil {
		t.Fatal(err)
	}
	if in.count() != 5 {
		t.Fatalf("ingested %d", in.count())
	}
}

func TestCompanyNames(t *testing.T) {
	if shopify.Company("yamato") != "Yamato (JA)" || shopify.Company("other") != "" || !strings.Contains(shopify.Company("sagawa"), "Sagawa") {
		t.Fatal("carrier names")
	}
}

// sampleWebhook is an orders/create payload in Shopify's REST shape.
const sampleWebhook = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508",
"name":"#9999","email":"jon@example.com","created_at":"2026-07-01T10:00:00+09:00","updated_at":"2026-07-01T10:05:00+09:00",
"cancelled_at":null,"currency":"JPY","note_attributes":[{"name":"delivery_date","value":"2026-07-05"},{"name":"delivery_time","value":"午前中"}],
"line_items":[{"id":866550311766439020,"admin_graphql_api_id":"gid://shopify/LineItem/866550311766439020","sku":"IPOD-342-N","name":"IPod Nano","title":"IPod Nano","quantity":1,"current_quantity":1,"price":"19900.0"}],
"shipping_address":{"first_name":"太郎","last_name":"山田","address1":"丸の内1-1","city":"千代田区","province":"Tokyo","province_code":"JP-13","zip":"100-0005","country_code":"JP","phone":"03-0000-0000"}}`
