package shipbob_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
	"github.com/tobira-commerce/tobira/shipment"
)

type recorded struct {
	mu sync.Mutex
	s  []shipment.Shipment
}

func (r *recorded) RecordShipment(_ context.Context, s shipment.Shipment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = append(r.s, s)
	return nil
}

func (r *recorded) all() []shipment.Shipment {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]shipment.Shipment(nil), r.s...)
}

// TestShipbobWebhook proves that a signed order.shipped delivery from the fake reaches the
// recorder as the shipment with its tracking, and that forged, stale or altered deliveries are
// refused with nothing recorded.
func TestShipbobWebhook(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	rec := &recorded{}
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	hook := httptest.NewServer(r.client.WebhookHandler(secret, rec))
	defer hook.Close()
	got, err := r.client.Subscribe(ctx, hook.URL, secret)
	if err != nil || got != secret {
		t.Fatalf("Subscribe: %q, %v", got, err)
	}
	if err := r.client.Submit(ctx, request("k1")); err != nil {
		t.Fatal(err)
	}
	if err := r.fake.Ship("k1", "Yamato Transport", "4455-6677-8899"); err != nil {
		t.Fatal(err)
	}
	ss := rec.all()
	if len(ss) != 1 {
		t.Fatalf("the delivery recorded %d shipments, want 1", len(ss))
	}
	s := ss[0]
	if s.RequestKey != "k1" || s.Channel != "shopify" || s.OrderID != "1001" ||
		len(s.Parcels) != 1 || s.Parcels[0].Carrier != shipment.Yamato || s.Parcels[0].TrackingNumber != "4455-6677-8899" {
		t.Errorf("recorded %+v", s)
	}

	body := []byte(`{"id":` + itoa(r.fake.Held("k1").OrderID) + `}`)
	send := func(req *http.Request) int {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now()
	good, _ := shipbobtest.WebhookRequest(ctx, hook.URL, secret, "order.shipped", body, now)
	if st := send(good); st != http.StatusNoContent {
		t.Errorf("a good delivery answered %d", st)
	}
	for name, req := range map[string]*http.Request{
		"wrong secret": must(shipbobtest.WebhookRequest(ctx, hook.URL, "whsec_b3RoZXI=", "order.shipped", body, now)),
		"stale":        must(shipbobtest.WebhookRequest(ctx, hook.URL, secret, "order.shipped", body, now.Add(-time.Hour))),
		"unsigned":     must(http.NewRequest(http.MethodPost, hook.URL, bytes.NewReader(body))),
	} {
		if st := send(req); st != http.StatusUnauthorized {
			t.Errorf("%s: answered %d, want 401", name, st)
		}
	}
	altered := must(shipbobtest.WebhookRequest(ctx, hook.URL, secret, "order.shipped", body, now))
	altered.Body = ioNop(strings.Replace(string(body), "{", `{"x":1,`, 1))
	altered.ContentLength = -1
	if st := send(altered); st != http.StatusUnauthorized {
		t.Errorf("altered body: answered %d, want 401", st)
	}
	if n := len(rec.all()); n != 2 { // the first delivery and the good repeat
		t.Errorf("%d recordings, want 2 (refused deliveries record nothing)", n)
	}
	other := must(shipbobtest.WebhookRequest(ctx, hook.URL, secret, "return.created", []byte(`{"id":5}`), now))
	if st := send(other); st != http.StatusNoContent {
		t.Errorf("another topic answered %d, want 204", st)
	}
	if err := shipbob.VerifyWebhook(secret, good.Header, body, now); err != nil {
		t.Errorf("VerifyWebhook on a good delivery: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
