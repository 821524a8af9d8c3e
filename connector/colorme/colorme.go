// Package colorme connects Tobira to a Color Me Shop (カラーミーショップ) through the shop's
// REST API v1 (https://api.shop-pro.jp/v1/), with an OAuth 2.0 bearer token.
//
// One Client serves one shop (one OAuth grant with the scopes read_sales, write_sales,
// read_products and write_products) in the three channel roles. Paths are written here without
// the .json suffix the client sends, as GMO Pepabo's official client does.
//
//   - connector.OrderSource: ListOrders lists the sales (受注) updated in a window with GET
//     /v1/sales, update_date_min and update_date_max bounding the window and make_date_min
//     reaching Lookback back (the API otherwise lists only sales made in the last seven days).
//     Every destination of a sale (sale_deliveries, お届け先) becomes one order.Order with the ID
//     "<sale_id>-<sale_delivery_id>": each destination has its own address, lines, のし
//     (noshi_text), message card, wrapping (wrapping_name), requested date (preferred_date) and
//     time slot (preferred_period), and is shipped and confirmed on its own. A sale to one
//     destination is one order. The destination's delivery method (delivery_id, whose
//     method_type names the carrier) is kept in the order's Refs.
//   - connector.ShipmentSink: ConfirmShipment marks the order's destination shipped with PUT
//     /v1/sales/{sale_id}: its sale_deliveries entry gets delivered=true, the parcels' tracking
//     numbers in slip_number (several separated by commas) and tracking_url, the carrier's
//     tracking page for the first number. Color Me Shop has no carrier field on a destination:
//     the carrier reaches the buyer through tracking_url, and, with Config.CarrierMethods,
//     through the destination's delivery method (delivery_id), moved to the carrier's.
//     With Config.SendShippingMail, once every destination has shipped, the shop's 発送メール
//     goes out through POST /v1/sales/{sale_id}/mails (type delivered), once.
//   - connector.StockTarget and StockReader: SetStock sets each SKU with PUT
//     /v1/products/{product_id}, product-level stocks for a product without options or the
//     variant's stocks (option1_value, option2_value) for one with options, both as absolute
//     values with stock_managed true. A SKU is a product's or variant's 型番 (model number),
//     found through GET /v1/stocks.
//
// # Limits
//
// Color Me Shop publishes no rate limit (the project's research found none); the client paces
// itself to Config.Rate requests per second per shop (default 2, burst 4) and answers a 429
// with a *connector.RateLimitError carrying the server's Retry-After (Config.ThrottleWait when
// absent) after that one request. Listings ask for at most 100 sales (the documented maximum)
// and 50 stock rows per page. Every call is timed out and its answer size capped by
// connector/httpclient.
//
// # Paging
//
// GET /v1/sales pages by offset in an order the API does not document. So that no sale is
// missed when sales change while a window is listed, the client never pages by offset across
// a window: it lists a slice of update time small enough for one page. When a window holds more
// sales than a page, a light listing (fields=id,update_date, up to 100) finds where to cut it,
// and the cursor is the start of the next slice. Only more than a page of sales updated in the
// very same second is paged by offset, from the start again if the count shrinks meanwhile.
// Resuming from any cursor lists every sale updated at or after its time; a sale may be listed
// twice, never skipped.
//
// # Policies
//
// Sales made more than Lookback (default one year) before a window are not listed when they
// change. Lines are the destination's details (受注明細); a line's SKU is its variant's 型番
// for a product with options, the product's otherwise; a line without one is rejected.
// Color Me Shop zeroes the quantities of a cancelled sale: its lines are listed with one unit,
// cancelled. preferred_period is read as Japanese carriers write slots (午前中, 14時～16時,
// 14:00-16:00, 19-21); Config.Slots maps a shop's own labels, and a label neither knows is a
// Reject, so a buyer's request is never dropped silently. Cash on delivery is recognised by
// Config.CODPaymentIDs (the shop's own payment IDs); such a sale to several destinations is
// rejected, as one amount cannot be collected from several parcels. Totals are set only for a
// sale to one destination and only when Color Me Shop's total equals the lines, delivery
// charge, fees (payment fee, のし, card, wrapping), tax and discounts.
//
// updateSale takes no idempotency key: ConfirmShipment reads the sale first and sends only
// the tracking numbers the destination does not show yet, so repeating a confirmation, or
// sending it again after its answer was lost, has one effect; a later partial shipment of the
// same destination adds its numbers. updateProduct takes no key either: it sets absolute
// values, so sending a write again leaves the same value, and StockUpdate.Key is not sent.
// Compare is not honoured (the API has no compare-and-set).
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (401: invalid or revoked token;
// 403: a scope is missing), connector.ErrNotFound (404: no such sale, destination or product),
// connector.ErrPermanent (other 4xx, a malformed ID, an unknown SKU), connector.ErrTemporary
// (5xx, broken connections), connector.ErrOutcomeUnknown (a write whose answer was lost) and
// *connector.RateLimitError (429). A 401 is also reported once to Config.OnCredential as
// CredentialRevoked: the shop must authorize the app again. Errors name the HTTP status and
// Color Me Shop's error code, never its message, the token, names, addresses or phone numbers.
package colorme

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// DefaultBaseURL is Color Me Shop's API host.
const DefaultBaseURL = "https://api.shop-pro.jp"

// Defaults and the API's documented page sizes.
const (
	DefaultRate         = 2
	DefaultBurst        = 4
	DefaultThrottleWait = time.Second
	DefaultLookback     = 365 * 24 * time.Hour
	maxSalesPage        = 100
	maxStockPage        = 50
)

// JST is Japan's time zone, in which the API reads dates.
var JST = time.FixedZone("JST", 9*60*60)

// CredentialKind says what a CredentialEvent reports.
type CredentialKind int

// The credential events.
const (
	// CredentialRevoked: Color Me Shop refused the token (401); the shop must authorize the
	// app again. Err matches connector.ErrUnauthorized.
	CredentialRevoked CredentialKind = iota + 1
)

// CredentialEvent is what Config.OnCredential receives.
type CredentialEvent struct {
	Kind CredentialKind
	Shop string
	Err  error
}

// Config configures a Client. The zero value of every optional field gives the documented
// default.
type Config struct {
	// Shop names the shop in logs and keys its rate limit (its account ID); required.
	Shop string
	// BaseURL overrides DefaultBaseURL, for tests against colormetest.
	BaseURL string
	// Token is the shop's OAuth access token; required. It holds a secret and is never logged.
	Token string
	// OnCredential receives credential events. It is called synchronously and must return
	// promptly.
	OnCredential func(CredentialEvent)
	// CODPaymentIDs are the shop's payment IDs (payment_id) that are cash on delivery (代引き).
	CODPaymentIDs []int64
	// CarrierMethods names, for each carrier the warehouse ships with, the shop's delivery
	// method (配送方法, its delivery_id) for that carrier. When set, ConfirmShipment moves a
	// destination shipped with another carrier than its method's to the carrier's method, so
	// the shop's shipping mail links the slip number to the right carrier's tracking page.
	CarrierMethods map[shipment.Carrier]int64
	// SendShippingMail makes ConfirmShipment send the sale's 発送メール (sendSalesMail, type
	// delivered) once every destination of the sale has shipped, unless the shop sent it (or
	// chose not to: delivered_mail_state pass) already.
	SendShippingMail bool
	// HoldUnpaid lists unpaid sales that are not cash on delivery as StatusPending, so that
	// they are not shipped before the buyer pays (bank transfer, convenience store).
	HoldUnpaid bool
	// Slots maps a shop's own preferred_period labels to time slots, checked before the
	// labels the client recognises.
	Slots map[string]order.TimeSlot
	// Lookback is how long before a window's start a sale may have been made and still be
	// listed when it changes; default DefaultLookback.
	Lookback time.Duration
	// PageSize is the most orders one listing asks for; default and maximum 100.
	PageSize int
	// CatalogRefresh is how long a SKU's place (product and options) is trusted before it is
	// read again; default 10 minutes.
	CatalogRefresh time.Duration
	// Rate and Burst pace the client's requests when HTTP is nil; defaults DefaultRate and
	// DefaultBurst.
	Rate  float64
	Burst int
	// ThrottleWait is the wait reported for a 429 without Retry-After; default
	// DefaultThrottleWait.
	ThrottleWait time.Duration
	// HTTP is the HTTP client; nil makes one paced by Rate and Burst.
	HTTP *httpclient.Client
	// Logger receives debug and warning records, redacted; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock catalog entries age by; default time.Now.
	Now func() time.Time
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.Shop == "" {
		errs = append(errs, errors.New("colorme: Config.Shop is empty"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("colorme: Config.Token is empty"))
	}
	if c.PageSize < 0 || c.Lookback < 0 || c.Rate < 0 || c.Burst < 0 || c.CatalogRefresh < 0 || c.ThrottleWait < 0 {
		errs = append(errs, errors.New("colorme: PageSize, Lookback, Rate, Burst, CatalogRefresh and ThrottleWait must not be negative"))
	}
	for carrier, id := range c.CarrierMethods {
		if !carrier.Known() || id <= 0 {
			errs = append(errs, fmt.Errorf("colorme: Config.CarrierMethods[%q] = %d is not a carrier and a delivery_id", carrier, id))
		}
	}
	for label, slot := range c.Slots {
		if slot == order.SlotNone || !slot.Valid() {
			errs = append(errs, fmt.Errorf("colorme: Config.Slots[%q] is not a time slot", label))
		}
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, errors.New("colorme: Config.BaseURL is not an http(s) URL"))
		}
	}
	return errors.Join(errs...)
}

