// Package shipbob connects Tobira to ShipBob, a US 3PL, over its 2026-01 REST API: Tobira sends
// it orders to fulfil and reads back what it shipped and what it holds.
//
// # Roles
//
// A *Client is a warehouse: connector.Fulfiller (Submit creates a ShipBob order, Change updates
// its shipment's lines and address, Cancel cancels it), connector.ShipmentSource (the shipments ShipBob
// shipped, with tracking) and connector.StockSource (inventory levels, on hand, with the time
// they were read). WebhookHandler verifies ShipBob's signed webhooks and hands the shipments an
// order.shipped event announces to the host (for the engine's RecordShipment); Subscribe creates
// the subscription. MarkTrackingUploaded sets ShipBob's tracking sync flag, for hosts that keep
// it.
//
// # Requests and idempotency
//
// Orders are created with POST /2026-01/order, the request's Key as reference_id ("unique and
// immutable order identifier from your upstream system") and the header shipbob_channel_id.
// ShipBob takes no idempotency key. A create whose answer was lost, or that answered 5xx, is
// reported as connector.ErrOutcomeUnknown and its key remembered (the last 4096): the engine's
// retry reads the order back by reference_id (GET /2026-01/order?ReferenceIds=) before sending
// anything, and finds it. ShipBob refuses a second order with a reference_id it holds (422; its
// orders-integration guide: "The reference_id field is your idempotency key"):
// that refusal is read back the same way, so a retry after a restart, or replicas racing, end
// with one order. Config.ReadBackFirst reads back before every create instead. The merchant, channel and channel order ID travel
// in the order's tags (tobira_merchant, tobira_channel, tobira_order), so shipments can name
// their channel order.
//
// # Changes and cancellations
//
// Both are answered from the statuses ShipBob reports: once a shipment is picked or packed (a
// status detail "Picked" or "Packed"), a change or cancellation is refused with
// connector.RefusedPicked; once it shipped (Completed, LabeledCreated), with
// connector.RefusedShipped; otherwise the lines and address are updated (POST
// /shipment/{id}:updateLineItems, PUT /shipment/{id}:updateAddress) or the order cancelled
// (POST /order/{id}:cancel), and ShipBob's own refusal (is_success false, a VALIDATION_ERROR, a
// Failure result) is a refusal too, with the reason its statuses then show. Policies where ShipBob
// cannot express something:
//
//   - A change's lines are sent as the shipment's complete list of line items (GET
//     :getLineItems, POST :updateLineItems), quantities absolute, so a repeat has one effect.
//     ShipBob names items by inventory ID: a change adding a SKU the shipment does not hold, or
//     of an order ShipBob split into several shipments, is refused with a reason.
//   - Partial cancellation (CancelRequest.Lines) is refused with a reason: it subtracts, and
//     ShipBob has no key to tell a repeat from a second cancellation; a Change with the
//     remaining lines expresses the same thing idempotently.
//   - Cash on delivery has no field on ShipBob: such a request is a permanent error. Delivery
//     date and time slot, のし and wrapping travel as order tags (tobira_delivery_date,
//     tobira_delivery_slot, tobira_noshi, tobira_wrapping) for the warehouse to read; the gift
//     message goes in gift_message.
//   - Answers to change and cancellation idempotency keys are remembered for the life of the
//     Client (the last 4096), so a late repeat of an earlier change does not undo a later one.
//     A cancellation of a key never submitted is remembered the same way, and a later Submit of
//     that key does nothing. A new Client has forgotten them: after a restart a repeated change
//     applies its content again, and a Submit after a forgotten early cancellation creates the
//     order (ShipBob has nowhere to keep such marks: an order's tags cannot be changed).
//
// # Listings
//
// Shipments: GET /2026-01/order with LastUpdateStartDate, HasTracking=true, SortOrder=Oldest,
// Page and Limit. A pass pages through every order updated since the cursor's time; the next
// pass starts from the time the previous one began, less Config.Overlap, so an order updated
// while a pass ran is listed again rather than missed. Shipments with status LabeledCreated or Completed
// (ShipBob's guide: a shipment with tracking is LabeledCreated, then quickly Completed) and a
// tracking number are reported; duplicates across passes are allowed by the contract, gaps
// never. Stock: GET /2026-01/inventory-level, following the next link as given; ShipBob has no
// "changed since" filter for levels, so every ListStock call reads every page and returns the
// whole snapshot (total_on_hand_quantity per SKU, stamped with the time its page was requested).
//
// # Limits
//
// ShipBob allows 150 requests a minute per user and application, in a sliding window. The
// client paces itself below it by default (2 a second with a burst of 30, so that no window of a
// minute holds more than 150), per token; a 429 is returned at once as a
// *connector.RateLimitError carrying ShipBob's x-retry-after wait, after exactly one request.
// Every call is timed out and every response capped (connector/httpclient).
//
// # Errors
//
// Methods return errors matching, with errors.Is: connector.ErrUnauthorized (401, 403: a
// revoked token or a channel without write scope), connector.ErrPermanent (a request ShipBob
// refuses, cash on delivery, a malformed answer), connector.ErrNotFound (a change of a key
// never submitted), connector.ErrTemporary (5xx, broken connections, except on create) and
// connector.ErrOutcomeUnknown (a create or change whose answer was lost, or a create answered
// 5xx). A throttle is a *connector.RateLimitError. No error text holds a token, an address, a
// name or a response body.
package shipbob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// APIVersion is the ShipBob API version the client speaks, the first segment of every path.
const APIVersion = "2026-01"

