// Package amazon connects Tobira to one Amazon seller account in one marketplace through the
// Selling Partner API (SP-API), for merchant-fulfilled (MFN) orders. Japan (marketplace
// A1VC38T7YXB528 on the Far East endpoint) is the default.
//
// One Client plays three roles:
//
//   - connector.OrderSource: ListOrders pages through Orders v0 getOrders by LastUpdatedAfter
//     and LastUpdatedBefore, following NextToken, and reads each order's items with
//     getOrderItems. Orders fulfilled by Amazon (AFN) are not the warehouse's: they are filtered
//     out by the query (FulfillmentChannels=MFN), and one that still arrives is skipped and
//     logged with that reason. Pending orders (payment not authorised, no address yet) are not
//     listed; they are listed once Amazon moves them on, which updates them.
//   - connector.ShipmentSink (and PartialShipper): ConfirmShipment sends one confirmShipment per
//     package, with the items and quantities that shipped in it.
//   - connector.StockTarget (and StockReader): SetStock sets fulfillment_availability through
//     patchListingsItem for a few SKUs and through a JSON_LISTINGS_FEED for many; ReadStock
//     reads it back with getListingsItem and searchListingsItems.
//
// Notifications (ORDER_CHANGE) arrive through Amazon SQS or EventBridge, which this module does
// not import: Notifications is an adapter the host's own queue consumer hands each message body
// to; it drops duplicates by NotificationId and re-reads the order.
//
// # Why Orders v0 and not 2026-01-01 searchOrders
//
// searchOrders embeds the items, saving getOrderItems, but its usage plan is a third of
// getOrders' (0.0056 against 0.0167 requests per second). A poll costs getOrders one call per
// page plus one getOrderItems per order (0.5/s, burst 30); searchOrders one call per page. For
// the usual poll of a Japanese 3PL's merchant, every minute or few with a handful of orders,
// getOrders is three times cheaper in the scarcest budget; searchOrders only wins for pages of
// more than about 60 orders, which a catch-up after an outage reaches but steady polling does
// not (there, a page of 100 new orders needs 70 getOrderItems calls beyond their burst of 30,
// 140 seconds the client waits out). The v0 model also carries what the warehouse needs
// (BuyerRequestedCancel, ScheduledDelivery*, PaymentMethod), and confirmShipment, which
// 2026-01-01 lacks, is v0. The 2026-01-01 getOrder is used only to read back confirmed
// packages (includedData=PACKAGES).
//
// A page cursor holds Amazon's NextToken and its window; should Amazon refuse the token (the
// model does not say how long one lives), the window is listed again from its start: orders
// come twice, none is skipped.
//
// # Limits it respects
//
// Every operation is paced by its own token bucket sized from the models' usage plans
// (getOrders 0.0167/s burst 20, getOrderItems 0.5/s burst 30, confirmShipment 2/s burst 10,
// patchListingsItem 5/s burst 5, createFeed 0.0083/s burst 15, …), adjusted to the rate Amazon
// states in x-amzn-RateLimit-Limit when it sends one. A 429 is returned at once as a
// *connector.RateLimitError (Retry-After when present, otherwise the time the operation's
// bucket needs for one request). getOrders never asks for updates less than two minutes old,
// as the model requires: the engine's default overlap (5 minutes) lists them on the next run;
// a host that shortens it must keep Settle plus Overlap above two minutes.
//
// Login with Amazon access tokens (one hour) are refreshed a minute before they expire, once
// however many calls need one at the same time; an answer saying the token expired drops it and
// the call is sent once more with a new one (it never ran). Restricted data tokens, which alone
// reveal the recipient's name, address lines and phone, are requested only for the listing and
// the re-reading of orders (data element shippingAddress; buyerInfo, the buyer's e-mail and
// name, is never asked for: the warehouse ships to the recipient), cached until they expire,
// and never for anything else.
//
// # Policies where the platform cannot express something
//
//   - Idempotency: SP-API takes no idempotency keys. confirmShipment is made safe to repeat by a
//     packageReferenceId derived from the shipment's ID and the parcel: Amazon refuses a
//     reference it already has, and the refusal is checked against the order's packages
//     (2026-01-01 getOrder, PACKAGES); a package already there is success. Stock writes are
//     absolute quantities, so sending one again after a lost answer sets the same value
//     (StockUpdate.Key has nowhere to go, and no answer is ever taken from an earlier call); a
//     feed whose outcome is unknown is remembered, and a later write of one of its SKUs first
//     waits for it to finish, so an old feed never lands after a newer value.
//   - A shipment with several parcels is confirmed as one package per parcel when it has as
//     many parcels as lines (parcel i carries line i); otherwise as one package with every
//     line under the first parcel's tracking number (the others are logged), since Amazon
//     needs each package's items and the warehouse did not say.
//   - Carriers: shipment.Carrier maps to Amazon's carrier codes (CarrierCodes, overridable in
//     Config); any other carrier is sent as "Other" with its name.
//   - Amazon hides a cancelled order's address: the connector gives it a placeholder recipient
//     (CancelledRecipient) so that the cancellation passes validation and reaches the warehouse.
//   - A buyer's cancellation request (BuyerRequestedCancel on an item) marks the item's unshipped
//     quantity as cancelled, so the warehouse is asked to cancel it and answers; an order whose
//     every item is requested is listed as cancelled.
//   - Stock: SKUs the processing report or the patch refuses get a permanent error carrying
//     Amazon's message, the others are recorded. The product type sent with every patch is
//     Config.ProductType.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (LWA refused the refresh token or
// client, Amazon refused the access), connector.ErrPermanent (an invalid request, with Amazon's
// message), connector.ErrNotFound (an unknown order or SKU), connector.ErrTemporary,
// connector.ErrOutcomeUnknown (a write, a feed included, whose answer was lost) and
// *connector.RateLimitError. No error or log line contains tokens, secrets, names, addresses or
// phone numbers.
package amazon

