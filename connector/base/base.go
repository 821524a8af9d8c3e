// Package base connects Tobira to a BASE shop (thebase.in) through BASE API v1.
//
// One Client serves one shop (one BASE user, one OAuth grant) in the three channel roles:
//
//   - connector.OrderSource: ListOrders lists the orders updated in a window. BASE lists orders
//     only by order date (GET /1/orders with start_ordered and end_ordered, offset paging), so
//     the client lists the orders placed since Lookback before the window, keeps those whose
//     modified time falls in it, and reads each through GET /1/orders/detail/:unique_key. The
//     detail's order_receiver (お届け先) becomes the ship-to address (the buyer's own address
//     when there is none), delivery_date and delivery_time_zone ("0812" 午前中, "1214", …)
//     become the order's delivery date and slot, payment cod becomes cash on delivery.
//   - connector.ShipmentSink: ConfirmShipment marks each order item of the shipment dispatched
//     with POST /1/orders/edit_status, one call per order_item_id, the carrier and tracking
//     numbers written into the shipping mail's message (add_comment). For a 後払い (atobarai)
//     order it sets atobarai_status=shipping with delivery_company_id and tracking_number.
//   - connector.StockTarget and StockReader: SetStock sets each SKU with its own POST
//     /1/items/edit_stock (BASE has no bulk stock call; a batch of StockBatch updates is that
//     many calls, one after another); SKUs are the item's
//     identifier (商品コード) or, for items with variations, the variation_identifier, looked up
//     through GET /1/items.
//
// # Limits
//
// BASE allows each user 5,000 calls per clock hour and 100,000 per Japanese day, counters
// reset at minute 00 and at midnight in Japan, and refuses the next call with HTTP 400
// {"error":"hour_api_limit"} (or day_api_limit). The client counts its own calls against those
// budgets and, when one is spent, waits on its Clock for the hour (or day) to turn before
// sending, so it never provokes the refusal; Config.MaxPaceWait hands long waits to the engine
// as a *connector.RateLimitError instead. Stock writes may use at most Config.StockBudget calls
// of each hour, so a large stock push never starves order listing and shipment confirmations.
// Use one Client per shop, so that every call is counted against the same budget; retries of
// reads after a 5xx answer are counted too. When BASE refuses anyway (other apps of the shop
// share the budget), the call returns a
// *connector.RateLimitError after that one request, with the wait to the next hour (or day),
// and the client treats the rest of the hour as spent: it never loops on the refusal.
//
// # Tokens
//
// BASE access tokens live one hour; refresh tokens about 30 days, and every refresh answers a
// new one. The client refreshes the access token RefreshBefore its expiry, once however many
// calls need it at the same time, and hands the new pair to Config.OnCredential
// (CredentialRefreshed), which the host must persist. A refresh token that will lapse within
// RefreshWarn (the shop has not been polled for weeks, or BASE stopped rotating it) is
// reported as CredentialExpiring, at most once a day; a refused refresh as CredentialRevoked,
// with an error matching connector.ErrUnauthorized: the shop must authorize the app again.
//
// # Policies
//
// BASE records dispatch per order item, not per quantity: an item is marked dispatched by the
// first shipment that carries any of it, and a later shipment of the rest of that item (or of
// an item already dispatched) has nothing left to report and succeeds without a call (logged at
// debug level). Tracking numbers reach the buyer only through add_comment ("[配送業者]ヤマト運輸
// [送り状番号]…", at most 250 characters, extra numbers dropped with a Warn), since BASE takes
// delivery_company_id and tracking_number only together with atobarai_status, for 後払い
// orders. A 後払い order takes one tracking number for the whole order: the client reports it
// with the shipment that completes the order (its first parcel; the others in add_comment) and
// acknowledges earlier partial shipments without a call. edit_status takes no idempotency key:
// before each call the client reads the order back and skips items already dispatched, so
// repeating a confirmation, or sending it again after its answer was lost, has no second
// effect. edit_stock sets an absolute value and takes no key either: resending the same write
// leaves the same value, so StockUpdate.Key is not sent. Changes to orders placed more than
// Lookback ago are not listed. An order's Totals.Total is set only when BASE's total equals
// the lines, shipping, COD fee and discount (coins and other adjustments make it differ).
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (invalid or revoked token, refused
// refresh, missing scope), connector.ErrNotFound (no_order, bad_item_id), connector.ErrPermanent
// (other refusals: not_change_status, bad_params, an unknown SKU), connector.ErrTemporary (5xx,
// db_error, broken connections), connector.ErrOutcomeUnknown (a write whose answer was lost) and
// *connector.RateLimitError (hour_api_limit, day_api_limit). Errors name BASE's error code,
// never its description, tokens, names, addresses or phone numbers.
package base

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
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// DefaultBaseURL is BASE's API endpoint.
const DefaultBaseURL = "https://api.thebase.in"

// BASE's published limits and lifetimes.
const (
	HourlyLimit     = 5000
	DailyLimit      = 100000
	RefreshTokenTTL = 30 * 24 * time.Hour
	maxPageSize     = 100
	maxComment      = 250
)

// JST is Japan's time zone, in which BASE reads order-date windows and resets its daily limit.
var JST = time.FixedZone("JST", 9*60*60)

// Clock is the time source the client paces itself and judges token expiry by. Tests share a
// virtual clock with the fake shop so that waiting for the next hour takes no real time.
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

// Config configures a Client. The zero value of every optional field gives the documented
// default.
type Config struct {
	// Shop names the shop in logs and keys its limits (its BASE shop ID or domain); required.
	Shop string
	// BaseURL overrides DefaultBaseURL, for tests against basetest.
	BaseURL string
	// ClientID, ClientSecret and RedirectURI are the app's OAuth credentials, needed to refresh
	// the access token.
	ClientID, ClientSecret, RedirectURI string
	// Token is the token pair the host holds (from the authorization-code grant or the last
	// CredentialRefreshed event). A zero Token.Expiry makes the first call refresh.
	Token Token
	// OnCredential receives credential events (a new token pair to persist, a refresh token
	// about to lapse, a refused refresh). It is called synchronously and must return promptly.
	OnCredential func(CredentialEvent)
	// RefreshBefore is how long before expiry the access token is refreshed; default 5 minutes.
	RefreshBefore time.Duration
	// RefreshWarn is how long before the refresh token lapses CredentialExpiring is sent;
	// default 7 days.
	RefreshWarn time.Duration
	// HourlyBudget and DailyBudget are the calls the client allows itself; defaults BASE's
	// 5,000 and 100,000. Lower them when other apps share the shop's limits.
	HourlyBudget, DailyBudget int
	// StockBudget is how many of each hour's calls stock writes may use; default 60% of
	// HourlyBudget.
	StockBudget int
	// MaxPaceWait, when positive, bounds how long a call waits for the next hour or day when
	// the budget is spent: a longer wait is returned as a *connector.RateLimitError without a
	// request. Zero waits as long as the context allows.
	MaxPaceWait time.Duration
	// Lookback is how far before a listing window's start orders are listed to find those
	// changed in the window; default 30 days.
	Lookback time.Duration
	// PageSize is how many orders one listing call asks for; default and maximum 100.
	PageSize int
	// CatalogRefresh is the least time between two reloads of the SKU catalog when a SKU is
	// unknown; default 1 minute.
	CatalogRefresh time.Duration
	// HTTP is the HTTP client; nil makes one with the default timeout.
	HTTP *httpclient.Client
	// Logger receives debug and warning records, redacted; nil logs nothing.
	Logger *slog.Logger
	// Clock defaults to the real clock.
	Clock Clock
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.Shop == "" {
		errs = append(errs, errors.New("base: Config.Shop is empty"))
	}
	if c.Token.AccessToken == "" && c.Token.RefreshToken == "" {
		errs = append(errs, errors.New("base: Config.Token has neither an access token nor a refresh token"))
	}
	if c.Token.RefreshToken != "" && (c.ClientID == "" || c.ClientSecret == "" || c.RedirectURI == "") {
		errs = append(errs, errors.New("base: refreshing needs Config.ClientID, ClientSecret and RedirectURI"))
	}
	if c.HourlyBudget < 0 || c.DailyBudget < 0 || c.StockBudget < 0 || c.PageSize < 0 || c.Lookback < 0 {
		errs = append(errs, errors.New("base: budgets, PageSize and Lookback must not be negative"))
	}
	return errors.Join(errs...)
}

// Client talks to one BASE shop. It is safe for concurrent use.
type Client struct {
	cfg   Config
	http  *httpclient.Client
	clock Clock
	log   *slog.Logger
	auth  *tokens
	pace  *pacer

	mu        sync.Mutex
	catalog   map[string]skuRef // SKU → item and variation
	byItem    map[itemKey]string
	loadedAt  time.Time
	companies map[string]int64 // delivery company name → id
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
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = 5 * time.Minute
	}
	if cfg.RefreshWarn <= 0 {
		cfg.RefreshWarn = 7 * 24 * time.Hour
	}
	if cfg.HourlyBudget == 0 {
		cfg.HourlyBudget = HourlyLimit
	}
	if cfg.DailyBudget == 0 {
		cfg.DailyBudget = DailyLimit
	}
	if cfg.StockBudget == 0 {
		cfg.StockBudget = max(1, cfg.HourlyBudget*6/10)
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = 30 * 24 * time.Hour
	}
	if cfg.PageSize == 0 || cfg.PageSize > maxPageSize {
		cfg.PageSize = maxPageSize
	}
	if cfg.CatalogRefresh <= 0 {
		cfg.CatalogRefresh = time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Logger: cfg.Logger})
	}
	c := &Client{cfg: cfg, http: hc, clock: cfg.Clock, log: log}
	c.pace = &pacer{clock: cfg.Clock, hourly: cfg.HourlyBudget, daily: cfg.DailyBudget, stock: cfg.StockBudget, maxWait: cfg.MaxPaceWait}
	c.auth = newTokens(c)
	return c, nil
}

