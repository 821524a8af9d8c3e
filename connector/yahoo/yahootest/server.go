// Package yahootest is a fake Yahoo! Shopping store API (ストアクリエイターPro) for tests: an
// httptest server that keeps a store's orders and stock, moves orders through Yahoo!'s statuses
// as buyers and staff act (PlaceOrder, ChangeAddress, ChangeQuantity, AddItem, Cancel), checks
// OAuth bearer tokens and the public-key X-sws-signature header, enforces the published limits
// with Yahoo!'s own <Error> bodies, and injects faults (FailNext, SlowNext, StallNext,
// ThrottleNext).
//
// # Sources
//
// Yahoo! publishes no machine-readable specification. The fake follows the official pages as
// the project's research quotes them (../shared/research/channel-apis.md §4, citing
// developer.yahoo.co.jp orderList.html, orderInfo.html, orderChangeHistory.html,
// orderShipStatusChange.html, setStock.html, getStock.html and help.html), and every name was
// checked against public clients written by others, found with the search tool:
//
//   - kunitake1028/yahoo-shopping-jp-php (a fork of Shippinno's PHP client):
//     src/YahooShoppingJp/Request/SearchOrdersRequest.php (Search/Condition/OrderTimeFrom and
//     OrderTimeTo as YmdHis, Start, Result, Field, SellerId; the field names OrderId, Version,
//     ParentOrderId, IsSplit, OrderTime, LastUpdateTime, OrderStatus, PayMethod, ShipStatus,
//     ShipMethod, ShipMethodName, ShipRequestDate, ShipRequestTime, ShipNotes,
//     ShipInvoiceNumber1/2, ShipDate, ShipUrl, ShipFirstName, ShipLastName, ShipPrefecture,
//     TotalPrice), Request/UpdateOrderShippingStatusRequest.php (Target/OrderId, IsPointFix,
//     OperationUser; Order/Ship/ShipStatus, ShipMethod, ShipNotes of at most 500 characters,
//     ShipInvoiceNumber1, ShipInvoiceNumber2, ShipUrl, ShipDate and ArrivalDate as YYYYMMDD in
//     Asia/Tokyo), Request/UpdateItemStockInfoRequest.php (setStock's seller_id, item_code as
//     商品コード:個別商品コード, quantity with an optional sign), Api/OrderCount.php (a GET).
//   - kamiya54/yahoo_shopping_api (Ruby): spec/fixtures/order/order_count.xml
//     (ResultSet/Result/Status, Count/NewOrder, Count/NewReserve), spec/fixtures/stock/get_array.xml
//     and set_array.xml (ResultSet's totalResultsAvailable, totalResultsReturned and
//     firstResultPosition attributes; Result/ItemCode, SubCode, Status, Quantity),
//     invalid_params.xml (<Error><Message/><Code>st-02101</Code></Error>) and timeout.xml (the
//     expired-token answer: Bearer realm="yahooapis.jp", error="invalid_token").
//   - Order clients in Python and Node.js and a PHP token refresher (search-tool hits, not
//     packaged): Result/Status "OK", Search/TotalCount, Search/OrderInfo, Sort +order_time,
//     orderInfo's Target/OrderId and Target/Field, Item/LineId, ItemId, Title, SubCode,
//     Quantity, UnitPrice, ItemOption; field lists naming ShipZipCode, ShipCity,
//     ShipAddress1/2, ShipPhoneNumber and ShipCompanyCode; X-sws-signature as
//     Base64(RSA-PKCS#1 v1.5 of "sellerId:unixtime") with X-sws-signature-version, on API calls
//     and on refreshes; the token endpoint https://auth.login.yahoo.co.jp/yconnect/v2/token
//     with Basic client credentials and grant_type=refresh_token.
//   - A warehouse database schema (search-tool hit) naming ShipInvoiceNumberEmptyReason.
//
// # Names from one source only
//
// These come from the research notes alone and are the fake's best reading of them:
// orderChangeHistory's query parameters (orderId, sellerId) and its whole answer
// (OrderChangeHistory, HistoryId, OperationType, UpdateTime, a nested OrderInfo, and the
// operation names orderChange, orderItemAdd, orderStatusChange, orderShipStatusChange);
// orderCount's sellerId parameter; the grouping of orderInfo's answer into Pay, Ship and Item
// elements (clients read Item and the Ship fields but show no grouping); the orderList
// conditions OrderId and OrderStatus; ShipCompanyCode values (1000 その他, 1001 ヤマト,
// 1002 佐川); the setStock code st-02104 for quantity INI. Further, the fake's own choices where
// no source says: ShipRequestDate as YYYYMMDD and ShipRequestTime as "14:00-16:00" or 午前中;
// PayMethod payment_d1 for 代金引換; the HTTP statuses of errors (400 for a refused request,
// 401 for a token, 403 for a signature); and the throttle answer, for which the research found
// no documented status or code: HTTP 429 with Yahoo!'s <Error> body, with Retry-After only when
// a test asks for a wait with ThrottleNext. Error messages other than st-02101's are the fake's.
package yahootest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Published figures the fake enforces.
const (
	// RatePerAPI is help.html's "1つのAPIに対しての上限は「10req/sec」".
	RatePerAPI = 10
	// DailyCap is help.html's 50,000 requests a day per application.
	DailyCap = 50000
	// ShortRefreshLife is the refresh token's lifetime for order APIs without public-key auth.
	ShortRefreshLife = 12 * time.Hour
	// RefreshLife is the refresh token's lifetime with public-key auth (Yahoo! ID連携's usual
	// four weeks; the research gives only the 12-hour case).
	RefreshLife = 28 * 24 * time.Hour
	// AccessLife is how long an access token lasts (one hour).
	AccessLife = time.Hour
	// MaxStockCodes is setStock's limit of item codes per call.
	MaxStockCodes = 1000
)