// DefaultBaseURL is ShipBob's production API.
const DefaultBaseURL = "https://api.shipbob.com"

// Defaults used when the corresponding Config field is zero.
const (
	DefaultRate           = rate.Limit(2) // per second; with DefaultBurst, at most 150 in any minute
	DefaultBurst          = 30
	DefaultShippingMethod = "Standard"
	DefaultPageSize       = 100
	DefaultOverlap        = 2 * time.Minute
)

// Config configures a Client. BaseURL defaults to DefaultBaseURL; Token and ChannelID are
// required.
type Config struct {
	// BaseURL is the API's scheme and host; "" means DefaultBaseURL.
	BaseURL string
	// Token is a personal access token or OAuth access token, sent as a bearer token.
	Token string
	// ChannelID is the channel with write scopes (GET /2026-01/channel), sent as
	// shipbob_channel_id.
	ChannelID int
	// ShippingMethod is the shipping_method of created orders, as the merchant named it in
	// ShipBob; "" means DefaultShippingMethod.
	ShippingMethod string
	// PageSize is the Limit of order pages and the PageSize of inventory pages (at most 250).
	PageSize int
	// ReadBackFirst reads every key back by reference_id before creating its order, not only
	// keys whose create had an unknown outcome in this Client: one more request per order, for
	// accounts where ShipBob's refusal of a duplicate reference_id is not to be relied on.
	ReadBackFirst bool
	// ShipmentsSince is where the first shipment listing starts; zero lists every order that
	// has tracking.
	ShipmentsSince time.Time
	// Overlap is how far before a pass's start the next pass begins (clock skew, updates during
	// the pass); default DefaultOverlap.
	Overlap time.Duration
	// Rate and Burst pace requests per token; zero means DefaultRate and DefaultBurst.
	Rate  rate.Limit
	Burst int
	// Timeout bounds each request; zero means httpclient.DefaultTimeout.
	Timeout time.Duration
	// Now is the clock stamping stock levels and shipment passes; nil means time.Now.
	Now func() time.Time
	// Logger receives redacted debug records; nil logs nothing.
	Logger *slog.Logger
	// Transport sends the requests; nil uses a pooled transport.
	Transport http.RoundTripper
}

