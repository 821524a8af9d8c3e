// Package woocommercetest is a fake WooCommerce shop for tests: an httptest TLS server speaking
// the WooCommerce REST API v3 (/wp-json/wc/v3) and the Shipment Tracking extension's routes
// (/wp-json/wc-shipment-tracking/v3), for the woocommerce connector and for hosts that embed it.
//
// # Sources
//
// WooCommerce publishes no machine-readable specification of REST v3 (the live site describes
// itself at GET /wp-json/wc/v3, which no project file keeps). The fake follows:
//
//   - WooCommerce's REST API reference, woocommerce/woocommerce-rest-api-docs,
//     source/includes/wp-api-v3/_introduction.md (pagination: page, per_page, offset, the
//     X-WP-Total and X-WP-TotalPages headers and the Link header; the error body {"code",
//     "message", "data": {"status"}} with rest_no_route as its example), _authentication.md,
//     _orders.md, _order-notes.md, _products.md, _product-variations.md, _webhooks.md, as quoted in
//     the project's research notes (research/channel-apis.md §6);
//   - WooCommerce's own source for the batch limit (woocommerce_rest_request_entity_too_large,
//     413, "Unable to accept more than 100 items for this request.");
//   - the Shipment Tracking extension's REST page as republished by its vendor and by zorem's
//     compatible AST plugin docs (route /wp-json/wc-shipment-tracking/v3/orders/<order_id>/
//     shipment-trackings; fields tracking_id, tracking_provider, custom_tracking_provider,
//     custom_tracking_link, tracking_link, tracking_number, date_shipped);
//   - public clients written by others, to cross-check field names: hiscaler/woocommerce-go
//     (entity/order.go: id, number, status, currency, date_created(_gmt), date_modified(_gmt),
//     customer_note, billing, shipping, payment_method, meta_data, line_items with id, name,
//     product_id, variation_id, quantity, sku, price; entity/product_variation.go: sku,
//     manage_stock, stock_quantity, stock_status), several webhook receivers reading
//     X-WC-Webhook-Signature, X-WC-Webhook-Topic and X-WC-Webhook-Delivery-ID, and TypeScript
//     clients and the docs' products table for the products listing's sku filter ("specific
//     SKU(s). Use commas to separate.") and type filter (simple, grouped, external, variable).
//
// Names confirmed in only one source, which the fake uses as that source says:
//
//   - error codes: woocommerce_rest_cannot_view, woocommerce_rest_cannot_create,
//     woocommerce_rest_cannot_edit, woocommerce_rest_authentication_error (with "Consumer key is
//     invalid." and "Consumer secret is invalid."), woocommerce_rest_shop_order_invalid_id,
//     woocommerce_rest_product_variation_invalid_id, rest_invalid_param, rest_invalid_json,
//     rest_missing_callback_param (WooCommerce's and WordPress's source);
//     woocommerce_rest_product_invalid_id also appears in a public fake written by others;
//   - shipping.phone (orders since WooCommerce 5.6; the research's copy of the docs has none);
//   - the per-item batch error shape {"id", "error": {"code", "message", "data"}};
//   - the products listing's include filter; variations listed only under their parent (the
//     fake's products listing leaves them out, and the connector accepts either);
//   - the extension's providers route .../shipment-trackings/providers (seen in one client).
//
// # What it models
//
// Orders move through WooCommerce's statuses (pending, processing, on-hold, completed,
// cancelled, refunded, failed, trash) as the shop and buyers act; every change stamps
// date_modified to the second. Listing filters by modified_after / modified_before (strict, as
// WordPress's date_query is) in the site's time zone or in UTC with dates_are_gmt, pages by page
// or offset with per_page 1 to 100 (rest_invalid_param beyond), and orders by date or id. Notes
// and, when the shop has the extension (Options.TrackingExtension), shipment trackings are kept
// per order. Products are simple or variable with variations, each with a SKU and a managed
// stock quantity; products/batch and products/<id>/variations/batch take at most 100 objects.
//
// Authentication is checked as WooCommerce does over HTTPS: HTTP Basic with the consumer key
// and secret, or the consumer_key and consumer_secret query parameters; a missing or wrong
// credential is 401 with WooCommerce's error body, and a read-only key may not write. The
// server speaks TLS only (httptest.NewTLSServer): WooCommerce takes Basic only over HTTPS, and
// a connector talks to the fake through Client or Transport, which trust its certificate.
//
// Faults: ThrottleNext answers the next request 429 with Retry-After (WooCommerce core has no
// rate limit; hosts and firewalls in front of it answer so, with their own bodies, here an HTML
// page); StallNext applies the next write and holds its answer until the client gives up;
// SetFaults injects 5xx answers, slow answers after the write, and truncated JSON at rates.
//
// # Stability
//
// The fake grows with the connector: new methods and Options fields may appear. Existing methods
// keep their meaning.
package woocommercetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths the fake serves.
const (
	// APIPrefix is where WooCommerce's REST API v3 lives.
	APIPrefix = "/wp-json/wc/v3"
	// TrackingPrefix is where the Shipment Tracking extension's routes live.
	TrackingPrefix = "/wp-json/wc-shipment-tracking/v3"
)

