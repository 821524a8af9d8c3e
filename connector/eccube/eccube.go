// Package eccube connects Tobira to an EC-CUBE 4 shop through the Web API plugin (eccube-api4),
// whose GraphQL endpoint is https://<host>/api.
//
// One Client serves one shop in the three channel roles:
//
//   - connector.OrderSource: ListOrders lists orders by update time with the orders query
//     (update_datetime_start/update_datetime_end, page and limit).
//   - connector.ShipmentSink: ConfirmShipment marks the order's Shipping (出荷) shipped with
//     updateShipped, carrying the carrier's name and the tracking numbers.
//   - connector.StockTarget and StockReader: SetStock sets each SKU (商品コード, ProductClass.code)
//     with updateProductStock; ReadStock reads product classes back through the products query.
//
// The plugin has no mutation that changes an order's status other than updateShipped, so the
// client cannot mark an order 対応中 when the warehouse takes it (no connector.Acknowledger).
//
// WebhookHandler (connector.WebhookReceiver) takes the plugin's webhooks, verified by
// X-ECCUBE-Signature, and re-reads every order they name.
//
// # Authentication
//
// The plugin is an OAuth 2.0 server; its token endpoint is https://<host>/token. The client
// authenticates there with its client ID and secret (Config.ClientID, Config.ClientSecret) and
// keeps the bearer token until a minute before it expires (the plugin issues hour-long tokens).
// With Config.RefreshToken set, it uses the refresh_token grant, which is what a shop has after
// the authorization code flow in its admin screen (the only flow the plugin's admin screen
// offers); refresh tokens rotate, and Config.OnRefreshToken hears each new one so the host can
// keep it. Without one it uses the client_credentials grant, which the shop's OAuth2 server
// must enable. A refresh whose answer is lost leaves the shop holding a refresh token the client
// never saw: the next refresh then fails with connector.ErrUnauthorized, and the merchant
// authorizes the client again in the admin screen. Concurrent calls that find the token missing or expired wait for one token
// request; an API call answered 401 drops the token and is sent once more with a new one (a 401
// comes from the firewall, before anything runs).
//
// # Limits
//
// A self-hosted shop publishes no rate limit; Config.Rate (default 5 requests per second) keeps
// the client polite, and a 429 with Retry-After from the web server in front of the shop comes
// back as a *connector.RateLimitError after that one request. Every call is timed out and every
// answer capped by the shared connector/httpclient.
//
// # Policies
//
// The orders query pages by page number, newest update first, which shifts under a walker as
// orders change. ListOrders therefore walks a window from its oldest end: it counts the window,
// reads the last page (the oldest orders), and moves the window's lower bound past what it
// returned, so an order changed or placed during the walk is never skipped (a window longer
// than one page costs two requests per page). Orders updated within the same second are told
// apart by ID.
//
// An order with more than one Shipping (複数配送) is returned as a connector.Reject: the engine
// has one address per order, and guessing which goods go where would ship them wrong.
//
// The plugin has no idempotency keys. updateShipped refuses a Shipping already shipped, so
// ConfirmShipment reads the order first and treats a Shipping already shipped with the same
// tracking numbers as done (a repeated confirmation, or one whose answer was lost). Stock writes
// are absolute values, safe to repeat; StockUpdate.Key is therefore not sent (the platform has
// nowhere to put it), and every update is applied. The plugin has no compare-and-set, so
// StockUpdate.Compare is not honoured (ComparesStock is false).
//
// Japanese fields: the Shipping's お届け日 (shipping_delivery_date, read in Japan time) and
// お届け時間 (shipping_delivery_time, the shop's own label such as "午前中" or "14時～16時", mapped to
// order.TimeSlot; Config.TimeSlots overrides) become order.Order.Delivery; 代金引換 payments
// become cash on delivery. The plugin's schema has no のし or gift wrapping field, so
// order.Order.Gift stays nil; a shop that records them in a plugin's own fields needs that
// plugin's schema extension first.
//
// # Errors
//
// Methods return errors matching connector.ErrUnauthorized (bad client credentials, a revoked
// refresh token, a token without the write scope), connector.ErrPermanent (a request the plugin
// refuses: an unknown SKU, an order that cannot ship, a document the schema does not accept),
// connector.ErrNotFound (an unknown order), connector.ErrTemporary, connector.ErrOutcomeUnknown
// (a mutation whose answer was lost) and *connector.RateLimitError. SetStock reports failures per
// update. No error or log line contains the client secret, tokens, names, addresses, phone
// numbers or email addresses.
package eccube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
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

