// Package rakutentest is a fake Rakuten Ichiba shop for tests: an httptest.Server speaking the
// parts of RMS WEB SERVICE the Tobira connector uses, over an in-memory shop.
//
// # What it serves
//
//   - 楽天ペイ受注API: POST /es/2.0/order/searchOrder/, getOrder/, confirmOrder/,
//     updateOrderShipping/, updateOrderShippingAsync/ and getResultUpdateOrderShippingAsync/.
//   - 在庫API 2.0: POST /es/2.0/inventories/bulk-upsert and /es/2.0/inventories/bulk-get.
//   - ライセンス管理API: GET /es/1.0/license-management/license-key/expiry-date.
//
// Every request must carry "Authorization: ESA Base64(serviceSecret:licenseKey)"; a wrong or
// expired key is answered 401 with the gateway's body {"Results":{"errorCode":"ES04-01",...}}.
// Request bodies are decoded strictly: a field RMS does not document is refused with 400 and the
// API family's own error body (MessageModelList for orders, errors[] with IE0004 for
// inventories), as are the documented limits: search windows over 63 days or starting more
// than 730 days ago, more than 1,000 records per search page, more than 100 orders per
// getOrder or confirmOrder, more than 20 shipping rows per basket, more than 400 rows per
// bulk-upsert, quantities over 99,999, modes other than ABSOLUTE and RELATIVE.
//
// The shop keeps state: orders move through the progress codes as the shop and the buyer act
// (100 注文確認待ち → 300 発送待ち by confirmation, 400 変更確定待ち on a change, 800 and 900 on
// cancellation, 500 発送済 once every basket has a shipping row), each change leaving a
// ChangeReasonModel row; baskets keep their shipping rows (shippingDetailId, added, updated or
// deleted); inventory is keyed by manage number (lower-cased) and variant ID. A search whose
// result passes the 15,000 cap keeps 15,000 matches chosen without regard to date, as the
// official page warns ("15001件目以降の受注番号は取得できません"), and reports
// totalRecordsAmount as 15,000.
//
// Fault injection: ThrottleNext (429 with Retry-After), StallNext (the next write is applied
// and its answer held until the client gives up), and Faults rates of 5xx answers and slow
// answers after the write was applied. EnforceRates makes the fake refuse calls faster than the
// research's per-license-key rates (1/s for orders and bulk-upsert, 5/s for bulk-get), scaled.
//
// # Sources
//
// Rakuten publishes no machine-readable specification; RMS documentation sits behind the RMS
// login. Field names come from three independent sources:
//
//   - [R] shared/research/channel-apis.md §3, which quotes copies of the official pages
//     (searchOrder, getOrder, updateOrderShipping, inventories.bulk.upsert).
//   - [J] JakeJP/Rakuten.RMS.Api, a .NET client (MIT): RakutenPayOrderAPI/Models.cs and
//     OrderModel.cs, InventoryAPI20/*.cs, LicenseManagementAPI/LicenseManagementAPI.cs,
//     REST/JSON/ResultError.cs, ServiceProvider.cs (the ESA header).
//   - [P] yheihei/rms-api-sample, PHP samples: rakutenPaySearchOrder.php, rakutenPayGetOrder.php,
//     rakutenPayConfirmOrder.php, rakutenPayUpdateOrderShipping.php.
//
// Confirmed in two or more: every path above except the license one and the async result's;
// searchOrder's dateType, startDatetime, endDatetime, orderProgressList,
// shippingNumberBlankFlag, PaginationRequestModel {requestRecordsAmount, requestPage,
// SortModelList {sortColumn, sortDirection}}, orderNumberList, PaginationResponseModel
// {totalRecordsAmount, totalPages, requestPage}, MessageModelList {messageType, messageCode,
// message}; getOrder's version and OrderModel fields orderNumber, orderProgress, subStatusId,
// subStatusName, orderDatetime, shopOrderCfmDatetime, orderFixDatetime, shippingInstDatetime,
// shippingCmplRptDatetime, cancelDueDate, deliveryDate, shippingTerm, remarks, giftCheckFlag,
// orderType, OrdererModel, SettlementModel {settlementMethod}, DeliveryModel {deliveryName,
// deliveryClass}, PackageModelList {basketId, packageDeleteFlag, SenderModel {zipCode1,
// zipCode2, prefecture, city, subAddress, familyName, firstName, familyNameKana,
// firstNameKana, phoneNumber1..3, isolatedIslandFlag}, ItemModelList {itemDetailId, itemName,
// itemId, itemNumber, manageNumber, price, units, selectedChoice, deleteItemFlag, SkuModelList
// {variantId, merchantDefinedSkuId, skuInfo}}, ShippingModelList {shippingDetailId,
// shippingNumber, deliveryCompany, deliveryCompanyName, shippingDate}}, ChangeReasonModelList
// {changeId, changeType, changeTypeDetail, changeReason, changeReasonDetail,
// changeApplyDatetime, changeFixDatetime, changeCmplDatetime}; updateOrderShipping's
// orderNumber, BasketidModelList {basketId, ShippingModelList {shippingDetailId,
// shippingNumber, deliveryCompany, shippingDate, shippingDeleteFlag}} and its answer's
// dataNumber and shippingDetailId; updateOrderShippingAsync's OrderShippingModelList and
// requestId; confirmOrder's orderNumberList; the carrier codes 1000–1028; inventories
// {manageNumber, variantId, mode, quantity} with ABSOLUTE and RELATIVE; the ESA header.
//
// Confirmed in one source only, modelled as that source gives them. [J]: the license expiry
// path and its expiryDate field; the bulk-get answer's inventories {manageNumber, variantId,
// quantity, created, updated}; getResultUpdateOrderShippingAsync's ResultShippingModelList;
// errors[].metadata.propertyPath; PackageModel's noshi, totalPrice and goodsPrice; OrderModel's
// requestPrice, goodsPrice, postagePrice, deliveryPrice, totalPrice, isolatedIslandFlag (R has
// it on SenderModel only) and WrappingModel1/2 (read by the connector, not served). [R]: the
// error code IE0004, bulk-upsert's 204 answer, the carrier codes 1029–1031, the limits (63 days,
// 730 days, 15,000 results, 1,000 records a page, 100 orders a call, 20 rows a basket, 400 and
// 1,000 inventory rows, quantity 99,999), the messageCode ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101.
// The gateway body {"Results":{"errorCode":"ES04-01"}} comes from public code that calls RMS,
// not from a client library. The throttle answer (429 with Retry-After) is an assumption: the
// research found no documented throttle signal. Message codes other than
// ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101 follow its pattern and are illustrative; message
// texts are the fake's own.
//
// # Stability
//
// The fake grows with the connector; existing methods keep their meaning.
package rakutentest