import (
	"context"
	"encoding/json"
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
	"github.com/tobira-commerce/tobira/shipment"
)

// Endpoints and identifiers.
const (
	// FarEast is the SP-API endpoint for Japan, Australia and Singapore.
	FarEast = "https://sellingpartnerapi-fe.amazon.com"
	// TokenURL is Login with Amazon's token endpoint.
	TokenURL = "https://api.amazon.com/auth/o2/token"
	// Japan is the Japan marketplace's ID.
	Japan = "A1VC38T7YXB528"
)

// plan is an operation's usage plan: requests per second and burst.
type plan struct {
	rate  float64
	burst int
}

// usagePlans are the default usage plans the models state for the operations the client uses.
var usagePlans = map[string]plan{
	"getOrders": {0.0167, 20}, "getOrder": {0.5, 30}, "getOrderItems": {0.5, 30},
	"confirmShipment": {2, 10}, "getOrder2026": {0.5, 30},
	"createRestrictedDataToken": {1, 10},
	"patchListingsItem":         {5, 5}, "getListingsItem": {5, 10}, "searchListingsItems": {5, 5},
	"createFeedDocument": {0.5, 15}, "createFeed": {0.0083, 15}, "getFeed": {2, 15}, "getFeedDocument": {0.0222, 10},
}

// UsagePlan returns the default usage plan of an SP-API operation the client uses, as the
// models state it.
func UsagePlan(operation string) (perSecond float64, burst int, ok bool) {
	p, ok := usagePlans[operation]
	return p.rate, p.burst, ok
}

// CarrierCodes are the carrier codes sent for carriers on Amazon's carrier list; others go as
// "Other" with their name (carrierName). The model only says carrierCode is a string; the codes
// are Amazon's CarrierCode list (amzn-base.xsd) as a public client carries it (YAMATO, SAGAWA,
// NITTSU, FEDEX_JP, … — one source only, so Config.CarrierCodes can correct them). Japan Post
// has no code there and goes as Other, 日本郵便.
var CarrierCodes = map[shipment.Carrier]string{
	shipment.Yamato: "YAMATO", shipment.Sagawa: "SAGAWA",
	shipment.DHL: "DHL", shipment.FedEx: "FedEx", shipment.UPS: "UPS", shipment.USPS: "USPS",
}

// carrierNames name the carriers without an Amazon code, for carrierName.
var carrierNames = map[shipment.Carrier]string{
	shipment.JapanPost: "日本郵便", shipment.EMS: "日本郵便 EMS",
	shipment.Seino: "西濃運輸", shipment.Fukuyama: "福山通運", shipment.Ecohai: "エコ配",
}