// Validate reports what is missing or wrong in c.
func (c Config) Validate() error {
	var errs []error
	if c.Token == "" {
		errs = append(errs, errors.New("shipbob: Token is required"))
	}
	if c.ChannelID <= 0 {
		errs = append(errs, errors.New("shipbob: ChannelID is required (GET /2026-01/channel)"))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("shipbob: BaseURL must be an http(s) URL"))
		}
	}
	if c.PageSize < 0 || c.PageSize > 250 {
		errs = append(errs, errors.New("shipbob: PageSize must be between 1 and 250"))
	}
	if c.Rate < 0 || c.Burst < 0 || c.Overlap < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("shipbob: Rate, Burst, Overlap and Timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// Client is a ShipBob account's warehouse. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base string
	http *httpclient.Client
	key  string // the limiter's key: a hash of the token, never the token

	mu      sync.Mutex
	answers map[string]connector.Answer // change and cancel idempotency keys
	order   []string                    // answers' keys, oldest first
}

var (
	_ connector.Fulfiller      = (*Client)(nil)
	_ connector.ShipmentSource = (*Client)(nil)
	_ connector.StockSource    = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.ShippingMethod == "" {
		cfg.ShippingMethod = DefaultShippingMethod
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = DefaultOverlap
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := httpclient.New(httpclient.Config{Rate: cfg.Rate, Burst: cfg.Burst, Timeout: cfg.Timeout,
		Throttle: throttle, Logger: cfg.Logger, Transport: cfg.Transport})
	// ShipBob's window is per user and application, that is per token: the limiter's key is
	// derived from it without holding it.
	sum := sha256.Sum256([]byte(cfg.Token))
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/") + "/" + APIVersion, http: hc,
		key: "shipbob:" + hex.EncodeToString(sum[:8]), answers: map[string]connector.Answer{}}, nil
}

// throttle reads ShipBob's 429: the wait is in x-retry-after (seconds), or in the message
// "Try again in N seconds".
func throttle(resp *http.Response, body []byte) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if v := strings.TrimSpace(resp.Header.Get("x-retry-after")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 && secs < 1e6 {
			return time.Duration(secs * float64(time.Second)), true
		}
	}
	if wait, ok := httpclient.RetryAfter(resp.Header, time.Now()); ok {
		return wait, true
	}
	if _, rest, ok := strings.Cut(string(body), "Try again in "); ok {
		if n, _, ok := strings.Cut(rest, " "); ok {
			if secs, err := strconv.Atoi(n); err == nil && secs >= 0 && secs < 1e6 {
				return time.Duration(secs) * time.Second, true
			}
		}
	}
	return time.Minute, true // ShipBob's window is a minute: never less than nothing
}

// call is one API request.
type call struct {
	method string
	path   string // below /2026-01, or a link ShipBob returned (starting with /2026-01/)
	query  url.Values
	body   []byte
	// channel sends shipbob_channel_id (order and shipment operations).
	channel bool
}

func (c *Client) do(ctx context.Context, k call) (*httpclient.Response, error) {
	u := c.base + k.path
	if strings.HasPrefix(k.path, "/"+APIVersion+"/") {
		u = strings.TrimSuffix(c.base, "/"+APIVersion) + k.path
	}
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.cfg.Token)
	h.Set("Accept", "application/json")
	if k.body != nil {
		h.Set("Content-Type", "application/json")
	}
	if k.channel {
		h["shipbob_channel_id"] = []string{strconv.Itoa(c.cfg.ChannelID)}
	}
	return c.http.Do(ctx, &httpclient.Request{Method: k.method, URL: u, Header: h, Body: k.body, Key: c.key})
}

// remember keeps the answer given to an idempotency key, dropping the oldest beyond 4096.
func (c *Client) remember(key string, a connector.Answer) {
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.answers[key]; !ok {
		c.order = append(c.order, key)
		for len(c.order) > maxAnswers {
			delete(c.answers, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.answers[key] = a
}

const maxAnswers = 4096

func (c *Client) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.answers, key) // its place in c.order goes when it is the oldest
}

func (c *Client) answered(key string) (connector.Answer, bool) {
	if key == "" {
		return connector.Answer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	return a, ok
}

func errorf(format string, args ...any) error { return fmt.Errorf("shipbob: "+format, args...) }
