// Package openlogitest is a fake OPENLOGI account for tests: an httptest.Server speaking the
// OPENLOGI API v1.5, for the openlogi connector and for hosts that embed it.
//
// The fake is built from OPENLOGI's OpenAPI document ("OPENLOGI API v1.5", in this project
// specs/openlogi/openapi.json; SOURCE.txt beside it records its origin): the same paths and
// methods, field names and JSON shapes, statuses, error bodies ({"error": …,
// "error_description": …}, 422 validation_failed with errors per field) and the 60 requests a
// minute limit answered 429 "Too Many Attempts." with X-RateLimit-Limit and X-RateLimit-Remaining
// (and Retry-After, as the Laravel throttle that answers it sends). The fake itself carries no
// copy of the document: tests hand it a Validator that checks every request and answer against
// the file (see the openlogi package's tests), so a field the document lacks fails there.
//
// It keeps state as a warehouse does. Items are registered (AddItem) with a quantity on the
// shelf; a shipment request allocates stock (waiting, or backordered when short and allowed),
// and the test moves it along as the staff would: Pick (picking), Pack (packed), Ship (shipped,
// with tracking codes, in the shipped lists of its day, Japan time). Before work starts a
// shipment is updated (PUT) or deleted; from picking on, modify and cancel requests put it in
// modify_request / cancel_request until the staff accept or refuse them (AcceptRequest,
// RefuseRequest, or Options.Decide to answer at once). Identifiers are unique among live
// shipments (a second POST is refused with 422). Faults: 5xx answers, 504 after the write was
// applied, answers held back until the client gives up (StallNext), throttling (ThrottleNext).
//
// Modelled endpoints: POST /shipments; GET /shipments; GET /shipments/{id};
// GET, PUT, DELETE /shipments/{account_id}/{identifier}; POST …/modify and …/cancel;
// GET /shipments/shipped (date_after, date_before) and /shipments/shipped/{year}/{month}/{day};
// GET /items?id=…&stock=1; GET /items/{account_id}/{code}. Others answer 404 not_found.
//
// # Stability
//
// The fake grows with the connector: new methods and Options fields may appear.
package openlogitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the version the fake serves (X-Api-Version).
const APIVersion = "1.5"

// Validator checks exchanges against the OpenAPI document. ValidateRequest's error makes the
// fake answer 422 validation_failed; ValidateResponse's is recorded (Violations).
type Validator interface {
	ValidateRequest(r *http.Request, body []byte) error
	ValidateResponse(r *http.Request, body []byte, status int, header http.Header, respBody []byte) error
}

// Decision is how the staff answer modify and cancel requests.
type Decision int

// The decisions.
const (
	// DecideLater leaves requests in modify_request / cancel_request until AcceptRequest or
	// RefuseRequest.
	DecideLater Decision = iota
	// AcceptAtOnce accepts every request as it arrives.
	AcceptAtOnce
	// RefuseAtOnce refuses every request as it arrives (the parcel is too far along).
	RefuseAtOnce
)

// Options configure a Server; the zero value works.
type Options struct {
	// Token is the access token requests must carry; default "openlogi-test-token".
	Token string
	// AccountID is the account code; default "TS001".
	AccountID string
	// RequestsPerMinute is the limit; default 60 (OPENLOGI's), negative for none.
	RequestsPerMinute int
	// Now is the fake's clock; default time.Now.
	Now func() time.Time
	// Validator checks requests and answers; nil checks nothing.
	Validator Validator
	// Decide is how modify and cancel requests are answered.
	Decide Decision
	// Seed makes fault injection reproducible.
	Seed uint64
}

// Faults are failure rates (0 to 1) applied to each request after authentication.
type Faults struct {
	// ServerError answers 500 without doing anything.
	ServerError float64
	// GatewayTimeout applies the request, then answers 504 with an empty body.
	GatewayTimeout float64
	// Timeout applies a write, then holds the answer back until the client gives up.
	Timeout float64
}

// Stats count what the fake answered.
type Stats struct {
	Requests, Throttled, Unauthorized, Invalid, Faults int
	// Operations counts requests by "METHOD /path-pattern".
	Operations map[string]int
}

// Item is an item registered with the account.
type Item struct {
	ID, Code, Name string
	// Quantity is on the shelf; Shipping is allocated to shipments not yet shipped.
	Quantity, Shipping int
}