// BatchLimit is the most objects WooCommerce's batch endpoints take in one request.
const BatchLimit = 100

// MaxPerPage is the most items one page of a listing holds.
const MaxPerPage = 100

// Options configure a Server; every field has a default.
type Options struct {
	// ConsumerKey and ConsumerSecret are the REST API key the fake accepts; defaults
	// "ck_test" and "cs_test".
	ConsumerKey, ConsumerSecret string
	// ReadOnly makes the key a read key: writes are refused with 401.
	ReadOnly bool
	// WebhookSecret signs the webhooks Webhook builds; default "wc-webhook-secret".
	WebhookSecret string
	// TrackingExtension says the shop has the Shipment Tracking extension installed.
	TrackingExtension bool
	// Location is the site's time zone (WordPress's timezone_string); default Asia/Tokyo.
	Location *time.Location
	// Currency is the shop's currency; default JPY.
	Currency string
	// Now is the fake's clock; default time.Now.
	Now func() time.Time
	// Seed makes fault injection reproducible.
	Seed uint64
}

// Faults are failure rates (0 to 1) applied to each authenticated request.
type Faults struct {
	// ServerError answers 500, 502 or 503 without doing anything.
	ServerError float64
	// Timeout applies the request, then waits TimeoutDelay (or until the client gives up).
	Timeout      float64
	TimeoutDelay time.Duration
	// Malformed answers with a truncated JSON body, after applying the request.
	Malformed float64
}

// Stats count what the fake answered.
type Stats struct {
	Requests     int
	Unauthorized int
	Throttled    int
	Faults       int
	// Routes counts answered requests by "METHOD route" ("GET orders", "POST products/batch").
	Routes map[string]int
}

// Server is a fake WooCommerce shop. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu          sync.Mutex
	rnd         *rand.Rand
	faults      Faults
	stats       Stats
	seq         int64
	noteSeq     int64
	metaSeq     int64
	orders      map[int64]*fOrder
	products    map[int64]*fProduct
	tracking    bool
	throttleFor time.Duration
	stallWrite  bool
}

// New starts a fake shop. Close it when done.
func New(opts Options) *Server {
	if opts.ConsumerKey == "" {
		opts.ConsumerKey = "ck_test"
	}
	if opts.ConsumerSecret == "" {
		opts.ConsumerSecret = "cs_test"
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = "wc-webhook-secret"
	}
	if opts.Location == nil {
		loc, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			loc = time.FixedZone("JST", 9*3600)
		}
		opts.Location = loc
	}
	if opts.Currency == "" {
		opts.Currency = "JPY"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts: opts, rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x300c)),
		stats: Stats{Routes: map[string]int{}}, seq: 100,
		orders: map[int64]*fOrder{}, products: map[int64]*fProduct{}, tracking: opts.TrackingExtension,
	}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// NewTest starts a fake shop closed when the test ends.
func NewTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the site's base URL (https://127.0.0.1:port), to which /wp-json/... is appended.
func (s *Server) URL() string { return s.srv.URL }

// Client returns an HTTP client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Transport returns a transport that trusts the fake's certificate, for a connector's
// configuration.
func (s *Server) Transport() http.RoundTripper { return s.srv.Client().Transport }

// ConsumerKey returns the consumer key the fake accepts.
func (s *Server) ConsumerKey() string { return s.opts.ConsumerKey }

// ConsumerSecret returns the consumer secret the fake accepts.
func (s *Server) ConsumerSecret() string { return s.opts.ConsumerSecret }

