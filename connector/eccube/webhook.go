package eccube

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// SignatureHeader carries the webhook's signature: hex HMAC-SHA256 of the body under the
// webhook's secret.
const SignatureHeader = "X-ECCUBE-Signature"

// WebhookEvent is one entry of a webhook's payload.
type WebhookEvent struct {
	Entity string `json:"entity"` // "order", "product", "customer"
	ID     flexID `json:"id"`
	Action string `json:"action"` // "created", "updated", "deleted"
}

// Verify reports whether signature (the X-ECCUBE-Signature header) is the HMAC of body under
// secret. The comparison takes constant time; an empty secret verifies nothing.
func Verify(secret, body []byte, signature string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(secret) == 0 {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// DecodeWebhook reads a webhook body: a JSON array of events.
func DecodeWebhook(body []byte) ([]WebhookEvent, error) {
	var evs []WebhookEvent
	if err := json.Unmarshal(body, &evs); err != nil {
		return nil, err
	}
	return evs, nil
}

// WebhookHandler implements connector.WebhookReceiver. The handler:
//
//   - reads at most Config.WebhookMaxBody bytes (413 beyond);
//   - verifies X-ECCUBE-Signature against Config.WebhookSecret in constant time (401 when it
//     does not match or no secret is configured: an unsigned webhook proves nothing);
//   - for every "order" event that is not a deletion, reads the order again through the API
//     and hands it to intake, exactly as if it had been polled. The payload names the order
//     only, so a repeated delivery reads the same order again and changes nothing.
//
// An order the connector rejects (see ListOrders) is skipped here and quarantined by polling.
// A failed read or intake answers 500; the plugin does not resend, and polling catches up.
func (c *Client) WebhookHandler(intake connector.Intake) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.WebhookMaxBody))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if !Verify([]byte(c.cfg.WebhookSecret), body, r.Header.Get(SignatureHeader)) {
			c.log.WarnContext(r.Context(), "eccube: webhook refused: bad signature")
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		evs, err := DecodeWebhook(body)
		if err != nil {
			http.Error(w, "malformed payload", http.StatusBadRequest)
			return
		}
		seen := map[flexID]bool{}
		for _, ev := range evs {
			if ev.Entity != "order" || ev.Action == "deleted" || seen[ev.ID] || !numeric(string(ev.ID)) {
				continue
			}
			seen[ev.ID] = true
			raw, err := c.getOrder(r.Context(), string(ev.ID))
			if err != nil {
				c.log.WarnContext(r.Context(), "eccube: webhook: reading the order failed", "order", string(ev.ID), "error", httpclient.Redact(err.Error()))
				http.Error(w, "order not read", http.StatusInternalServerError)
				return
			}
			if raw == nil {
				continue
			}
			o, err := c.decodeOrder(raw)
			if err != nil {
				c.log.WarnContext(r.Context(), "eccube: webhook: order rejected", "order", string(ev.ID), "error", err.Error())
				continue
			}
			if err := intake.IngestOrder(r.Context(), o); err != nil {
				http.Error(w, "intake failed", http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

func numeric(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
