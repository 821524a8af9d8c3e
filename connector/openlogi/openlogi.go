// Package openlogi connects Tobira to OPENLOGI (オープンロジ), a Japanese fulfillment service, through
// its REST API v1.5 (https://api.openlogi.com/api, headers Authorization: Bearer and
// X-Api-Version: 1.5). A cart plugin or a merchant's app uses it to send its orders to the
// warehouse and to bring tracking numbers and stock back.
//
// One Client serves one OPENLOGI account (one access token, one account code) in the three
// warehouse roles:
//
//   - connector.Fulfiller: Submit creates a shipment request (POST /shipments) whose identifier
//     is derived from the request key (Identifier), with the delivery date and time slot
//     (delivery_date, delivery_time_slot AM/12/14/16/18/19), the carrier, cash on delivery, gift
//     wrapping and のし; Change and Cancel read the shipment's status first, then update (PUT)
//     or delete it while the warehouse has not started, and refuse once it has (or send a
//     modify / cancel request, with Config.RequestAfterPicking).
//   - connector.ShipmentSource: ListShipments walks the shipped lists day by day
//     (GET /shipments/shipped/{year}/{month}/{day}, Japan time) with their tracking_codes.
//   - connector.StockSource: ListStock reads the available quantity of the account's items
//     (GET /items?id=…&stock=1) with the time it was read.
//
// # Limits
//
// OPENLOGI allows 60 requests a minute per token and answers 429 beyond. The client paces itself
// below that (Config.RequestsPerMinute) and returns a 429 that still happens as a
// *connector.RateLimitError after that one request. Every request is timed out and its answer
// capped by the shared connector/httpclient.
//
// # Policies where OPENLOGI cannot express something
//
//   - Idempotency. OPENLOGI has no idempotency key; a shipment's identifier is unique per account,
//     so a second POST with the same identifier is refused (422) and Submit reads the shipment
//     back instead. OPENLOGI warns that a 5xx or a lost answer after a POST may still have
//     created the shipment: such a Submit returns connector.ErrOutcomeUnknown, and the next
//     Submit of that key reads the shipment back by identifier (GET
//     /shipments/{account_id}/{identifier}) before it posts anything, so it is never sent twice.
//     PUT, modify and cancel are made safe to repeat the same way: the shipment is read before
//     any write, a change it already carries is accepted without a call, and each change's
//     idempotency key and its answer are remembered (the last Config.Remember of them, in
//     memory), so a late repeat never undoes a later change. A process that restarts while a
//     modify request waits finds it by the shipment's status and does not send it again (one that
//     restarts after the staff refused it asks once more).
//   - Changes after work started. PUT is allowed while the shipment waits (backordered,
//     allocating, waiting, suspended). From picking on, OPENLOGI takes a change or a cancellation
//     only as a request its staff may refuse, for a fee. By default the client refuses such a
//     change at once (connector.RefusedPicked, or connector.RefusedShipped once shipped), so the
//     host tells the merchant, who may ask OPENLOGI in person. With Config.RequestAfterPicking
//     it sends the request (POST …/modify or …/cancel) instead; while the shipment shows
//     modify_request or cancel_request it answers with an error matching ErrPending
//     (retryable: the engine asks again later with the same key), and once the staff decide it
//     answers accepted (the shipment carries the change, or is gone) or refused. The engine
//     ends a channel's delivery run at a retryable error, so while a request waits for the
//     staff the channel's later orders wait too: that is why it is not the default.
//   - のし. OPENLOGI has no のし field: by default the のし instruction and the gift message go
//     into the delivery note message (message, 500 characters), where the staff read them;
//     Config.Noshi = NoshiRefuse refuses such orders (connector.ErrPermanent) instead.
//   - Carriers. OPENLOGI takes YAMATO or SAGAWA (Config.Carrier); the 12–14 slot exists only at
//     Sagawa, so an order asking for it goes to Sagawa when no carrier is set. Slots OPENLOGI
//     lacks map to the nearest one inside the buyer's window (18–21 → 18, 20–21 → 19).
//   - Holds. Config.SubmitSuspended creates every shipment suspended (suspend: true); Hold and
//     Release set and clear it while the warehouse has not started.
//   - Channels. A shipment comes back with its identifier and order number only, so a Client
//     serves the orders of one channel (Config.Channel); order_no carries the channel's order ID.
//   - Stock. OPENLOGI has no change feed for stock, so every ListStock is a whole snapshot of the
//     items Config.Items names, read 100 at a time, in one page. OnHand is OPENLOGI's available
//     quantity (quantity less what is allocated to shipment requests) plus what the engine's
//     own open requests hold allocated, since the engine reserves those units itself until they
//     ship; or the physical quantity with Config.PhysicalStock.
//
// # Stability
//
// Config may gain fields whose zero value keeps today's behaviour. Hold and Release may change.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (401, 403: a bad or deleted token,
// 402 payment required), connector.ErrPermanent (400, 422, an order OPENLOGI cannot take),
// connector.ErrNotFound (changing a request never submitted), connector.ErrTemporary (5xx of a
// read, broken connections), connector.ErrOutcomeUnknown (a POST, PUT or DELETE answered 5xx
// or not at all), ErrPending (a modify or cancel request the warehouse has not decided yet,
// also matching connector.ErrTemporary) and *connector.RateLimitError (429). No error or log
// line contains the token, names, addresses, phone numbers or e-mail addresses.
package openlogi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/shipment"
)

