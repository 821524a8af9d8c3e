// Package amazontest is a fake Amazon Selling Partner API for one seller account: an
// httptest.Server that serves the operations the amazon connector uses, with the paths, methods,
// query parameters, JSON shapes, status codes and error bodies of Amazon's official models
// (github.com/amzn/selling-partner-api-models, copied to shared/specs/amazon-sp-api):
//
//   - Login with Amazon: POST /auth/o2/token (grant_type=refresh_token), access tokens that
//     expire (TokenTTL, default one hour; ExpireTokens ends them at once).
//   - Tokens 2021-03-01: createRestrictedDataToken. Orders read with a plain access token carry
//     no personal data (ShippingAddress holds only the prefecture, city, postal code and
//     country); read with a restricted data token naming the path and the shippingAddress data
//     element, they carry the name, lines and phone.
//   - Orders v0: getOrders (LastUpdatedAfter/LastUpdatedBefore with the two-minute rule,
//     MaxResultsPerPage, NextToken, FulfillmentChannels, OrderStatuses), getOrder, getOrderItems
//     (NextToken pages of ItemsPerPage),
//     confirmShipment (numeric packageReferenceId unique per order, quantities checked against
//     what is still unshipped; the order moves Unshipped → PartiallyShipped → Shipped).
//   - Orders 2026-01-01: getOrder with includedData=PACKAGES, to read confirmed packages back.
//   - Listings Items 2021-08-01: patchListingsItem (fulfillment_availability), getListingsItem,
//     searchListingsItems (identifiers of type SKU).
//   - Feeds 2021-06-30: createFeedDocument, the presigned upload and download URLs (expiring
//     after five minutes, the content type signed), createFeed (JSON_LISTINGS_FEED), getFeed
//     (IN_QUEUE → IN_PROGRESS → DONE, processed when due whether polled or not; FeedDelay),
//     getFeedDocument and the JSON processing report with per-message issues (GZIP above
//     64 KiB).
//
// State moves as buyers and Amazon act: CreateOrder, CancelOrder, RequestCancel (the buyer's
// cancellation request), ChangeAddress. Every operation is throttled by its usage plan from the
// models (token buckets per operation, scaled by Options.RateScale), answering 429 with
// Amazon's error body and the x-amzn-RateLimit-Limit header; faults are injected with
// ThrottleNext, FailNext, SlowNext and StallNext.
//
// # Validation against the models
//
// The package validates nothing by itself, so that importing it does not build an OpenAPI
// library. Given an Options.Validator (the amazon connector's tests pass one built with
// github.com/getkin/kin-openapi from the Swagger 2.0 models, converted to OpenAPI 3 with its
// openapi2conv), every request is checked before it is served, and refused with 400 and
// Amazon's InvalidInput body when the model does not allow it (an unknown field or query
// parameter included); every response is checked before it is sent. Failures are kept and
// returned by Violations; NewTest fails the test that owns the fake if any happened. The feed
// documents uploaded and the processing reports served are checked against the listings feed
// JSON schemas when the Validator also implements FeedValidator.
//
// The validator the connector's tests use lives in an internal package; a host outside this
// module implements Validator with the OpenAPI library of its choice.
//
// What the models do not say, and the fake therefore chooses: the LWA token endpoint's JSON
// (access_token, token_type, expires_in, refresh_token, documented by Login with Amazon); auth
// failures answer 403 with code Unauthorized ("The access token you provided has expired." for
// an expired one); a duplicate packageReferenceId answers 400 InvalidInput; the throttle error
// code is QuotaExceeded (the research notes found no code in the official material); getOrders
// returns orders by LastUpdateDate, then AmazonOrderId, and its NextToken resumes after the last
// one returned, so orders updated while paging are found on a later page; a listing with a
// problem (RejectUpdates) refuses quantity changes with Amazon's issue shape.
package amazontest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Japan is the Japan marketplace's ID.
const Japan = "A1VC38T7YXB528"

// Validator checks one exchange against Amazon's models. Both methods return nil when the model
// allows what they are given.
type Validator interface {
	ValidateRequest(r *http.Request, body []byte) error
	ValidateResponse(r *http.Request, reqBody []byte, status int, h http.Header, body []byte) error
}

// FeedValidator checks listings feed documents and processing reports against their JSON schemas.
type FeedValidator interface {
	ValidateFeedDocument(doc []byte) error
	ValidateProcessingReport(doc []byte) error
}