import (
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
	SearchOrderPath       = "/es/2.0/order/searchOrder/"
	GetOrderPath          = "/es/2.0/order/getOrder/"
	ConfirmOrderPath      = "/es/2.0/order/confirmOrder/"
	UpdateShippingPath    = "/es/2.0/order/updateOrderShipping/"
	UpdateShippingAsync   = "/es/2.0/order/updateOrderShippingAsync/"
	AsyncResultPath       = "/es/2.0/order/getResultUpdateOrderShippingAsync/"
	BulkUpsertPath        = "/es/2.0/inventories/bulk-upsert"
	BulkGetPath           = "/es/2.0/inventories/bulk-get"
	LicenseExpiryPath     = "/es/1.0/license-management/license-key/expiry-date"
	datetimeLayout        = "2006-01-02T15:04:05-0700"
	defaultResultCap      = 15000
	maxWindow             = 63 * 24 * time.Hour
	maxStartAge           = 730 * 24 * time.Hour
	maxRowsPerBasket      = 20
	maxUpsert             = 400
	maxBulkGet            = 1000
	maxQuantity           = 99999
	maxOrdersPerCall      = 100
	maxRecordsPerPage     = 1000
	maxBody               = 4 << 20
	defaultShopID         = "tobira"
	defaultServiceSecret  = "SP000000_test"
	defaultLicenseKey     = "SL000000_test"
	defaultKeyLifetime    = 90 * 24 * time.Hour
	defaultThrottleWaitMs = 1000
)

// JST is Japan Standard Time, the zone RMS writes every datetime in.
var JST = time.FixedZone("JST", 9*3600)

// Options configure a Server. The zero value works.
type Options struct {
	// ShopID prefixes order numbers ("tobira-20260101-0000000001"); default "tobira".
	ShopID string
	// ServiceSecret and LicenseKey are the credentials requests must carry.
	ServiceSecret, LicenseKey string
	// KeyExpires is when LicenseKey stops working; zero means 90 days after Now() at New.
	KeyExpires time.Time
	// Now is the fake's clock; default time.Now. Tests share a virtual clock with the engine.
	Now func() time.Time
	// ResultCap is searchOrder's cap (default 15,000); tests lower it.
	ResultCap int
	// EnforceRates refuses calls faster than the per-license-key rates times RateScale
	// (default 1), measured on the real clock, with the throttle answer.
	EnforceRates bool
	RateScale    float64
	// Seed makes fault injection reproducible.
	Seed uint64
}

