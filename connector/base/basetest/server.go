// Package basetest is a fake BASE shop for tests: an httptest.Server speaking BASE API v1
// (https://api.thebase.in/1/...), for the Tobira connector and for hosts that embed it.
//
// BASE publishes no machine-readable specification. The fake is built from BASE's official API
// documentation as the project's research quotes it (research/channel-apis.md §5, which read the
// official baseinc/api-docs repository at commit 27601232cf645e3a54f4547b540c56a8623c7f8e and
// the docs.thebase.in pages it moved to), and every path, parameter and field name it serves was
// checked against a second, independent public source: API clients other people wrote for BASE.
//
// # Sources
//
// The public clients are cited by what they are; the project's look-up index showed their code
// without naming every repository.
//
//   - [official] github.com/baseinc/api-docs: README.md (limits: 5,000 calls per hour and
//     100,000 per day per user, reset at minute 00; every error is HTTP 400 with {"error",
//     "error_description"}, hour_api_limit and day_api_limit among them),
//     base_api_v1_orders.md, base_api_v1_orders_detail.md, base_api_v1_orders_edit_status.md
//     (its latest version adds atobarai_status, delivery_company_id, tracking_number),
//     base_api_v1_items.md, base_api_v1_items_edit_stock.md, base_api_v1_oauth_refresh_token.md,
//     base_api_v1_delivery_companies.md (commit 5b2766755ddb6daa921b244b8fac4e8ef77e1d0a).
//   - [A] a Go sample client on golang.org/x/oauth2: GET /1/orders, /1/orders/detail/:unique_key,
//     /1/delivery_companies; POST /1/orders/edit_status as a form with order_item_id, status
//     (dispatched), add_comment, atobarai_status (shipping), delivery_company_id,
//     tracking_number; /1/oauth/authorize and /1/oauth/token with the standard OAuth answer
//     (access_token, token_type, expires_in, refresh_token).
//   - [B] a PHP SDK for BASE: GET /1/orders with start_ordered, end_ordered, limit, offset;
//     edit_status with add_comment cut to 250 characters; editStock(item_id, stock,
//     variation_id, variation_stock).
//   - [C] a TypeScript sales importer: POST /1/oauth/token with grant_type=refresh_token,
//     client_id, client_secret, refresh_token; GET /1/orders paged by limit=100 and offset with
//     start_ordered and end_ordered as "yyyy-mm-dd hh:mm:ss"; rows unique_key, cancelled,
//     dispatch_status, ordered; detail order.order_items[] with order_item_id, item_id, title,
//     amount, price, total, status.
//   - [D] a TypeScript finance importer: dispatch_status values cancelled, unpaid, unshippable;
//     ordered as Unix seconds read in Japanese time; the orders array of the listing.
//   - [E] a Python BASE client: error hour_api_limit waits until the next hour, day_api_limit
//     until the next day.
//   - [F] a TypeScript BASE tool and its tests: HTTP 400 {"error":"hour_api_limit",
//     "error_description"}; invalid_request, invalid_scope, access_denied and
//     unauthorized_client as authorization failures; item fields item_id, identifier, stock,
//     variation_id, variation_stock, variation_identifier.
//   - [G] a shipping-label design note: order_receiver.last_name, first_name, zip_code,
//     address.
//   - [H] a TypeScript BASE client's types: order_item_id, item_id, variation_id on order
//     items; the token answer's access_token, refresh_token, expires_in, token_type.
//
// Names confirmed in only one source (the official documentation; the research notes quote
// the same pages) and served as it shows them: delivery_date, delivery_time_zone (four digits
// such as 0812), order_receiver.prefecture, order_receiver.address2, order_receiver.tel, the
// buyer's first_name, last_name, zip_code, prefecture, address, address2, tel, mail_address
// and country, modified (order and order item), dispatched, the payment codes (cod, creditcard,
// bt, cvs, base_bt, atobarai, carrier_01..03), shipping_fee, cod_fee, order_discount.discount,
// atobarai_payment_transaction.status, delivery_companies[].name, the items listing's order and
// sort parameters, list_order and visible, and the error codes no_order, no_unique_key,
// no_params, bad_params, not_post_method, not_change_status, not_change_status_cvs,
// not_change_status_base_bt, not_change_status_atobarai, not_cancel_*, bad_item_id,
// bad_variation_id, validation_error and db_error. The sort order of GET /1/orders is
// documented nowhere: the fake answers the newest order first, and the connector does not
// depend on it.
//
// # What it models
//
// One shop (one BASE user) with items and variations, orders placed by buyers that move through
// BASE's statuses (unpaid → ordered → dispatched, cancelled; 後払い orders ordered → shipping →
// dispatched on arrival), the OAuth token endpoint with one-hour access tokens and 30-day
// refresh tokens rotated on every refresh (the old one stops working), bearer checks with
// BASE's own error bodies, the hourly and daily call limits counted per clock hour and per
// Japanese day, and injected faults: 5xx answers, answers lost after a write was applied, and
// throttling on demand.
package basetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JST is the time zone BASE speaks in: listing windows are Japanese local times and the daily
// limit resets at midnight in Japan.
var JST = time.FixedZone("JST", 9*60*60)