// Available is what more shipments may take.
func (it Item) Available() int { return it.Quantity - it.Shipping }

// Line is an item of a shipment.
type Line struct {
	Code     string
	Quantity int
}

// Shipment is what the fake holds for a shipment request.
type Shipment struct {
	ID, Identifier, OrderNo, Status string
	Suspend, Deleted                bool
	Lines                           []Line
	// Fields holds the request's fields as last sent (recipient, delivery_date, …).
	Fields map[string]any
	// Copies is how many shipments were created under this identifier, this one included.
	Copies        int
	ShippedAt     time.Time
	TrackingCodes []string
	// Request is the kind of request waiting for the staff ("modify", "cancel") or "".
	Request string
}

type shipment struct {
	Shipment
	seq     int
	prev    string         // status before a modify or cancel request
	pending map[string]any // the modify request's body
}

// Server is a fake OPENLOGI account. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu          sync.Mutex
	rnd         *rand.Rand
	faults      Faults
	stats       Stats
	seq         int
	itemSeq     int
	items       map[string]*Item // by code
	shipments   []*shipment
	created     map[string]int // identifier → shipments ever created under it
	window      time.Time
	used        int
	throttleFor time.Duration
	stallNext   bool
	failNext    int
	violations  []string
}

// New starts a fake account. Close it when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "openlogi-test-token"
	}
	if opts.AccountID == "" {
		opts.AccountID = "TS001"
	}
	if opts.RequestsPerMinute == 0 {
		opts.RequestsPerMinute = 60
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := newState(opts)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// newState is a Server without its listener.
func newState(opts Options) *Server {
	return &Server{opts: opts, rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x0be2)),
		items: map[string]*Item{}, created: map[string]int{}, stats: Stats{Operations: map[string]int{}}}
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the API's base URL (the connector's Config.BaseURL).
func (s *Server) URL() string { return s.srv.URL + "/api" }

// Token is the access token the fake accepts.
func (s *Server) Token() string { return s.opts.Token }

// AccountID is the account code.
func (s *Server) AccountID() string { return s.opts.AccountID }

// SetFaults replaces the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// SetDecision changes how modify and cancel requests are answered from now on.
func (s *Server) SetDecision(d Decision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Decide = d
}

// ThrottleNext makes the next request answer 429, asking for wait in Retry-After.
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleFor = max(wait, time.Second)
}

// StallNext makes the next write apply and then hold its answer back until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallNext = true
}

// FailNext makes the next write apply and then answer status (a 5xx) with an empty body, as
// OPENLOGI's gateway does when the application is slow.
func (s *Server) FailNext(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = status
}

// Requests returns how many requests the fake received, refused ones included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.Requests
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Operations = make(map[string]int, len(s.stats.Operations))
	for k, v := range s.stats.Operations {
		st.Operations[k] = v
	}
	return st
}

// Violations returns what the Validator found wrong in the fake's own answers.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// AddItem registers an item with quantity units on the shelf, or sets the quantity of a
// registered one, and returns its ID.
func (s *Server) AddItem(code, name string, quantity int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it, ok := s.items[code]; ok {
		it.Quantity = quantity
		return it.ID
	}
	s.itemSeq++
	it := &Item{ID: fmt.Sprintf("%s-I%06d", s.opts.AccountID, s.itemSeq), Code: code, Name: name, Quantity: quantity}
	s.items[code] = it
	return it.ID
}

// SetQuantity sets the quantity on the shelf of a registered item, as a count or a receipt does.
func (s *Server) SetQuantity(code string, quantity int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[code]
	if !ok {
		return fmt.Errorf("openlogitest: no item %s", code)
	}
	it.Quantity = quantity
	return nil
}

// Item returns a registered item.
func (s *Server) Item(code string) (Item, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[code]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// Shipment returns the latest shipment created under an identifier, deleted or not.
func (s *Server) Shipment(identifier string) (Shipment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.byIdentifier(identifier, true)
	if sh == nil {
		return Shipment{}, false
	}
	return sh.snapshot(), true
}

// Shipments returns every shipment ever created, in creation order.
func (s *Server) Shipments() []Shipment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Shipment, 0, len(s.shipments))
	for _, sh := range s.shipments {
		out = append(out, sh.snapshot())
	}
	return out
}