// APIVersion is the version every request names in X-Api-Version.
const APIVersion = "1.5"

// DefaultBaseURL is OPENLOGI's production API; the demo environment is
// https://api-demo.openlogi.com/api.
const DefaultBaseURL = "https://api.openlogi.com/api"

// ErrPending says the warehouse holds a modify or cancel request it has not decided yet. It
// matches connector.ErrTemporary: the engine asks again later with the same idempotency key,
// and the client answers from the shipment's status then.
var ErrPending = fmt.Errorf("openlogi: the warehouse has not decided the request yet: %w", connector.ErrTemporary)

// NoshiPolicy says what Submit does with an order that asks for のし.
type NoshiPolicy int

// The のし policies.
const (
	// NoshiInMessage writes the のし instruction into the delivery note message.
	NoshiInMessage NoshiPolicy = iota
	// NoshiRefuse refuses the order with connector.ErrPermanent.
	NoshiRefuse
)

// Clock is the client's time source (stock AsOf, the day the shipment listing reaches).
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Config configures a Client. AccountID, Token and Channel are required.
type Config struct {
	// BaseURL defaults to DefaultBaseURL; tests point it at openlogitest.
	BaseURL string
	// Token is the API access token (Authorization: Bearer).
	Token string
	// AccountID is the account code (アカウントコード, the prefix of shipment IDs such as "TS001"),
	// which the identifier-keyed endpoints name.
	AccountID string
	// Channel is the channel whose orders this account ships: shipments are reported for it.
	Channel string
	// Items lists the OPENLOGI item IDs (商品ID, "TS001-I000001") whose stock ListStock reports.
	Items func(ctx context.Context) ([]string, error)
	// PhysicalStock reports stock.quantity as OnHand, instead of stock.available plus the
	// engine's own allocations (see ListStock).
	PhysicalStock bool
	// Owned reports whether a shipment request, by its identifier, is one the engine sent and
	// reserves stock for. The default recognizes the engine's request keys (sync.RequestKey,
	// which begin "tb1-").
	Owned func(identifier string) bool
	// Carrier is the carrier every shipment asks for: shipment.Yamato, shipment.Sagawa, or "" to
	// let OPENLOGI choose.
	Carrier shipment.Carrier
	// Warehouse is the warehouse code to ship from; "" is the account's standard warehouse.
	Warehouse string
	// GiftWrapping is the wrapping colour of gift orders, "NAVY" (default) or "RED".
	GiftWrapping string
	// Noshi is the のし policy; the zero value writes it into the delivery note message.
	Noshi NoshiPolicy
	// SubmitSuspended creates every shipment on hold (suspend: true), for a merchant who
	// releases them in OPENLOGI's portal or with Release.
	SubmitSuspended bool
	// Backorder lets OPENLOGI take a shipment whose stock is short (backorder_if_unavailable);
	// without it such a shipment is refused (connector.ErrPermanent).
	Backorder bool
	// RequestAfterPicking sends modify and cancel requests (which cost fees and may be refused)
	// once the warehouse started work, instead of refusing such changes at once; see the
	// package doc for what it means to the engine while the staff decide.
	RequestAfterPicking bool
	// ShipmentPageSize is the most shipments one ListShipments page holds; default 100.
	ShipmentPageSize int
	// Since is where a listing from the empty cursor starts; default 7 days before now.
	Since time.Duration
	// RequestsPerMinute paces the client; default 60, OPENLOGI's limit.
	RequestsPerMinute int
	// Remember is how many change and cancel idempotency keys the client remembers; default
	// 10,000.
	Remember int
	// HTTP is the HTTP layer; nil makes one paced at RequestsPerMinute. One the host builds
	// should set Throttle: Throttled, so a 429 without Retry-After still carries a wait.
	HTTP *httpclient.Client
	// Logger receives debug records, redacted; nil logs nothing.
	Logger *slog.Logger
	// Clock defaults to the real clock.
	Clock Clock
}

