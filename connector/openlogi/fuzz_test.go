package openlogi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/openlogi"
)

// canned is a server that answers every request with the status and body last set.
type canned struct {
	mu     sync.Mutex
	status int
	body   []byte
	srv    *httptest.Server
}

func newCanned(f *testing.F) *canned {
	c := &canned{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		status, body := c.status, c.body
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	f.Cleanup(c.srv.Close)
	return c
}

// client returns a fresh client (nothing remembered) over the server answering status and body.
func (c *canned) client(t *testing.T, status int, body []byte) *openlogi.Client {
	t.Helper()
	c.mu.Lock()
	c.status, c.body = status, body
	c.mu.Unlock()
	// Server errors are not retried here, so that fuzzing stays fast.
	hc := httpclient.New(httpclient.Config{RetryMax: -1, Throttle: openlogi.Throttled})
	cl, err := openlogi.New(openlogi.Config{BaseURL: c.srv.URL, Token: "t", AccountID: "TS001", Channel: "shop", HTTP: hc,
		Items: func(context.Context) ([]string, error) { return []string{"TS001-I000001"}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// FuzzDecoders feeds arbitrary answers to every call: no panic, every listed shipment valid,
// every stock level with its AsOf, and errors only of the documented kinds.
func FuzzDecoders(f *testing.F) {
	f.Add(200, []byte(`{"shipments":[{"id":"TS001-S000001","identifier":"k1","order_no":"1001","status":"shipped","shipped_at":"2026-12-01T10:00:00+09:00","items":[{"code":"TEA-01","quantity":2}],"tracking_codes":["1234"],"delivery_service":"YAMATO-TAKKYUBIN"}]}`))
	f.Add(200, []byte(`{"items":[{"id":"TS001-I000001","code":"TEA-01","name":"煎茶","stock":{"quantity":5,"available":-2,"shipping":7,"requesting":7}}]}`))
	f.Add(200, []byte(`{"id":"TS001-S000001","identifier":"k1","status":"picking","recipient":{"postcode":"1500001"},"items":null}`))
	f.Add(422, []byte(`{"error":"validation_failed","errors":{"identifier":"taken"}}`))
	f.Add(200, []byte(`{"shipments":[{"id":"","shipped_at":"yesterday"},{"id":"x","shipped_at":"2026-12-01T10:00:00Z","items":[]}]}`))
	f.Add(201, []byte(`[]`))
	srv := newCanned(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			status = 200
		}
		c := srv.client(t, status, body)
		ctx := context.Background()
		if p, err := c.ListShipments(ctx, ""); err == nil {
			for _, s := range p.Shipments {
				if err := s.Validate(); err != nil {
					t.Errorf("listed an invalid shipment: %v", err)
				}
			}
		}
		if p, err := c.ListStock(ctx, ""); err == nil {
			for _, l := range p.Levels {
				if l.AsOf.IsZero() || l.OnHand < 0 {
					t.Errorf("level %+v", l)
				}
			}
		}
		req := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1")}
		_ = c.Submit(ctx, req)
		_, _ = c.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: "c", Order: req.Order})
		_, _ = c.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "x", Lines: []connector.LineQuantity{{SKU: "TEA-01", Quantity: 1}}})
		_, _ = c.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "y"})
	})
}

// FuzzCursor: any cursor is either refused with connector.ErrPermanent or listed from.
func FuzzCursor(f *testing.F) {
	f.Add(`{"d":"2026-12-01","t":"2026-12-01T01:00:00Z","s":["a"]}`)
	f.Add(`{"d":"2026-13-01"}`)
	f.Add(`garbage`)
	srv := newCanned(f)
	f.Fuzz(func(t *testing.T, cur string) {
		c := srv.client(t, 200, []byte(`{"shipments":[]}`))
		p, err := c.ListShipments(context.Background(), connector.Cursor(cur))
		if err != nil && connector.Classify(err) != connector.Permanent {
			t.Errorf("cursor %q: %v", cur, err)
		}
		if err == nil && p.Next == "" {
			t.Errorf("no Next")
		}
	})
}