// Options configures a fake. The zero value works.
type Options struct {
	// SellerID is the seller's merchant token; default "A2TOBIRATEST".
	SellerID string
	// MarketplaceID defaults to Japan.
	MarketplaceID string
	// Now stamps orders' purchase and update times and judges the two-minute rule; default
	// time.Now. Tokens, buckets and presigned URLs use the real clock.
	Now func() time.Time
	// Validator, when set, checks every request and response against the models.
	Validator Validator
	// RateScale multiplies every usage plan's rate (tests compress time); default 1.
	RateScale float64
	// EmptyBuckets starts every operation's bucket with no burst left, as after a busy day.
	EmptyBuckets bool
	// NoThrottle turns the usage plans off; ThrottleNext still works.
	NoThrottle bool
	// TokenTTL is how long access and restricted data tokens live; default one hour.
	TokenTTL time.Duration
	// ItemsPerPage pages getOrderItems (NextToken) when an order has more items; default 100.
	ItemsPerPage int
	// FeedDelay is how long a feed stays IN_QUEUE and then IN_PROGRESS (real time); default 0:
	// the first getFeed sees it IN_PROGRESS, the next DONE.
	FeedDelay time.Duration
}

// Stats counts what the fake received.
type Stats struct {
	// Requests counts SP-API requests (not token or document transfers), refused ones included.
	Requests int
	// Tokens counts LWA token grants.
	Tokens int
	// Throttled counts 429 answers.
	Throttled int
	// ByOperation counts SP-API requests per operationId.
	ByOperation map[string]int
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options

	// ClientID, ClientSecret and RefreshToken are the LWA credentials the fake accepts: the
	// seller's authorisation of the application under test.
	ClientID, ClientSecret, RefreshToken string

	mu         sync.Mutex
	tokens     map[string]time.Time // access token → expiry
	rdts       map[string]rdt
	buckets    map[string]*bucket
	stats      Stats
	violations []string
	throttle   time.Duration // >0: throttle the next request
	fail       int           // >0: answer the next request with this status
	stall      bool          // apply the next write and hold the answer back
	slow       time.Duration // >0: answer the next request this late

	orders   map[string]*Order
	seq      int
	listings map[string]*Listing
	docs     map[string]*document
	feeds    map[string]*feed
	submits  int
}

type rdt struct {
	expires   time.Time
	resources []restrictedResource
}

type restrictedResource struct {
	Method       string   `json:"method"`
	Path         string   `json:"path"`
	DataElements []string `json:"dataElements,omitempty"`
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	if opts.SellerID == "" {
		opts.SellerID = "A2TOBIRATEST"
	}
	if opts.MarketplaceID == "" {
		opts.MarketplaceID = Japan
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateScale <= 0 {
		opts.RateScale = 1
	}
	if opts.ItemsPerPage <= 0 {
		opts.ItemsPerPage = 100
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	s := &Server{opts: opts,
		ClientID: "amzn1.application-oa2-client." + randHex(8), ClientSecret: "amzn1.oa2-cs.v1." + randHex(16),
		RefreshToken: "Atzr|" + randHex(24),
		tokens:       map[string]time.Time{}, rdts: map[string]rdt{}, buckets: map[string]*bucket{},
		orders: map[string]*Order{}, listings: map[string]*Listing{}, docs: map[string]*document{}, feeds: map[string]*feed{},
		stats: Stats{ByOperation: map[string]int{}},
	}
	// Buckets fill from the fake's start, so a client that starts later with empty buckets of
	// its own is never ahead of them.
	now := time.Now()
	for op, p := range plans {
		b := &bucket{tokens: p[1], rate: p[0] * opts.RateScale, burst: p[1], at: now}
		if opts.EmptyBuckets {
			b.tokens = 0
		}
		s.buckets[op] = b
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewTest starts a fake for t, closes it when t ends and fails t if any request or response
// broke the models.
func NewTest(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			t.Errorf("amazontest: %s", v)
		}
	})
	return s
}

// Close shuts the fake down.
func (s *Server) Close() { s.srv.Close() }

// URL is the SP-API endpoint (in place of https://sellingpartnerapi-fe.amazon.com).
func (s *Server) URL() string { return s.srv.URL }

// TokenURL is the LWA token endpoint (in place of https://api.amazon.com/auth/o2/token).
func (s *Server) TokenURL() string { return s.srv.URL + "/auth/o2/token" }

// SellerID returns the seller's ID.
func (s *Server) SellerID() string { return s.opts.SellerID }

// MarketplaceID returns the marketplace's ID.
func (s *Server) MarketplaceID() string { return s.opts.MarketplaceID }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByOperation = make(map[string]int, len(s.stats.ByOperation))
	for k, v := range s.stats.ByOperation {
		st.ByOperation[k] = v
	}
	return st
}