func (sh *shipment) snapshot() Shipment {
	c := sh.Shipment
	c.Lines = slices.Clone(sh.Lines)
	c.TrackingCodes = slices.Clone(sh.TrackingCodes)
	c.Fields = cloneMap(sh.Fields)
	return c
}

func cloneMap(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

func (s *Server) byIdentifier(identifier string, deleted bool) *shipment {
	for i := len(s.shipments) - 1; i >= 0; i-- {
		if sh := s.shipments[i]; sh.Identifier == identifier && (deleted || !sh.Deleted) {
			return sh
		}
	}
	return nil
}

// move changes a live shipment's status as the staff do.
func (s *Server) move(identifier string, from []string, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.byIdentifier(identifier, false)
	if sh == nil {
		return fmt.Errorf("openlogitest: no live shipment %s", identifier)
	}
	if !slices.Contains(from, sh.Status) {
		return fmt.Errorf("openlogitest: shipment %s is %s, not one of %v", identifier, sh.Status, from)
	}
	sh.Status = to
	return nil
}

// Pick starts picking a waiting shipment.
func (s *Server) Pick(identifier string) error {
	return s.move(identifier, []string{"waiting"}, "picking")
}

// Pack packs a shipment being picked.
func (s *Server) Pack(identifier string) error {
	return s.move(identifier, []string{"picking", "picked"}, "packed")
}

// Ship ships a live shipment that is not on hold, backordered or waiting for a decision,
// with the tracking codes given (one is made up when none is), and returns its ID.
func (s *Server) Ship(identifier string, trackingCodes ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.byIdentifier(identifier, false)
	if sh == nil {
		return "", fmt.Errorf("openlogitest: no live shipment %s", identifier)
	}
	if !slices.Contains([]string{"waiting", "picking", "picked", "packed"}, sh.Status) {
		return "", fmt.Errorf("openlogitest: shipment %s is %s and cannot ship", identifier, sh.Status)
	}
	if len(trackingCodes) == 0 {
		trackingCodes = []string{fmt.Sprintf("4%011d", 10000000000+sh.seq)}
	}
	for _, l := range sh.Lines {
		if it := s.items[l.Code]; it != nil {
			it.Quantity -= l.Quantity
			it.Shipping -= l.Quantity
		}
	}
	sh.Status, sh.ShippedAt, sh.TrackingCodes = "shipped", s.opts.Now(), slices.Clone(trackingCodes)
	return sh.ID, nil
}

// AcceptRequest accepts the modify or cancel request waiting on a shipment.
func (s *Server) AcceptRequest(identifier string) error { return s.decide(identifier, true) }

// RefuseRequest refuses it: the shipment goes on as it was.
func (s *Server) RefuseRequest(identifier string) error { return s.decide(identifier, false) }

func (s *Server) decide(identifier string, accept bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.byIdentifier(identifier, false)
	if sh == nil || sh.Request == "" {
		return fmt.Errorf("openlogitest: no request waits on shipment %s", identifier)
	}
	s.settle(sh, accept)
	return nil
}

func (s *Server) settle(sh *shipment, accept bool) {
	kind := sh.Request
	sh.Request, sh.Status = "", sh.prev
	switch {
	case !accept:
	case kind == "cancel":
		s.release(sh)
		sh.Deleted = true
	case kind == "modify":
		for k, v := range sh.pending {
			if k == "items" {
				if lines, ok := parseLines(v); ok {
					s.release(sh)
					sh.Lines = lines
					s.allocate(sh)
				}
			}
			if k != "identifier" {
				sh.Fields[k] = v
			}
		}
	}
	sh.pending = nil
}

func (s *Server) release(sh *shipment) {
	if sh.Status == "backordered" {
		return
	}
	for _, l := range sh.Lines {
		if it := s.items[l.Code]; it != nil {
			it.Shipping -= l.Quantity
		}
	}
}

func (s *Server) allocate(sh *shipment) {
	for _, l := range sh.Lines {
		if it := s.items[l.Code]; it != nil {
			it.Shipping += l.Quantity
		}
	}
}

// ---- HTTP ----

type answer struct {
	status int
	header http.Header
	body   []byte
}

func jsonAnswer(status int, v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: status, body: b}
}

func errAnswer(status int, code, desc string) answer {
	return jsonAnswer(status, map[string]any{"error": code, "error_description": desc})
}

