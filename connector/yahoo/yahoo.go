// Package yahoo connects Tobira to a Yahoo! Shopping store (ストアクリエイターPro) through the
// store API at https://circus.shopping.yahooapis.jp/ShoppingWebService/V1.
//
// One Client serves one store (one seller ID, one OAuth grant) in all three channel roles:
//
//   - connector.OrderSource: ListOrders searches orderList by order-time windows (the API has no
//     update-time condition), compares each order's LastUpdateTime with the engine's window on
//     our side, reads the orders that qualify with orderInfo and, for those changed after they
//     were placed, orderChangeHistory, so an address or quantity changed after import comes to
//     the engine as a change of an order it knows. Counts (orderCount) is a cheap poll a host's
//     scheduler may call between full listings.
//   - connector.ShipmentSink: ConfirmShipment sets ShipStatus 3 (出荷完了) with orderShipStatusChange,
//     the carrier's ShipCompanyCode and at most two invoice numbers (ShipInvoiceNumber1/2).
//   - connector.StockTarget and connector.StockReader: SetStock sets absolute quantities with
//     setStock, up to 1,000 item codes a call; ReadStock reads them back with getStock.
//
// # Limits
//
// Yahoo! allows 10 requests a second per API and 50,000 requests a day per application
// (help.html). The client paces every API at 10 requests a second per store and counts its own
// requests per day (in JST) in a Budget clients of one application share: once it is spent, calls return a *connector.RateLimitError
// waiting until midnight JST without reaching Yahoo!. A throttle answer (HTTP 429) is returned at
// once as a *connector.RateLimitError after exactly one request.
//
// # Credentials
//
// Calls carry an OAuth 2.0 bearer token (Yahoo! ID連携 v2). The client refreshes the access token
// before it expires, and when Yahoo! answers that it expired, once however many calls are
// waiting for it. With a store public key (Config.PublicKey) every order API call and every
// refresh carries X-sws-signature, Base64(RSA-PKCS#1 v1.5 encryption of "sellerId:unixtime"),
// and X-sws-signature-version. Without public-key auth Yahoo! limits the refresh token to 12
// hours: the client says so through Config.OnCredential (CredentialShortLived) when it is built
// and again (CredentialExpiring) when the token nears its end, so the host can have the merchant
// authorise again before orders stop.
//
// # Policies
//
//   - SKUs. A line's SKU is its item code as setStock wants it: 商品コード alone, or
//     商品コード:個別商品コード for a variant. The same string sets the stock.
//   - More parcels than invoice numbers. Yahoo! takes two invoice numbers an order. The first two
//     parcels' numbers go in ShipInvoiceNumber1 and 2; with ExtraParcelsInNotes (the default) the
//     others are listed in ShipNotes (配送メモ), with ExtraParcelsRefuse the confirmation is
//     refused with connector.ErrPermanent so the merchant enters them by hand.
//   - Partial shipments. Yahoo! ships an order whole (a partial shipment needs orderSplit first,
//     which this client does not do): SupportsPartialShipments is false, and the engine confirms
//     once every line has shipped.
//   - Writes without idempotency keys. Yahoo! takes none. ConfirmShipment reads the order back
//     first and sends nothing when the store already shows the shipment, so a confirmation
//     repeated after a lost answer has one effect. setStock quantities are absolute, so
//     repeating a stock write sets the same value again; StockUpdate.Key is not sent.
//   - Changes long after the sale. ListOrders reaches back Config.Lookback (14 days) of order
//     time for orders updated in its window; an order changed later than that after it was
//     placed is not seen again.
//   - Carriers. ShipCompanyCode 1001 (ヤマト運輸) and 1002 (佐川急便) are mapped; every other carrier
//     is 1000 (その他) with the carrier's tracking page in ShipUrl, since the rest of Yahoo!'s
//     list is not confirmed.
//
// # Stability
//
// Config may gain fields; their zero values keep today's behaviour. The connector interfaces the
// Client implements are package connector's and stable.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (a refused or expired grant, a bad
// signature), connector.ErrPermanent (a request Yahoo! refuses, such as an unknown order or an
// invalid item code), connector.ErrTemporary (5xx, broken connections),
// connector.ErrOutcomeUnknown (a write whose answer was lost) and *connector.RateLimitError
// (throttled, or the daily budget spent). Errors carrying Yahoo!'s <Error> body are *APIError.
// No error or log line contains a token, the signature, a name, an address or a phone number.
package yahoo

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// Published limits and defaults.
const (
	// DefaultBaseURL is the store API.
	DefaultBaseURL = "https://circus.shopping.yahooapis.jp/ShoppingWebService/V1"
	// DefaultTokenURL is Yahoo! ID連携's token endpoint.
	DefaultTokenURL = "https://auth.login.yahoo.co.jp/yconnect/v2/token"
	// RatePerAPI is Yahoo!'s limit per API: 10 requests a second.
	RatePerAPI = 10
	// DailyCap is Yahoo!'s limit per application: 50,000 requests a day.
	DailyCap = 50000
	// BatchLimit is setStock's limit: 1,000 item codes a call.
	BatchLimit = 1000
	// ShortRefreshLife is how long a refresh token lasts for order APIs without public-key auth.
	ShortRefreshLife = 12 * time.Hour
)