// JST is the time zone every Yahoo! time is given in.
var JST = time.FixedZone("JST", 9*3600)

// Options configure a Server. The zero value works.
type Options struct {
	// Now is the store's clock (order times, token expiry, the daily cap); default time.Now.
	Now func() time.Time
	// SellerID is the store account; default "sakura-tea".
	SellerID string
	// PublicKeyAuth makes the store register a public key: order APIs and the token endpoint
	// then require a valid X-sws-signature, and refresh tokens last RefreshLife instead of
	// ShortRefreshLife.
	PublicKeyAuth bool
	// Rate is the requests per second allowed per API (default RatePerAPI); negative turns the
	// check off. A little slack absorbs network jitter between a paced client and the fake.
	Rate int
	// DailyCap is the requests allowed per day (JST) (default DailyCap).
	DailyCap int
}

// Server is a fake store. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options
	key  *rsa.PrivateKey
	done chan struct{}

	mu        sync.Mutex
	clientID  string
	secret    string
	access    map[string]time.Time // token → expiry
	current   string
	refresh   string
	refreshAt time.Time
	refreshes int
	requests  int
	perAPI    map[string][]time.Time
	day       string
	dayCount  int

	throttle *time.Duration
	fail     int
	stall    bool
	slow     time.Duration

	orders   map[string]*order
	seq      int
	stock    map[string]int
	listed   map[string]bool
	shipHits map[string]int
}

// New starts a fake store.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SellerID == "" {
		opts.SellerID = "sakura-tea"
	}
	if opts.Rate == 0 {
		opts.Rate = RatePerAPI
	}
	if opts.DailyCap <= 0 {
		opts.DailyCap = DailyCap
	}
	key, err := storeKey()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, key: key, done: make(chan struct{}),
		clientID: "dj00aiZpPWFwcC1pZA--", secret: "app-secret-" + randHex(8),
		access: map[string]time.Time{}, perAPI: map[string][]time.Time{},
		orders: map[string]*order{}, stock: map[string]int{}, listed: map[string]bool{}, shipHits: map[string]int{}}
	s.refresh = "refresh-" + randHex(16)
	s.refreshAt = opts.Now()
	s.current = s.issueLocked()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /yconnect/v2/token", s.token)
	for name, h := range map[string]func(http.ResponseWriter, *http.Request){
		"POST orderList": s.orderList, "POST orderInfo": s.orderInfo, "GET orderCount": s.orderCount,
		"GET orderChangeHistory": s.orderChangeHistory, "POST orderShipStatusChange": s.orderShipStatusChange,
		"POST setStock": s.setStock, "POST getStock": s.getStock,
	} {
		method, api, _ := strings.Cut(name, " ")
		mux.HandleFunc(method+" /ShoppingWebService/V1/"+api, s.api(api, h))
	}
	s.srv = httptest.NewServer(mux)
	return s, nil
}

