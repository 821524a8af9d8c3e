// Package rakuten connects Tobira to one Rakuten Ichiba (楽天市場) shop through RMS WEB SERVICE.
//
// One Client serves one shop (one service secret and license key) in three roles:
//
//   - connector.OrderSource: ListOrders finds orders with searchOrder and reads them with
//     getOrder (version 10, the newest the sources document).
//   - connector.ShipmentSink: ConfirmShipment reports parcels with updateOrderShipping, per
//     destination (basketId); ConfirmShipmentsAsync and AsyncResult are the bulk variant
//     (updateOrderShippingAsync) for large batches.
//   - connector.StockTarget and connector.StockReader: SetStock writes absolute quantities with
//     inventories/bulk-upsert (400 rows a call), ReadStock reads them back with bulk-get.
//
// # Orders: windows, changes, cancellations
//
// RMS has no "updated since": searchOrder filters by a date (here 注文日, dateType 1) over at
// most 63 days, and never returns more than 15,000 order numbers for one search. A window of
// update time [From, To) is therefore listed in two phases, and the cursor records where in
// them a listing stands:
//
//  1. orders placed in [From, To), in any progress;
//  2. orders placed in the ReReadSpan (default 31 days) before From that are not shipped
//     (progress 100, 200, 300, 400) or are being or were cancelled (800, 900), re-read with
//     getOrder and listed when their update time falls at or after From.
//
// An order's update time is the latest of its order, confirmation, fix and shipping-report
// datetimes and of every change row's apply, fix and completion datetimes
// (ChangeReasonModelList), so an edit (progress 400) or a cancellation (800, 900) made after
// import is listed again, with its new content, and reaches the engine as a change or a
// cancellation. Each phase is split into sub-windows of at most 63 days, halved while a search
// reports 15,000 results or more (the platform keeps an arbitrary 15,000 past its cap), and
// paged by keyset: the cursor holds the order date reached and the order numbers already listed
// at that second, so orders placed while a listing is under way are not skipped by shifting
// pages. Changes to orders placed more than ReReadSpan before the window are not seen.
//
// Progress codes map to order statuses: 100 注文確認待ち and 200 楽天処理中 to StatusPending (the
// engine records and holds them), 300 発送待ち and 400 変更確定待ち to StatusOpen (400 with the
// changed content), 500 to 700 to StatusClosed, 800 キャンセル確定待ち and 900 キャンセル確定 to
// StatusCancelled. Orders waiting in 100 are held until the shop confirms them in RMS; with
// Config.ConfirmOrders the client confirms them itself (confirmOrder) when it lists them, and
// lists them again once they are ready to ship.
//
// An order with several destinations (PackageModelList) becomes one order.Order per
// destination: the first keeps the order number as its ID, the others are
// "<orderNumber>/<basketId>". A deleted destination (packageDeleteFlag) is listed cancelled;
// a deleted item (deleteItemFlag) stays as a line whose whole quantity is cancelled.
//
// # Japanese fields
//
// deliveryDate is the delivery date; shippingTerm maps to the slot (1 午前 to 0812, h1h2 codes
// such as 1416 to the slot of that name when carriers offer it); 2 午後, 9 その他 and ranges no
// carrier offers leave the slot empty and are kept in Refs (RefShippingTerm, RefUnmappedSlot)
// for people to read. giftCheckFlag makes a gift; the destination's noshi is its のし. 代金引換
// settlements are cash on delivery collecting requestPrice (the destination's totalPrice when
// there are several). Kana names and the remote-island flag are kept in Refs. A line's SKU is
// merchantDefinedSkuId (システム連携用SKU番号) when set, else "<manageNumber>:<variantId>".
// With Config.ParseRemarks, a delivery date and slot written in the free-text remarks (備考) are
// used when the structured fields are empty; a request that cannot be parsed is never dropped:
// the remarks are kept in Refs (RefRemarks) and a warning is logged (without the text).
//
// # Shipments
//
// Rakuten records parcels per destination, up to 20 shipping rows each, and cannot express a
// shipment of some lines only: SupportsPartialShipments is false, so the engine confirms once
// every line has shipped. Every parcel becomes one shipping row with the carrier's code
// (Yamato 1001, Sagawa 1002, Japan Post 1003, …). RMS takes no idempotency key, so
// ConfirmShipment reads the order first and sends only the parcels whose tracking numbers the
// destination does not show yet: repeating a confirmation, or sending it again after its answer
// was lost, adds nothing. The client remembers the tracking numbers it sent per shipment, so a
// shipment confirmed again with a corrected number updates its row (shippingDetailId) instead of
// adding one; that memory lives as long as the Client.
//
// # Stock
//
// SetStock sends ABSOLUTE rows, 400 a call; repeating one is harmless, so no idempotency key is
// needed (RMS takes none). SKUs map to (manageNumber, variantId) through Config.Variants, else
// by splitting "<manageNumber>:<variantId>". Quantities above 99,999 (RMS's maximum) are sent as
// 99,999 and negative ones as 0. A row RMS refuses (IE0004) fails alone; the rest of the batch
// is sent again without it.
//
// # Credentials and rate limits
//
// Every call carries "Authorization: ESA Base64(serviceSecret:licenseKey)". License keys
// expire every 90 days. The client knows the expiry (Config.KeyExpiresAt, or asked once of the
// license-management API) and reports it as connector.CredentialExpirer, so the engine tells the
// host ahead of time (its CredentialExpiring event); from the expiry on it answers every call with connector.ErrUnauthorized
// without sending it: the engine stops the channel (its ChannelStopped event) at once instead of
// looping on refused calls. The host then sets the new key (SetLicenseKey) and renews the
// merchant; the engine resumes from its recorded cursor and lists what it missed.
//
// Calls are paced per license key at the rates the research gives (RMS publishes none): about
// one request a second for the order API and for bulk-upsert, five a second for bulk-get.
// Config.RateScale multiplies them (tests and benchmarks). The limiters live in the Client:
// use one Client per shop and share it among the roles. A 429 comes back at once as a
// *connector.RateLimitError.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (a wrong, expired or disabled key:
// 401 or ES04-*), connector.ErrPermanent (RMS refused the request, an unknown SKU mapping, too
// many parcels), connector.ErrNotFound (an unknown order), connector.ErrTemporary (5xx, an
// order in the middle of a change), connector.ErrOutcomeUnknown (a write timed out or failed
// with 5xx after it was sent) and *connector.RateLimitError. Errors and logs name message
// codes, never message texts, names, addresses, phone numbers, the secret or the key.
package rakuten

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
)

