package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/internal/recent"
	"github.com/tobira-commerce/tobira/order"
)

// Webhook topics the handler turns into orders.
const (
	TopicOrdersCreate    = "orders/create"
	TopicOrdersUpdated   = "orders/updated"
	TopicOrdersCancelled = "orders/cancelled"
)

// NotificationFunc is told that Shopify sent a fulfillment-service notification of kind
// ("FULFILLMENT_REQUEST", "CANCELLATION_REQUEST"): the host should call FulfillmentRequests or
// CancellationRequests soon. It must not block.
type NotificationFunc func(ctx context.Context, kind string)

// WebhookHandler implements connector.WebhookReceiver. The handler:
//
//   - reads at most Config.WebhookMaxBody bytes (413 beyond);
//   - verifies X-Shopify-Hmac-SHA256, the base64 HMAC-SHA256 of the raw body keyed with
//     Config.AppSecret, in constant time (401 when it does not match);
//   - drops a delivery whose X-Shopify-Webhook-Id it has already taken (200, nothing done),
//     remembering the last Config.WebhookDedup IDs;
//   - decodes orders/create, orders/updated and orders/cancelled payloads (Shopify's REST-style
//     JSON) and hands the order to intake.IngestOrder; an intake error answers 500 so Shopify
//     retries the delivery (and the ID is forgotten so the retry is taken);
//   - answers 200 to other topics, which it ignores.
//
// A path ending in /fulfillment_order_notification is the fulfillment service's callback:
// verified the same way, it carries no order, only a hint that requests are waiting. The
// handler calls the NotificationFunc set with OnNotification, if any, and answers 200.
func (c *Client) WebhookHandler(intake connector.Intake) http.Handler {
	return &webhookHandler{c: c, intake: intake, seen: recent.New(c.cfg.WebhookDedup)}
}

// WebhookHandlerWithNotify is WebhookHandler with a callback for fulfillment-service
// notifications.
func (c *Client) WebhookHandlerWithNotify(intake connector.Intake, notify NotificationFunc) http.Handler {
	return &webhookHandler{c: c, intake: intake, notify: notify, seen: recent.New(c.cfg.WebhookDedup)}
}

type webhookHandler struct {
	c      *Client
	intake connector.Intake
	notify NotificationFunc
	seen   *recent.Set
}