// JST is Japan's time zone, in which Yahoo! gives and takes times.
var JST = time.FixedZone("JST", 9*3600)

// ExtraParcels says what ConfirmShipment does with parcels beyond the two invoice numbers an
// order holds.
type ExtraParcels int

// The policies for extra parcels.
const (
	// ExtraParcelsInNotes lists the other parcels' numbers in ShipNotes (配送メモ).
	ExtraParcelsInNotes ExtraParcels = iota
	// ExtraParcelsRefuse refuses the confirmation with connector.ErrPermanent.
	ExtraParcelsRefuse
)

// Config configures a Client. Fields without a default are required where Validate says.
type Config struct {
	// SellerID is the store account (ストアアカウント).
	SellerID string
	// BaseURL and TokenURL override DefaultBaseURL and DefaultTokenURL (tests, the test
	// environment https://test.circus.shopping.yahooapis.jp/ShoppingWebService/V1).
	BaseURL, TokenURL string
	// ClientID and ClientSecret are the application's credentials, for refreshing.
	ClientID, ClientSecret string
	// AccessToken and AccessExpiry are the current access token, if the host has one; without
	// it the client refreshes before its first call.
	AccessToken  string
	AccessExpiry time.Time
	// RefreshToken is the grant's refresh token; RefreshIssued is when it was issued (default:
	// when New runs), from which its end is known.
	RefreshToken  string
	RefreshIssued time.Time
	// RefreshLife is how long the refresh token lasts with public-key auth (default four
	// weeks); without it ShortRefreshLife applies.
	RefreshLife time.Duration
	// PublicKey is the store's public key (PEM, from ストアクリエイターPro 設定 → 暗号鍵管理) and
	// KeyVersion its version. Without them order calls carry no signature and the refresh
	// token lasts 12 hours.
	PublicKey  []byte
	KeyVersion string
	// OnCredential receives credential events (see CredentialEvent). It is called
	// synchronously and must return quickly. Nil drops them; they are logged at Warn anyway.
	OnCredential func(CredentialEvent)
	// ExpiryWarning is how long before the refresh token's end CredentialExpiring is sent
	// (default 2 hours).
	ExpiryWarning time.Duration
	// Lookback is how far before a window's start ListOrders searches by order time for
	// orders updated in the window (default 14 days). An order changed more than Lookback after
	// it was placed is not seen again. Each ListOrders call reads the orders placed in Lookback
	// in orderList pages of ScanSize, so a longer Lookback costs requests of the daily budget.
	Lookback time.Duration
	// ScanSize is how many orders one orderList call returns (default 1000).
	ScanSize int
	// PageSize is the most orders a page holds when ListOrdersRequest.Limit is 0 (default 50).
	PageSize int
	// ExtraParcels is the policy for parcels beyond two; default ExtraParcelsInNotes.
	ExtraParcels ExtraParcels
	// PointFix is sent as IsPointFix with a shipment (ポイント確定); default false.
	PointFix bool
	// CashOnDelivery lists the PayMethod codes that mean 代金引換; default {"payment_d1"}.
	CashOnDelivery []string
	// Budget is the day's request budget. Yahoo! counts 50,000 requests a day per
	// application ID, across every store that uses it: clients of one application share one
	// Budget. Nil gives the client a budget of its own of DailyCap.
	Budget *Budget
	// DailyCap sizes the client's own budget when Budget is nil (default DailyCap).
	DailyCap int
	// HTTP is the shared HTTP client; nil makes one paced at RatePerAPI per API and store.
	HTTP *httpclient.Client
	// Logger receives debug and warning records; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate reports what is missing or malformed in c.
func (c *Config) Validate() error {
	var errs []error
	if c.SellerID == "" {
		errs = append(errs, errors.New("yahoo: Config.SellerID is empty"))
	}
	if c.AccessToken == "" && c.RefreshToken == "" {
		errs = append(errs, errors.New("yahoo: Config needs an AccessToken or a RefreshToken"))
	}
	if c.RefreshToken != "" && (c.ClientID == "" || c.ClientSecret == "") {
		errs = append(errs, errors.New("yahoo: Config.ClientID and ClientSecret are needed to refresh"))
	}
	if len(c.PublicKey) > 0 {
		if _, err := parsePublicKey(c.PublicKey); err != nil {
			errs = append(errs, fmt.Errorf("yahoo: Config.PublicKey: %w", err))
		}
		if c.KeyVersion == "" {
			errs = append(errs, errors.New("yahoo: Config.KeyVersion is empty"))
		}
	}
	if c.ExtraParcels != ExtraParcelsInNotes && c.ExtraParcels != ExtraParcelsRefuse {
		errs = append(errs, errors.New("yahoo: Config.ExtraParcels is unknown"))
	}
	return errors.Join(errs...)
}

func parsePublicKey(b []byte) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		if rk, err2 := x509.ParsePKCS1PublicKey(blk.Bytes); err2 == nil {
			return rk, nil
		}
		return nil, errors.New("not an RSA public key")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

// Client talks to one Yahoo! store. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *httpclient.Client
	log  *slog.Logger
	now  func() time.Time
	auth *auth
	cod  map[string]bool

	pace   *window
	budget *Budget
}