// BaseURL is RMS WEB SERVICE's address.
const BaseURL = "https://api.rms.rakuten.co.jp"

// OrderVersion is the getOrder version the client asks for: the newest the sources document
// (10, ソーシャルギフト). Version 7 and later carry SkuModelList, which the SKU mapping needs.
const OrderVersion = 10

// The rates the client paces itself at, per license key, before Config.RateScale.
const (
	OrderRate      = 1.0 // order API calls per second
	StockWriteRate = 1.0 // bulk-upsert calls per second
	StockReadRate  = 5.0 // bulk-get calls per second
)

// Variant is a Rakuten SKU: its manage number (商品管理番号) and variant ID (SKU管理番号).
type Variant struct {
	ManageNumber, VariantID string
}

// Config configures a Client. Zero values take the defaults given.
type Config struct {
	// Shop names the shop in rate-limiter keys, events and logs (its RMS shop URL or ID).
	Shop string
	// BaseURL overrides BaseURL, for tests against rakutentest.
	BaseURL string
	// ServiceSecret and LicenseKey are the shop's RMS credentials.
	ServiceSecret, LicenseKey string
	// KeyExpiresAt is when LicenseKey expires; zero asks the license-management API once.
	KeyExpiresAt time.Time
	// Now is the clock the expiry is checked against; default time.Now.
	Now func() time.Time
	// Logger receives debug and warning records; nil logs nothing.
	Logger *slog.Logger
	// Timeout bounds each HTTP attempt; default 30 s.
	Timeout time.Duration
	// RateScale multiplies the rates (default 1); tests and benchmarks raise it.
	RateScale float64
	// Transport sends the requests; nil uses a pooled transport.
	Transport http.RoundTripper
	// PageSize is the most orders one page holds (at most 100, getOrder's limit); default 100.
	PageSize int
	// ReReadSpan is how far before a window orders are re-read for changes and cancellations;
	// default 31 days, at most 700.
	ReReadSpan time.Duration
	// ConfirmOrders makes ListOrders confirm (confirmOrder) the orders it finds waiting in 100.
	ConfirmOrders bool
	// ResultCap is searchOrder's cap on results (15,000); tests lower it with the fake's.
	ResultCap int
	// ParseRemarks reads delivery requests out of the remarks when the fields are empty.
	ParseRemarks bool
	// Variants maps SKUs to Rakuten variants for SetStock and ReadStock; SKUs not in it must be
	// "<manageNumber>:<variantId>".
	Variants map[string]Variant
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.ServiceSecret == "" {
		errs = append(errs, errors.New("rakuten: Config.ServiceSecret is empty"))
	}
	if c.LicenseKey == "" {
		errs = append(errs, errors.New("rakuten: Config.LicenseKey is empty"))
	}
	if c.PageSize > maxGetOrder {
		errs = append(errs, fmt.Errorf("rakuten: Config.PageSize %d is over getOrder's limit of %d", c.PageSize, maxGetOrder))
	}
	if c.ReReadSpan > maxReReadSpan {
		errs = append(errs, fmt.Errorf("rakuten: Config.ReReadSpan is over %s", maxReReadSpan))
	}
	return errors.Join(errs...)
}