// NewTest starts a fake for a test and closes it at the end.
func NewTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, releasing stalled requests.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.srv.Close()
}

// URL is the API base, as https://circus.shopping.yahooapis.jp/ShoppingWebService/V1 is.
func (s *Server) URL() string { return s.srv.URL + "/ShoppingWebService/V1" }

// TokenURL is the Yahoo! ID連携 token endpoint.
func (s *Server) TokenURL() string { return s.srv.URL + "/yconnect/v2/token" }

// SellerID returns the store account.
func (s *Server) SellerID() string { return s.opts.SellerID }

// ClientID and ClientSecret are the application's credentials.
func (s *Server) ClientID() string { return s.clientID }

// ClientSecret returns the application's secret.
func (s *Server) ClientSecret() string { return s.secret }

// AccessToken returns the access token issued last.
func (s *Server) AccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// RefreshToken returns the refresh token and when it was issued.
func (s *Server) RefreshToken() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh, s.refreshAt
}

// PublicKeyPEM is the store's public key as ストアクリエイターPro hands it out (PKIX, PEM).
func (s *Server) PublicKeyPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// KeyVersion is the public key's version, sent as X-sws-signature-version.
func (s *Server) KeyVersion() string { return "1" }

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.access {
		s.access[t] = time.Time{}
	}
}

// Refreshes returns how many access tokens the token endpoint issued.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Requests returns how many API requests (not token requests) the store received, refused
// ones included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ThrottleNext makes the next API request be refused as throttled, asking for wait.
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = &wait
}

// FailNext makes the next n API requests fail with HTTP 503 and no effect.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// StallNext makes the next write (orderShipStatusChange, setStock) take effect and then hold
// its answer back until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = true
}