// Budget counts an application's requests per day (in JST) against Yahoo!'s daily limit. It is
// safe for concurrent use; share one among the clients of one application ID.
type Budget struct {
	cap      int
	mu       sync.Mutex
	day      string
	dayCount int
}

// NewBudget returns a budget of limit requests a day (DailyCap when limit is 0).
func NewBudget(limit int) *Budget {
	if limit <= 0 {
		limit = DailyCap
	}
	return &Budget{cap: limit}
}

// Used returns how many requests were counted on the day (JST) of now.
func (b *Budget) Used(now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.In(JST).Format("20060102") != b.day {
		return 0
	}
	return b.dayCount
}

// paceSpan is the second Yahoo! counts in, with a margin for calls that reach Yahoo! later
// than they left.
const paceSpan = 1100 * time.Millisecond

// window paces calls per API so that no second holds more than limit of them: Yahoo!'s
// "10req/sec" per API, applied as a sliding window over the times calls were sent.
type window struct {
	limit int
	mu    sync.Mutex
	sent  map[string][]time.Time
}

func (w *window) wait(ctx context.Context, api string) error {
	for {
		w.mu.Lock()
		now := time.Now()
		times := w.sent[api]
		for len(times) > 0 && now.Sub(times[0]) >= paceSpan {
			times = times[1:]
		}
		if len(times) < w.limit {
			w.sent[api] = append(times, now)
			w.mu.Unlock()
			return nil
		}
		w.sent[api] = times
		d := times[0].Add(paceSpan).Sub(now)
		w.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

var (
	_ connector.OrderSource    = (*Client)(nil)
	_ connector.ShipmentSink   = (*Client)(nil)
	_ connector.PartialShipper = (*Client)(nil)
	_ connector.StockTarget    = (*Client)(nil)
	_ connector.StockReader    = (*Client)(nil)
)

// New returns a Client for cfg. Without a public key it sends CredentialShortLived at once.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshLife <= 0 {
		cfg.RefreshLife = 28 * 24 * time.Hour
	}
	if cfg.ExpiryWarning <= 0 {
		cfg.ExpiryWarning = 2 * time.Hour
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 14 * 24 * time.Hour
	}
	if cfg.ScanSize <= 0 {
		cfg.ScanSize = 1000
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.CashOnDelivery == nil {
		cfg.CashOnDelivery = []string{"payment_d1"}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		// Pacing is the client's own sliding window (see pace); a token bucket here would either
		// space calls 100 ms apart or, with a burst, send nearly twice the limit in one second.
		hc = httpclient.New(httpclient.Config{Logger: cfg.Logger})
	}
	c := &Client{cfg: cfg, http: hc, log: log, now: cfg.Now, cod: map[string]bool{},
		pace: &window{limit: RatePerAPI, sent: map[string][]time.Time{}}, budget: cfg.Budget}
	if c.budget == nil {
		c.budget = NewBudget(cfg.DailyCap)
	}
	for _, m := range cfg.CashOnDelivery {
		c.cod[m] = true
	}
	a, err := newAuth(c)
	if err != nil {
		return nil, err
	}
	c.auth = a
	a.announce()
	return c, nil
}

// SupportsPartialShipments is false: Yahoo! ships an order whole.
func (c *Client) SupportsPartialShipments() bool { return false }

// BatchLimit is setStock's 1,000 item codes.
func (c *Client) BatchLimit() int { return BatchLimit }

// APIError is Yahoo!'s <Error> answer.
type APIError struct {
	API    string
	Status int
	// Code is Yahoo!'s error code (st-02101), if it gave one.
	Code string
	// Message is Yahoo!'s message, redacted.
	Message string
	err     error
}

// Error names the API, the status and Yahoo!'s code and message.
func (e *APIError) Error() string {
	s := fmt.Sprintf("yahoo: %s: status %d", e.API, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + ": " + e.err.Error()
}

// Unwrap returns the connector error the answer maps to.
func (e *APIError) Unwrap() error { return e.err }

type apiErrorBody struct {
	XMLName xml.Name `xml:"Error"`
	Message string   `xml:"Message"`
	Code    string   `xml:"Code"`
}

// call is one API request.
type call struct {
	api    string
	method string
	body   []byte
	ctype  string
	query  url.Values
	write  bool
}

// orderAPIs carry the public-key signature.
var orderAPIs = map[string]bool{"orderList": true, "orderInfo": true, "orderCount": true,
	"orderChangeHistory": true, "orderShipStatusChange": true}

// do sends cl with a valid token, refreshing once if Yahoo! says the token expired, and returns
// the body of a 2xx answer.
func (c *Client) do(ctx context.Context, cl call) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("yahoo: %s: %w", cl.api, err)
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.auth.token(ctx)
		if err != nil {
			return nil, fmt.Errorf("yahoo: %s: %w", cl.api, err)
		}
		if err := c.spend(); err != nil {
			return nil, fmt.Errorf("yahoo: %s: %w", cl.api, err)
		}
		u := c.cfg.BaseURL + "/" + cl.api
		if len(cl.query) > 0 {
			u += "?" + cl.query.Encode()
		}
		h := http.Header{"Authorization": {"Bearer " + tok}}
		if cl.ctype != "" {
			h.Set("Content-Type", cl.ctype)
		}
		if orderAPIs[cl.api] {
			if err := c.auth.sign(h); err != nil {
				return nil, fmt.Errorf("yahoo: %s: %w", cl.api, err)
			}
		}
		resp, err := c.http.Do(ctx, &httpclient.Request{Method: cl.method, URL: u, Header: h, Body: cl.body,
			Key: c.cfg.SellerID + "/" + cl.api, Safe: !cl.write || cl.api == "setStock",
			BeforeAttempt: func(ctx context.Context, n int) error {
				if n > 0 {
					c.count() // a retry the HTTP layer makes spends the budget too
				}
				return c.pace.wait(ctx, cl.api)
			}})
		if err == nil {
			return resp.Body, nil
		}
		var se *httpclient.StatusError
		if !errors.As(err, &se) {
			c.log.DebugContext(ctx, "yahoo request failed", "api", cl.api, "error", httpclient.Redact(err.Error()))
			return nil, fmt.Errorf("yahoo: %s: %w", cl.api, err)
		}
		if se.Status == http.StatusUnauthorized && attempt == 0 && expiredToken(se) {
			// The token died early (revoked, or our clock is off): refresh once and try again. A
			// 401 means nothing was done, so a write may be sent again.
			c.auth.invalidate(tok)
			continue
		}
		return nil, c.statusError(cl.api, se)
	}
}

