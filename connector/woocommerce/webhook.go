package woocommerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/internal/recent"
	"github.com/tobira-commerce/tobira/order"
)

// Webhook topics the handler turns into orders.
const (
	TopicOrderCreated  = "order.created"
	TopicOrderUpdated  = "order.updated"
	TopicOrderRestored = "order.restored"
	TopicOrderDeleted  = "order.deleted"
)

// Verify reports whether signature (the X-WC-Webhook-Signature header) is the base64
// HMAC-SHA256 of body under secret. The comparison takes constant time.
func Verify(secret, body []byte, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(secret) == 0 {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// WebhookHandler implements connector.WebhookReceiver. Create the shop's webhooks with API
// version "WP REST API Integration v3", so their bodies are the orders REST v3 returns, and
// with Config.WebhookSecret as their secret. The handler:
//
//   - takes POST only and reads at most Config.WebhookMaxBody bytes (413 beyond);
//   - verifies X-WC-Webhook-Signature against Config.WebhookSecret (401 when it does not match,
//     and nothing is recorded, not even the delivery ID);
//   - drops a delivery whose X-WC-Webhook-Delivery-ID it has already taken (200, nothing
//     done), remembering the last Config.WebhookDedup IDs;
//   - hands the order of order.created, order.updated and order.restored to intake, exactly
//     as ListOrders would list it; for order.deleted, whose body holds only the ID, it reads the
//     order (a trashed order is still readable, and is a cancellation) and hands that on;
//   - answers 200 to the ping WooCommerce sends when a webhook is saved, to other topics, and
//     to a body it cannot decode (polling finds the order anyway); an intake error answers 500
//     and forgets the delivery ID, so a redelivery is taken.
func (c *Client) WebhookHandler(intake connector.Intake) http.Handler {
	return &webhookHandler{c: c, intake: intake, seen: recent.New(c.cfg.WebhookDedup)}
}

type webhookHandler struct {
	c      *Client
	intake connector.Intake
	seen   *recent.Set
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readAtMost(r, h.c.cfg.WebhookMaxBody)
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if !Verify([]byte(h.c.cfg.WebhookSecret), body, r.Header.Get("X-WC-Webhook-Signature")) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	topic := r.Header.Get("X-WC-Webhook-Topic")
	switch topic {
	case TopicOrderCreated, TopicOrderUpdated, TopicOrderRestored, TopicOrderDeleted:
	default:
		w.WriteHeader(http.StatusOK) // a ping, or a topic this handler does not take
		return
	}
	id := r.Header.Get("X-WC-Webhook-Delivery-ID")
	if len(id) > 256 {
		id = id[:256]
	}
	if id != "" && !h.seen.Add(id) {
		w.WriteHeader(http.StatusOK)
		return
	}
	var o order.Order
	if topic == TopicOrderDeleted {
		var v struct {
			ID int64 `json:"id"`
		}
		if httpclient.Decode(body, &v, httpclient.DecodeOptions{}) != nil || v.ID <= 0 {
			w.WriteHeader(http.StatusOK)
			return
		}
		o, err = h.c.GetOrder(r.Context(), idString(v.ID))
		if err != nil {
			if connector.Classify(err) == connector.Permanent {
				w.WriteHeader(http.StatusOK) // deleted for good: nothing left to read
				return
			}
			h.fail(w, r, id, "reading a deleted order failed", err)
			return
		}
		if o.Status != order.StatusCancelled {
			o.Status = order.StatusCancelled
		}
	} else {
		o, err = h.c.DecodeOrder(body)
		if err != nil {
			h.c.log.WarnContext(r.Context(), "woocommerce webhook dropped", "topic", topic, "error", err)
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if err := h.intake.IngestOrder(r.Context(), o); err != nil {
		h.fail(w, r, id, "intake failed", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *webhookHandler) fail(w http.ResponseWriter, r *http.Request, id, msg string, err error) {
	h.c.log.WarnContext(r.Context(), "woocommerce webhook failed", "reason", msg, "error", httpclient.Redact(err.Error()))
	if id != "" {
		h.seen.Remove(id)
	}
	http.Error(w, msg, http.StatusInternalServerError)
}

func readAtMost(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errors.New("cannot read body")
	}
	if int64(len(body)) > limit {
		return nil, errors.New("body too large")
	}
	return body, nil
}

func signWith(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