func invalid(field, msg string) answer {
	return jsonAnswer(http.StatusUnprocessableEntity, map[string]any{
		"error": "validation_failed", "error_description": "The given data was invalid.",
		"errors": map[string]string{field: msg}})
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return
	}
	a, stall := s.handle(r, body)
	if stall {
		<-r.Context().Done()
		return
	}
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	if a.status == http.StatusGatewayTimeout && len(a.body) == 0 {
		w.WriteHeader(a.status)
		return
	}
	if v := s.opts.Validator; v != nil {
		if err := v.ValidateResponse(r, body, a.status, w.Header().Clone(), a.body); err != nil {
			s.mu.Lock()
			s.violations = append(s.violations, fmt.Sprintf("%s %s → %d: %v", r.Method, r.URL.Path, a.status, err))
			s.mu.Unlock()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// handle answers one request; stall says the answer must be held back.
func (s *Server) handle(r *http.Request, body []byte) (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	hdr := http.Header{}
	now := s.opts.Now()
	if lim := s.opts.RequestsPerMinute; lim > 0 || s.throttleFor > 0 {
		if now.Sub(s.window) >= time.Minute {
			s.window, s.used = now.Truncate(time.Minute), 0
		}
		s.used++
		if lim > 0 {
			hdr.Set("X-RateLimit-Limit", strconv.Itoa(lim))
			hdr.Set("X-RateLimit-Remaining", strconv.Itoa(max(lim-s.used, 0)))
		}
		if wait := s.throttleFor; wait > 0 || (lim > 0 && s.used > lim) {
			s.throttleFor = 0
			if wait == 0 {
				wait = s.window.Add(time.Minute).Sub(now)
			}
			s.stats.Throttled++
			hdr.Set("X-RateLimit-Remaining", "0")
			hdr.Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			a := errAnswer(http.StatusTooManyRequests, "Too Many Attempts.", "Too Many Attempts.")
			a.header = hdr
			return a, false
		}
	}
	a, stall := s.route(r, body)
	if a.header == nil {
		a.header = hdr
	} else {
		for k, v := range hdr {
			a.header[k] = v
		}
	}
	return a, stall
}

func (s *Server) route(r *http.Request, body []byte) (answer, bool) {
	if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		s.stats.Unauthorized++
		return errAnswer(http.StatusUnauthorized, "unauthorized", "Unauthenticated."), false
	}
	if r.Header.Get("X-Api-Version") != APIVersion {
		return errAnswer(http.StatusBadRequest, "api_exception", "Unsupported API version."), false
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		return errAnswer(http.StatusNotFound, "not_found", "Not Found."), false
	}
	seg := strings.Split(path, "/")
	write := r.Method != http.MethodGet
	op, handler := s.find(r.Method, seg)
	if handler == nil {
		return errAnswer(http.StatusNotFound, "not_found", "Not Found."), false
	}
	s.stats.Operations[op]++
	if v := s.opts.Validator; v != nil {
		if err := v.ValidateRequest(r, body); err != nil {
			s.stats.Invalid++
			return invalid("request", err.Error()), false
		}
	}
	if s.faults.ServerError > 0 && s.rnd.Float64() < s.faults.ServerError {
		s.stats.Faults++
		return errAnswer(http.StatusInternalServerError, "internal_server_error", ""), false
	}
	a := handler(r, seg, body)
	stall := false
	if write && a.status < 300 {
		switch {
		case s.stallNext:
			s.stallNext, stall = false, true
		case s.failNext != 0:
			a, s.failNext = answer{status: s.failNext}, 0
		case s.faults.Timeout > 0 && s.rnd.Float64() < s.faults.Timeout:
			stall = true
		}
		if stall {
			s.stats.Faults++
		}
	}
	if s.faults.GatewayTimeout > 0 && s.rnd.Float64() < s.faults.GatewayTimeout {
		s.stats.Faults++
		a = answer{status: http.StatusGatewayTimeout}
	}
	return a, stall
}

type handler func(r *http.Request, seg []string, body []byte) answer

// find routes a request as OPENLOGI's paths are laid out.
func (s *Server) find(method string, seg []string) (string, handler) {
	acct := func(i int) bool { return len(seg) > i && seg[i] == s.opts.AccountID }
	switch {
	case len(seg) == 1 && seg[0] == "shipments" && method == http.MethodPost:
		return "POST /shipments", s.postShipment
	case len(seg) == 1 && seg[0] == "shipments" && method == http.MethodGet:
		return "GET /shipments", s.listShipments
	case len(seg) == 2 && seg[0] == "shipments" && seg[1] == "shipped" && method == http.MethodGet:
		return "GET /shipments/shipped", s.shipped
	case len(seg) == 5 && seg[0] == "shipments" && seg[1] == "shipped" && method == http.MethodGet:
		return "GET /shipments/shipped/{year}/{month}/{day}", s.shippedOn
	case len(seg) == 2 && seg[0] == "shipments" && method == http.MethodGet:
		return "GET /shipments/{id}", s.getByID
	case len(seg) == 3 && seg[0] == "shipments" && method == http.MethodGet:
		return "GET /shipments/{account_id}/{identifier}", s.guard(acct(1), s.getShipment)
	case len(seg) == 3 && seg[0] == "shipments" && method == http.MethodPut:
		return "PUT /shipments/{account_id}/{identifier}", s.guard(acct(1), s.putShipment)
	case len(seg) == 3 && seg[0] == "shipments" && method == http.MethodDelete:
		return "DELETE /shipments/{account_id}/{identifier}", s.guard(acct(1), s.deleteShipment)
	case len(seg) == 4 && seg[0] == "shipments" && seg[3] == "modify" && method == http.MethodPost:
		return "POST /shipments/{account_id}/{identifier}/modify", s.guard(acct(1), s.modify)
	case len(seg) == 4 && seg[0] == "shipments" && seg[3] == "cancel" && method == http.MethodPost:
		return "POST /shipments/{account_id}/{identifier}/cancel", s.guard(acct(1), s.cancel)
	case len(seg) == 1 && seg[0] == "items" && method == http.MethodGet:
		return "GET /items", s.listItems
	case len(seg) == 3 && seg[0] == "items" && method == http.MethodGet:
		return "GET /items/{account_id}/{code}", s.guard(acct(1), s.getItem)
	}
	return "", nil
}

func (s *Server) guard(ok bool, h handler) handler {
	if ok {
		return h
	}
	return func(*http.Request, []string, []byte) answer {
		return errAnswer(http.StatusForbidden, "forbidden", "This action is unauthorized.")
	}
}

// ---- shipments ----

// requestFields decodes a shipment request, checking what OPENLOGI checks itself.
func (s *Server) requestFields(body []byte, create bool) (map[string]any, []Line, answer, bool) {
	var f map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil || f == nil {
		return nil, nil, errAnswer(http.StatusBadRequest, "exception", "The request body is not a JSON object."), false
	}
	id, _ := f["identifier"].(string)
	no, _ := f["order_no"].(string)
	if create && id == "" && no == "" {
		return nil, nil, invalid("identifier", "The identifier field is required when order no is not present."), false
	}
	if id == "" {
		f["identifier"] = no
	}
	rc, ok := f["recipient"].(map[string]any)
	if !ok {
		return nil, nil, invalid("recipient", "The recipient field is required."), false
	}
	for _, k := range []string{"postcode", "prefecture", "address1", "name"} {
		if v, _ := rc[k].(string); v == "" {
			return nil, nil, invalid("recipient."+k, "The recipient."+k+" field is required."), false
		}
	}
	lines, ok := parseLines(f["items"])
	if !ok {
		return nil, nil, invalid("items", "The items field must be a non-empty list of items with code and quantity."), false
	}
	for i, l := range lines {
		if s.items[l.Code] == nil {
			return nil, nil, invalid(fmt.Sprintf("items.%d.code", i), "The selected items."+strconv.Itoa(i)+".code is invalid."), false
		}
	}
	if f["delivery_time_slot"] == "12" && f["delivery_carrier"] != "SAGAWA" {
		return nil, nil, invalid("delivery_time_slot", "The 12 slot can be chosen with SAGAWA only."), false
	}
	return f, lines, answer{}, true
}

func parseLines(v any) ([]Line, bool) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false
	}
	var out []Line
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		code, _ := m["code"].(string)
		n, err := toInt(m["quantity"])
		if code == "" || err != nil || n < 1 {
			return nil, false
		}
		out = append(out, Line{Code: code, Quantity: n})
	}
	return out, true
}