const (
	maxGetOrder    = 100
	maxSearchPage  = 1000
	resultCap      = 15000
	maxSpan        = 63*24*time.Hour - time.Second
	maxReReadSpan  = 700 * 24 * time.Hour
	maxParcels     = 20
	maxUpsert      = 400
	maxBulkGet     = 1000
	maxQuantity    = 99999
	datetimeLayout = "2006-01-02T15:04:05-0700"
)

// jst is Japan Standard Time, RMS's zone.
var jst = time.FixedZone("JST", 9*3600)

// Client talks to one Rakuten shop. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  string
	log   *slog.Logger
	order *httpclient.Client
	write *httpclient.Client
	read  *httpclient.Client

	mu         sync.Mutex
	licenseKey string
	expiry     time.Time
	sent       map[string][]string // shipment → tracking numbers sent, by parcel
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
		cfg.BaseURL = BaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Shop == "" {
		cfg.Shop = cfg.BaseURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RateScale <= 0 {
		cfg.RateScale = 1
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = maxGetOrder
	}
	if cfg.ResultCap <= 0 {
		cfg.ResultCap = resultCap
	}
	if cfg.ReReadSpan <= 0 {
		cfg.ReReadSpan = 31 * 24 * time.Hour
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mk := func(perSecond float64) *httpclient.Client {
		return httpclient.New(httpclient.Config{Rate: rate.Limit(perSecond * cfg.RateScale), Burst: 1,
			Timeout: cfg.Timeout, Throttle: Throttled, Logger: cfg.Logger, Transport: cfg.Transport})
	}
	return &Client{cfg: cfg, base: cfg.BaseURL, log: log,
		order: mk(OrderRate), write: mk(StockWriteRate), read: mk(StockReadRate),
		licenseKey: cfg.LicenseKey, expiry: cfg.KeyExpiresAt, sent: map[string][]string{}}, nil
}

// Throttled is the httpclient.ThrottleFunc for RMS: a 429, with the Retry-After it carries or
// else one second, the pace RMS expects.
func Throttled(resp *http.Response, _ []byte) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if d, ok := httpclient.RetryAfter(resp.Header, time.Now()); ok && d > 0 {
		return d, true
	}
	return time.Second, true
}

// SetLicenseKey replaces the license key (the shop issued a new one in RMS) and its expiry
// (zero asks the license-management API). The host renews the merchant in the engine after it.
func (c *Client) SetLicenseKey(key string, expiresAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.licenseKey, c.expiry = key, expiresAt
}

// CredentialExpiry implements connector.CredentialExpirer: when the license key expires, as far
// as the client knows (zero before it asked).
func (c *Client) CredentialExpiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expiry
}

// authorization returns the ESA header for the current key, or ErrUnauthorized once it expired.
func (c *Client) authorization(ctx context.Context) (string, error) {
	c.mu.Lock()
	key, exp := c.licenseKey, c.expiry
	c.mu.Unlock()
	header := "ESA " + base64.StdEncoding.EncodeToString([]byte(c.cfg.ServiceSecret+":"+key))
	if exp.IsZero() {
		var err error
		if exp, err = c.lookupExpiry(ctx, header, key); err != nil {
			return "", err
		}
		c.mu.Lock()
		if c.licenseKey == key {
			c.expiry = exp
		}
		c.mu.Unlock()
	}
	now := c.cfg.Now()
	if !now.Before(exp) {
		return "", fmt.Errorf("rakuten: %s: the license key expired at %s: %w", c.cfg.Shop, exp.UTC().Format(time.RFC3339), connector.ErrUnauthorized)
	}
	return header, nil
}

func (c *Client) lookupExpiry(ctx context.Context, header, key string) (time.Time, error) {
	u := c.base + "/es/1.0/license-management/license-key/expiry-date?licenseKey=" + url.QueryEscape(key)
	var out struct {
		ExpiryDate string `json:"expiryDate"`
	}
	if err := c.send(ctx, c.order, http.MethodGet, u, header, nil, false, &out); err != nil {
		return time.Time{}, fmt.Errorf("rakuten: license expiry: %w", err)
	}
	t, err := parseTime(out.ExpiryDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("rakuten: license expiry: unreadable date: %w", connector.ErrTemporary)
	}
	return t, nil
}

