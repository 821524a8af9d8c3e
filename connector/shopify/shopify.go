// Package shopify connects Tobira to a Shopify shop through the GraphQL Admin API.
//
// One Client serves one shop (one access token) in two roles:
//
//   - Order management: ListOrders (connector.OrderSource) pages through orders by update time;
//     ConfirmShipment (connector.ShipmentSink) creates fulfillments with tracking; SetStock and
//     ReadStock (connector.StockTarget, StockReader, ComparingTarget) set and read available
//     quantities at one location; WebhookHandler (connector.WebhookReceiver) takes orders/create,
//     orders/updated and orders/cancelled webhooks.
//   - Fulfillment service (the 3PL role): FulfillmentRequests and CancellationRequests list the
//     fulfillment orders the merchant assigned to the service; AcceptFulfillment,
//     RejectFulfillment, AnswerCancellation, Hold and ReleaseHold answer them.
//
// The client paces itself by Shopify's calculated-cost bucket (extensions.cost.throttleStatus
// of every answer), so a query is sent only when the bucket holds its cost; a THROTTLED answer
// that still happens is returned as a *connector.RateLimitError with the wait the bucket needs.
// HTTP concerns (timeouts, retries of queries and of idempotent mutations, status mapping, size
// caps, redaction) are the shared connector/httpclient's.
//
// Japanese delivery requests (配送希望日, 時間帯指定), gift wrapping, のし and gift messages are read
// from the order's note attributes and the lines' properties (customAttributes) through
// AttributeKeys, since core Shopify has no field for them. Cash on delivery (代金引換) is read
// from the order's payment gateway names (Config.CODGateways): the carrier collects what the
// order still has outstanding. The order's totals (lines, shipping, tax, discounts, total) come
// from Shopify's money fields. A webhook body and a polled order map to the same order.Order.
//
// # API version
//
// The client speaks APIVersion. See its doc comment for how to move it.
//
// # Stability
//
// Config may gain fields (their zero value keeps today's behaviour). The fulfillment-service
// methods (FulfillmentRequests … ReleaseHold) may still change as the engine grows a flow for
// them; the connector interfaces the Client implements are the connector package's and stable.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (bad or revoked token, missing
// scope), connector.ErrPermanent (the request is invalid, Shopify refused it with userErrors),
// connector.ErrNotFound, connector.ErrTemporary, connector.ErrOutcomeUnknown (a mutation timed
// out or its answer was unreadable) and *connector.RateLimitError. SetStock reports a
// compare-and-set mismatch per item as connector.ErrConflict. No error or log line contains the
// access token, addresses, phone numbers or email addresses.
package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// APIVersion is the Admin API version every request names. Shopify supports a version for about
// twelve months and then serves the oldest supported one instead, so move it once a year: set it
// to the newest stable version, put that version's introspection schema beside the current one
// (specs/shopify/admin_<version>.json.gz), point the tests at it (TOBIRA_SHOPIFY_SCHEMA) and run
// go test ./connector/shopify/...; the fake rejects every query the new schema no longer accepts.
// Then read the version's changelog for changed behaviour the schema cannot show.
const APIVersion = "2026-07"

// MaxQueryCost is Shopify's limit on the requested cost of one query, whatever the size of the
// shop's bucket: a query asking for more is refused with MAX_COST_EXCEEDED, so pages are sized
// to stay under it.
const MaxQueryCost = 1000