// Client talks to one Color Me Shop. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *httpclient.Client
	log  *slog.Logger
	cod  map[int64]bool

	revoked atomic.Bool // CredentialRevoked was sent and no call has succeeded since

	mu        sync.Mutex
	skus      map[string]catalogEntry     // SKU → where it lives
	variants  map[variantKey]catalogEntry // product and options → SKU
	carriers  map[int64]deliveryMethod    // delivery_id → method
	carriersT time.Time
}

var (
	_ connector.OrderSource    = (*Client)(nil)
	_ connector.ShipmentSink   = (*Client)(nil)
	_ connector.PartialShipper = (*Client)(nil)
	_ connector.StockTarget    = (*Client)(nil)
	_ connector.StockReader    = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Lookback == 0 {
		cfg.Lookback = DefaultLookback
	}
	if cfg.PageSize == 0 || cfg.PageSize > maxSalesPage {
		cfg.PageSize = maxSalesPage
	}
	if cfg.CatalogRefresh == 0 {
		cfg.CatalogRefresh = 10 * time.Minute
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.ThrottleWait == 0 {
		cfg.ThrottleWait = DefaultThrottleWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Rate: rate.Limit(cfg.Rate), Burst: cfg.Burst, Logger: cfg.Logger})
	}
	c := &Client{cfg: cfg, http: hc, log: log, cod: map[int64]bool{},
		skus: map[string]catalogEntry{}, variants: map[variantKey]catalogEntry{}}
	for _, id := range cfg.CODPaymentIDs {
		c.cod[id] = true
	}
	return c, nil
}