// Published limits and lifetimes, from BASE's documentation.
const (
	HourlyLimit     = 5000
	DailyLimit      = 100000
	AccessTokenTTL  = time.Hour
	RefreshTokenTTL = 30 * 24 * time.Hour
	MaxLimit        = 100 // most rows one listing answers
	DefaultLimit    = 20
	MaxComment      = 250 // add_comment, in characters
)

// Options configure a Server. The zero value works.
type Options struct {
	// Now is the fake's clock; default time.Now. Share a VirtualClock with the client to run
	// through hours of limits and token lifetimes without waiting.
	Now func() time.Time
	// ClientID, ClientSecret and RedirectURI identify the app; defaults "client-id",
	// "client-secret", "https://example.jp/callback".
	ClientID, ClientSecret, RedirectURI string
	// HourlyLimit and DailyLimit override the published limits (tests lower them).
	HourlyLimit, DailyLimit int
	// Seed makes fault injection reproducible.
	Seed uint64
}

// Faults are failure rates (0 to 1) applied to each authenticated API request.
type Faults struct {
	// ServerError answers 500 or 503 without doing anything.
	ServerError float64
	// Lost applies a write, then holds the answer until the client gives up (or LostDelay).
	Lost      float64
	LostDelay time.Duration
	// Slow answers any request (read or write) after SlowDelay, once it has been handled.
	Slow      float64
	SlowDelay time.Duration
}

// Stats count what the fake answered.
type Stats struct {
	Requests     int // API requests, refused ones included (token endpoint excluded)
	Throttled    int // hour_api_limit and day_api_limit answers
	Unauthorized int
	Faults       int
	Refreshes    int // successful refresh_token grants
	// PerHour counts the calls served (not refused) per clock hour, keyed by the hour's start in UTC.
	PerHour map[time.Time]int
	// Ops counts served calls by path ("/1/orders", "/1/items/edit_stock").
	Ops map[string]int
}

// Token is an access and refresh token pair the fake issued.
type Token struct {
	AccessToken, RefreshToken string
	Expiry, RefreshExpiry     time.Time
}

// Server is a fake BASE shop. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu        sync.Mutex
	rnd       *mrand.Rand
	faults    Faults
	stats     Stats
	access    map[string]time.Time // access token → expiry
	refresh   map[string]time.Time // refresh token → expiry
	issued    Token
	hourKey   time.Time
	hourCount int
	dayKey    string
	dayCount  int
	items     []*item
	nextItem  int64
	nextVar   int64
	orders    map[string]*fOrder
	nextLine  int64
	dispatch  []Dispatch
	throttle  string // answer the next request with this limit error
	stallNext bool
}

type item struct {
	ID         int64
	Title      string
	Identifier string
	Price      int64
	Stock      int
	ListOrder  int
	Modified   int64
	Variations []*variation
}

type variation struct {
	ID         int64
	Name       string
	Identifier string
	Stock      int
}

// Address is a buyer's or a recipient's name and address as BASE keeps them.
type Address struct {
	LastName, FirstName string
	ZipCode             string // "150-0043"
	Prefecture          string
	Address, Address2   string
	Tel                 string
	Mail                string // the buyer's only
	Country             string // the buyer's only; default "Japan"
}

// LineInput is one line of an order a buyer places: a SKU listed on the fake and an amount.
// Price defaults to the item's price.
type LineInput struct {
	SKU    string
	Amount int
	Price  int64
}

// OrderInput is an order a buyer places.
type OrderInput struct {
	Buyer Address
	// Receiver is the delivery address (お届け先) when it differs from the buyer's.
	Receiver *Address
	Lines    []LineInput
	// Payment is BASE's payment code: creditcard (default), cod, bt, cvs, base_bt, atobarai, …
	// cvs and base_bt orders start unpaid until MarkPaid.
	Payment string
	// DeliveryDate ("2026-07-10") and DeliveryTimeZone ("0812", "1416", …) are the buyer's
	// delivery request.
	DeliveryDate, DeliveryTimeZone string
	Remark                         string
	ShippingFee, CODFee            int64
	Discount                       int64
}

type fOrder struct {
	Key          string
	Ordered      int64
	Cancelled    *int64
	Dispatched   *int64
	Modified     int64
	Payment      string
	Buyer        Address
	Receiver     *Address
	Remark       string
	Comment      string
	CompanyID    *int64
	Tracking     *string
	DeliveryDate string
	TimeZone     string
	ShippingFee  int64
	CODFee       int64
	Discount     int64
	Paid         bool   // cvs and base_bt: payment received
	Atobarai     string // 後払い status: ordered, shipping, arrived, cancelled
	Items        []*fItem
}

type fItem struct {
	ID          int64
	ItemID      int64
	VariationID *int64
	Title       string
	Variation   string
	Price       int64
	Amount      int
	Status      string // ordered, dispatched, cancelled
	Modified    int64
}

// Dispatch is one effective edit_status call as the shop's buyers see it: the item it marked
// dispatched (or, for a 後払い order, the order it put in shipping), with the message and
// tracking it carried.
type Dispatch struct {
	OrderKey          string
	OrderItemID       int64
	Comment           string
	DeliveryCompanyID int64
	TrackingNumber    string
	Atobarai          bool
	At                time.Time
}