// Verify reports whether signature (the X-Shopify-Hmac-SHA256 header) is the HMAC of body
// under secret. The comparison takes constant time.
func Verify(secret, body []byte, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(secret) == 0 {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.c.cfg.WebhookMaxBody+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > h.c.cfg.WebhookMaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !Verify([]byte(h.c.cfg.AppSecret), body, r.Header.Get("X-Shopify-Hmac-SHA256")) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("X-Shopify-Webhook-Id")
	if len(id) > 256 {
		id = id[:256] // IDs are short; a longer one must not grow the dedup memory
	}
	if id != "" && !h.seen.Add(id) {
		w.WriteHeader(http.StatusOK) // a duplicate delivery: already taken
		return
	}
	fail := func(status int, msg string) {
		if id != "" {
			h.seen.Remove(id)
		}
		http.Error(w, msg, status)
	}
	if strings.HasSuffix(r.URL.Path, "/fulfillment_order_notification") {
		var n struct {
			Kind string `json:"kind"`
		}
		if err := httpclient.Decode(body, &n, httpclient.DecodeOptions{}); err != nil {
			w.WriteHeader(http.StatusOK) // a hint we cannot read: the next poll sees the requests anyway
			return
		}
		if h.notify != nil {
			h.notify(r.Context(), n.Kind)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	switch r.Header.Get("X-Shopify-Topic") {
	case TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersCancelled:
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	o, err := h.c.DecodeOrderWebhook(body)
	if err != nil {
		// Retrying the same bytes cannot help; the order arrives by polling instead.
		h.c.log.WarnContext(r.Context(), "shopify webhook dropped", "error", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.intake.IngestOrder(r.Context(), o); err != nil {
		h.c.log.WarnContext(r.Context(), "shopify webhook intake failed", "order", o.ID, "error", httpclient.Redact(err.Error()))
		fail(http.StatusInternalServerError, "intake failed")
		return
	}
	w.WriteHeader(http.StatusOK)
}

type restOrder struct {
	ID                json.RawMessage `json:"id"`
	AdminGraphQLAPIID string          `json:"admin_graphql_api_id"`
	Name              string          `json:"name"`
	Email             *string         `json:"email"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
	CancelledAt       *time.Time      `json:"cancelled_at"`
	ClosedAt          *time.Time      `json:"closed_at"`
	Currency          string          `json:"currency"`
	FulfillmentStatus *string         `json:"fulfillment_status"`
	NoteAttributes    []restAttribute `json:"note_attributes"`
	// PaymentGatewayNames is the gateways' list; Gateway the older single name, read when the
	// list is absent.
	PaymentGatewayNames   []string        `json:"payment_gateway_names"`
	Gateway               *string         `json:"gateway"`
	TaxesIncluded         bool            `json:"taxes_included"`
	TotalPriceSet         *restMoneySet   `json:"total_price_set"`
	TotalShippingPriceSet *restMoneySet   `json:"total_shipping_price_set"`
	TotalTaxSet           *restMoneySet   `json:"total_tax_set"`
	TotalDiscountsSet     *restMoneySet   `json:"total_discounts_set"`
	TotalOutstanding      json.RawMessage `json:"total_outstanding"`
	LineItems             []struct {
		ID                json.RawMessage `json:"id"`
		AdminGraphQLAPIID string          `json:"admin_graphql_api_id"`
		SKU               *string         `json:"sku"`
		Name              string          `json:"name"`
		Title             string          `json:"title"`
		Quantity          int             `json:"quantity"`
		CurrentQuantity   *int            `json:"current_quantity"`
		Price             string          `json:"price"`
		Properties        []restAttribute `json:"properties"`
	} `json:"line_items"`
	ShippingAddress *struct {
		FirstName    *string `json:"first_name"`
		LastName     *string `json:"last_name"`
		Company      *string `json:"company"`
		Phone        *string `json:"phone"`
		Address1     *string `json:"address1"`
		Address2     *string `json:"address2"`
		City         *string `json:"city"`
		Province     *string `json:"province"`
		ProvinceCode *string `json:"province_code"`
		Zip          *string `json:"zip"`
		CountryCode  *string `json:"country_code"`
	} `json:"shipping_address"`
}

type restAttribute struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// value reads a property's value: Shopify sends strings, but apps can store numbers or
// booleans; anything else is no value.
func (a restAttribute) value() *string {
	var s string
	if json.Unmarshal(a.Value, &s) == nil {
		return &s
	}
	var v any
	if json.Unmarshal(a.Value, &v) == nil {
		switch v.(type) {
		case float64, bool:
			s = strings.TrimSpace(string(a.Value))
			return &s
		}
	}
	return nil
}

// restMoneySet is a REST *_set amount: the shop's and the buyer's currency.
type restMoneySet struct {
	ShopMoney struct {
		Amount       json.RawMessage `json:"amount"`
		CurrencyCode string          `json:"currency_code"`
	} `json:"shop_money"`
}

func (m *restMoneySet) gql() *gqlMoney {
	if m == nil {
		return nil
	}
	g := &gqlMoney{}
	g.ShopMoney.Amount = restAmount(m.ShopMoney.Amount)
	g.ShopMoney.CurrencyCode = m.ShopMoney.CurrencyCode
	return g
}

// restAmount reads a REST amount, a decimal string ("3530.00") or, from some apps' copies, a
// number.
func restAmount(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if t := strings.TrimSpace(string(raw)); t != "" && strings.Trim(t, "-0123456789.") == "" {
		return t
	}
	return ""
}

// restID returns the GraphQL ID of a REST payload's object: admin_graphql_api_id when present,
// else built from the numeric id, kept as digits (float64 would round IDs above 2^53).
func restID(gid string, id json.RawMessage, kind string) string {
	if gid != "" {
		return gid
	}
	digits := strings.Trim(string(id), `"`)
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	return "gid://shopify/" + kind + "/" + digits
}

// DecodeOrderWebhook turns an orders/* webhook body into an order, with the same IDs (GraphQL
// global IDs) and the same content ListOrders gives, so polled and pushed copies of an order
// are one order: payment gateways (cash on delivery and its amount, from total_outstanding),
// totals (the *_set amounts in the shop's currency), note attributes and line properties
// (delivery request, gift, のし) map as the GraphQL fields do.
func (c *Client) DecodeOrderWebhook(body []byte) (order.Order, error) {
	var ro restOrder
	if err := httpclient.Decode(body, &ro, httpclient.DecodeOptions{}); err != nil {
		return order.Order{}, fmt.Errorf("shopify: webhook: %w", err)
	}
	g := gqlOrder{
		ID: restID(ro.AdminGraphQLAPIID, ro.ID, "Order"), Name: ro.Name, CreatedAt: ro.CreatedAt, UpdatedAt: ro.UpdatedAt,
		CancelledAt: ro.CancelledAt, Closed: ro.ClosedAt != nil, Email: ro.Email, CurrencyCode: ro.Currency,
	}
	if g.ID == "" {
		return order.Order{}, fmt.Errorf("shopify: webhook: order has no id: %w", connector.ErrPermanent)
	}
	g.DisplayFulfillmentStatus = restFulfillmentStatus(ro.FulfillmentStatus)
	for _, a := range ro.NoteAttributes {
		g.CustomAttributes = append(g.CustomAttributes, attribute{Key: a.Name, Value: a.value()})
	}
	g.PaymentGatewayNames = ro.PaymentGatewayNames
	if g.PaymentGatewayNames == nil && ro.Gateway != nil && *ro.Gateway != "" {
		g.PaymentGatewayNames = []string{*ro.Gateway}
	}
	g.TaxesIncluded = ro.TaxesIncluded
	g.TotalPriceSet, g.TotalShippingPriceSet = ro.TotalPriceSet.gql(), ro.TotalShippingPriceSet.gql()
	g.TotalTaxSet, g.TotalDiscountsSet = ro.TotalTaxSet.gql(), ro.TotalDiscountsSet.gql()
	if len(ro.TotalOutstanding) > 0 && string(ro.TotalOutstanding) != "null" {
		// total_outstanding is in the shop's currency, like every amount without a _set.
		g.TotalOutstandingSet = &gqlMoney{}
		g.TotalOutstandingSet.ShopMoney.Amount = restAmount(ro.TotalOutstanding)
		g.TotalOutstandingSet.ShopMoney.CurrencyCode = ro.Currency
	}
	if a := ro.ShippingAddress; a != nil {
		g.ShippingAddress = &gqlAddress{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Phone: a.Phone,
			Address1: a.Address1, Address2: a.Address2, City: a.City, Province: a.Province, ProvinceCode: a.ProvinceCode,
			Zip: a.Zip, CountryCodeV2: a.CountryCode}
	}
	if len(ro.LineItems) > 10000 {
		return order.Order{}, fmt.Errorf("shopify: webhook: too many line items: %w", connector.ErrPermanent)
	}
	for _, l := range ro.LineItems {
		li := gqlLineItem{ID: restID(l.AdminGraphQLAPIID, l.ID, "LineItem"), SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, CurrentQuantity: l.Quantity}
		if li.Name == "" {
			li.Name = l.Title
		}
		if l.CurrentQuantity != nil {
			li.CurrentQuantity = *l.CurrentQuantity
		}
		li.OriginalUnitPriceSet.ShopMoney.Amount = l.Price
		li.OriginalUnitPriceSet.ShopMoney.CurrencyCode = ro.Currency
		for _, p := range l.Properties {
			li.CustomAttributes = append(li.CustomAttributes, attribute{Key: p.Name, Value: p.value()})
		}
		g.LineItems.Nodes = append(g.LineItems.Nodes, li)
	}
	return c.mapOrder(&g)
}

// restFulfillmentStatus turns REST's fulfillment_status (null, "partial", "fulfilled",
// "restocked") into the GraphQL displayFulfillmentStatus polling reads, so the order's
// ChannelStatus is the same whichever way it arrived.
func restFulfillmentStatus(s *string) string {
	if s == nil {
		return "UNFULFILLED"
	}
	switch *s {
	case "partial":
		return "PARTIALLY_FULFILLED"
	case "":
		return "UNFULFILLED"
	}
	return strings.ToUpper(*s)
}