func toInt(v any) (int, error) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return int(n), err
	case float64:
		return int(x), nil
	}
	return 0, fmt.Errorf("not a number")
}

func (s *Server) short(lines []Line) bool {
	need := map[string]int{}
	for _, l := range lines {
		need[l.Code] += l.Quantity
	}
	for code, n := range need {
		if s.items[code].Available() < n {
			return true
		}
	}
	return false
}

func (s *Server) postShipment(_ *http.Request, _ []string, body []byte) answer {
	f, lines, bad, ok := s.requestFields(body, true)
	if !ok {
		return bad
	}
	id := f["identifier"].(string)
	if s.byIdentifier(id, false) != nil {
		return invalid("identifier", "The identifier has already been taken.")
	}
	status := "waiting"
	if s.short(lines) {
		if b, _ := f["backorder_if_unavailable"].(bool); !b {
			return invalid("items", "The stock of an item is not enough.")
		}
		status = "backordered"
	}
	if sus, _ := f["suspend"].(bool); sus {
		status = "suspended"
	}
	s.seq++
	s.created[id]++
	sh := &shipment{seq: s.seq}
	sh.ID = fmt.Sprintf("%s-S%06d", s.opts.AccountID, s.seq)
	sh.Identifier, sh.Status, sh.Lines, sh.Copies = id, status, lines, s.created[id]
	sh.OrderNo, _ = f["order_no"].(string)
	sh.Suspend, _ = f["suspend"].(bool)
	sh.Fields = f
	if status != "backordered" {
		s.allocate(sh)
	}
	s.shipments = append(s.shipments, sh)
	return jsonAnswer(http.StatusCreated, s.render(sh))
}