// Clock is the time source the client paces itself by. Tests share a virtual clock with the
// fake shop so waiting for the cost bucket takes no real time.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Config configures a Client.
type Config struct {
	// Shop is the shop's myshopify domain ("example.myshopify.com").
	Shop string
	// BaseURL overrides https://<Shop>, for tests against shopifytest.
	BaseURL string
	// AccessToken is the Admin API access token.
	AccessToken string
	// AppSecret is the app's client secret, which signs webhooks; needed by WebhookHandler.
	AppSecret string
	// LocationID is the GraphQL ID of the location whose stock SetStock sets (for a fulfillment
	// service, the location Shopify created for it).
	LocationID string
	// HTTP is the shared HTTP client; nil makes one paced at 20 requests per second.
	HTTP *httpclient.Client
	// Logger receives debug records; nil logs nothing.
	Logger *slog.Logger
	// Clock defaults to the real clock.
	Clock Clock
	// BucketSize and RestoreRate are the cost bucket assumed before Shopify's first answer
	// tells the real one; defaults 1000 points and 50 points per second.
	BucketSize, RestoreRate float64
	// PageSize is the most orders one page holds (default 50); pages shrink to fit the bucket.
	PageSize int
	// LinesPerOrder is how many line items a listed order carries (default 50); an order with
	// more is returned as a connector.Reject so nothing is silently cut.
	LinesPerOrder int
	// PagingCap is how many objects one search may page through (Shopify: 25,000); default
	// 25000. Tests lower it.
	PagingCap int
	// Attributes maps the order's and lines' custom attributes to the delivery request, the gift
	// and のし; empty groups take DefaultAttributeKeys'.
	Attributes AttributeKeys
	// Delivery is the former place of the delivery keys: its Date and Slot are used when
	// Attributes has neither.
	//
	// Deprecated: use Attributes.
	Delivery DeliveryKeys
	// CODGateways names the payment gateways that are cash on delivery (代金引換); matched
	// case-insensitively against the order's payment gateway names. Nil uses
	// DefaultCODGateways; an empty non-nil list turns cash on delivery off.
	CODGateways []string
	// StockReason is the reason inventorySetQuantities records; default "correction".
	StockReason string
	// AcceptOnAcknowledge makes AcknowledgeOrder (called by the engine once an order reached the
	// warehouse) accept the order's pending fulfillment requests at LocationID, promising to
	// ship within ShipWithin (default 24 hours). Off, AcknowledgeOrder does nothing.
	AcceptOnAcknowledge bool
	ShipWithin          time.Duration
	// WebhookMaxBody caps a webhook body (default 1 MiB); WebhookDedup is how many webhook IDs
	// are remembered to drop duplicates (default 10,000).
	WebhookMaxBody int64
	WebhookDedup   int
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.Shop == "" && c.BaseURL == "" {
		errs = append(errs, errors.New("shopify: Config.Shop is empty"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("shopify: Config.AccessToken is empty"))
	}
	return errors.Join(errs...)
}

// Client talks to one Shopify shop. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	http     *httpclient.Client
	clock    Clock
	log      *slog.Logger
	bucket   *bucket

	mu    sync.Mutex
	items map[string]string // SKU → inventory item ID
	costs map[string]int    // operation → last requested cost
}

var (
	_ connector.OrderSource     = (*Client)(nil)
	_ connector.ShipmentSink    = (*Client)(nil)
	_ connector.PartialShipper  = (*Client)(nil)
	_ connector.StockTarget     = (*Client)(nil)
	_ connector.StockReader     = (*Client)(nil)
	_ connector.ComparingTarget = (*Client)(nil)
	_ connector.WebhookReceiver = (*Client)(nil)
	_ connector.Acknowledger    = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://" + cfg.Shop
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Shop == "" {
		cfg.Shop = cfg.BaseURL
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.BucketSize <= 0 {
		cfg.BucketSize = 1000
	}
	if cfg.RestoreRate <= 0 {
		cfg.RestoreRate = 50
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.LinesPerOrder <= 0 {
		cfg.LinesPerOrder = 50
	}
	if cfg.PagingCap <= 0 {
		cfg.PagingCap = 25000
	}
	if cfg.StockReason == "" {
		cfg.StockReason = "correction"
	}
	if cfg.WebhookMaxBody <= 0 {
		cfg.WebhookMaxBody = 1 << 20
	}
	if cfg.ShipWithin <= 0 {
		cfg.ShipWithin = 24 * time.Hour
	}
	if len(cfg.Attributes.Date) == 0 && len(cfg.Attributes.Slot) == 0 {
		cfg.Attributes.Date, cfg.Attributes.Slot = cfg.Delivery.Date, cfg.Delivery.Slot
	}
	cfg.Attributes = cfg.Attributes.orDefault()
	if cfg.CODGateways == nil {
		cfg.CODGateways = DefaultCODGateways
	}
	if cfg.WebhookDedup <= 0 {
		cfg.WebhookDedup = 10000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Rate: rate.Limit(20), Burst: 20, Throttle: Throttled, Logger: cfg.Logger})
	}
	return &Client{
		cfg: cfg, endpoint: cfg.BaseURL + "/admin/api/" + APIVersion + "/graphql.json",
		http: hc, clock: cfg.Clock, log: log,
		bucket: &bucket{max: cfg.BucketSize, avail: cfg.BucketSize, rate: cfg.RestoreRate, at: cfg.Clock.Now(), clock: cfg.Clock},
		items:  map[string]string{}, costs: map[string]int{},
	}, nil
}