// Token returns the token pair the client holds now, for the host to persist at shutdown.
func (c *Client) Token() Token { return c.auth.current() }

// apiError is BASE's error body.
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// readError reads BASE's error body, if body is one.
func readError(body []byte) (apiError, bool) {
	var e apiError
	if !bytes.Contains(body, []byte(`"error"`)) || json.Unmarshal(body, &e) != nil || e.Error == "" {
		return apiError{}, false
	}
	return e, true
}

// callKind says how a call is paced and what a lost answer means.
type callKind int

const (
	kindRead callKind = iota
	kindWrite
	kindStock // a write paced by the stock budget
)

// call sends one API request and decodes a successful answer into out. query is sent as the
// query string of a GET, form as the body of a POST. A call refused for an invalid access
// token is sent once more after a refresh.
func (c *Client) call(ctx context.Context, kind callKind, method, path string, params url.Values, out any) error {
	op := strings.TrimPrefix(path, "/1/")
	if i := strings.Index(op, "/detail/"); i >= 0 {
		op = op[:i+len("/detail")]
	}
	for attempt := 0; ; attempt++ {
		if err := c.pace.acquire(ctx, kind == kindStock); err != nil {
			return fmt.Errorf("base: %s: %w", op, err)
		}
		access, err := c.auth.token(ctx)
		if err != nil {
			return fmt.Errorf("base: %s: %w", op, err)
		}
		req := &httpclient.Request{Method: method, URL: c.cfg.BaseURL + path, Key: c.cfg.Shop,
			Header: http.Header{"Authorization": {"Bearer " + access}},
			// A read the HTTP layer repeats after a 5xx is one more call against BASE's limits.
			BeforeAttempt: func(_ context.Context, attempt int) error {
				if attempt > 0 {
					c.pace.note(kind == kindStock)
				}
				return nil
			}}
		if method == http.MethodGet {
			if len(params) > 0 {
				req.URL += "?" + params.Encode()
			}
		} else {
			req.Body = []byte(params.Encode())
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.http.Do(ctx, req)
		var body []byte
		if err == nil {
			body = resp.Body
		} else {
			var se *httpclient.StatusError
			if !errors.As(err, &se) {
				c.log.DebugContext(ctx, "base request failed", "shop", c.cfg.Shop, "op", op, "error", httpclient.Redact(err.Error()))
				return fmt.Errorf("base: %s: %w", op, err)
			}
			body = se.Body
		}
		// BASE answers errors with 400 and {"error", "error_description"}; some arrive with 200.
		if e, ok := readError(body); ok {
			if e.isTokenInvalid() && attempt == 0 {
				c.auth.invalidate(access)
				continue
			}
			return fmt.Errorf("base: %s: %w", op, c.mapError(ctx, kind, e))
		}
		if err != nil {
			return fmt.Errorf("base: %s: %w", op, err)
		}
		if out == nil {
			return nil
		}
		if derr := httpclient.Decode(body, out, httpclient.DecodeOptions{}); derr != nil {
			if kind != kindRead {
				// The write may have been applied; only its answer is unreadable.
				return fmt.Errorf("base: %s: unreadable answer (%v): %w", op, derr, connector.ErrOutcomeUnknown)
			}
			return fmt.Errorf("base: %s: unreadable answer (%v): %w", op, derr, connector.ErrTemporary)
		}
		return nil
	}
}

func (e apiError) isTokenInvalid() bool {
	return e.Error == "invalid_request" && strings.Contains(e.Description, "アクセストークン")
}

// mapError turns BASE's error code into a connector error. Descriptions are not included: they
// are fixed Japanese sentences today, but an error must never carry what a platform echoes.
func (c *Client) mapError(ctx context.Context, kind callKind, e apiError) error {
	code := httpclient.Redact(e.Error)
	switch e.Error {
	case "hour_api_limit":
		wait := c.pace.exhausted(false)
		c.log.WarnContext(ctx, "base: hourly API limit reached", "shop", c.cfg.Shop, "wait", wait)
		return &connector.RateLimitError{Wait: wait, Reason: "hour_api_limit"}
	case "day_api_limit":
		wait := c.pace.exhausted(true)
		c.log.WarnContext(ctx, "base: daily API limit reached", "shop", c.cfg.Shop, "wait", wait)
		return &connector.RateLimitError{Wait: wait, Reason: "day_api_limit"}
	case "invalid_request", "invalid_scope", "access_denied", "unauthorized_client", "invalid_grant":
		if e.Error == "invalid_request" && !e.isTokenInvalid() {
			return fmt.Errorf("%s: %w", code, connector.ErrPermanent)
		}
		return fmt.Errorf("%s: %w", code, connector.ErrUnauthorized)
	case "no_order", "no_unique_key", "bad_item_id", "bad_variation_id":
		return fmt.Errorf("%s: %w", code, connector.ErrNotFound)
	case "db_error", "server_error":
		if kind != kindRead {
			return fmt.Errorf("%s: %w", code, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("%s: %w", code, connector.ErrTemporary)
	}
	return fmt.Errorf("%s: %w", code, connector.ErrPermanent)
}