// Validate reports what is missing or wrong in c.
func (c *Config) Validate() error {
	var errs []error
	if c.Token == "" {
		errs = append(errs, errors.New("openlogi: Config.Token is empty"))
	}
	if c.AccountID == "" {
		errs = append(errs, errors.New("openlogi: Config.AccountID is empty"))
	} else if strings.ContainsAny(c.AccountID, "/?#% ") {
		errs = append(errs, errors.New("openlogi: Config.AccountID holds a character a URL path cannot"))
	}
	if c.Channel == "" {
		errs = append(errs, errors.New("openlogi: Config.Channel is empty"))
	}
	switch c.Carrier {
	case "", shipment.Yamato, shipment.Sagawa:
	default:
		errs = append(errs, fmt.Errorf("openlogi: Config.Carrier %q: OPENLOGI takes yamato or sagawa", c.Carrier))
	}
	switch c.GiftWrapping {
	case "", "NAVY", "RED":
	default:
		errs = append(errs, fmt.Errorf("openlogi: Config.GiftWrapping %q: NAVY or RED", c.GiftWrapping))
	}
	if c.RequestsPerMinute < 0 || c.ShipmentPageSize < 0 || c.Remember < 0 || c.Since < 0 {
		errs = append(errs, errors.New("openlogi: negative Config value"))
	}
	return errors.Join(errs...)
}

// Client talks to one OPENLOGI account. It is safe for concurrent use.
type Client struct {
	cfg   Config
	http  *httpclient.Client
	clock Clock
	log   *slog.Logger

	mu        sync.Mutex
	unsure    map[string]bool             // identifiers whose POST may have landed
	answers   map[string]connector.Answer // change/cancel idempotency key → answer given
	requested map[string]bool             // idempotency keys whose modify/cancel request was sent
	order     []string                    // answers and requested keys, oldest first
	cancelled map[string]bool             // identifiers cancelled: a later Submit has no effect
	keyLocks  map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
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
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.GiftWrapping == "" {
		cfg.GiftWrapping = "NAVY"
	}
	if cfg.ShipmentPageSize == 0 {
		cfg.ShipmentPageSize = 100
	}
	if cfg.Since == 0 {
		cfg.Since = 7 * 24 * time.Hour
	}
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = 60
	}
	if cfg.Remember == 0 {
		cfg.Remember = 10000
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Owned == nil {
		cfg.Owned = func(id string) bool { return strings.HasPrefix(id, "tb1-") }
	}
	if cfg.Items == nil {
		cfg.Items = func(context.Context) ([]string, error) { return nil, nil }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		// One request per 60/N seconds with no burst keeps any minute at N at most, whatever
		// window OPENLOGI counts in.
		hc = httpclient.New(httpclient.Config{
			Rate: rate.Limit(float64(cfg.RequestsPerMinute) / 60), Burst: 1,
			Timeout: 30 * time.Second, MaxBodyBytes: 16 << 20, Throttle: Throttled, Logger: cfg.Logger,
		})
	}
	return &Client{
		cfg: cfg, http: hc, clock: cfg.Clock, log: log,
		unsure: map[string]bool{}, answers: map[string]connector.Answer{}, requested: map[string]bool{},
		cancelled: map[string]bool{}, keyLocks: map[string]*keyLock{},
	}, nil
}

// Identifier returns the OPENLOGI identifier (識別番号) of a request key: the key itself when it
// is a short run of letters, digits, '-', '_' and '.', as the engine's keys are; otherwise a
// digest of it, since identifiers are at most 100 characters and appear in URL paths.
func Identifier(key string) string {
	if len(key) > 0 && len(key) <= 100 && safeIdent(key) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "tk-" + hex.EncodeToString(sum[:24])
}

func safeIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// lockKey serializes the calls for one identifier in this process: concurrent Submits of one
// key (replicas, a retry racing its original) would otherwise each post.
func (c *Client) lockKey(id string) func() {
	c.mu.Lock()
	l := c.keyLocks[id]
	if l == nil {
		l = &keyLock{}
		c.keyLocks[id] = l
	}
	l.refs++
	c.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(c.keyLocks, id)
		}
		c.mu.Unlock()
	}
}

// remember records an idempotency key's answer (or that its request was sent), forgetting the
// oldest beyond Config.Remember.
func (c *Client) remember(key string, a *connector.Answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, had := c.answers[key]
	if !had && !c.requested[key] {
		c.order = append(c.order, key)
	}
	if a != nil {
		c.answers[key] = *a
	} else {
		c.requested[key] = true
	}
	c.trim()
}