// DeliveryCompanies is what GET /1/delivery_companies answers: the official example's three
// and the carriers Japanese shops use most.
var DeliveryCompanies = []struct {
	ID   int64
	Name string
}{{1, "クロネコヤマト"}, {2, "佐川急便"}, {3, "日本通運"}, {4, "日本郵便"}, {5, "西濃運輸"}, {6, "福山通運"}, {7, "その他"}}

// New starts a fake shop and issues its first token pair (Token).
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ClientID == "" {
		opts.ClientID = "client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "client-secret"
	}
	if opts.RedirectURI == "" {
		opts.RedirectURI = "https://example.jp/callback"
	}
	if opts.HourlyLimit <= 0 {
		opts.HourlyLimit = HourlyLimit
	}
	if opts.DailyLimit <= 0 {
		opts.DailyLimit = DailyLimit
	}
	s := &Server{opts: opts, rnd: mrand.New(mrand.NewPCG(opts.Seed, 18)),
		access: map[string]time.Time{}, refresh: map[string]time.Time{}, orders: map[string]*fOrder{},
		nextItem: 1000, nextVar: 100, nextLine: 500,
		stats: Stats{PerHour: map[time.Time]int{}, Ops: map[string]int{}}}
	s.issued = s.issueLocked()
	mux := http.NewServeMux()
	mux.HandleFunc("/1/oauth/token", s.handleToken)
	mux.HandleFunc("/1/", s.handleAPI)
	s.srv = httptest.NewServer(mux)
	return s
}

// NewTest starts a fake for a test and closes it at the end.
func NewTest(tb interface {
	Helper()
	Cleanup(func())
}, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the API's base URL (requests go to URL()+"/1/...").
func (s *Server) URL() string { return s.srv.URL }

// ClientID is the app's client_id the token endpoint checks.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret is the app's client_secret the token endpoint checks.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// RedirectURI is the registered callback URL the token endpoint checks.
func (s *Server) RedirectURI() string { return s.opts.RedirectURI }

// Token returns the token pair issued when the fake started, as an app holds it after the
// authorization-code grant.
func (s *Server) Token() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// ExpireAccessTokens makes every access token issued so far expired, as an hour passing would.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.access {
		s.access[k] = time.Time{}
	}
}

// RevokeRefreshTokens makes every refresh token invalid, as a shop disconnecting the app does.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// SetFaults replaces the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ThrottleNext makes the next API request answered with hour_api_limit (or day_api_limit when
// day is true), as when another app of the same shop used up the hour.
func (s *Server) ThrottleNext(day bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = "hour_api_limit"
	if day {
		s.throttle = "day_api_limit"
	}
}

// UseCalls counts n calls against the current hour and day, as other apps of the shop do.
func (s *Server) UseCalls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rollLocked(s.opts.Now())
	s.hourCount += n
	s.dayCount += n
}

// StallNext applies the next write and holds its answer until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallNext = true
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.PerHour = map[time.Time]int{}
	for k, v := range s.stats.PerHour {
		st.PerHour[k] = v
	}
	st.Ops = map[string]int{}
	for k, v := range s.stats.Ops {
		st.Ops[k] = v
	}
	return st
}

// ---- seeding and observing ----

// VariationInput is one variation of an item being listed.
type VariationInput struct {
	Name, Identifier string
	Stock            int
}

// AddItem lists an item; with variations, identifier is the item's own code and each variation
// is a SKU of its own. It returns the item_id.
func (s *Server) AddItem(title, identifier string, price int64, stock int, vars ...VariationInput) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextItem++
	it := &item{ID: s.nextItem, Title: title, Identifier: identifier, Price: price, Stock: stock,
		ListOrder: len(s.items) + 1, Modified: s.opts.Now().Unix()}
	for _, v := range vars {
		s.nextVar++
		it.Variations = append(it.Variations, &variation{ID: s.nextVar, Name: v.Name, Identifier: v.Identifier, Stock: v.Stock})
	}
	it.sum()
	s.items = append(s.items, it)
	return it.ID
}

func (it *item) sum() {
	if len(it.Variations) == 0 {
		return
	}
	it.Stock = 0
	for _, v := range it.Variations {
		it.Stock += v.Stock
	}
}

// findSKU returns the item and variation (nil for an item without variations) listed as sku.
func (s *Server) findSKU(sku string) (*item, *variation) {
	for _, it := range s.items {
		if len(it.Variations) == 0 && it.Identifier == sku {
			return it, nil
		}
		for _, v := range it.Variations {
			if v.Identifier == sku {
				return it, v
			}
		}
	}
	return nil, nil
}

// Stock returns the stock the shop shows for a SKU.
func (s *Server) Stock(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, v := s.findSKU(sku)
	switch {
	case it == nil:
		return 0, false
	case v != nil:
		return v.Stock, true
	}
	return it.Stock, true
}

// SetStock changes a SKU's stock as the shop owner does in BASE's admin.
func (s *Server) SetStock(sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, v := s.findSKU(sku)
	if it == nil {
		return false
	}
	if v != nil {
		v.Stock = n
		it.sum()
	} else {
		it.Stock = n
	}
	it.Modified = s.opts.Now().Unix()
	return true
}