// call sends one RMS call with the current key and decodes the answer into out.
func (c *Client) call(ctx context.Context, hc *httpclient.Client, path string, body any, write bool, out any) error {
	header, err := c.authorization(ctx)
	if err != nil {
		return err
	}
	return c.send(ctx, hc, http.MethodPost, c.base+path, header, body, write, out)
}

func (c *Client) send(ctx context.Context, hc *httpclient.Client, method, u, auth string, body any, write bool, out any) error {
	name := callName(u)
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("rakuten: %s: %w", name, connector.ErrPermanent)
		}
	}
	resp, err := hc.Do(ctx, &httpclient.Request{Method: method, URL: u, Key: "rakuten:" + c.cfg.Shop, Body: data, Safe: !write,
		Header: http.Header{"Authorization": {auth}, "Content-Type": {"application/json; charset=utf-8"}}})
	if err != nil {
		c.log.DebugContext(ctx, "rakuten request failed", "call", name, "error", httpclient.Redact(err.Error()))
		return c.failure(name, write, err)
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := httpclient.Decode(resp.Body, out, httpclient.DecodeOptions{}); err != nil {
		if write {
			return fmt.Errorf("rakuten: %s: unreadable answer (%v): %w", name, err, connector.ErrOutcomeUnknown)
		}
		// The same request may well succeed again: the transport's fault, not the request's.
		return fmt.Errorf("rakuten: %s: unreadable answer (%v): %w", name, err, connector.ErrTemporary)
	}
	return nil
}

// apiError is what RMS's error bodies may hold: the gateway's Results, the order API's
// MessageModelList, the inventory API's errors.
type apiError struct {
	Results *struct {
		ErrorCode string `json:"errorCode"`
	} `json:"Results"`
	MessageModelList []message  `json:"MessageModelList"`
	Errors           []invError `json:"errors"`
}

type invError struct {
	Code     string `json:"code"`
	Metadata struct {
		PropertyPath string `json:"propertyPath"`
	} `json:"metadata"`
}

// StatusError is an RMS error answer: its status and the codes it carried (never the message
// texts, which may quote values).
type StatusError struct {
	Call   string
	Status int
	Codes  []string
	// Paths are the inventory API's propertyPath of each refused row, in Codes' order.
	Paths []string
	Err   error
}

// Error names the call, the status and the codes.
func (e *StatusError) Error() string {
	return fmt.Sprintf("rakuten: %s: status %d %s: %v", e.Call, e.Status, strings.Join(e.Codes, ","), e.Err)
}

// Unwrap returns the connector error the answer maps to.
func (e *StatusError) Unwrap() error { return e.Err }

func (c *Client) failure(name string, write bool, err error) error {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("rakuten: %s: %w", name, err)
	}
	var rl *connector.RateLimitError
	if errors.As(se.Err, &rl) {
		return fmt.Errorf("rakuten: %s: %w", name, rl)
	}
	out := &StatusError{Call: name, Status: se.Status, Err: se.Err}
	var body apiError
	if json.Unmarshal(se.Body, &body) == nil {
		if body.Results != nil {
			out.Codes = append(out.Codes, safeCode(body.Results.ErrorCode))
			if strings.HasPrefix(body.Results.ErrorCode, "ES04") {
				out.Err = connector.ErrUnauthorized
			}
		}
		for _, m := range body.MessageModelList {
			if m.MessageType == "ERROR" {
				out.Codes = append(out.Codes, safeCode(m.MessageCode))
			}
		}
		for _, e := range body.Errors {
			out.Codes = append(out.Codes, safeCode(e.Code))
			out.Paths = append(out.Paths, safeCode(e.Metadata.PropertyPath))
		}
	}
	if write && errors.Is(out.Err, connector.ErrTemporary) {
		// A 5xx after the request reached RMS may have been applied.
		out.Err = fmt.Errorf("%w (status %d after sending)", connector.ErrOutcomeUnknown, se.Status)
	}
	return out
}

// safeCode keeps what looks like a code or a property path and drops anything else.
func safeCode(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r == '[' || r == ']' || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')) {
			return "?"
		}
	}
	return s
}

func callName(u string) string {
	p := httpclient.RedactURL(u)
	p = strings.TrimSuffix(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(datetimeLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func fmtTime(t time.Time) string { return t.In(jst).Format(datetimeLayout) }