// Config configures a Client.
type Config struct {
	// SellerID is the seller's merchant token (Seller Central, "Merchant Token").
	SellerID string
	// MarketplaceID defaults to Japan.
	MarketplaceID string
	// ClientID, ClientSecret and RefreshToken are the LWA credentials of the seller's
	// authorisation of the application.
	ClientID, ClientSecret, RefreshToken string
	// Endpoint defaults to FarEast; TokenEndpoint to TokenURL. Tests point both at amazontest.
	Endpoint, TokenEndpoint string
	// HTTP is the shared HTTP client; nil makes one. The client paces each operation itself, so
	// the httpclient's own limiter is best left unlimited.
	HTTP *httpclient.Client
	// Logger receives debug records; nil logs nothing.
	Logger *slog.Logger
	// Now is the clock for the two-minute rule and token expiry; default time.Now.
	Now func() time.Time
	// RateScale multiplies every usage plan (tests against amazontest compress time with it);
	// default 1. Never set it against Amazon.
	RateScale float64
	// ColdStart starts every operation's bucket empty instead of full: after a restart the
	// client cannot know how much of Amazon's burst an earlier process spent.
	ColdStart bool
	// ProductType is sent with every listings patch; default "PRODUCT".
	ProductType string
	// PatchMax is the most updates SetStock sends through patchListingsItem; larger batches go
	// through a feed. Default 20.
	PatchMax int
	// FeedPoll is how long SetStock waits between getFeed calls while a feed is processed;
	// default 30 seconds.
	FeedPoll time.Duration
	// CarrierCodes overrides entries of the package's CarrierCodes.
	CarrierCodes map[shipment.Carrier]string
	// NotificationDedup is how many notification IDs Notifications remembers; default 10,000.
	NotificationDedup int
}

// Validate reports what is missing from c.
func (c *Config) Validate() error {
	var errs []error
	if c.SellerID == "" {
		errs = append(errs, errors.New("amazon: Config.SellerID is empty"))
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, errors.New("amazon: Config.ClientID or ClientSecret is empty"))
	}
	if c.RefreshToken == "" {
		errs = append(errs, errors.New("amazon: Config.RefreshToken is empty"))
	}
	if c.RateScale < 0 || c.PatchMax < 0 || c.FeedPoll < 0 {
		errs = append(errs, errors.New("amazon: Config.RateScale, PatchMax and FeedPoll must not be negative"))
	}
	return errors.Join(errs...)
}

// Client talks to one seller account in one marketplace. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *httpclient.Client
	log  *slog.Logger

	access tokenCache // the LWA access token

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	rdts     map[string]*tokenCache // restricted resource → its token
	pending  map[string]*pendingFeed
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
	if cfg.MarketplaceID == "" {
		cfg.MarketplaceID = Japan
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = FarEast
	}
	cfg.Endpoint = strings.TrimSuffix(cfg.Endpoint, "/")
	if cfg.TokenEndpoint == "" {
		cfg.TokenEndpoint = TokenURL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RateScale == 0 {
		cfg.RateScale = 1
	}
	if cfg.ProductType == "" {
		cfg.ProductType = "PRODUCT"
	}
	if cfg.PatchMax == 0 {
		cfg.PatchMax = 20
	}
	if cfg.FeedPoll == 0 {
		cfg.FeedPoll = 30 * time.Second
	}
	if cfg.NotificationDedup <= 0 {
		cfg.NotificationDedup = 10000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Logger: cfg.Logger, MaxBodyBytes: 64 << 20})
	}
	c := &Client{cfg: cfg, http: hc, log: log, limiters: map[string]*rate.Limiter{}, rdts: map[string]*tokenCache{},
		pending: map[string]*pendingFeed{}}
	c.access.fetch = c.fetchAccessToken
	return c, nil
}

// limiter returns the operation's token bucket.
func (c *Client) limiter(op string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.limiters[op]
	if l == nil {
		p, ok := usagePlans[op]
		if !ok {
			p = plan{1, 1}
		}
		l = rate.NewLimiter(rate.Limit(p.rate*c.cfg.RateScale), p.burst)
		if c.cfg.ColdStart {
			l.AllowN(time.Now(), p.burst)
		}
		c.limiters[op] = l
	}
	return l
}