// SlowNext delays the next API answer by d.
func (s *Server) SlowNext(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

func (s *Server) issueLocked() string {
	t := "access-" + randHex(16)
	s.access[t] = s.opts.Now().Add(AccessLife)
	s.current = t
	return t
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

var (
	keyOnce sync.Once
	keyVal  *rsa.PrivateKey
	keyErr  error
)

// storeKey returns the key pair every fake store uses: generating a 2048-bit key takes a
// while, and the fake's stores need not differ in it.
func storeKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { keyVal, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return keyVal, keyErr
}

// ---- answers ----

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeXML(w, status, errorBody{Message: msg, Code: code})
}

func ok(w http.ResponseWriter, n int, result any) {
	writeXML(w, http.StatusOK, resultSet{Available: n, Returned: n, First: 1, Result: result})
}

// ---- the token endpoint ----

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	oauthErr := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	id, secret, basic := r.BasicAuth()
	if err := r.ParseForm(); err != nil {
		oauthErr(http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !basic || id != s.clientID || secret != s.secret {
		oauthErr(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if s.opts.PublicKeyAuth {
		if msg := s.checkSignatureLocked(r); msg != "" {
			oauthErr(http.StatusBadRequest, "invalid_request", msg)
			return
		}
	}
	if r.PostForm.Get("grant_type") != "refresh_token" {
		oauthErr(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be refresh_token")
		return
	}
	life := ShortRefreshLife
	if s.opts.PublicKeyAuth {
		life = RefreshLife
	}
	if r.PostForm.Get("refresh_token") != s.refresh || !s.opts.Now().Before(s.refreshAt.Add(life)) {
		oauthErr(http.StatusBadRequest, "invalid_grant", "refresh token is invalid or expired")
		return
	}
	s.refreshes++
	t := s.issueLocked()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": t, "token_type": "Bearer", "expires_in": int(AccessLife.Seconds())})
}

// checkSignatureLocked verifies X-sws-signature: Base64 of "sellerId:unixtime" encrypted with
// the store's public key (RSA PKCS#1 v1.5), within ten minutes of now.
func (s *Server) checkSignatureLocked(r *http.Request) string {
	sig := r.Header.Get("X-sws-signature")
	if sig == "" {
		return "X-sws-signature is required"
	}
	if r.Header.Get("X-sws-signature-version") != s.KeyVersion() {
		return "X-sws-signature-version is invalid"
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return "X-sws-signature is not Base64"
	}
	plain, err := rsa.DecryptPKCS1v15(nil, s.key, raw)
	if err != nil {
		return "X-sws-signature cannot be decrypted"
	}
	seller, ts, found := strings.Cut(string(plain), ":")
	unix, err := strconv.ParseInt(ts, 10, 64)
	if !found || err != nil || seller != s.opts.SellerID {
		return "X-sws-signature does not name this store"
	}
	if d := s.opts.Now().Sub(time.Unix(unix, 0)); d > 10*time.Minute || d < -10*time.Minute {
		return "X-sws-signature is out of date"
	}
	return ""
}

// ---- the API front door: faults, auth, limits ----

var orderAPIs = map[string]bool{"orderList": true, "orderInfo": true, "orderCount": true,
	"orderChangeHistory": true, "orderShipStatusChange": true}

var writeAPIs = map[string]bool{"orderShipStatusChange": true, "setStock": true}

func (s *Server) api(name string, h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
		s.mu.Lock()
		s.requests++
		slow := s.slow
		s.slow = 0
		if s.throttle != nil {
			wait := *s.throttle
			s.throttle = nil
			s.mu.Unlock()
			if wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			}
			writeError(w, http.StatusTooManyRequests, "", "Too Many Requests")
			return
		}
		if s.fail > 0 {
			s.fail--
			s.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "", "Service Unavailable")
			return
		}
		if msg := s.authLocked(r, name); msg != "" {
			s.mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Bearer realm="yahooapis.jp", error="invalid_token", error_description="`+msg+`"`)
			writeError(w, http.StatusUnauthorized, "", `Please provide valid credentials. Bearer realm="yahooapis.jp", error="invalid_token", error_description="`+msg+`"`)
			return
		}
		if orderAPIs[name] && s.opts.PublicKeyAuth {
			if msg := s.checkSignatureLocked(r); msg != "" {
				s.mu.Unlock()
				writeError(w, http.StatusForbidden, "", msg)
				return
			}
		}
		if msg := s.limitLocked(name); msg != "" {
			s.mu.Unlock()
			writeError(w, http.StatusTooManyRequests, "", msg)
			return
		}
		stall := s.stall && writeAPIs[name]
		if stall {
			s.stall = false
		}
		s.mu.Unlock()
		if slow > 0 {
			select {
			case <-time.After(slow):
			case <-r.Context().Done():
				return
			case <-s.done:
				return
			}
		}
		if !stall {
			h(w, r)
			return
		}
		// The write lands, and its answer is lost.
		h(httptest.NewRecorder(), r)
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
	}
}

func (s *Server) authLocked(r *http.Request, api string) string {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || tok == "" {
		return "no token"
	}
	exp, known := s.access[tok]
	if !known {
		return "invalid token"
	}
	if !s.opts.Now().Before(exp) {
		return "expired token"
	}
	return ""
}

// limitLocked applies the per-API rate and the daily cap.
func (s *Server) limitLocked(api string) string {
	day := s.opts.Now().In(JST).Format("20060102")
	if day != s.day {
		s.day, s.dayCount = day, 0
	}
	s.dayCount++
	if s.dayCount > s.opts.DailyCap {
		return "daily request limit exceeded"
	}
	if s.opts.Rate < 0 {
		return ""
	}
	now := time.Now()
	recent := s.perAPI[api][:0]
	for _, t := range s.perAPI[api] {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	// Slack of a half absorbs the jitter between when a client paced at the published rate
	// sends and when its requests arrive here; a client that ignores the limit still trips it.
	if len(recent) >= s.opts.Rate+s.opts.Rate/2 {
		s.perAPI[api] = recent
		return "request limit exceeded"
	}
	s.perAPI[api] = append(recent, now)
	return ""
}

// decode reads an XML request body; a broken one is answered here.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := xml.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "", "Request XML is invalid")
		return false
	}
	return true
}

func (s *Server) checkSeller(w http.ResponseWriter, id string) bool {
	if id != s.opts.SellerID {
		writeError(w, http.StatusBadRequest, "", "SellerId is invalid")
		return false
	}
	return true
}

var errBadTime = errors.New("bad time")

// parseCondTime reads a condition time, YYYYMMDDHHMMSS in JST.
func parseCondTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("20060102150405", v, JST)
	if err != nil {
		return time.Time{}, errBadTime
	}
	return t, nil
}