func (s *Server) live(seg []string) (*shipment, answer, bool) {
	sh := s.byIdentifier(seg[2], false)
	if sh == nil {
		return nil, errAnswer(http.StatusNotFound, "not_found", "Shipment not found."), false
	}
	return sh, answer{}, true
}

func (s *Server) getShipment(_ *http.Request, seg []string, _ []byte) answer {
	sh, a, ok := s.live(seg)
	if !ok {
		return a
	}
	return jsonAnswer(http.StatusOK, s.render(sh))
}

func (s *Server) getByID(_ *http.Request, seg []string, _ []byte) answer {
	for _, sh := range s.shipments {
		if sh.ID == seg[1] && !sh.Deleted {
			return jsonAnswer(http.StatusOK, s.render(sh))
		}
	}
	return errAnswer(http.StatusNotFound, "not_found", "Shipment not found.")
}

func (s *Server) listShipments(r *http.Request, _ []string, _ []byte) answer {
	ids := r.URL.Query().Get("id")
	var out []any
	for _, sh := range s.shipments {
		if sh.Deleted {
			continue
		}
		if ids == "" && sh.Status != "shipped" || ids != "" && slices.Contains(strings.Split(ids, ","), sh.ID) {
			out = append(out, s.render(sh))
		}
	}
	return jsonAnswer(http.StatusOK, map[string]any{"shipments": orEmpty(out)})
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func beforeWork(status string) bool {
	return slices.Contains([]string{"backordered", "allocating", "waiting", "suspended"}, status)
}

func (s *Server) putShipment(_ *http.Request, seg []string, body []byte) answer {
	sh, a, ok := s.live(seg)
	if !ok {
		return a
	}
	if !beforeWork(sh.Status) {
		return errAnswer(http.StatusBadRequest, "api_exception", "The shipment can no longer be updated.")
	}
	f, lines, bad, ok := s.requestFields(body, false)
	if !ok {
		return bad
	}
	f["identifier"] = sh.Identifier
	s.release(sh)
	old := sh.Lines
	sh.Lines = lines
	if s.short(lines) {
		if b, _ := f["backorder_if_unavailable"].(bool); !b {
			sh.Lines = old
			if sh.Status != "backordered" {
				s.allocate(sh)
			}
			return invalid("items", "The stock of an item is not enough.")
		}
		sh.Status = "backordered"
	} else {
		s.allocate(sh)
		sh.Status = "waiting"
	}
	sh.Suspend, _ = f["suspend"].(bool)
	if sh.Suspend {
		sh.Status = "suspended"
	}
	sh.OrderNo, _ = f["order_no"].(string)
	sh.Fields = f
	return jsonAnswer(http.StatusOK, s.render(sh))
}

func (s *Server) deleteShipment(_ *http.Request, seg []string, _ []byte) answer {
	sh, a, ok := s.live(seg)
	if !ok {
		return a
	}
	if !beforeWork(sh.Status) {
		return errAnswer(http.StatusBadRequest, "api_exception", "The shipment can no longer be deleted.")
	}
	s.release(sh)
	sh.Deleted = true
	return jsonAnswer(http.StatusOK, s.render(sh))
}

func atWork(status string) bool {
	return slices.Contains([]string{"working", "picking", "picked", "packed"}, status)
}

func (s *Server) request(seg []string, kind string, pending map[string]any) answer {
	sh, a, ok := s.live(seg)
	if !ok {
		return a
	}
	if !atWork(sh.Status) {
		return errAnswer(http.StatusBadRequest, "api_exception", "Requests are taken for shipments being picked or packed only.")
	}
	sh.prev, sh.Status, sh.Request, sh.pending = sh.Status, kind+"_request", kind, pending
	out := s.render(sh)
	switch s.opts.Decide {
	case AcceptAtOnce:
		s.settle(sh, true)
		out = s.render(sh)
	case RefuseAtOnce:
		s.settle(sh, false)
		out = s.render(sh)
	}
	return jsonAnswer(http.StatusOK, out)
}

func (s *Server) modify(_ *http.Request, seg []string, body []byte) answer {
	var f map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil || f == nil {
		return errAnswer(http.StatusBadRequest, "exception", "The request body is not a JSON object.")
	}
	if _, ok := parseLines(f["items"]); !ok {
		return invalid("items", "The items field is required.")
	}
	if id, _ := f["identifier"].(string); id == "" {
		return invalid("identifier", "The identifier field is required.")
	}
	return s.request(seg, "modify", f)
}

func (s *Server) cancel(_ *http.Request, seg []string, _ []byte) answer {
	return s.request(seg, "cancel", nil)
}

// responseKeys are the request fields a shipment answer carries back.
var responseKeys = []string{"identifier", "order_no", "recipient", "sender", "delivery_date", "delivery_time_slot",
	"delivery_carrier", "cash_on_delivery", "total_for_cash_on_delivery", "tax_for_cash_on_delivery",
	"gift_wrapping_unit", "gift_wrapping_type", "gift_sender_name", "message", "warehouse", "shipping_date",
	"delivery_method", "delivery_note_type", "price_on_delivery_note", "cushioning_unit", "cushioning_type",
	"bundled_items", "shipping_email", "subtotal_amount", "delivery_charge", "handling_charge",
	"discount_amount", "total_amount", "tax", "total_with_normal_tax", "total_with_reduced_tax",
	"delivery_options", "allocate_priority"}

func (s *Server) render(sh *shipment) map[string]any {
	out := map[string]any{}
	for _, k := range responseKeys {
		if v, ok := sh.Fields[k]; ok {
			out[k] = v
		}
	}
	out["id"], out["status"], out["suspend"] = sh.ID, sh.Status, sh.Suspend
	out["identifier"] = sh.Identifier
	var its []any
	for _, l := range sh.Lines {
		it := map[string]any{"code": l.Code, "quantity": l.Quantity}
		if item := s.items[l.Code]; item != nil {
			it["id"], it["name"] = item.ID, item.Name
		}
		its = append(its, it)
	}
	if list, ok := sh.Fields["items"].([]any); ok {
		// Names and prices for the delivery note come from the request.
		for i, e := range list {
			if m, ok := e.(map[string]any); ok && i < len(its) {
				for _, k := range []string{"name", "unit_price", "price"} {
					if v, ok := m[k]; ok {
						its[i].(map[string]any)[k] = v
					}
				}
			}
		}
	}
	out["items"] = orEmpty(its)
	if sh.Status == "shipped" {
		out["shipped_at"] = sh.ShippedAt.In(jst).Format(time.RFC3339)
		out["tracking_code"] = sh.TrackingCodes[0]
		out["tracking_codes"] = slices.Clone(sh.TrackingCodes)
		service := "YAMATO-TAKKYUBIN"
		if sh.Fields["delivery_carrier"] == "SAGAWA" {
			service = "SAGAWA-TAKUHAIBIN"
		}
		out["delivery_service"] = service
		out["package_quantity"] = len(sh.TrackingCodes)
		var pk []any
		for range sh.TrackingCodes {
			pk = append(pk, map[string]any{"size": "60"})
		}
		out["packages"] = pk
	}
	return out
}

// jst is the time zone OPENLOGI dates its shipped lists in.
var jst = time.FixedZone("JST", 9*60*60)

func (s *Server) shippedDays() map[string][]*shipment {
	days := map[string][]*shipment{}
	for _, sh := range s.shipments {
		if sh.Status == "shipped" && !sh.Deleted {
			d := sh.ShippedAt.In(jst).Format("20060102")
			days[d] = append(days[d], sh)
		}
	}
	return days
}

func (s *Server) dayAnswer(list []*shipment) answer {
	out := []any{}
	for _, sh := range list {
		out = append(out, s.render(sh))
	}
	return jsonAnswer(http.StatusOK, map[string]any{"shipments": out})
}

// shipped answers one day of results: the first day with shipments on or after date_after, the
// last on or before date_before (which wins), or today.
func (s *Server) shipped(r *http.Request, _ []string, _ []byte) answer {
	q := r.URL.Query()
	days := s.shippedDays()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range days {
			if !yield(k) {
				return
			}
		}
	})
	valid := func(d string) bool {
		_, err := time.Parse("20060102", d)
		return err == nil
	}
	switch before, after := q.Get("date_before"), q.Get("date_after"); {
	case before != "":
		if !valid(before) {
			return invalid("date_before", "The date before does not match the format Ymd.")
		}
		for i := len(keys) - 1; i >= 0; i-- {
			if keys[i] <= before {
				return s.dayAnswer(days[keys[i]])
			}
		}
		return s.dayAnswer(nil)
	case after != "":
		if !valid(after) {
			return invalid("date_after", "The date after does not match the format Ymd.")
		}
		for _, k := range keys {
			if k >= after {
				return s.dayAnswer(days[k])
			}
		}
		return s.dayAnswer(nil)
	}
	return s.dayAnswer(days[s.opts.Now().In(jst).Format("20060102")])
}

