// Package woocommerce connects Tobira to a WooCommerce shop through the WooCommerce REST API v3
// (/wp-json/wc/v3), authenticated with a REST API key (consumer key and secret).
//
// One Client serves one shop in every channel role:
//
//   - connector.OrderSource: ListOrders pages through orders by modification time
//     (modified_after, modified_before, dates_are_gmt), following X-WP-Total; status changes and
//     cancellations (cancelled, refunded) are listed as changes of the same order.
//   - connector.ShipmentSink: ConfirmShipment records each parcel's carrier and tracking number
//     in the Shipment Tracking extension when the shop has it (found by its REST route
//     answering, never assumed) and as an order note otherwise, then marks the order completed.
//   - connector.StockTarget and connector.StockReader: SetStock writes stock quantities through
//     products/batch and products/<id>/variations/batch, at most 100 objects per call, with a
//     SKU-to-ID map it keeps fresh; ReadStock reads them back.
//   - connector.WebhookReceiver: WebhookHandler takes order.created, order.updated,
//     order.restored and order.deleted webhooks, verified by X-WC-Webhook-Signature and
//     deduplicated by X-WC-Webhook-Delivery-ID.
//
// Japanese delivery requests (配送希望日, 時間帯指定) are not core WooCommerce: delivery-date
// plugins keep them in the order's meta_data. MetaKeys maps meta keys to them; DefaultMetaKeys
// names the keys the popular plugins write (see its doc comment).
//
// # Authentication and HTTPS
//
// WooCommerce takes the consumer key and secret as HTTP Basic credentials only over HTTPS. Over
// plain HTTP it wants OAuth 1.0a one-legged signatures in the query string, which put the key in
// every URL (server logs, proxies) and are not supported here: Config.Validate refuses an
// http:// URL with ErrInsecureURL. There is no switch to allow it; tests run against
// woocommercetest, an httptest TLS server, through its Transport.
//
// # Limits and policies
//
// WooCommerce core publishes no rate limit; the hosts and firewalls in front of shops do, and
// answer 429 with Retry-After, which comes back as a *connector.RateLimitError after one request.
// The client paces itself at Config.Rate (default 5 requests per second per shop). Pages hold at
// most 100 orders (WordPress's per_page bound), batches at most 100 objects.
//
// WooCommerce takes no idempotency key. Every write this connector makes is either absolute
// (a stock quantity, an order's status, a meta_data entry), so sending it again sets the same
// value, or is read back before it is sent again: ConfirmShipment looks for its own marker in
// the order's meta_data, for the tracking number among the order's trackings or notes, and
// skips what is already there. StockUpdate.Key is therefore not sent; a write whose answer was
// lost is connector.ErrOutcomeUnknown and is safe to send again.
//
// WooCommerce cannot say which lines a tracking number covers: a partial shipment adds its
// parcels' tracking, and the order is marked completed with the shipment that completes it.
// Partial refunds do not change line quantities in WooCommerce's order and are not read as
// cancellations; a full refund (status refunded) is. A trashed order is not listed (the status
// "any" excludes trash, as WordPress's does): merchants should cancel rather than trash an order,
// and the order.deleted webhook, which reads the trashed order, carries it as a cancellation.
//
// # Stability
//
// Config may gain fields whose zero value keeps today's behaviour.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (bad key or secret, a read-only key
// writing), connector.ErrPermanent (WooCommerce refused the request: an invalid parameter, more
// than 100 batch items, a cancelled order; ErrUnknownSKU, ErrInsecureURL), connector.ErrNotFound
// (an unknown order), connector.ErrTemporary (5xx, a broken connection), connector.ErrOutcomeUnknown
// (a write whose answer was lost) and *connector.RateLimitError. A *APIError (errors.As) carries
// WooCommerce's error code. No error or log line contains the consumer key or secret, addresses,
// names, phone numbers or email addresses.
package woocommerce

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// APIPath is the REST API's namespace on the site.
const APIPath = "/wp-json/wc/v3"

// TrackingPath is the Shipment Tracking extension's namespace on the site.
const TrackingPath = "/wp-json/wc-shipment-tracking/v3"

// ErrInsecureURL is returned by Config.Validate for a shop URL that is not https.
var ErrInsecureURL = fmt.Errorf("woocommerce: the shop URL is not https: WooCommerce takes the consumer key over Basic auth only on HTTPS, and over plain HTTP wants OAuth 1.0a query-string signatures, which this connector does not send (they put the key in every URL); serve the shop over HTTPS: %w", connector.ErrPermanent)