// tombstone records that an identifier is cancelled, so that a Submit arriving later (a stale
// replica, a retry racing the cancellation) does not create it again.
func (c *Client) tombstone(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.cancelled[id] {
		c.cancelled[id] = true
		c.order = append(c.order, "\x00"+id)
	}
	c.trim()
}

// trim forgets the oldest answers and tombstones beyond Config.Remember. c.mu is held.
func (c *Client) trim() {
	for len(c.order) > c.cfg.Remember {
		old := c.order[0]
		c.order = c.order[1:]
		if id, ok := strings.CutPrefix(old, "\x00"); ok {
			delete(c.cancelled, id)
			continue
		}
		delete(c.answers, old)
		delete(c.requested, old)
	}
}

func (c *Client) recalled(key string) (connector.Answer, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	return a, ok, c.requested[key]
}

// apiError is OPENLOGI's error body.
type apiError struct {
	Error       string         `json:"error"`
	Description string         `json:"error_description"`
	Errors      map[string]any `json:"errors"`
}

// call sends one request. A write answered 5xx, or not at all after it was sent, is
// connector.ErrOutcomeUnknown: OPENLOGI says the server may go on and complete it.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, out any) error {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return fmt.Errorf("openlogi: encoding %s %s: %w", method, redactPath(path), connector.ErrPermanent)
		}
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.cfg.Token)
	h.Set("X-Api-Version", APIVersion)
	h.Set("Accept", "application/json")
	if data != nil {
		h.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(ctx, &httpclient.Request{Method: method, URL: u, Header: h, Body: data, Key: c.cfg.AccountID})
	if err != nil {
		return c.mapError(method, path, err)
	}
	if out == nil {
		return nil
	}
	if err := httpclient.Decode(resp.Body, out, httpclient.DecodeOptions{}); err != nil {
		if method != http.MethodGet {
			// The write landed (2xx) but its answer cannot be read: what it did is unknown.
			return fmt.Errorf("openlogi: %s %s: %w: %w", method, redactPath(path), connector.ErrOutcomeUnknown, err)
		}
		return fmt.Errorf("openlogi: %s %s: %w", method, redactPath(path), err)
	}
	return nil
}

// statusOf returns the HTTP status and OPENLOGI error code of a failed call, if it had an answer.
func statusOf(err error) (int, string) {
	status, code, _ := failure(err)
	return status, code
}

// failure returns the status, error code and the names of the fields a 422 found wrong (never
// their messages, which may quote values).
func failure(err error) (int, string, []string) {
	var se *httpclient.StatusError
	if !errors.As(err, &se) {
		return 0, "", nil
	}
	var body apiError
	_ = json.Unmarshal(se.Body, &body)
	var fields []string
	for k := range body.Errors {
		if f := sanitizeField(k); f != "" && len(fields) < 10 {
			fields = append(fields, f)
		}
	}
	slices.Sort(fields)
	return se.Status, body.Error, fields
}

// sanitizeField keeps a field path such as items.0.code.
func sanitizeField(s string) string {
	if len(s) > 60 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return ""
		}
	}
	return s
}

func (c *Client) mapError(method, path string, err error) error {
	where := method + " " + redactPath(path)
	status, code, fields := failure(err)
	if len(fields) > 0 {
		code = sanitize(code) + " (" + strings.Join(fields, ", ") + ")"
		return fmt.Errorf("openlogi: %s: %s: %w", where, code, err)
	}
	switch {
	case status == http.StatusPaymentRequired:
		return fmt.Errorf("openlogi: %s: payment required (%s): %w", where, code, connector.ErrUnauthorized)
	case status >= 500 && method != http.MethodGet:
		return fmt.Errorf("openlogi: %s: answered %d after the write was sent: %w", where, status, connector.ErrOutcomeUnknown)
	case status != 0 && code != "":
		return fmt.Errorf("openlogi: %s: %s: %w", where, sanitize(code), err)
	}
	return fmt.Errorf("openlogi: %w", err)
}

// redactPath keeps the endpoint's shape and drops identifiers, which may carry order numbers.
func redactPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		switch {
		case i < 2, s == "modify", s == "cancel", s == "shipped":
		default:
			parts[i] = "…"
		}
	}
	return strings.Join(parts, "/")
}

// sanitize keeps an OPENLOGI error code short and free of anything but the code itself.
func sanitize(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == ' ' || r == '.' {
			return r
		}
		return -1
	}, s)
}