// Config configures a Client.
type Config struct {
	// BaseURL is the shop's URL, https://<host> (a shop under a path: https://<host>/<path>).
	// Plain http is refused except on a loopback address, for tests against eccubetest: the
	// plugin requires TLS, and the client secret travels in the token request.
	BaseURL string
	// ClientID and ClientSecret are the API client registered under 設定 → API管理 → OAuth管理.
	ClientID, ClientSecret string
	// RefreshToken, when set, is used to get access tokens (the refresh_token grant); without
	// it the client_credentials grant is used.
	RefreshToken string
	// OnRefreshToken is called with every new refresh token the shop issues (they rotate), so
	// the host can keep it for the next start. It must not block.
	OnRefreshToken func(refreshToken string)
	// WebhookSecret is the secret entered for the webhook in the admin screen; needed by
	// WebhookHandler.
	WebhookSecret string
	// HTTP is the shared HTTP client; nil makes one paced at Rate.
	HTTP *httpclient.Client
	// Rate is the most requests per second when HTTP is nil; default 5.
	Rate float64
	// Logger receives debug records; nil logs nothing.
	Logger *slog.Logger
	// PageSize is the most orders one page holds (default 50, the plugin's default limit).
	PageSize int
	// StockBatch is BatchLimit: how many updateProductStock fields one request carries
	// (default 20).
	StockBatch int
	// SendMail makes updateShipped send the shop's 出荷完了メール to the buyer.
	SendMail bool
	// CarrierNames overrides the name written to shipping_delivery_name (出荷業者) per carrier;
	// the defaults are the carriers' Japanese names (ヤマト運輸, 佐川急便, 日本郵便…).
	CarrierNames map[shipment.Carrier]string
	// TimeSlots maps the shop's delivery time labels (DeliveryTime.delivery_time) to slots,
	// before the built-in reading of labels such as "午前中" and "14時～16時".
	TimeSlots map[string]order.TimeSlot
	// WebhookMaxBody caps a webhook body (default 1 MiB).
	WebhookMaxBody int64
}

// Validate reports what is missing or unsafe in c.
func (c *Config) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("eccube: Config.BaseURL is empty"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" {
		errs = append(errs, errors.New("eccube: Config.BaseURL is not an absolute URL"))
	} else if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		errs = append(errs, errors.New("eccube: Config.BaseURL must be https (the plugin requires TLS; plain http only on a loopback address)"))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("eccube: Config.ClientID is empty"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("eccube: Config.ClientSecret is empty"))
	}
	return errors.Join(errs...)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client talks to one EC-CUBE shop. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	tokenURL string
	key      string
	http     *httpclient.Client
	log      *slog.Logger
	tokens   *tokenSource
}

var (
	_ connector.OrderSource     = (*Client)(nil)
	_ connector.ShipmentSink    = (*Client)(nil)
	_ connector.PartialShipper  = (*Client)(nil)
	_ connector.StockTarget     = (*Client)(nil)
	_ connector.StockReader     = (*Client)(nil)
	_ connector.ComparingTarget = (*Client)(nil)
	_ connector.WebhookReceiver = (*Client)(nil)
)

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.Rate <= 0 {
		cfg.Rate = 5
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.StockBatch <= 0 {
		cfg.StockBatch = 20
	}
	if cfg.WebhookMaxBody <= 0 {
		cfg.WebhookMaxBody = 1 << 20
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = httpclient.New(httpclient.Config{Rate: rate.Limit(cfg.Rate), Burst: max(1, int(cfg.Rate)), Logger: cfg.Logger})
	}
	u, _ := url.Parse(cfg.BaseURL)
	c := &Client{cfg: cfg, endpoint: cfg.BaseURL + "/api", tokenURL: cfg.BaseURL + "/token", key: u.Host, http: hc, log: log}
	c.tokens = &tokenSource{c: c, refresh: cfg.RefreshToken}
	return c, nil
}

