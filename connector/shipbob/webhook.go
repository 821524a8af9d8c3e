package shipbob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/shipment"
)

// ShipmentRecorder takes the shipments a webhook announces. The engine's RecordShipment, with
// the merchant and warehouse bound, is one:
//
//	shipbob.RecordFunc(func(ctx context.Context, s shipment.Shipment) error {
//		return engine.RecordShipment(ctx, merchantID, "shipbob", s)
//	})
//
// Recording the same shipment twice must have one effect: ShipBob delivers at least once.
type ShipmentRecorder interface {
	RecordShipment(ctx context.Context, s shipment.Shipment) error
}

// RecordFunc adapts a function to ShipmentRecorder.
type RecordFunc func(ctx context.Context, s shipment.Shipment) error

// RecordShipment calls f.
func (f RecordFunc) RecordShipment(ctx context.Context, s shipment.Shipment) error { return f(ctx, s) }

// Webhook topics the handler acts on; others are acknowledged and ignored.
const (
	TopicOrderShipped = "order.shipped"
)

// WebhookTolerance is how far a delivery's webhook-timestamp may be from the receiver's clock.
const WebhookTolerance = 5 * time.Minute

// maxWebhookBody caps a delivery's body.
const maxWebhookBody = 1 << 20

// WebhookHandler returns a handler for ShipBob's webhook deliveries, signed with secret (the
// subscription's, "whsec_..." as ShipBob issues it, or the one the subscription was created
// with; see Subscribe).
//
// ShipBob signs as Standard Webhooks does (developer.shipbob.com, Webhooks: "The content to sign
// is composed by concatenating the id, timestamp and payload, separated by the full-stop
// character"; HMAC-SHA256 keyed with the base64-decoded part of the secret after "whsec_";
// webhook-signature holds space-delimited "v1,<base64>" signatures). The OpenAPI file only says
// the secret is "used to sign the webhook payload". The handler answers 401 to a delivery
// whose signature does not match or whose timestamp is more than WebhookTolerance away, 400 to
// a payload without an order ID, and 500 when reading the order or recording failed, so that
// ShipBob delivers again.
//
// An order.shipped delivery is a hint: the handler reads the order back (GET
// /2026-01/order/{id}) and hands each shipment it shows shipped, with tracking, to rec, exactly
// as ListShipments would list it.
func (c *Client) WebhookHandler(secret string, rec ShipmentRecorder) http.Handler {
	return &webhookHandler{c: c, key: webhookKey(secret), rec: rec}
}

type webhookHandler struct {
	c   *Client
	key []byte
	rec ShipmentRecorder
}

func webhookKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return k
		}
	}
	return []byte(secret)
}

// ErrBadSignature is what VerifyWebhook returns for a delivery it cannot trust.
var ErrBadSignature = errors.New("shipbob: webhook signature does not verify")

// VerifyWebhook checks a delivery's headers and body against secret at time now.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	return verify(webhookKey(secret), h, body, now)
}

func verify(key []byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" || len(key) == 0 {
		return fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature", ErrBadSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad webhook-timestamp", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return fmt.Errorf("%w: webhook-timestamp too far from now", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}

func (wh *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if len(body) > maxWebhookBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := verify(wh.key, r.Header, body, wh.c.cfg.Now()); err != nil {
		wh.log(r.Context(), slog.LevelWarn, "shipbob webhook refused", err)
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("x-webhook-topic") != TopicOrderShipped {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	id, err := webhookOrderID(body)
	if err != nil {
		wh.log(r.Context(), slog.LevelWarn, "shipbob webhook without an order", err)
		http.Error(w, "no order id in the payload", http.StatusBadRequest)
		return
	}
	if err := wh.record(r.Context(), id); err != nil {
		wh.log(r.Context(), slog.LevelError, "shipbob webhook not recorded", err)
		http.Error(w, "not recorded; deliver again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (wh *webhookHandler) log(ctx context.Context, level slog.Level, msg string, err error) {
	if l := wh.c.cfg.Logger; l != nil {
		l.Log(ctx, level, msg, slog.String("error", httpclient.Redact(err.Error())))
	}
}

// webhookOrderID reads the order's ID from a delivery: order_id for a shipment payload, id for
// an order payload.
func webhookOrderID(body []byte) (int64, error) {
	var p struct {
		ID      json.Number `json:"id"`
		OrderID json.Number `json:"order_id"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return 0, fmt.Errorf("shipbob: webhook payload: %w", connector.ErrPermanent)
	}
	for _, n := range []json.Number{p.OrderID, p.ID} {
		if v, err := n.Int64(); err == nil && v > 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("shipbob: webhook payload has no order id: %w", connector.ErrPermanent)
}

func (wh *webhookHandler) record(ctx context.Context, id int64) error {
	resp, err := wh.c.do(ctx, call{method: http.MethodGet, path: "/order/" + strconv.FormatInt(id, 10), channel: true})
	if err != nil {
		return err
	}
	page, _, err := decodeShipments(append(append([]byte("["), resp.Body...), ']'))
	if err != nil {
		return err
	}
	for _, rj := range page.Rejects {
		wh.log(ctx, slog.LevelWarn, "shipbob webhook: shipment rejected "+rj.ID, rj.Err)
	}
	for _, s := range page.Shipments {
		if err := wh.rec.RecordShipment(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe creates a webhook subscription (POST /2026-01/webhook) for order.shipped deliveries
// to url, signed with secret, and returns the secret ShipBob will sign with.
func (c *Client) Subscribe(ctx context.Context, url, secret string) (string, error) {
	body, err := json.Marshal(struct {
		URL    string   `json:"url"`
		Topics []string `json:"topics"`
		Secret string   `json:"secret,omitempty"`
	}{url, []string{TopicOrderShipped}, secret})
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: "/webhook", body: body})
	if err != nil {
		return "", errorf("subscribing: %w", err)
	}
	var v struct {
		Secret string `json:"secret"`
	}
	if err := httpclient.Decode(resp.Body, &v, httpclient.DecodeOptions{}); err != nil {
		return "", errorf("subscribing: %w", err)
	}
	if v.Secret == "" {
		v.Secret = secret
	}
	return v.Secret, nil
}