// Violations returns what broke the models so far: requests the fake refused as invalid and
// responses it sent that did not fit.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// ResetViolations forgets the violations so far (a test that sends invalid requests on
// purpose calls it after checking them).
func (s *Server) ResetViolations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = nil
}

// ThrottleNext makes the next SP-API request answer 429 as throttled, with Retry-After wait
// (Amazon sends none; the fake adds it so a test can check the wait is passed on).
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = max(wait, time.Millisecond)
}

// FailNext makes the next SP-API request answer status (500 or 503) with Amazon's error body.
func (s *Server) FailNext(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = status
}

// StallNext makes the next write (confirmShipment, patchListingsItem, createFeed) take effect
// and then hold its answer back until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = true
}

// SlowNext makes the next SP-API request answer d late (after it took effect), or when the
// client gives up, whichever comes first.
func (s *Server) SlowNext(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// ExpireTokens ends every access and restricted data token now, as an hour passing does.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.tokens {
		s.tokens[k] = time.Time{}
	}
	for k, v := range s.rdts {
		v.expires = time.Time{}
		s.rdts[k] = v
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- usage plans ----

// plans are the default usage plans the models state, per operation: rate per second, burst.
var plans = map[string][2]float64{
	"getOrders": {0.0167, 20}, "getOrder": {0.5, 30}, "getOrderItems": {0.5, 30},
	"confirmShipment": {2, 10}, "getOrder2026": {0.5, 30},
	"createRestrictedDataToken": {1, 10},
	"patchListingsItem":         {5, 5}, "getListingsItem": {5, 10}, "searchListingsItems": {5, 5},
	"createFeedDocument": {0.5, 15}, "createFeed": {0.0083, 15}, "getFeed": {2, 15}, "getFeedDocument": {0.0222, 10},
}

// RateLimit returns the usage plan the fake applies to an operation (after RateScale).
func (s *Server) RateLimit(op string) (rate float64, burst int) {
	p := plans[op]
	return p[0] * s.opts.RateScale, int(p[1])
}

type bucket struct {
	tokens, rate, burst float64
	at                  time.Time
}

// take reports whether op may run now, spending a token.
func (s *Server) take(op string) bool {
	if _, ok := plans[op]; !ok || s.opts.NoThrottle {
		return true
	}
	now := time.Now()
	b := s.buckets[op]
	b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
	b.at = now
	// A little slack for clocks: a client pacing itself exactly must not be refused for a
	// rounding error.
	if b.tokens < 0.999 {
		return false
	}
	b.tokens--
	return true
}

// ---- errors ----

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

func errorBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string][]apiError{"errors": {{Code: code, Message: msg}}})
	return b
}

// ---- serving ----

// exchange is one request being served.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	body   []byte
	op     string
	token  string
	rdt    *rdt
	status int
	header http.Header
	out    []byte
}

func (x *exchange) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, errorBody("InternalFailure", "encoding failed")
	}
	x.status, x.out = status, b
}