func (s *Server) shippedOn(_ *http.Request, seg []string, _ []byte) answer {
	d, err := time.Parse("2006/1/2", seg[2]+"/"+seg[3]+"/"+seg[4])
	if err != nil {
		return errAnswer(http.StatusNotFound, "not_found", "Not Found.")
	}
	return s.dayAnswer(s.shippedDays()[d.Format("20060102")])
}

// ---- items ----

func (s *Server) renderItem(it *Item, stock bool) map[string]any {
	out := map[string]any{"id": it.ID, "code": it.Code, "name": it.Name}
	if stock {
		avail := max(it.Available(), 0)
		out["stock"] = map[string]any{"quantity": it.Quantity, "available": avail, "shipping": it.Shipping,
			"requesting": it.Shipping, "reserved": 0, "backordered": 0}
	}
	return out
}

func (s *Server) listItems(r *http.Request, _ []string, _ []byte) answer {
	q := r.URL.Query()
	ids := q.Get("id")
	// The document lists 400, not 422, among this endpoint's answers.
	if ids == "" {
		return errAnswer(http.StatusBadRequest, "api_exception", "The id parameter is required.")
	}
	list := strings.Split(ids, ",")
	if len(list) > 100 {
		return errAnswer(http.StatusBadRequest, "api_exception", "At most 100 ids may be given.")
	}
	out := []any{}
	for _, id := range list {
		for _, it := range s.items {
			if it.ID == id {
				out = append(out, s.renderItem(it, q.Get("stock") == "1"))
			}
		}
	}
	return jsonAnswer(http.StatusOK, map[string]any{"items": out})
}

func (s *Server) getItem(r *http.Request, seg []string, _ []byte) answer {
	it := s.items[seg[2]]
	if it == nil {
		return errAnswer(http.StatusNotFound, "not_found", "Item not found.")
	}
	return jsonAnswer(http.StatusOK, s.renderItem(it, r.URL.Query().Get("stock") == "1"))
}

// ItemIDs returns the IDs of every registered item, for the connector's Config.Items.
func (s *Server) ItemIDs(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, it := range s.items {
		out = append(out, it.ID)
	}
	slices.Sort(out)
	return out, nil
}