// Throttled is the httpclient.ThrottleFunc for Shopify: a THROTTLED GraphQL error, whatever the
// status, with the wait the cost bucket needs to hold the query's cost again.
func Throttled(resp *http.Response, body []byte) (time.Duration, bool) {
	if !bytes.Contains(body, []byte("THROTTLED")) {
		return 0, false
	}
	var env envelope
	if json.Unmarshal(body, &env) != nil {
		return 0, false
	}
	for _, e := range env.Errors {
		if e.Extensions.Code == "THROTTLED" {
			return env.throttleWait(), true
		}
	}
	return 0, false
}

// ---- the cost bucket ----

// bucket mirrors Shopify's leaky bucket on our side so that queries wait here, not in a
// THROTTLED answer. In-flight reservations are subtracted from what Shopify last reported,
// since Shopify has not charged them yet.
type bucket struct {
	mu       sync.Mutex
	max      float64
	avail    float64
	rate     float64
	at       time.Time
	inflight float64
	clock    Clock
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.avail = min(b.max, b.avail+el*b.rate)
	}
	b.at = now
}

// take waits until the bucket holds cost points and reserves them.
func (b *bucket) take(ctx context.Context, cost float64) error {
	for {
		b.mu.Lock()
		b.refill(b.clock.Now())
		need := min(cost, b.max)
		if b.avail >= need {
			b.avail -= need
			b.inflight += need
			b.mu.Unlock()
			return nil
		}
		wait := time.Duration(min((need-b.avail)/b.rate, maxThrottleWait.Seconds()) * float64(time.Second))
		b.mu.Unlock()
		if err := b.clock.Sleep(ctx, wait+time.Millisecond); err != nil {
			return err
		}
	}
}

// done releases a reservation and adopts what Shopify reported, if it did.
func (b *bucket) done(reserved float64, c *costExt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight -= reserved
	if c == nil || c.ThrottleStatus.MaximumAvailable <= 0 {
		return
	}
	t := c.ThrottleStatus
	if !(t.MaximumAvailable < 1e9) || !(t.CurrentlyAvailable >= 0) {
		return // not a bucket Shopify would describe
	}
	b.max, b.rate = t.MaximumAvailable, max(t.RestoreRate, 1)
	b.avail = max(0, t.CurrentlyAvailable-b.inflight)
	b.at = b.clock.Now()
}

// ---- GraphQL ----

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
	Path []any `json:"path"`
}

type costExt struct {
	RequestedQueryCost float64  `json:"requestedQueryCost"`
	ActualQueryCost    *float64 `json:"actualQueryCost"`
	ThrottleStatus     struct {
		MaximumAvailable   float64 `json:"maximumAvailable"`
		CurrentlyAvailable float64 `json:"currentlyAvailable"`
		RestoreRate        float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

// maxThrottleWait bounds the wait read from a throttle answer.
const maxThrottleWait = time.Hour

type envelope struct {
	Data       json.RawMessage `json:"data"`
	Errors     gqlErrors       `json:"errors"`
	Extensions struct {
		Cost *costExt `json:"cost"`
	} `json:"extensions"`
}

// gqlErrors accepts Shopify's two shapes: a list of GraphQL errors, or a string (401 bodies).
type gqlErrors []gqlError

func (g *gqlErrors) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*g = gqlErrors{{Message: s}}
		return nil
	}
	var list []gqlError
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*g = list
	return nil
}

func (e *envelope) throttleWait() time.Duration {
	c := e.Extensions.Cost
	if c == nil || c.ThrottleStatus.RestoreRate <= 0 {
		return time.Second
	}
	need := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
	if !(need > 0) {
		return 0
	}
	secs := need / c.ThrottleStatus.RestoreRate
	if !(secs < maxThrottleWait.Seconds()) {
		return maxThrottleWait // a nonsensical answer must not become a negative or endless wait
	}
	return time.Duration(secs * float64(time.Second)).Round(time.Millisecond)
}

// op is one GraphQL operation the client sends.
type op struct {
	name     string
	query    string
	vars     map[string]any
	estimate int  // cost before Shopify has told us
	mutation bool // not retried by the HTTP layer unless idemKey is set
	idemKey  string
}