// PlaceOrder places a buyer's order at the fake's current time and returns its unique_key.
// Lines name SKUs listed with AddItem; stock is taken as BASE does.
func (s *Server) PlaceOrder(in OrderInput) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now().Unix()
	key := newKey()
	o := &fOrder{Key: key, Ordered: now, Modified: now, Payment: in.Payment, Buyer: in.Buyer, Receiver: in.Receiver,
		Remark: in.Remark, DeliveryDate: in.DeliveryDate, TimeZone: in.DeliveryTimeZone,
		ShippingFee: in.ShippingFee, CODFee: in.CODFee, Discount: in.Discount}
	if o.Payment == "" {
		o.Payment = "creditcard"
	}
	if o.Buyer.Country == "" {
		o.Buyer.Country = "Japan"
	}
	if o.Payment == "atobarai" {
		o.Atobarai = "ordered"
	}
	if len(in.Lines) == 0 {
		return "", fmt.Errorf("basetest: an order needs lines")
	}
	for _, l := range in.Lines {
		it, v := s.findSKU(l.SKU)
		if it == nil {
			return "", fmt.Errorf("basetest: no item listed as SKU %q", l.SKU)
		}
		if l.Amount <= 0 {
			return "", fmt.Errorf("basetest: amount %d", l.Amount)
		}
		s.nextLine++
		fi := &fItem{ID: s.nextLine, ItemID: it.ID, Title: it.Title, Price: cmpOr(l.Price, it.Price), Amount: l.Amount,
			Status: "ordered", Modified: now}
		if v != nil {
			id := v.ID
			fi.VariationID, fi.Variation = &id, v.Name
			v.Stock = max(0, v.Stock-l.Amount)
			it.sum()
		} else {
			it.Stock = max(0, it.Stock-l.Amount)
		}
		o.Items = append(o.Items, fi)
	}
	s.orders[key] = o
	return key, nil
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

func newKey() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func (s *Server) order(key string) (*fOrder, error) {
	o := s.orders[key]
	if o == nil {
		return nil, fmt.Errorf("basetest: no order %s", key)
	}
	return o, nil
}

// ChangeReceiver changes the order's delivery address, as the shop does in BASE's admin when a
// buyer asks.
func (s *Server) ChangeReceiver(key string, a Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(key)
	if err != nil {
		return err
	}
	o.Receiver = &a
	o.Modified = s.opts.Now().Unix()
	return nil
}

// ChangeDelivery changes the requested delivery date and time zone.
func (s *Server) ChangeDelivery(key, date, zone string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(key)
	if err != nil {
		return err
	}
	o.DeliveryDate, o.TimeZone = date, zone
	o.Modified = s.opts.Now().Unix()
	return nil
}

// CancelOrder cancels the whole order, as the shop does in BASE's admin (any payment method).
func (s *Server) CancelOrder(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(key)
	if err != nil {
		return err
	}
	now := s.opts.Now().Unix()
	for _, it := range o.Items {
		if it.Status == "ordered" {
			it.Status, it.Modified = "cancelled", now
		}
	}
	o.Cancelled, o.Modified = &now, now
	if o.Atobarai != "" {
		o.Atobarai = "cancelled"
	}
	return nil
}

// MarkPaid records the payment of a cvs or base_bt order, which makes it shippable.
func (s *Server) MarkPaid(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(key)
	if err != nil {
		return err
	}
	o.Paid, o.Modified = true, s.opts.Now().Unix()
	return nil
}

// Arrive records that a 後払い order's parcel arrived: BASE then marks it arrived and dispatched.
func (s *Server) Arrive(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(key)
	if err != nil {
		return err
	}
	if o.Atobarai != "shipping" {
		return fmt.Errorf("basetest: order %s is not in shipping", key)
	}
	now := s.opts.Now().Unix()
	o.Atobarai = "arrived"
	for _, it := range o.Items {
		if it.Status == "ordered" {
			it.Status, it.Modified = "dispatched", now
		}
	}
	o.Dispatched, o.Modified = &now, now
	return nil
}

// OrderItemIDs returns the order_item_id of each line of the order, in order.
func (s *Server) OrderItemIDs(key string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key]
	if o == nil {
		return nil
	}
	out := make([]int64, len(o.Items))
	for i, it := range o.Items {
		out[i] = it.ID
	}
	return out
}

// ItemStatuses returns each line's status (ordered, dispatched, cancelled) and the order's
// dispatch_status.
func (s *Server) ItemStatuses(key string) ([]string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[key]
	if o == nil {
		return nil, ""
	}
	var out []string
	for _, it := range o.Items {
		out = append(out, it.Status)
	}
	return out, o.dispatchStatus()
}

// Dispatches returns the effective edit_status calls made on the order, oldest first.
func (s *Server) Dispatches(key string) []Dispatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Dispatch
	for _, d := range s.dispatch {
		if d.OrderKey == key {
			out = append(out, d)
		}
	}
	return out
}

func (o *fOrder) dispatchStatus() string {
	if o.Cancelled != nil {
		return "cancelled"
	}
	if o.Atobarai == "shipping" {
		return "shipping"
	}
	if (o.Payment == "cvs" || o.Payment == "base_bt") && !o.Paid {
		return "unpaid"
	}
	open, done := 0, 0
	for _, it := range o.Items {
		switch it.Status {
		case "ordered":
			open++
		case "dispatched":
			done++
		}
	}
	switch {
	case open > 0:
		return "ordered"
	case done > 0:
		return "dispatched"
	}
	return "cancelled"
}

// ---- HTTP ----