// TrackingMode says how ConfirmShipment records tracking numbers.
type TrackingMode int

// Tracking modes.
const (
	// TrackingDetect uses the Shipment Tracking extension when its REST route answers for the
	// order, and an order note when the route is missing (rest_no_route).
	TrackingDetect TrackingMode = iota
	// TrackingNotes always writes order notes, even when the extension is installed.
	TrackingNotes
)

// Config configures a Client. Zero fields take the defaults their comments name.
type Config struct {
	// URL is the site's address ("https://shop.example.jp"); it must be https.
	URL string
	// ConsumerKey and ConsumerSecret are a REST API key with read/write permission.
	ConsumerKey, ConsumerSecret string
	// WebhookSecret is the secret the shop's webhooks are created with; needed by
	// WebhookHandler.
	WebhookSecret string
	// HTTP is the shared HTTP client; nil makes one paced at Rate and Burst over Transport.
	HTTP *httpclient.Client
	// Transport carries requests when HTTP is nil; nil uses a pooled transport. Tests pass the
	// fake's (woocommercetest.Server.Transport), which trusts its certificate.
	Transport http.RoundTripper
	// Rate and Burst pace requests when HTTP is nil; defaults 5 per second, burst 5.
	Rate  rate.Limit
	Burst int
	// Logger receives debug records; nil logs nothing.
	Logger *slog.Logger
	// Location is the site's time zone, for delivery dates plugins store as Unix timestamps;
	// default Asia/Tokyo.
	Location *time.Location
	// PageSize is the most orders one page holds (at most 100); default 50.
	PageSize int
	// Meta maps meta_data keys to delivery requests and のし; the zero value uses DefaultMetaKeys.
	Meta MetaKeys
	// Statuses overrides how WooCommerce statuses (including custom ones plugins add) map to
	// order statuses; statuses in neither it nor the defaults are held as order.StatusPending.
	Statuses map[string]order.Status
	// CODMethods are the payment_method IDs that mean cash on delivery; default ["cod"].
	CODMethods []string
	// Tracking chooses where tracking numbers go; default TrackingDetect.
	Tracking TrackingMode
	// TrackingProviders names, per carrier, a provider the Shipment Tracking extension knows
	// ("Japan Post"), sent as tracking_provider so the extension builds the link; carriers not
	// listed are sent as custom_tracking_provider with Tobira's tracking URL.
	TrackingProviders map[shipment.Carrier]string
	// TrackingRecheck is how long the answer "this shop has no Shipment Tracking extension" is
	// trusted before the route is tried again; default one hour.
	TrackingRecheck time.Duration
	// NoteTemplate formats the order note written when the shop has no tracking extension;
	// {carrier}, {number} and {url} are replaced. Default DefaultNoteTemplate.
	NoteTemplate string
	// PrivateNotes makes those notes private to the shop instead of sent to the buyer.
	PrivateNotes bool
	// SKURescan is the least time between two scans of the whole catalogue for SKUs the map
	// does not know (a scan lists every variable product's variations); default ten minutes.
	SKURescan time.Duration
	// WebhookMaxBody caps a webhook body (default 1 MiB); WebhookDedup is how many delivery IDs
	// are remembered (default 10,000).
	WebhookMaxBody int64
	WebhookDedup   int
}

// DefaultNoteTemplate is the order note written for each parcel when the shop has no tracking
// extension.
const DefaultNoteTemplate = "発送しました / Shipped: {carrier} {number} {url}"

// Validate reports what is missing or unsafe in c.
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		errs = append(errs, errors.New("woocommerce: Config.URL is empty"))
	case err != nil || u.Host == "":
		errs = append(errs, fmt.Errorf("woocommerce: Config.URL is not a URL: %w", connector.ErrPermanent))
	case u.Scheme != "https":
		errs = append(errs, ErrInsecureURL)
	}
	if c.ConsumerKey == "" || c.ConsumerSecret == "" {
		errs = append(errs, errors.New("woocommerce: Config.ConsumerKey and ConsumerSecret are required"))
	}
	if c.PageSize > 100 {
		errs = append(errs, errors.New("woocommerce: Config.PageSize is more than 100, WordPress's per_page bound"))
	}
	return errors.Join(errs...)
}

// Client talks to one WooCommerce shop. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  string
	host  string
	auth  string
	http  *httpclient.Client
	log   *slog.Logger
	now   func() time.Time
	skus  *skuMap
	track trackingState
}