// do sends o and decodes its data into out. Queries are retried by the HTTP layer; a
// mutation's timeout or unreadable answer is ErrOutcomeUnknown.
func (c *Client) do(ctx context.Context, o op, out any) error {
	c.mu.Lock()
	est := o.estimate
	if learned, ok := c.costs[o.name]; ok {
		est = learned
	}
	c.mu.Unlock()
	body, err := json.Marshal(map[string]any{"query": o.query, "variables": o.vars, "operationName": o.name})
	if err != nil {
		return fmt.Errorf("shopify: %s: %w", o.name, connector.ErrPermanent)
	}
	reserved := 0.0
	// Every attempt, retries included, waits for its cost in the bucket. A failed attempt's
	// reservation is kept as spent: Shopify may have charged it (a timeout after execution).
	before := func(ctx context.Context, attempt int) error {
		if reserved > 0 {
			c.bucket.done(reserved, nil)
			reserved = 0
		}
		if err := c.bucket.take(ctx, float64(est)); err != nil {
			return err
		}
		reserved = float64(est)
		return nil
	}
	resp, err := c.http.Do(ctx, &httpclient.Request{
		Method: http.MethodPost, URL: c.endpoint, Key: c.cfg.Shop, Body: body,
		Header: http.Header{"X-Shopify-Access-Token": {c.cfg.AccessToken}, "Content-Type": {"application/json"}},
		Safe:   !o.mutation, IdempotencyKey: o.idemKey, BeforeAttempt: before,
	})
	var raw []byte
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) {
			raw = se.Body
		}
	} else {
		raw = resp.Body
	}
	var env envelope
	decErr := httpclient.Decode(raw, &env, httpclient.DecodeOptions{})
	if decErr == nil {
		c.bucket.done(reserved, env.Extensions.Cost)
		if cost := env.Extensions.Cost; cost != nil && cost.RequestedQueryCost > 0 {
			c.mu.Lock()
			c.costs[o.name] = int(cost.RequestedQueryCost)
			c.mu.Unlock()
		}
	} else {
		c.bucket.done(reserved, nil)
	}
	if err != nil {
		c.log.DebugContext(ctx, "shopify request failed", "op", o.name, "error", httpclient.Redact(err.Error()))
		return fmt.Errorf("shopify: %s: %w", o.name, err)
	}
	// An unreadable answer is the transport's fault, not the request's: the same request may
	// well succeed again, so the decode error is reported but not wrapped (it would match
	// ErrPermanent).
	if decErr != nil {
		if o.mutation {
			return fmt.Errorf("shopify: %s: unreadable answer (%v): %w", o.name, decErr, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("shopify: %s: unreadable answer (%v): %w", o.name, decErr, connector.ErrTemporary)
	}
	if len(env.Errors) > 0 {
		return c.graphqlError(o, &env)
	}
	if out == nil {
		return nil
	}
	if err := httpclient.Decode(env.Data, out, httpclient.DecodeOptions{DisallowUnknownFields: true}); err != nil {
		if o.mutation {
			return fmt.Errorf("shopify: %s: unexpected answer (%v): %w", o.name, err, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("shopify: %s: %w", o.name, err)
	}
	return nil
}

func (c *Client) graphqlError(o op, env *envelope) error {
	e := env.Errors[0]
	switch e.Extensions.Code {
	case "THROTTLED":
		return fmt.Errorf("shopify: %s: %w", o.name, &connector.RateLimitError{Wait: env.throttleWait(), Reason: "THROTTLED"})
	case "ACCESS_DENIED", "UNAUTHORIZED":
		return fmt.Errorf("shopify: %s: access denied: %w", o.name, connector.ErrUnauthorized)
	case "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT":
		if o.mutation {
			return fmt.Errorf("shopify: %s: %s: %w", o.name, e.Extensions.Code, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("shopify: %s: %s: %w", o.name, e.Extensions.Code, connector.ErrTemporary)
	}
	// Validation and other request errors name fields and types, not values; Redact anyway.
	return fmt.Errorf("shopify: %s: %s: %w", o.name, httpclient.Redact(e.Message), connector.ErrPermanent)
}

// userError is a mutation's userErrors entry.
type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code,omitempty"`
}

func userErrorsErr(name string, errs []userError) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = strings.Join(e.Field, ".") + ": " + httpclient.Redact(e.Message)
	}
	return fmt.Errorf("shopify: %s: %s: %w", name, strings.Join(msgs, "; "), connector.ErrPermanent)
}