// SupportsPartialShipments is false: updateShipped ships a whole Shipping, all its items.
func (c *Client) SupportsPartialShipments() bool { return false }

// ComparesStock is false: updateProductStock has no compare-and-set.
func (c *Client) ComparesStock() bool { return false }

// ---- OAuth2 ----

// tokenSource holds the access token and makes sure one token request serves every caller that
// needs a new one at the same time.
type tokenSource struct {
	c *Client

	mu       sync.Mutex
	token    string
	expires  time.Time
	refresh  string
	inflight *tokenCall
}

type tokenCall struct {
	done  chan struct{}
	token string
	err   error
}

// expirySlack renews a token this long before the shop would refuse it.
const expirySlack = time.Minute

func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	if t.token != "" && time.Now().Before(t.expires) {
		tok := t.token
		t.mu.Unlock()
		return tok, nil
	}
	call := t.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		t.inflight = call
		refresh := t.refresh
		t.mu.Unlock()
		// The request runs detached from the first caller's context so that its cancellation
		// does not fail every waiter; it is bounded by the HTTP client's timeout.
		go t.fetch(context.WithoutCancel(ctx), call, refresh)
	} else {
		t.mu.Unlock()
	}
	select {
	case <-call.done:
		return call.token, call.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (t *tokenSource) fetch(ctx context.Context, call *tokenCall, refresh string) {
	form := url.Values{"client_id": {t.c.cfg.ClientID}, "client_secret": {t.c.cfg.ClientSecret}}
	if refresh != "" {
		form.Set("grant_type", "refresh_token")
		form.Set("refresh_token", refresh)
	} else {
		form.Set("grant_type", "client_credentials")
	}
	ans, err := t.c.requestToken(ctx, form, refresh == "")
	t.mu.Lock()
	if err == nil {
		t.token = ans.AccessToken
		life := time.Duration(ans.ExpiresIn) * time.Second
		if life <= 0 || life > 24*time.Hour {
			life = time.Hour
		}
		t.expires = time.Now().Add(max(life-expirySlack, life/2))
		if ans.RefreshToken != "" {
			t.refresh = ans.RefreshToken
		}
	}
	t.inflight = nil
	t.mu.Unlock()
	if err == nil && ans.RefreshToken != "" && refresh != "" && t.c.cfg.OnRefreshToken != nil {
		t.c.cfg.OnRefreshToken(ans.RefreshToken)
	}
	call.token, call.err = ans.AccessToken, err
	close(call.done)
}

// drop forgets tok if it is still the current token, after the shop refused it.
func (t *tokenSource) drop(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == tok {
		t.token = ""
	}
}

type tokenAnswer struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (c *Client) requestToken(ctx context.Context, form url.Values, safe bool) (tokenAnswer, error) {
	var ans tokenAnswer
	resp, err := c.http.Do(ctx, &httpclient.Request{
		Method: http.MethodPost, URL: c.tokenURL, Key: c.key, Body: []byte(form.Encode()), Safe: safe,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}},
	})
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests {
			var oe oauthErr
			_ = json.Unmarshal(se.Body, &oe)
			switch oe.Error {
			case "unsupported_grant_type":
				return ans, fmt.Errorf("eccube: token: the shop does not accept this grant (client_credentials must be enabled in its OAuth2 server, or set Config.RefreshToken): %w", connector.ErrUnauthorized)
			case "invalid_client", "invalid_grant", "unauthorized_client", "invalid_scope", "access_denied":
				return ans, fmt.Errorf("eccube: token: %s: %w", oe.Error, connector.ErrUnauthorized)
			}
			return ans, fmt.Errorf("eccube: token: status %d: %w", se.Status, connector.ErrUnauthorized)
		}
		return ans, fmt.Errorf("eccube: token: %w", err)
	}
	if err := httpclient.Decode(resp.Body, &ans, httpclient.DecodeOptions{}); err != nil {
		return ans, fmt.Errorf("eccube: token: unreadable answer (%v): %w", err, connector.ErrTemporary)
	}
	if ans.AccessToken == "" || (ans.TokenType != "" && !strings.EqualFold(ans.TokenType, "Bearer")) {
		return ans, fmt.Errorf("eccube: token: the answer holds no bearer token: %w", connector.ErrTemporary)
	}
	return ans, nil
}