// Faults are failure rates (0 to 1) applied to each authenticated request.
type Faults struct {
	// ServerError answers 500 or 503 without doing anything.
	ServerError float64
	// Slow applies the request, then waits SlowDelay (default 5 s, or until the client gives up)
	// before answering: a client sees a timeout after its write landed.
	Slow      float64
	SlowDelay time.Duration
}

// Stats count what the fake answered.
type Stats struct {
	Requests     int
	Throttled    int
	Unauthorized int
	Invalid      int
	Faults       int
	// Calls counts served calls by path's last element ("searchOrder", "bulk-upsert").
	Calls map[string]int
}

// Server is a fake Rakuten shop. Its methods are safe for concurrent use.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu          sync.Mutex
	now         func() time.Time
	rnd         *rand.Rand
	faults      Faults
	stats       Stats
	licenseKey  string
	keyExpires  time.Time
	seq         int64
	orders      map[string]*fOrder
	orderList   []*fOrder
	stock       map[string]*fStock
	async       map[string][]asyncResult
	throttleFor time.Duration
	stallWrite  bool
	buckets     map[string]*bucket
}

// New starts a fake shop. Close it when done.
func New(opts Options) *Server {
	if opts.ShopID == "" {
		opts.ShopID = defaultShopID
	}
	if opts.ServiceSecret == "" {
		opts.ServiceSecret = defaultServiceSecret
	}
	if opts.LicenseKey == "" {
		opts.LicenseKey = defaultLicenseKey
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeyExpires.IsZero() {
		opts.KeyExpires = opts.Now().Add(defaultKeyLifetime)
	}
	if opts.ResultCap <= 0 {
		opts.ResultCap = defaultResultCap
	}
	if opts.RateScale <= 0 {
		opts.RateScale = 1
	}
	s := &Server{
		opts: opts, now: opts.Now, rnd: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		licenseKey: opts.LicenseKey, keyExpires: opts.KeyExpires, seq: 1000000,
		orders: map[string]*fOrder{}, stock: map[string]*fStock{}, async: map[string][]asyncResult{},
		stats: Stats{Calls: map[string]int{}}, buckets: map[string]*bucket{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.ServeHTTP))
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

// URL is the base URL to give the connector (in place of https://api.rms.rakuten.co.jp).
func (s *Server) URL() string { return s.srv.URL }

// ServiceSecret returns the service secret requests must carry.
func (s *Server) ServiceSecret() string { return s.opts.ServiceSecret }

// LicenseKey returns the license key currently accepted.
func (s *Server) LicenseKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.licenseKey
}

// KeyExpiry returns when the current license key stops working.
func (s *Server) KeyExpiry() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyExpires
}

// RenewKey issues a new license key, as the shop does in RMS: the old one stops working at once.
func (s *Server) RenewKey(key string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.licenseKey, s.keyExpires = key, expires
}

// ThrottleNext makes the fake refuse its next request with 429, asking for wait.
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleFor = max(wait, time.Millisecond)
}

// StallNext makes the fake apply its next write (confirmOrder, updateOrderShipping, its async
// twin, bulk-upsert) and hold the answer back until the client abandons the request.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallWrite = true
}

// SetFaults sets the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Calls = make(map[string]int, len(s.stats.Calls))
	for k, v := range s.stats.Calls {
		st.Calls[k] = v
	}
	return st
}

// ---- HTTP ----

type route struct {
	method string
	write  bool
	family string // "order", "inventory", "license"
	rate   float64
	handle func(s *Server, body []byte, r *http.Request) (int, any)
}

var routes = map[string]route{
	SearchOrderPath:     {http.MethodPost, false, "order", 1, (*Server).searchOrder},
	GetOrderPath:        {http.MethodPost, false, "order", 1, (*Server).getOrder},
	ConfirmOrderPath:    {http.MethodPost, true, "order", 1, (*Server).confirmOrder},
	UpdateShippingPath:  {http.MethodPost, true, "order", 1, (*Server).updateShipping},
	UpdateShippingAsync: {http.MethodPost, true, "order", 1, (*Server).updateShippingAsync},
	AsyncResultPath:     {http.MethodPost, false, "order", 1, (*Server).asyncResult},
	BulkUpsertPath:      {http.MethodPost, true, "inventory", 1, (*Server).bulkUpsert},
	BulkGetPath:         {http.MethodPost, false, "inventory-get", 5, (*Server).bulkGet},
	LicenseExpiryPath:   {http.MethodGet, false, "license", 1, (*Server).licenseExpiry},
}