func expiredToken(se *httpclient.StatusError) bool {
	return strings.Contains(se.Header.Get("WWW-Authenticate"), "invalid_token") ||
		strings.Contains(string(se.Body), "invalid_token")
}

func (c *Client) statusError(api string, se *httpclient.StatusError) error {
	var rl *connector.RateLimitError
	if errors.As(se.Err, &rl) {
		if rl.Wait <= 0 {
			// Yahoo!'s limit is per second; without a Retry-After the next second is free.
			return fmt.Errorf("yahoo: %s: %w", api, &connector.RateLimitError{Wait: time.Second, Reason: rl.Reason})
		}
		return fmt.Errorf("yahoo: %s: %w", api, se)
	}
	e := &APIError{API: api, Status: se.Status, err: se.Err}
	var body apiErrorBody
	if xml.Unmarshal(se.Body, &body) == nil {
		e.Code = strings.TrimSpace(body.Code)
		e.Message = httpclient.Redact(truncate(strings.TrimSpace(body.Message), 200))
	}
	return e
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// count spends one request of the day's budget without refusing.
func (c *Client) count() {
	b := c.budget
	day := c.now().In(JST).Format("20060102")
	b.mu.Lock()
	defer b.mu.Unlock()
	if day != b.day {
		b.day, b.dayCount = day, 0
	}
	b.dayCount++
}

// spend counts one request against the day's budget (days in JST), refusing once it is spent.
func (c *Client) spend() error {
	b := c.budget
	now := c.now().In(JST)
	day := now.Format("20060102")
	b.mu.Lock()
	defer b.mu.Unlock()
	if day != b.day {
		b.day, b.dayCount = day, 0
	}
	if b.dayCount >= b.cap {
		y, m, d := now.Date()
		midnight := time.Date(y, m, d+1, 0, 0, 0, 0, JST)
		return &connector.RateLimitError{Wait: midnight.Sub(now), Reason: "daily cap"}
	}
	b.dayCount++
	return nil
}