// apiErrors is Color Me Shop's error body.
type apiErrors struct {
	Errors []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	} `json:"errors"`
}

// errorCode reads the first error code of an error body, 0 when body is none.
func errorCode(body []byte) int {
	var e apiErrors
	if !bytes.Contains(body, []byte(`"errors"`)) || json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return 0
	}
	return e.Errors[0].Code
}

// callKind says what a lost or unreadable answer means.
type callKind int

const (
	kindRead callKind = iota
	kindWrite
)

// call sends one request and decodes a successful answer into out (raw bytes when out is a
// *[]byte). op names the operation in errors ("GET /v1/sales"): never the URL, whose IDs are
// harmless but whose query may grow.
func (c *Client) call(ctx context.Context, kind callKind, op, method, path string, query url.Values, body any, out any) error {
	req := &httpclient.Request{Method: method, URL: c.cfg.BaseURL + path, Key: c.cfg.Shop,
		Header: http.Header{"Authorization": {"Bearer " + c.cfg.Token}, "Accept": {"application/json"}}}
	if len(query) > 0 {
		req.URL += "?" + query.Encode()
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("colorme: %s: %w: %w", op, err, connector.ErrPermanent)
		}
		req.Body = b
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return c.failed(ctx, op, err)
	}
	c.revoked.Store(false)
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = resp.Body
		return nil
	}
	if derr := httpclient.Decode(resp.Body, out, httpclient.DecodeOptions{}); derr != nil {
		if kind == kindWrite {
			// The write may have been applied; only its answer is unreadable.
			return fmt.Errorf("colorme: %s: unreadable answer (%v): %w", op, derr, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("colorme: %s: unreadable answer: %w", op, derr)
	}
	return nil
}

// failed maps a failed call. The error keeps the status and Color Me Shop's error code only.
func (c *Client) failed(ctx context.Context, op string, err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		c.log.DebugContext(ctx, "colorme request failed", "shop", c.cfg.Shop, "op", op, "error", httpclient.Redact(err.Error()))
		return fmt.Errorf("colorme: %s: %w", op, err)
	}
	code := errorCode(se.Body)
	var rl *connector.RateLimitError
	if errors.As(se.Err, &rl) {
		wait := rl.Wait
		if wait <= 0 {
			wait = c.cfg.ThrottleWait
		}
		c.log.WarnContext(ctx, "colorme: throttled", "shop", c.cfg.Shop, "op", op, "wait", wait)
		return fmt.Errorf("colorme: %s: HTTP %d: %w", op, se.Status, &connector.RateLimitError{Wait: wait, Reason: "429"})
	}
	e := fmt.Errorf("colorme: %s: HTTP %d (code %d): %w", op, se.Status, code, se.Err)
	if se.Status == http.StatusUnauthorized && !c.revoked.Swap(true) {
		c.log.ErrorContext(ctx, "colorme: the access token was refused; the shop must authorize the app again", "shop", c.cfg.Shop)
		if c.cfg.OnCredential != nil {
			c.cfg.OnCredential(CredentialEvent{Kind: CredentialRevoked, Shop: c.cfg.Shop, Err: e})
		}
	}
	return e
}

// jstParam formats t as the API's date parameters read it.
func jstParam(t time.Time) string { return t.In(JST).Format("2006-01-02 15:04:05") }