// adopt sets the operation's rate to what Amazon stated in x-amzn-RateLimit-Limit.
func (c *Client) adopt(op string, h http.Header) {
	v := h.Get("x-amzn-RateLimit-Limit")
	if v == "" {
		return
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(r > 0) || r > 1e6 {
		return
	}
	if l := c.limiter(op); l.Limit() != rate.Limit(r) {
		l.SetLimit(rate.Limit(r))
	}
}

// ---- tokens ----

// tokenCache holds one token and refreshes it once however many callers need it at a time.
type tokenCache struct {
	fetch func(ctx context.Context) (string, time.Time, error)

	mu      sync.Mutex
	tok     string
	expires time.Time
	flight  *flight
}

type flight struct {
	done chan struct{}
	tok  string
	err  error
}

// get returns a token valid for at least another minute at now.
func (t *tokenCache) get(ctx context.Context, now time.Time) (string, error) {
	t.mu.Lock()
	if t.tok != "" && now.Add(time.Minute).Before(t.expires) {
		tok := t.tok
		t.mu.Unlock()
		return tok, nil
	}
	f := t.flight
	if f == nil {
		// The refresh runs on its own, so no caller's cancellation cuts it short for the others,
		// and every caller, the first included, stops waiting when its own context ends.
		f = &flight{done: make(chan struct{})}
		t.flight = f
		go func() {
			tok, exp, err := t.fetch(context.WithoutCancel(ctx))
			t.mu.Lock()
			f.tok, f.err = tok, err
			if err == nil {
				t.tok, t.expires = tok, exp
			}
			t.flight = nil
			t.mu.Unlock()
			close(f.done)
		}()
	}
	t.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// drop forgets tok if it is still the cached one (Amazon said it expired).
func (t *tokenCache) drop(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == tok {
		t.tok = ""
	}
}

// lwaAnswer is Login with Amazon's token answer, or its error.
type lwaAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Refresh     string `json:"refresh_token"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (c *Client) fetchAccessToken(ctx context.Context) (string, time.Time, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.cfg.RefreshToken},
		"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := c.http.Do(ctx, &httpclient.Request{Method: http.MethodPost, URL: c.cfg.TokenEndpoint, Key: c.cfg.SellerID + "/lwa",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=UTF-8"}}, Body: []byte(form.Encode()), Safe: true})
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests {
			var a lwaAnswer
			_ = json.Unmarshal(se.Body, &a)
			// invalid_grant, invalid_client, unauthorized_client: the host must renew the
			// authorisation. The error code is Amazon's vocabulary, safe to show.
			return "", time.Time{}, fmt.Errorf("amazon: Login with Amazon refused the refresh (%s): %w", safeCode(a.Error), connector.ErrUnauthorized)
		}
		return "", time.Time{}, fmt.Errorf("amazon: Login with Amazon: %w", err)
	}
	var a lwaAnswer
	if err := httpclient.Decode(resp.Body, &a, httpclient.DecodeOptions{}); err != nil || a.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("amazon: Login with Amazon: unreadable answer: %w", connector.ErrTemporary)
	}
	ttl := time.Duration(a.ExpiresIn) * time.Second
	if a.ExpiresIn <= 0 || ttl > 24*time.Hour {
		ttl = time.Hour
	}
	return a.AccessToken, c.cfg.Now().Add(ttl), nil
}

// safeCode keeps an error code to the characters codes use.
func safeCode(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// restricted names a restricted resource a call needs a restricted data token for.
type restricted struct {
	method, path string
	elements     []string
}

func (r restricted) key() string {
	return r.method + " " + r.path + " " + strings.Join(r.elements, ",")
}

// rdt returns a restricted data token for r, cached until it expires.
func (c *Client) rdt(ctx context.Context, r restricted) (string, error) {
	c.mu.Lock()
	t := c.rdts[r.key()]
	if t == nil {
		t = &tokenCache{fetch: func(ctx context.Context) (string, time.Time, error) { return c.fetchRDT(ctx, r) }}
		c.rdts[r.key()] = t
	}
	c.mu.Unlock()
	return t.get(ctx, c.cfg.Now())
}

func (c *Client) fetchRDT(ctx context.Context, r restricted) (string, time.Time, error) {
	body := map[string]any{"restrictedResources": []map[string]any{{"method": r.method, "path": r.path, "dataElements": r.elements}}}
	var out struct {
		Token     string `json:"restrictedDataToken"`
		ExpiresIn int    `json:"expiresIn"`
	}
	if _, err := c.do(ctx, call{op: "createRestrictedDataToken", method: http.MethodPost, path: "/tokens/2021-03-01/restrictedDataToken", body: body, safe: true}, &out); err != nil {
		return "", time.Time{}, err
	}
	if out.Token == "" {
		return "", time.Time{}, fmt.Errorf("amazon: createRestrictedDataToken: no token in the answer: %w", connector.ErrTemporary)
	}
	ttl := time.Duration(out.ExpiresIn) * time.Second
	if out.ExpiresIn <= 0 || ttl > 24*time.Hour {
		ttl = time.Hour
	}
	return out.Token, c.cfg.Now().Add(ttl), nil
}

// ---- calls ----

// call is one SP-API request.
type call struct {
	op, method, path string
	query            url.Values
	body             any
	// rdt, when set, is the restricted resource whose token the call is made with.
	rdt *restricted
	// safe marks a POST without side effects (a token request), retried like a GET.
	safe bool
}

// apiErrors is SP-API's error body.
type apiErrors struct {
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
	} `json:"errors"`
}

// do sends cl and decodes a 2xx body into out (when not nil and the body is not empty).
func (c *Client) do(ctx context.Context, cl call, out any) (*httpclient.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var body []byte
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return nil, fmt.Errorf("amazon: %s: %w", cl.op, connector.ErrPermanent)
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		tok, cache, err := c.token(ctx, cl)
		if err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, cl, tok, body)
		if err == nil {
			c.adopt(cl.op, resp.Header)
			if out != nil && len(resp.Body) > 0 {
				if derr := httpclient.Decode(resp.Body, out, httpclient.DecodeOptions{}); derr != nil {
					// An unreadable answer is the transport's fault, not the request's: the same
					// request may well succeed again, so the decode error (which would match
					// ErrPermanent) is reported, not wrapped.
					if cl.method != http.MethodGet && !cl.safe {
						return nil, fmt.Errorf("amazon: %s: unreadable answer (%v): %w", cl.op, derr, connector.ErrOutcomeUnknown)
					}
					return nil, fmt.Errorf("amazon: %s: unreadable answer (%v): %w", cl.op, derr, connector.ErrTemporary)
				}
			}
			return resp, nil
		}
		var se *httpclient.StatusError
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("amazon: %s: %w", cl.op, err)
		}
		c.adopt(cl.op, se.Header)
		var ae apiErrors
		_ = json.Unmarshal(se.Body, &ae)
		code, msg := "", ""
		if len(ae.Errors) > 0 {
			code, msg = safeCode(ae.Errors[0].Code), ae.Errors[0].Message
		}
		switch {
		case se.Status == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "expired") && attempt == 0:
			// The request was refused before it ran: get a new token and send it once more.
			cache.drop(tok)
			continue
		case errors.Is(err, connector.ErrTemporary) && isRateLimit(err):
			var rl *connector.RateLimitError
			errors.As(err, &rl)
			wait := rl.Wait
			if wait <= 0 {
				wait = c.refillWait(cl.op)
			}
			return nil, fmt.Errorf("amazon: %s: %w", cl.op, &connector.RateLimitError{Wait: wait, Reason: rl.Reason})
		}
		c.log.DebugContext(ctx, "amazon request failed", "op", cl.op, "status", se.Status, "code", code)
		if msg != "" {
			return nil, fmt.Errorf("amazon: %s: %s: %s: %w", cl.op, code, httpclient.Redact(truncate(msg, 300)), err)
		}
		return nil, fmt.Errorf("amazon: %s: %w", cl.op, err)
	}
}

// statusOf returns the HTTP status of an error do returned, or 0.
func statusOf(err error) int {
	var se *httpclient.StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

func isRateLimit(err error) bool {
	var rl *connector.RateLimitError
	return errors.As(err, &rl)
}

// refillWait is how long the operation's bucket needs for one request.
func (c *Client) refillWait(op string) time.Duration {
	r := float64(c.limiter(op).Limit())
	if !(r > 0) || r > 1e9 {
		return time.Second
	}
	return time.Duration(float64(time.Second) / r)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// token returns the token cl is sent with and the cache it came from.
func (c *Client) token(ctx context.Context, cl call) (string, *tokenCache, error) {
	if cl.rdt != nil {
		tok, err := c.rdt(ctx, *cl.rdt)
		c.mu.Lock()
		t := c.rdts[cl.rdt.key()]
		c.mu.Unlock()
		return tok, t, err
	}
	tok, err := c.access.get(ctx, c.cfg.Now())
	return tok, &c.access, err
}

func (c *Client) send(ctx context.Context, cl call, tok string, body []byte) (*httpclient.Response, error) {
	u := c.cfg.Endpoint + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	h := http.Header{"X-Amz-Access-Token": {tok}, "Accept": {"application/json"}, "User-Agent": {"tobira-amazon/1.0 (Language=Go)"}}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	lim := c.limiter(cl.op)
	return c.http.Do(ctx, &httpclient.Request{Method: cl.method, URL: u, Header: h, Body: body, Key: c.cfg.SellerID + "/" + cl.op,
		Safe: cl.safe, BeforeAttempt: func(ctx context.Context, _ int) error { return lim.Wait(ctx) }})
}