// ServeHTTP answers one request; the fake's handler, exported so fuzz tests can call it directly.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	rt, ok := routes[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, gatewayError("ES01-01", "Not Found"))
		return
	}
	if !s.authorized(r) {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeJSON(w, http.StatusUnauthorized, gatewayError("ES04-01", "Unauthorized: the license key is invalid or expired"))
		return
	}
	if r.Method != rt.method {
		writeJSON(w, http.StatusMethodNotAllowed, gatewayError("ES01-02", "Method Not Allowed"))
		return
	}
	if wait, ok := s.throttle(rt); ok {
		s.count(func(st *Stats) { st.Throttled++ })
		w.Header().Set("Retry-After", strconv.FormatFloat(max(wait.Seconds(), 0.001), 'f', 3, 64))
		writeJSON(w, http.StatusTooManyRequests, gatewayError("ES02-01", "Too Many Requests"))
		return
	}
	s.mu.Lock()
	f := s.faults
	roll := s.rnd.Float64()
	s.mu.Unlock()
	if roll < f.ServerError {
		s.count(func(st *Stats) { st.Faults++ })
		w.WriteHeader([]int{500, 503}[int(roll*1000)%2])
		io.WriteString(w, "<html><body>Service Temporarily Unavailable</body></html>")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, orderError("ORDER_EXT_API_REQUEST_ERROR", "request body too large or unreadable"))
		return
	}
	if r.Context().Err() != nil {
		return
	}
	status, out := rt.handle(s, body, r)
	if status == http.StatusBadRequest {
		s.count(func(st *Stats) { st.Invalid++ })
	}
	name := r.URL.Path[strings.LastIndex(strings.TrimSuffix(r.URL.Path, "/"), "/")+1:]
	s.count(func(st *Stats) { st.Calls[strings.TrimSuffix(name, "/")]++ })
	s.mu.Lock()
	stall := rt.write && s.stallWrite && status < 300
	if stall {
		s.stallWrite = false
	}
	s.mu.Unlock()
	if stall {
		<-r.Context().Done()
		return
	}
	if roll < f.ServerError+f.Slow {
		s.count(func(st *Stats) { st.Faults++ })
		d := f.SlowDelay
		if d <= 0 {
			d = 5 * time.Second
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "ESA ")
	if !ok {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return false
	}
	s.mu.Lock()
	want := s.opts.ServiceSecret + ":" + s.licenseKey
	expired := !s.now().Before(s.keyExpires)
	s.mu.Unlock()
	return subtle.ConstantTimeCompare(raw, []byte(want)) == 1 && !expired
}

// rateSlack is the burst the fake tolerates: a client pacing itself at exactly the rate sees
// its calls arrive a little early or late, never more than a few at once.
const rateSlack = 3

// bucket is a token bucket on the real clock: the platform counts real seconds.
type bucket struct {
	tokens float64
	at     time.Time
}

func (s *Server) throttle(rt route) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttleFor > 0 {
		w := s.throttleFor
		s.throttleFor = 0
		return w, true
	}
	if !s.opts.EnforceRates {
		return 0, false
	}
	rate := rt.rate * s.opts.RateScale
	b := s.buckets[rt.family]
	now := time.Now()
	if b == nil {
		b = &bucket{tokens: rateSlack, at: now}
		s.buckets[rt.family] = b
	}
	b.tokens = min(rateSlack, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / rate * float64(time.Second)), true
	}
	b.tokens--
	return 0, false
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// ---- error bodies ----

type results struct {
	Results struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	} `json:"Results"`
}

func gatewayError(code, msg string) results {
	var r results
	r.Results.ErrorCode, r.Results.Message = code, msg
	return r
}

// MessageModel is one entry of an order API answer's MessageModelList.
type MessageModel struct {
	MessageType      string `json:"messageType"`
	MessageCode      string `json:"messageCode"`
	Message          string `json:"message"`
	OrderNumber      string `json:"orderNumber,omitempty"`
	DataNumber       *int   `json:"dataNumber,omitempty"`
	ShippingDetailID *int64 `json:"shippingDetailId,omitempty"`
	RequestID        string `json:"requestId,omitempty"`
}

type messages struct {
	MessageModelList []MessageModel `json:"MessageModelList"`
}

func orderError(code, msg string) messages {
	return messages{MessageModelList: []MessageModel{{MessageType: "ERROR", MessageCode: code, Message: msg}}}
}

type invError struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Metadata struct {
		PropertyPath string `json:"propertyPath"`
	} `json:"metadata"`
}

type invErrors struct {
	Errors []invError `json:"errors"`
}

func inventoryError(path, msg string) invError {
	e := invError{Code: "IE0004", Message: msg}
	e.Metadata.PropertyPath = path
	return e
}

// strict decodes a request body, refusing fields RMS does not document.
func strict(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

func fmtTime(t time.Time) string { return t.In(JST).Format(datetimeLayout) }

func fmtTimePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := fmtTime(t)
	return &v
}

func parseTime(s string) (time.Time, error) { return time.Parse(datetimeLayout, s) }