// ---- GraphQL ----

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Category string `json:"category"`
	} `json:"extensions"`
	Path []any `json:"path"`
}

type envelope struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// op is one GraphQL document the client sends.
type op struct {
	name     string
	query    string
	vars     map[string]any
	mutation bool
}

// call sends o and returns its envelope, errors included: a mutation of several fields reports
// per field. A 401 is answered once with a new token.
func (c *Client) call(ctx context.Context, o op) (*envelope, error) {
	body, err := json.Marshal(map[string]any{"query": o.query, "variables": o.vars, "operationName": o.name})
	if err != nil {
		return nil, fmt.Errorf("eccube: %s: %w", o.name, connector.ErrPermanent)
	}
	var resp *httpclient.Response
	for attempt := 0; ; attempt++ {
		tok, err := c.tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, err = c.http.Do(ctx, &httpclient.Request{
			Method: http.MethodPost, URL: c.endpoint, Key: c.key, Body: body, Safe: !o.mutation,
			Header: http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}},
		})
		var se *httpclient.StatusError
		if err != nil && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			c.tokens.drop(tok)
			if attempt == 0 {
				continue
			}
		}
		if err != nil {
			c.log.DebugContext(ctx, "eccube request failed", "op", o.name, "error", httpclient.Redact(err.Error()))
			return nil, fmt.Errorf("eccube: %s: %w", o.name, err)
		}
		break
	}
	var env envelope
	if err := httpclient.Decode(resp.Body, &env, httpclient.DecodeOptions{}); err != nil {
		// An unreadable answer is the transport's fault, not the request's.
		if o.mutation {
			return nil, fmt.Errorf("eccube: %s: unreadable answer (%v): %w", o.name, err, connector.ErrOutcomeUnknown)
		}
		return nil, fmt.Errorf("eccube: %s: unreadable answer (%v): %w", o.name, err, connector.ErrTemporary)
	}
	return &env, nil
}

// do sends o and decodes its data into out; any GraphQL error fails the call.
func (c *Client) do(ctx context.Context, o op, out any) error {
	env, err := c.call(ctx, o)
	if err != nil {
		return err
	}
	if len(env.Errors) > 0 {
		return c.graphqlError(o, env.Errors[0])
	}
	if out == nil {
		return nil
	}
	if err := httpclient.Decode(env.Data, out, httpclient.DecodeOptions{}); err != nil {
		if o.mutation {
			return fmt.Errorf("eccube: %s: unexpected answer (%v): %w", o.name, err, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("eccube: %s: %w", o.name, err)
	}
	return nil
}

// graphqlError maps one GraphQL error. The plugin's argument errors ("id: Already shipped;")
// name arguments, not values; they are redacted anyway.
func (c *Client) graphqlError(o op, e gqlError) error {
	msg := httpclient.Redact(e.Message)
	switch {
	case strings.HasPrefix(e.Message, "Insufficient permission"):
		return fmt.Errorf("eccube: %s: %s (the token lacks the scope; mutations need read and write): %w", o.name, msg, connector.ErrUnauthorized)
	case e.Extensions.Category == "internal" || e.Message == "Internal server error":
		if o.mutation {
			return fmt.Errorf("eccube: %s: %s: %w", o.name, msg, connector.ErrOutcomeUnknown)
		}
		return fmt.Errorf("eccube: %s: %s: %w", o.name, msg, connector.ErrTemporary)
	}
	return &ArgumentError{Op: o.name, Message: msg}
}

// ArgumentError is a GraphQL error the plugin answered: a document the schema refuses or an
// argument a resolver refuses ("id: Already shipped;"). It matches connector.ErrPermanent.
type ArgumentError struct {
	Op      string
	Message string
}

func (e *ArgumentError) Error() string { return "eccube: " + e.Op + ": " + e.Message }

// Unwrap makes the error match connector.ErrPermanent.
func (e *ArgumentError) Unwrap() error { return connector.ErrPermanent }

// atom is PHP's DATE_ATOM, the only form the plugin's DateTime scalar parses.
const atom = "2006-01-02T15:04:05-07:00"

// jst is Japan time, in which EC-CUBE shops keep delivery dates.
var jst = time.FixedZone("JST", 9*60*60)