// WebhookSecret returns the secret webhooks are signed with.
func (s *Server) WebhookSecret() string { return s.opts.WebhookSecret }

// Location returns the site's time zone.
func (s *Server) Location() *time.Location { return s.opts.Location }

// SetTrackingExtension installs (true) or removes the Shipment Tracking extension.
func (s *Server) SetTrackingExtension(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracking = on
}

// SetFaults replaces the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ThrottleNext makes the fake answer its next request 429 with Retry-After: wait (rounded up to
// whole seconds, as the header carries).
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleFor = max(wait, time.Second)
}

// StallNext makes the fake apply its next write (any method but GET) and then hold the answer
// back until the client abandons the request.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallWrite = true
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Routes = make(map[string]int, len(s.stats.Routes))
	for k, v := range s.stats.Routes {
		st.Routes[k] = v
	}
	return st
}

// wcError is WooCommerce's (and WordPress's) error body.
type wcError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func errBody(status int, code, msg string) wcError {
	return wcError{Code: code, Message: msg, Data: map[string]any{"status": status}}
}

// answer is what a route handler produces.
type answer struct {
	status int
	body   any
	header http.Header
}

func errAnswer(status int, code, msg string) answer {
	return answer{status: status, body: errBody(status, code, msg)}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	throttle := s.throttleFor
	s.throttleFor = 0
	s.mu.Unlock()
	if throttle > 0 {
		s.count(func(st *Stats) { st.Throttled++ })
		secs := int((throttle + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "<html><body><h1>429 Too Many Requests</h1></body></html>")
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/wp-json/") {
		http.NotFound(w, r)
		return
	}
	if a, ok := s.authenticate(r); !ok {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeJSON(w, a)
		return
	}
	s.mu.Lock()
	f := s.faults
	roll := s.rnd.Float64()
	s.mu.Unlock()
	if roll < f.ServerError {
		s.count(func(st *Stats) { st.Faults++ })
		w.WriteHeader([]int{500, 502, 503}[int(roll*1000)%3])
		io.WriteString(w, "<html><body>Internal Server Error</body></html>")
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			writeJSON(w, errAnswer(http.StatusRequestEntityTooLarge, "rest_request_too_large", "Request body too large."))
			return
		}
	}
	if r.Context().Err() != nil {
		return // the client gave up before the request was processed
	}
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	a := s.route(r, body)
	s.mu.Lock()
	stall := write && s.stallWrite
	if stall {
		s.stallWrite = false
	}
	s.mu.Unlock()
	if stall {
		<-r.Context().Done()
		return
	}
	switch {
	case roll < f.ServerError+f.Timeout:
		s.count(func(st *Stats) { st.Faults++ })
		delay := f.TimeoutDelay
		if delay <= 0 {
			delay = 5 * time.Second
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	case roll < f.ServerError+f.Timeout+f.Malformed:
		s.count(func(st *Stats) { st.Faults++ })
		b, _ := json.Marshal(a.body)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(a.status)
		w.Write(b[:len(b)/2])
		return
	}
	writeJSON(w, a)
}

func writeJSON(w http.ResponseWriter, a answer) {
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	b, err := json.Marshal(a.body)
	if err != nil {
		a.status = http.StatusInternalServerError
		b, _ = json.Marshal(errBody(500, "internal_server_error", "The fake could not encode its answer."))
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(a.status)
	w.Write(b)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// authenticate checks the consumer key and secret as WooCommerce does over HTTPS: Basic first,
// then the query parameters.
func (s *Server) authenticate(r *http.Request) (answer, bool) {
	key, secret, ok := r.BasicAuth()
	if !ok {
		key, secret = r.URL.Query().Get("consumer_key"), r.URL.Query().Get("consumer_secret")
	}
	if key == "" && secret == "" {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return errAnswer(http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."), false
		case http.MethodPost:
			return errAnswer(http.StatusUnauthorized, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."), false
		default:
			return errAnswer(http.StatusUnauthorized, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."), false
		}
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.ConsumerKey)) != 1 {
		return errAnswer(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid."), false
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ConsumerSecret)) != 1 {
		return errAnswer(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid."), false
	}
	if s.opts.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return errAnswer(http.StatusUnauthorized, "woocommerce_rest_authentication_error", "The API key provided does not have write permissions."), false
	}
	return answer{}, true
}

// route dispatches an authenticated request.
func (s *Server) route(r *http.Request, body []byte) answer {
	p := strings.TrimSuffix(r.URL.Path, "/")
	q := r.URL.Query()
	if rest, ok := strings.CutPrefix(p, TrackingPrefix+"/orders/"); ok {
		s.mu.Lock()
		on := s.tracking
		s.mu.Unlock()
		if !on {
			return noRoute()
		}
		id, tail, _ := strings.Cut(rest, "/")
		switch {
		case tail == "shipment-trackings" && r.Method == http.MethodGet:
			return s.listTrackings(id)
		case tail == "shipment-trackings" && r.Method == http.MethodPost:
			return s.addTracking(id, body)
		case tail == "shipment-trackings/providers" && r.Method == http.MethodGet:
			return answer{status: 200, body: providers}
		}
		return noRoute()
	}
	rest, ok := strings.CutPrefix(p, APIPrefix+"/")
	if !ok {
		return noRoute()
	}
	parts := strings.Split(rest, "/")
	m := r.Method
	s.count(func(st *Stats) { st.Routes[m+" "+routeName(parts)]++ })
	switch {
	case len(parts) == 1 && parts[0] == "orders" && m == http.MethodGet:
		return s.listOrders(r, q)
	case len(parts) == 2 && parts[0] == "orders" && m == http.MethodGet:
		return s.getOrder(parts[1])
	case len(parts) == 2 && parts[0] == "orders" && (m == http.MethodPut || m == http.MethodPost || m == http.MethodPatch):
		return s.updateOrder(parts[1], body)
	case len(parts) == 3 && parts[0] == "orders" && parts[2] == "notes" && m == http.MethodGet:
		return s.listNotes(parts[1], q)
	case len(parts) == 3 && parts[0] == "orders" && parts[2] == "notes" && m == http.MethodPost:
		return s.addNote(parts[1], body)
	case len(parts) == 1 && parts[0] == "products" && m == http.MethodGet:
		return s.listProducts(r, q, 0)
	case len(parts) == 2 && parts[0] == "products" && parts[1] == "batch" && (m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch):
		return s.batch(0, body)
	case len(parts) == 2 && parts[0] == "products" && m == http.MethodGet:
		return s.getProduct(parts[1])
	case len(parts) == 3 && parts[0] == "products" && parts[2] == "variations" && m == http.MethodGet:
		parent, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return noRoute()
		}
		return s.listProducts(r, q, parent)
	case len(parts) == 4 && parts[0] == "products" && parts[2] == "variations" && parts[3] == "batch" && (m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch):
		parent, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return noRoute()
		}
		return s.batch(parent, body)
	}
	return noRoute()
}

func routeName(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if _, err := strconv.ParseInt(p, 10, 64); err == nil {
			out[i] = "<id>"
		} else {
			out[i] = p
		}
	}
	return strings.Join(out, "/")
}

func noRoute() answer {
	return errAnswer(http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
}

func invalidParam(name, why string) answer {
	a := errAnswer(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+name)
	a.body.(wcError).Data["params"] = map[string]string{name: why}
	return a
}

// paging reads page, per_page and offset as WordPress validates them.
func paging(q map[string][]string) (page, perPage, offset int, bad *answer) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	page, perPage = 1, 10
	if v := get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPerPage {
			a := invalidParam("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
			return 0, 0, 0, &a
		}
		perPage = n
	}
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			a := invalidParam("page", "page must be greater than or equal to 1")
			return 0, 0, 0, &a
		}
		page = n
	}
	offset = -1
	if v := get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			a := invalidParam("offset", "offset is not of type integer.")
			return 0, 0, 0, &a
		}
		offset = n
	}
	return page, perPage, offset, nil
}

// pageHeaders sets X-WP-Total, X-WP-TotalPages and Link as WordPress does.
func pageHeaders(r *http.Request, base string, total, page, perPage int) http.Header {
	pages := (total + perPage - 1) / perPage
	h := http.Header{}
	h.Set("X-WP-Total", strconv.Itoa(total))
	h.Set("X-WP-TotalPages", strconv.Itoa(pages))
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Del("consumer_key")
		q.Del("consumer_secret")
		q.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", base, r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < pages {
		links = append(links, link(page+1, "next"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	return h
}

// Sign returns the X-WC-Webhook-Signature of body under secret: the base64 HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