func (s *Server) issueLocked() Token {
	now := s.opts.Now()
	t := Token{AccessToken: randHex(16), RefreshToken: randHex(16), Expiry: now.Add(AccessTokenTTL), RefreshExpiry: now.Add(RefreshTokenTTL)}
	s.access[t.AccessToken] = t.Expiry
	s.refresh[t.RefreshToken] = t.RefreshExpiry
	return t
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError answers as BASE does: HTTP 400 with error and error_description.
func apiError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		apiError(w, "access_denied", "POSTで送信してください。")
		return
	}
	if err := r.ParseForm(); err != nil {
		apiError(w, "invalid_request", "不正なパラメーターです。")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "refresh_token" {
		apiError(w, "invalid_request", "不正なgrant_typeです。")
		return
	}
	if f.Get("client_id") == "" || f.Get("client_secret") == "" {
		apiError(w, "invalid_request", "client_idもしくはclient_secretがありません。")
		return
	}
	if f.Get("client_id") != s.opts.ClientID || f.Get("client_secret") != s.opts.ClientSecret {
		apiError(w, "unauthorized_client", "クライアントが見つかりませんでした。")
		return
	}
	if f.Get("redirect_uri") != s.opts.RedirectURI || f.Get("refresh_token") == "" {
		apiError(w, "invalid_request", "不正なパラメーターです。")
		return
	}
	s.mu.Lock()
	exp, ok := s.refresh[f.Get("refresh_token")]
	switch {
	case !ok:
		s.mu.Unlock()
		apiError(w, "invalid_request", "不正なリフレッシュトークンです。")
		return
	case !s.opts.Now().Before(exp):
		s.mu.Unlock()
		apiError(w, "invalid_request", "リフレッシュトークンの有効期限が切れています。")
		return
	}
	// BASE answers a new refresh token; the fake retires the old one, so a client that
	// refreshes twice with the same one is caught.
	delete(s.refresh, f.Get("refresh_token"))
	t := s.issueLocked()
	s.stats.Refreshes++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": t.AccessToken, "token_type": "bearer",
		"expires_in": int(AccessTokenTTL / time.Second), "refresh_token": t.RefreshToken})
}

// rollLocked starts new hour and day counters when the clock passed minute 00 or midnight in
// Japan.
func (s *Server) rollLocked(now time.Time) {
	if h := now.UTC().Truncate(time.Hour); !h.Equal(s.hourKey) {
		s.hourKey, s.hourCount = h, 0
	}
	if d := now.In(JST).Format("2006-01-02"); d != s.dayKey {
		s.dayKey, s.dayCount = d, 0
	}
}

type route struct {
	method, scope string
	write         bool
	h             func(w http.ResponseWriter, r *http.Request, arg string)
}

func (s *Server) route(path string) (route, string, bool) {
	switch {
	case path == "/1/orders":
		return route{http.MethodGet, "read_orders", false, s.listOrders}, "", true
	case strings.HasPrefix(path, "/1/orders/detail/"):
		return route{http.MethodGet, "read_orders", false, s.orderDetail}, strings.TrimPrefix(path, "/1/orders/detail/"), true
	case path == "/1/orders/edit_status":
		return route{http.MethodPost, "write_orders", true, s.editStatus}, "", true
	case path == "/1/items":
		return route{http.MethodGet, "read_items", false, s.listItems}, "", true
	case strings.HasPrefix(path, "/1/items/detail/"):
		return route{http.MethodGet, "read_items", false, s.itemDetail}, strings.TrimPrefix(path, "/1/items/detail/"), true
	case path == "/1/items/edit_stock":
		return route{http.MethodPost, "write_items", true, s.editStock}, "", true
	case path == "/1/delivery_companies":
		return route{http.MethodGet, "", false, s.deliveryCompanies}, "", true
	}
	return route{}, "", false
}