func (x *exchange) fail(status int, code, msg string) {
	x.status, x.out = status, errorBody(code, msg)
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) < 1000 {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	switch {
	case r.URL.Path == "/auth/o2/token":
		s.token(w, r, body)
		return
	case strings.HasPrefix(r.URL.Path, "/s3/"):
		s.transfer(w, r, body)
		return
	}
	x := &exchange{w: w, r: r, body: body, header: http.Header{}}
	handler := s.route(x)
	s.mu.Lock()
	s.processDue()
	s.stats.Requests++
	if x.op != "" {
		s.stats.ByOperation[x.op]++
	}
	s.mu.Unlock()
	if handler == nil {
		x.fail(http.StatusNotFound, "NotFound", "Resource not found.")
		s.reply(x)
		return
	}
	if v := s.opts.Validator; v != nil {
		if err := v.ValidateRequest(r, body); err != nil {
			s.violation("request %s %s refused: %v", r.Method, r.URL.Path, err)
			x.fail(http.StatusBadRequest, "InvalidInput", "Request has missing or invalid parameters and cannot be parsed.")
			s.reply(x)
			return
		}
	}
	if !s.admit(x) {
		s.reply(x)
		return
	}
	s.mu.Lock()
	stall := false
	if s.stall && r.Method != http.MethodGet {
		stall, s.stall = true, false
	}
	slow := s.slow
	s.slow = 0
	s.mu.Unlock()
	handler(x)
	if stall {
		<-r.Context().Done()
		return
	}
	if slow > 0 {
		t := time.NewTimer(slow)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	s.reply(x)
}

// admit checks auth, injected faults and the usage plan; false means x holds the refusal.
func (s *Server) admit(x *exchange) bool {
	tok := x.r.Header.Get("x-amz-access-token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttle > 0 {
		x.header.Set("Retry-After", strconv.FormatFloat(s.throttle.Seconds(), 'f', 3, 64))
		s.throttle = 0
		s.stats.Throttled++
		x.fail(http.StatusTooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.")
		return false
	}
	if s.fail != 0 {
		st := s.fail
		s.fail = 0
		x.fail(st, "InternalFailure", "We encountered an internal error. Please try again.")
		return false
	}
	now := time.Now()
	switch {
	case tok == "":
		x.fail(http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.")
		return false
	case strings.HasPrefix(tok, "Atz.sprdt|"):
		d, ok := s.rdts[tok]
		if !ok || !now.Before(d.expires) {
			x.fail(http.StatusForbidden, "Unauthorized", "The access token you provided has expired.")
			return false
		}
		if !d.allows(x.r.Method, x.r.URL.Path) {
			x.fail(http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.")
			return false
		}
		x.rdt = &d
	default:
		exp, ok := s.tokens[tok]
		if !ok {
			x.fail(http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.")
			return false
		}
		if !now.Before(exp) {
			x.fail(http.StatusForbidden, "Unauthorized", "The access token you provided has expired.")
			return false
		}
	}
	x.token = tok
	if !s.take(x.op) {
		s.stats.Throttled++
		x.fail(http.StatusTooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.")
		return false
	}
	return true
}

func (d rdt) allows(method, path string) bool {
	for _, r := range d.resources {
		if r.Method == method && pathMatches(r.Path, path) {
			return true
		}
	}
	return false
}

// pathMatches compares a restricted resource's path, whose segments may be {placeholders}
// ("/orders/v0/orders/{orderId}/address"), with a request path.
func pathMatches(pattern, path string) bool {
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if ps[i] != qs[i] && !(strings.HasPrefix(ps[i], "{") && strings.HasSuffix(ps[i], "}")) {
			return false
		}
	}
	return true
}

// reply sends x's answer, with the usage plan header, after checking it against the model.
func (s *Server) reply(x *exchange) {
	if x.op != "" && x.status != http.StatusTooManyRequests && x.status != http.StatusForbidden && x.status < 500 {
		if p, ok := plans[x.op]; ok {
			x.header.Set("x-amzn-RateLimit-Limit", strconv.FormatFloat(p[0]*s.opts.RateScale, 'g', -1, 64))
		}
	}
	x.header.Set("x-amzn-RequestId", randHex(8))
	if x.out != nil {
		x.header.Set("Content-Type", "application/json")
	}
	if v := s.opts.Validator; v != nil && x.op != "" {
		if err := v.ValidateResponse(x.r, x.body, x.status, x.header, x.out); err != nil {
			s.violation("response to %s %s (%d) does not fit the model: %v", x.r.Method, x.r.URL.Path, x.status, err)
		}
	}
	for k, vs := range x.header {
		x.w.Header()[k] = vs
	}
	x.w.WriteHeader(x.status)
	if x.out != nil {
		_, _ = x.w.Write(x.out)
	}
}

// route names x's operation and returns its handler, or nil.
func (s *Server) route(x *exchange) func(*exchange) {
	p := strings.Split(strings.Trim(x.r.URL.Path, "/"), "/")
	m := x.r.Method
	is := func(method string, n int, prefix ...string) bool {
		if m != method || len(p) != n || len(p) < len(prefix) {
			return false
		}
		for i, v := range prefix {
			if p[i] != v {
				return false
			}
		}
		return true
	}
	switch {
	case is("GET", 3, "orders", "v0", "orders"):
		x.op = "getOrders"
		return s.getOrders
	case is("GET", 4, "orders", "v0", "orders"):
		x.op = "getOrder"
		return s.getOrder
	case is("GET", 5, "orders", "v0", "orders") && p[4] == "orderItems":
		x.op = "getOrderItems"
		return s.getOrderItems
	case is("POST", 5, "orders", "v0", "orders") && p[4] == "shipmentConfirmation":
		x.op = "confirmShipment"
		return s.confirmShipment
	case is("GET", 4, "orders", "2026-01-01", "orders"):
		x.op = "getOrder2026"
		return s.getOrder2026
	case is("POST", 3, "tokens", "2021-03-01", "restrictedDataToken"):
		x.op = "createRestrictedDataToken"
		return s.createRDT
	case is("PATCH", 5, "listings", "2021-08-01", "items"):
		x.op = "patchListingsItem"
		return s.patchListingsItem
	case is("GET", 5, "listings", "2021-08-01", "items"):
		x.op = "getListingsItem"
		return s.getListingsItem
	case is("GET", 4, "listings", "2021-08-01", "items"):
		x.op = "searchListingsItems"
		return s.searchListingsItems
	case is("POST", 3, "feeds", "2021-06-30", "documents"):
		x.op = "createFeedDocument"
		return s.createFeedDocument
	case is("GET", 4, "feeds", "2021-06-30", "documents"):
		x.op = "getFeedDocument"
		return s.getFeedDocument
	case is("POST", 3, "feeds", "2021-06-30", "feeds"):
		x.op = "createFeed"
		return s.createFeed
	case is("GET", 4, "feeds", "2021-06-30", "feeds"):
		x.op = "getFeed"
		return s.getFeed
	}
	return nil
}

// ---- Login with Amazon ----

func (s *Server) token(w http.ResponseWriter, r *http.Request, body []byte) {
	lwaErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		lwaErr(http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		lwaErr(http.StatusBadRequest, "invalid_request", "form body required")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		lwaErr(http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	switch {
	case f.Get("grant_type") != "refresh_token":
		lwaErr(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be refresh_token")
		return
	case f.Get("client_id") != s.ClientID || f.Get("client_secret") != s.ClientSecret:
		lwaErr(http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	case f.Get("refresh_token") != s.RefreshToken:
		lwaErr(http.StatusBadRequest, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
		return
	}
	tok := "Atza|" + randHex(24)
	s.mu.Lock()
	s.tokens[tok] = time.Now().Add(s.opts.TokenTTL)
	s.stats.Tokens++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "bearer",
		"expires_in": int(s.opts.TokenTTL.Seconds()), "refresh_token": s.RefreshToken})
}

// ---- restricted data tokens ----

func (s *Server) createRDT(x *exchange) {
	var req struct {
		TargetApplication   string               `json:"targetApplication"`
		RestrictedResources []restrictedResource `json:"restrictedResources"`
	}
	if err := json.Unmarshal(x.body, &req); err != nil || len(req.RestrictedResources) == 0 {
		x.fail(http.StatusBadRequest, "InvalidInput", "restrictedResources is required.")
		return
	}
	for _, rr := range req.RestrictedResources {
		if !strings.HasPrefix(rr.Path, "/orders/") {
			x.fail(http.StatusBadRequest, "InvalidInput", "The resource "+rr.Path+" is not a restricted resource.")
			return
		}
	}
	tok := "Atz.sprdt|" + randHex(24)
	s.mu.Lock()
	s.rdts[tok] = rdt{expires: time.Now().Add(s.opts.TokenTTL), resources: req.RestrictedResources}
	s.mu.Unlock()
	x.json(http.StatusOK, map[string]any{"restrictedDataToken": tok, "expiresIn": int(s.opts.TokenTTL.Seconds())})
}

// grants reports whether x was made with a restricted data token granting element on its path.
func (x *exchange) grants(element string) bool {
	if x.rdt == nil {
		return false
	}
	for _, r := range x.rdt.resources {
		if r.Method == x.r.Method && pathMatches(r.Path, x.r.URL.Path) {
			for _, e := range r.DataElements {
				if e == element {
					return true
				}
			}
		}
	}
	return false
}