var (
	_ connector.OrderSource     = (*Client)(nil)
	_ connector.ShipmentSink    = (*Client)(nil)
	_ connector.PartialShipper  = (*Client)(nil)
	_ connector.StockTarget     = (*Client)(nil)
	_ connector.StockReader     = (*Client)(nil)
	_ connector.WebhookReceiver = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	if cfg.Location == nil {
		loc, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			loc = time.FixedZone("JST", 9*3600)
		}
		cfg.Location = loc
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if len(cfg.CODMethods) == 0 {
		cfg.CODMethods = []string{"cod"}
	}
	if cfg.TrackingRecheck <= 0 {
		cfg.TrackingRecheck = time.Hour
	}
	if cfg.NoteTemplate == "" {
		cfg.NoteTemplate = DefaultNoteTemplate
	}
	if cfg.SKURescan <= 0 {
		cfg.SKURescan = 10 * time.Minute
	}
	if cfg.WebhookMaxBody <= 0 {
		cfg.WebhookMaxBody = 1 << 20
	}
	if cfg.WebhookDedup <= 0 {
		cfg.WebhookDedup = 10000
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 5
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 5
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Rate: cfg.Rate, Burst: cfg.Burst, Logger: cfg.Logger, Transport: cfg.Transport})
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		cfg: cfg, base: strings.TrimSuffix(cfg.URL, "/"), host: u.Host,
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.ConsumerKey+":"+cfg.ConsumerSecret)),
		http: hc, log: log, now: time.Now, skus: newSKUMap(),
	}, nil
}

// APIError is WooCommerce's error body: {"code": "...", "message": "...", "data": {"status": N}}.
// Its message is not part of Error(), since a plugin's message may echo what was sent.
type APIError struct {
	Status int
	Code   string
	// Message is WooCommerce's text, for people; it is never put in an error string or log.
	Message string
	Err     error
}

// Error names WooCommerce's code and the status, never the message.
func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("status %d: %v", e.Status, e.Err)
	}
	return fmt.Sprintf("%s (status %d): %v", e.Code, e.Status, e.Err)
}

// Unwrap returns the HTTP layer's error, which matches the connector error values.
func (e *APIError) Unwrap() error { return e.Err }

// call is one REST request.
type call struct {
	op     string // for errors and logs: "list orders"
	method string
	path   string // below the site, starting with /wp-json/
	query  url.Values
	body   any
	// safe marks a write that sets absolute values, so the HTTP layer may retry it on 5xx.
	safe bool
}

func (c *Client) do(ctx context.Context, k call) (*httpclient.Response, error) {
	var body []byte
	if k.body != nil {
		var err error
		if body, err = json.Marshal(k.body); err != nil {
			return nil, fmt.Errorf("woocommerce: %s: %w", k.op, connector.ErrPermanent)
		}
	}
	u := c.base + k.path
	if len(k.query) > 0 {
		u += "?" + k.query.Encode()
	}
	h := http.Header{"Authorization": {c.auth}, "Accept": {"application/json"}}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(ctx, &httpclient.Request{Method: k.method, URL: u, Header: h, Body: body, Key: c.host, Safe: k.safe})
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) {
			ae := &APIError{Status: se.Status, Err: se}
			var wb struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			if json.Unmarshal(se.Body, &wb) == nil {
				ae.Code, ae.Message = sanitizeCode(wb.Code), wb.Message
			}
			err = ae
		}
		c.log.DebugContext(ctx, "woocommerce request failed", "op", k.op, "error", httpclient.Redact(err.Error()))
		return nil, fmt.Errorf("woocommerce: %s: %w", k.op, err)
	}
	return resp, nil
}

// sanitizeCode keeps an error code to the characters WooCommerce's codes use.
func sanitizeCode(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return -1
	}, s)
}

// errCode returns WooCommerce's error code carried by err, or "".
func errCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// decode reads a successful answer into out. An unreadable answer to a write means the write's
// outcome is unknown; to a read, that the read may succeed again.
func decode(op string, resp *httpclient.Response, out any, write bool) error {
	if err := httpclient.Decode(resp.Body, out, httpclient.DecodeOptions{}); err != nil {
		if write {
			return fmt.Errorf("woocommerce: %s: unreadable answer (%v): %w", op, err, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("woocommerce: %s: unreadable answer (%v): %w", op, err, connector.ErrTemporary)
	}
	return nil
}

// trackingState remembers when the Shipment Tracking extension's route last answered
// rest_no_route (zero: it answered, or was never asked).
type trackingState struct {
	mu     sync.Mutex
	absent time.Time // when the extension's route last answered rest_no_route
}