// handleAPI checks the bearer token and the limits, injects faults, and runs the endpoint. A
// stalled write runs, then its answer is held back until the client gives up.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	rt, arg, ok := s.route(r.URL.Path)
	s.mu.Lock()
	s.stats.Requests++
	now := s.opts.Now()
	s.rollLocked(now)
	if !ok {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	exp, known := s.access[tok]
	if tok == "" || !known || !now.Before(exp) {
		s.stats.Unauthorized++
		s.mu.Unlock()
		apiError(w, "invalid_request", "アクセストークンが無効です。")
		return
	}
	if s.throttle != "" || s.dayCount >= s.opts.DailyLimit || s.hourCount >= s.opts.HourlyLimit {
		code := s.throttle
		s.throttle = ""
		if code == "" {
			code = "hour_api_limit"
			if s.dayCount >= s.opts.DailyLimit {
				code = "day_api_limit"
			}
		}
		s.stats.Throttled++
		s.mu.Unlock()
		if code == "day_api_limit" {
			apiError(w, code, "1日のAPIの利用上限を超えました。日付が変わってからもう一度アクセスしてください。")
		} else {
			apiError(w, code, "1時間のAPIの利用上限を超えました。時間が変わってからもう一度アクセスしてください。")
		}
		return
	}
	s.hourCount++
	s.dayCount++
	s.stats.PerHour[s.hourKey]++
	if s.faults.ServerError > 0 && s.rnd.Float64() < s.faults.ServerError {
		s.stats.Faults++
		s.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	stall := rt.write && (s.stallNext || (s.faults.Lost > 0 && s.rnd.Float64() < s.faults.Lost))
	if stall {
		s.stallNext = false
		s.stats.Faults++
	}
	delay := s.faults.LostDelay
	var slow time.Duration
	if !stall && s.faults.Slow > 0 && s.rnd.Float64() < s.faults.Slow {
		s.stats.Faults++
		slow = s.faults.SlowDelay
	}
	s.mu.Unlock()

	if r.Method != rt.method {
		if rt.method == http.MethodPost {
			apiError(w, "not_post_method", "POSTで送信してください。")
		} else {
			apiError(w, "bad_params", "不正なパラメーターです。")
		}
		return
	}
	if rt.write {
		if err := r.ParseForm(); err != nil {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
	}
	if !stall && slow <= 0 {
		rt.h(w, r, arg)
		s.count(r.URL.Path)
		return
	}
	if !stall {
		rec := httptest.NewRecorder()
		rt.h(rec, r, arg)
		s.count(r.URL.Path)
		select {
		case <-r.Context().Done():
			return
		case <-time.After(slow):
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	rec := httptest.NewRecorder()
	rt.h(rec, r, arg)
	s.count(r.URL.Path)
	if delay <= 0 {
		delay = time.Minute
	}
	select {
	case <-r.Context().Done():
	case <-time.After(delay):
	}
}

func (s *Server) count(path string) {
	if strings.HasPrefix(path, "/1/orders/detail/") {
		path = "/1/orders/detail"
	} else if strings.HasPrefix(path, "/1/items/detail/") {
		path = "/1/items/detail"
	}
	s.mu.Lock()
	s.stats.Ops[path]++
	s.mu.Unlock()
}

// parseOrdered reads start_ordered and end_ordered: "yyyy-mm-dd" or "yyyy-mm-dd hh:mm:ss" in
// Japanese time. A date alone means the start of the day for start_ordered and its end for
// end_ordered.
func parseOrdered(v string, end bool) (int64, bool) {
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", v, JST); err == nil {
		return t.Unix(), true
	}
	if t, err := time.ParseInLocation("2006-01-02", v, JST); err == nil {
		if end {
			return t.Add(24*time.Hour - time.Second).Unix(), true
		}
		return t.Unix(), true
	}
	return 0, false
}

func intParam(v string, def int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	lo, hi := int64(-1<<62), int64(1<<62)
	if v := q.Get("start_ordered"); v != "" {
		t, ok := parseOrdered(v, false)
		if !ok {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
		lo = t
	}
	if v := q.Get("end_ordered"); v != "" {
		t, ok := parseOrdered(v, true)
		if !ok {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
		hi = t
	}
	limit, ok1 := intParam(q.Get("limit"), DefaultLimit)
	offset, ok2 := intParam(q.Get("offset"), 0)
	if !ok1 || !ok2 {
		apiError(w, "bad_params", "不正なパラメーターです。")
		return
	}
	limit = min(max(limit, 1), MaxLimit)
	s.mu.Lock()
	var sel []*fOrder
	for _, o := range s.orders {
		if o.Ordered >= lo && o.Ordered <= hi {
			sel = append(sel, o)
		}
	}
	sort.Slice(sel, func(i, j int) bool {
		if sel[i].Ordered != sel[j].Ordered {
			return sel[i].Ordered > sel[j].Ordered
		}
		return sel[i].Key > sel[j].Key
	})
	rows := []map[string]any{}
	for i := offset; i < len(sel) && len(rows) < limit; i++ {
		o := sel[i]
		rows = append(rows, map[string]any{
			"unique_key": o.Key, "ordered": o.Ordered, "cancelled": o.Cancelled, "dispatched": o.Dispatched,
			"payment": o.Payment, "first_name": o.Buyer.FirstName, "last_name": o.Buyer.LastName, "total": o.total(),
			"delivery_date": nullable(o.DeliveryDate), "delivery_time_zone": nullable(o.TimeZone),
			"terminated":      o.dispatchStatus() == "dispatched" || o.dispatchStatus() == "cancelled",
			"dispatch_status": o.dispatchStatus(), "modified": o.Modified,
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"orders": rows})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *fOrder) subtotal() int64 {
	var n int64
	for _, it := range o.Items {
		n += it.Price * int64(it.Amount)
	}
	return n
}

func (o *fOrder) total() int64 { return o.subtotal() + o.ShippingFee + o.CODFee - o.Discount }

func (s *Server) orderDetail(w http.ResponseWriter, _ *http.Request, key string) {
	if key == "" {
		apiError(w, "no_unique_key", "unique_keyは必須です。")
		return
	}
	s.mu.Lock()
	o := s.orders[key]
	if o == nil {
		s.mu.Unlock()
		apiError(w, "no_order", "注文情報が見つかりませんでした。")
		return
	}
	body := map[string]any{"order": o.detail()}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (o *fOrder) detail() map[string]any {
	d := map[string]any{
		"unique_key": o.Key, "ordered": o.Ordered, "cancelled": o.Cancelled, "dispatched": o.Dispatched,
		"payment": o.Payment, "shipping_method": "ヤマト運輸", "shipping_fee": o.ShippingFee, "cod_fee": o.CODFee,
		"total": o.total(), "first_name": o.Buyer.FirstName, "last_name": o.Buyer.LastName, "country": o.Buyer.Country,
		"zip_code": o.Buyer.ZipCode, "prefecture": o.Buyer.Prefecture, "address": o.Buyer.Address,
		"address2": o.Buyer.Address2, "mail_address": o.Buyer.Mail, "tel": o.Buyer.Tel, "remark": o.Remark,
		"add_comment": o.Comment, "delivery_company_id": o.CompanyID, "tracking_number": o.Tracking,
		"delivery_date": nullable(o.DeliveryDate), "delivery_time_zone": nullable(o.TimeZone),
		"terminated":      o.dispatchStatus() == "dispatched" || o.dispatchStatus() == "cancelled",
		"dispatch_status": o.dispatchStatus(), "modified": o.Modified,
		"order_discount":               map[string]any{"discount": o.Discount, "note": nil},
		"c_c_payment_transaction":      map[string]any{"collected_fee": nil},
		"cvs_payment_transaction":      map[string]any{"collected_fee": nil, "status": nil},
		"bt_payment_transaction":       map[string]any{"collected_fee": nil, "status": nil},
		"atobarai_payment_transaction": map[string]any{"collected_fee": nil, "status": nullable(o.Atobarai)},
	}
	if o.Receiver != nil {
		rc := o.Receiver
		d["order_receiver"] = map[string]any{"first_name": rc.FirstName, "last_name": rc.LastName, "zip_code": rc.ZipCode,
			"prefecture": rc.Prefecture, "address": rc.Address, "address2": rc.Address2, "tel": rc.Tel}
	} else {
		d["order_receiver"] = nil
	}
	items := []map[string]any{}
	for _, it := range o.Items {
		items = append(items, map[string]any{"order_item_id": it.ID, "item_id": it.ItemID, "variation_id": it.VariationID,
			"title": it.Title, "variation": nullable(it.Variation), "price": it.Price, "amount": it.Amount,
			"total": it.Price * int64(it.Amount), "status": it.Status, "shipping_method": nil, "shipping_fee": 0,
			"modified": it.Modified})
	}
	d["order_items"] = items
	return d
}

func (s *Server) editStatus(w http.ResponseWriter, r *http.Request, _ string) {
	f := r.PostForm
	idStr, status, atobarai := f.Get("order_item_id"), f.Get("status"), f.Get("atobarai_status")
	if idStr == "" || (status == "" && atobarai == "") {
		apiError(w, "no_params", "order_item_idとstatusは必須です。")
		return
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		apiError(w, "bad_params", "不正なパラメーターです。")
		return
	}
	comment := f.Get("add_comment")
	if len([]rune(comment)) > MaxComment {
		apiError(w, "bad_params", "不正なパラメーターです。")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var o *fOrder
	var fi *fItem
	for _, cand := range s.orders {
		for _, it := range cand.Items {
			if it.ID == id {
				o, fi = cand, it
			}
		}
	}
	if o == nil {
		apiError(w, "no_order", "注文情報が見つかりませんでした。")
		return
	}
	now := s.opts.Now()
	if atobarai != "" {
		company, tracking := f.Get("delivery_company_id"), f.Get("tracking_number")
		if company == "" || tracking == "" {
			apiError(w, "no_params", "order_item_idとatobarai_statusとdelivery_company_idとtracking_numberは必須です。")
			return
		}
		cid, err := strconv.ParseInt(company, 10, 64)
		if err != nil || atobarai != "shipping" || !alnum(tracking) || !knownCompany(cid) {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
		if o.Payment != "atobarai" || o.Atobarai != "ordered" {
			apiError(w, "not_change_status_atobarai", "後払い決済のステータスは変更できません。")
			return
		}
		o.Atobarai, o.CompanyID, o.Tracking, o.Comment = "shipping", &cid, &tracking, comment
		o.Modified = now.Unix()
		s.writeJSONLocked(w, o)
		s.dispatch = append(s.dispatch, Dispatch{OrderKey: o.Key, OrderItemID: id, Comment: comment,
			DeliveryCompanyID: cid, TrackingNumber: tracking, Atobarai: true, At: now})
		return
	}
	if status != "dispatched" && status != "cancelled" {
		apiError(w, "bad_params", "不正なパラメーターです。")
		return
	}
	if fi.Status != "ordered" || o.Cancelled != nil {
		apiError(w, "not_change_status", "この注文のステータスは変更できません。")
		return
	}
	switch o.Payment {
	case "atobarai":
		apiError(w, "not_change_status_atobarai", "後払い決済のステータスは変更できません。")
		return
	case "carrier_01", "carrier_02", "carrier_03":
		if status == "cancelled" {
			apiError(w, "not_cancel_carrier", "キャリア決済のステータスは変更できません。")
			return
		}
	}
	if status == "cancelled" {
		switch o.Payment {
		case "creditcard":
			apiError(w, "not_cancel_credit_card", "クレジットカード決済のキャンセルはできません。")
			return
		case "cvs":
			apiError(w, "not_cancel_cvs", "コンビニ決済のキャンセルはできません。")
			return
		case "base_bt":
			apiError(w, "not_cancel_base_bt", "銀行振込(BASE口座)決済のキャンセルはできません。")
			return
		}
	} else if !o.Paid {
		switch o.Payment {
		case "cvs":
			apiError(w, "not_change_status_cvs", "コンビニ決済の入金が完了していないのでステータスを変更できません。")
			return
		case "base_bt":
			apiError(w, "not_change_status_base_bt", "銀行振込(BASE口座)決済の入金が完了していないのでステータスを変更できません。")
			return
		}
	}
	fi.Status, fi.Modified = status, now.Unix()
	o.Modified = now.Unix()
	if comment != "" {
		o.Comment = comment
	}
	if o.dispatchStatus() == "dispatched" && o.Dispatched == nil {
		t := now.Unix()
		o.Dispatched = &t
	}
	if status == "dispatched" {
		s.dispatch = append(s.dispatch, Dispatch{OrderKey: o.Key, OrderItemID: id, Comment: comment, At: now})
	}
	s.writeJSONLocked(w, o)
}

func (s *Server) writeJSONLocked(w http.ResponseWriter, o *fOrder) {
	writeJSON(w, http.StatusOK, map[string]any{"order": o.detail()})
}

func alnum(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}

func knownCompany(id int64) bool {
	return slices.ContainsFunc(DeliveryCompanies, func(c struct {
		ID   int64
		Name string
	}) bool {
		return c.ID == id
	})
}

func (it *item) json() map[string]any {
	vars := []map[string]any{}
	for _, v := range it.Variations {
		vars = append(vars, map[string]any{"variation_id": v.ID, "variation": v.Name, "variation_stock": v.Stock,
			"variation_identifier": nullable(v.Identifier)})
	}
	return map[string]any{"item_id": it.ID, "title": it.Title, "detail": "", "price": it.Price, "proper_price": nil,
		"stock": it.Stock, "visible": 1, "list_order": it.ListOrder, "identifier": nullable(it.Identifier),
		"img1_origin": nil, "modified": it.Modified, "variations": vars}
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	limit, ok1 := intParam(q.Get("limit"), DefaultLimit)
	offset, ok2 := intParam(q.Get("offset"), 0)
	order, dir := q.Get("order"), q.Get("sort")
	if !ok1 || !ok2 || (order != "" && order != "list_order" && order != "created" && order != "modified") ||
		(dir != "" && dir != "asc" && dir != "desc") {
		apiError(w, "bad_params", "不正なパラメーターです。")
		return
	}
	limit = min(max(limit, 1), MaxLimit)
	s.mu.Lock()
	sel := slices.Clone(s.items)
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := sel[i], sel[j]
		var less bool
		switch order {
		case "created":
			less = a.ID < b.ID
		case "modified":
			less = a.Modified < b.Modified
		default:
			less = a.ListOrder < b.ListOrder
		}
		if dir == "desc" {
			return !less && a != b
		}
		return less
	})
	rows := []map[string]any{}
	for i := offset; i < len(sel) && len(rows) < limit; i++ {
		rows = append(rows, sel[i].json())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": rows})
}

func (s *Server) itemByID(idStr string) *item {
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return nil
	}
	for _, it := range s.items {
		if it.ID == id {
			return it
		}
	}
	return nil
}

func (s *Server) itemDetail(w http.ResponseWriter, _ *http.Request, idStr string) {
	s.mu.Lock()
	it := s.itemByID(idStr)
	if it == nil {
		s.mu.Unlock()
		apiError(w, "bad_item_id", "不正なitem_idです。")
		return
	}
	body := map[string]any{"item": it.json()}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) editStock(w http.ResponseWriter, r *http.Request, _ string) {
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemByID(f.Get("item_id"))
	if it == nil {
		apiError(w, "bad_item_id", "不正なitem_idです。")
		return
	}
	if vid := f.Get("variation_id"); vid != "" {
		var v *variation
		for _, c := range it.Variations {
			if strconv.FormatInt(c.ID, 10) == vid {
				v = c
			}
		}
		if v == nil {
			apiError(w, "bad_variation_id", "不正なvariation_idです。")
			return
		}
		n, err := strconv.Atoi(f.Get("variation_stock"))
		if err != nil {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
		if n < 0 {
			apiError(w, "validation_error", "バリデーションエラーです。")
			return
		}
		v.Stock = n
		it.sum()
	} else {
		n, err := strconv.Atoi(f.Get("stock"))
		if err != nil || len(it.Variations) > 0 {
			apiError(w, "bad_params", "不正なパラメーターです。")
			return
		}
		if n < 0 {
			apiError(w, "validation_error", "バリデーションエラーです。")
			return
		}
		it.Stock = n
	}
	it.Modified = s.opts.Now().Unix()
	writeJSON(w, http.StatusOK, map[string]any{"item": it.json()})
}

func (s *Server) deliveryCompanies(w http.ResponseWriter, _ *http.Request, _ string) {
	rows := []map[string]any{}
	for _, c := range DeliveryCompanies {
		rows = append(rows, map[string]any{"delivery_company_id": c.ID, "name": c.Name})
	}
	writeJSON(w, http.StatusOK, map[string]any{"delivery_companies": rows})
}

// VirtualClock is a clock whose Sleep advances time at once. Share one between the fake
// (Options.Now) and the client (base.Config.Clock) to run through hours without waiting.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a clock set to start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

// Set moves the clock to t if t is later.
func (c *VirtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Sleep advances the clock by d, unless ctx is done.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
