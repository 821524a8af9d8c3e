// Package colormetest is a fake Color Me Shop (カラーミーショップ) for tests: an httptest.Server
// speaking the shop's REST API v1 (https://api.shop-pro.jp/v1/...), for the Tobira connector
// and for hosts that embed it.
//
// # Sources
//
// Color Me Shop publishes no OpenAPI document the project could store; its official
// machine-readable description is the tool manifest of GMO Pepabo's Color Me Shop MCP server
// (github.com/pepabo/colormeshop-mcp, tools.json at commit
// b32f191ceda455c913f3757774235fcb52b9569a), whose JSON-Schema inputs mirror the REST API's
// request parameters. The fake serves exactly those parameters: built with a Spec (NewTest
// loads ../shared/specs/colormeshop/tools.json), it validates every request against its tool
// (getSales, getSale, updateSale, sendSalesMail, getProducts, getProduct, updateProduct,
// getStocks, getDeliveries) and answers a parameter the manifest lacks with a 400 and a recorded
// violation. Response shapes, which the manifest does not describe, were cross-checked in:
//
//   - [R] the project's research notes (research/channel-apis.md §8.1), quoting the official
//     pages shop-pro.jp/?mode=api_started and ?mode=api_interface: GET /v1/sales answers
//     {sales, meta{total, limit, offset}}; sale_deliveries[] with name, furigana, postal,
//     pref_id, pref_name, address1, address2, tel, preferred_date, preferred_period,
//     delivery_id, detail_ids, slip_number, tracking_url, delivered, noshi_*, wrapping_*;
//     PUT /v1/sales/{id} with {"sale": {"sale_deliveries": [...]}}; PUT /v1/products/{id} with
//     {"product": {"stocks", "stock_managed", "variants": [{option1_value, option2_value,
//     stocks}]}}; GET /v1/stocks; scopes read_sales, write_sales, read_products,
//     write_products; Authorization: Bearer.
//   - [A] pepabo/colormeshop-ruby, the official OpenAPI-generated Ruby client (docs for
//     GetSales200ResponseSalesInner and GetDeliveries200ResponseDeliveriesInner): sale id,
//     make_date and update_date as Unix seconds, paid, delivered, canceled, payment_id,
//     product_total_price, delivery_total_charge, fee, tax, noshi_total_charge,
//     card_total_charge, wrapping_total_charge, point_discount, other_discount, total_price,
//     customer, details, sale_deliveries; deliveries[] id, name, method_type (other, yamato,
//     yamato_pickup, sagawa, jp), slip_number_use, slip_number_url, preferred_date_use,
//     preferred_period_use.
//   - [B] yano3/go-colormeshop, a Go client: the same sale fields, details[] (id, sale_id,
//     product_id, sale_delivery_id, option1_value, option2_value, product_model_number,
//     product_name, price, product_num, subtotal_price), sale_deliveries[] (id, sale_id,
//     delivery_id, detail_ids, delivered, name, furigana, postal, pref_id, pref_name,
//     address1, address2, tel, preferred_date, preferred_period, slip_number, tracking_url,
//     noshi_text, noshi_charge, card_name, card_text, card_charge, wrapping_charge,
//     delivery_charge, total_charge), products with model_number, stocks, stock_managed and
//     variants[] (option1_value, option2_value, title, stocks, model_number); paths
//     /v1/sales/{id}.json and /v1/products/{id}.json, which [A] uses for every operation
//     (POST /v1/sales/{saleId}/mails.json among them); the fake takes paths with and without
//     .json.
//   - [C] ryhrm-gz/colormeshop-js, a TypeScript client: the same delivery and detail fields
//     with wrapping_name, pristine_product_full_name; meta {total, limit, offset};
//     stocks[] rows with product_id, option1_value, option2_value, stocks, model_number,
//     variant_model_number.
//   - [D] an unnamed public TypeScript client (the look-up index showed its code without its
//     repository): error bodies {"errors": [{"code", "message", "status"}]}.
//
// Names confirmed in one source only, served as that source shows them: wrapping_name (the
// manifest and [C]; [B] spells it wrapping_text, which the fake does not serve),
// variant_model_number ([C]), pristine_product_full_name ([C]), the error body ([D]), and
// method_type's values ([A]). Undocumented behaviour the fake chooses, and the connector does
// not rely on: the sort order of GET /v1/sales (newest first), the error codes inside error
// bodies, the answer of sendSalesMail, the date format of make_date_min and its kin (accepted: "2006-01-02 15:04:05" and
// "2006-01-02" in Japanese time, and RFC 3339), and the rate limit, which Color Me Shop does
// not publish (the research found none): Options.RateLimit sets one, answered with 429,
// Retry-After and an error body.
//
// # What it models
//
// One shop with products (with or without option variants, each with its 型番 as SKU and its
// stock), deliveries (配送方法) and sales placed by buyers to one or several destinations
// (sale_deliveries), each destination with its own lines, のし, message card, wrapping,
// requested date and time slot. Shop staff mark destinations shipped with their slip numbers
// (updateSale), the sale becomes delivered when every destination is; a cancellation zeroes the
// quantities and totals, as Color Me Shop does. GET /v1/sales applies the documented default
// window (orders made since 0:00 seven days before "before", or now), limit (default 10, at
// most 100) and offset. Every call checks the bearer token and its scopes, and faults can be
// injected: 5xx answers, slow answers, answers lost after a write was applied, throttling.
package colormetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JST is Japan's time zone, in which the fake reads dates without a zone.
var JST = time.FixedZone("JST", 9*60*60)

// AllScopes are the OAuth scopes of a token that may read and write sales and products.
var AllScopes = []string{"read_products", "write_products", "read_sales", "write_sales"}

// Options configure a Server. The zero value works.
type Options struct {
	// Now is the fake's clock; default time.Now.
	Now func() time.Time
	// Token is the access token the fake accepts; default "colorme-test-token".
	Token string
	// Scopes are the token's scopes; default AllScopes.
	Scopes []string
	// Spec, when set, validates every request against the official tool manifest.
	Spec *Spec
	// RateLimit, when positive, is how many requests the fake answers per second of its clock
	// before it throttles (429).
	RateLimit int
	// AccountID is the shop's account ID; default "PA01234567".
	AccountID string
	// Seed makes fault injection reproducible.
	Seed uint64
}

// Faults are failure rates (0 to 1) applied to each authenticated request.
type Faults struct {
	// ServerError answers 500 without doing anything.
	ServerError float64
	// Lost applies a write, then holds the answer until the client gives up (or LostDelay).
	Lost      float64
	LostDelay time.Duration
	// Slow answers after SlowDelay, once the request has been handled.
	Slow      float64
	SlowDelay time.Duration
}

// Stats count what the fake answered.
type Stats struct {
	Requests     int // every API request, refused ones included
	Throttled    int
	Unauthorized int
	Faults       int
	// Ops counts handled requests by operation ("GET /v1/sales", "PUT /v1/products/{id}").
	Ops map[string]int
}

// Customer is the buyer of a sale, as the API shows it.
type Customer struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Furigana *string `json:"furigana"`
	Postal   *string `json:"postal"`
	PrefID   *int    `json:"pref_id"`
	PrefName *string `json:"pref_name"`
	Address1 *string `json:"address1"`
	Address2 *string `json:"address2"`
	Mail     *string `json:"mail"`
	Tel      *string `json:"tel"`
}

// Detail is one line of a sale (受注明細).
type Detail struct {
	ID                      int64   `json:"id"`
	SaleID                  int64   `json:"sale_id"`
	AccountID               string  `json:"account_id"`
	ProductID               int64   `json:"product_id"`
	SaleDeliveryID          int64   `json:"sale_delivery_id"`
	Option1Value            *string `json:"option1_value"`
	Option2Value            *string `json:"option2_value"`
	ProductModelNumber      string  `json:"product_model_number"`
	ProductName             string  `json:"product_name"`
	PristineProductFullName string  `json:"pristine_product_full_name"`
	Price                   int64   `json:"price"`
	PriceWithTax            int64   `json:"price_with_tax"`
	ProductNum              int     `json:"product_num"`
	Unit                    *string `json:"unit"`
	SubtotalPrice           int64   `json:"subtotal_price"`
}

// SaleDelivery is one destination of a sale (お届け先).
type SaleDelivery struct {
	ID              int64   `json:"id"`
	AccountID       string  `json:"account_id"`
	SaleID          int64   `json:"sale_id"`
	DeliveryID      int64   `json:"delivery_id"`
	DetailIDs       []int64 `json:"detail_ids"`
	Name            string  `json:"name"`
	Furigana        string  `json:"furigana"`
	Postal          string  `json:"postal"`
	PrefID          int     `json:"pref_id"`
	PrefName        string  `json:"pref_name"`
	Address1        *string `json:"address1"`
	Address2        *string `json:"address2"`
	Tel             *string `json:"tel"`
	PreferredDate   *string `json:"preferred_date"`
	PreferredPeriod *string `json:"preferred_period"`
	SlipNumber      *string `json:"slip_number"`
	NoshiText       *string `json:"noshi_text"`
	NoshiCharge     *int64  `json:"noshi_charge"`
	CardName        *string `json:"card_name"`
	CardText        *string `json:"card_text"`
	CardCharge      *int64  `json:"card_charge"`
	WrappingName    *string `json:"wrapping_name"`
	WrappingCharge  *int64  `json:"wrapping_charge"`
	DeliveryCharge  int64   `json:"delivery_charge"`
	TotalCharge     int64   `json:"total_charge"`
	TrackingURL     *string `json:"tracking_url"`
	Memo            *string `json:"memo"`
	Delivered       bool    `json:"delivered"`
}

// Sale is a 受注 as the API shows it.
type Sale struct {
	ID                  int64          `json:"id"`
	AccountID           string         `json:"account_id"`
	MakeDate            int64          `json:"make_date"`
	UpdateDate          int64          `json:"update_date"`
	Memo                *string        `json:"memo"`
	PaymentID           int64          `json:"payment_id"`
	Mobile              bool           `json:"mobile"`
	Paid                bool           `json:"paid"`
	Delivered           bool           `json:"delivered"`
	Canceled            bool           `json:"canceled"`
	AcceptedMailState   string         `json:"accepted_mail_state"`
	PaidMailState       string         `json:"paid_mail_state"`
	DeliveredMailState  string         `json:"delivered_mail_state"`
	ProductTotalPrice   int64          `json:"product_total_price"`
	DeliveryTotalCharge int64          `json:"delivery_total_charge"`
	Fee                 int64          `json:"fee"`
	Tax                 int64          `json:"tax"`
	NoshiTotalCharge    int64          `json:"noshi_total_charge"`
	CardTotalCharge     int64          `json:"card_total_charge"`
	WrappingTotalCharge int64          `json:"wrapping_total_charge"`
	PointDiscount       int64          `json:"point_discount"`
	GMOPointDiscount    int64          `json:"gmo_point_discount"`
	OtherDiscount       int64          `json:"other_discount"`
	OtherDiscountName   string         `json:"other_discount_name"`
	TotalPrice          int64          `json:"total_price"`
	Customer            *Customer      `json:"customer"`
	Details             []Detail       `json:"details"`
	SaleDeliveries      []SaleDelivery `json:"sale_deliveries"`
}

// Variant is one combination of a product's options, with its own 型番 and stock.
type Variant struct {
	ProductID    int64   `json:"product_id"`
	AccountID    string  `json:"account_id"`
	Option1Value string  `json:"option1_value"`
	Option2Value string  `json:"option2_value"`
	Title        string  `json:"title"`
	Stocks       *int    `json:"stocks"`
	FewNum       *int    `json:"few_num"`
	ModelNumber  *string `json:"model_number"`
	OptionPrice  *int64  `json:"option_price"`
	MakeDate     int64   `json:"make_date"`
	UpdateDate   int64   `json:"update_date"`
}

// Product is a 商品 as the API shows it.
type Product struct {
	AccountID    string    `json:"account_id"`
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Stocks       *int      `json:"stocks"`
	StockManaged bool      `json:"stock_managed"`
	FewNum       *int      `json:"few_num"`
	ModelNumber  *string   `json:"model_number"`
	DisplayState string    `json:"display_state"`
	SalesPrice   *int64    `json:"sales_price"`
	Price        *int64    `json:"price"`
	MakeDate     int64     `json:"make_date"`
	UpdateDate   int64     `json:"update_date"`
	Variants     []Variant `json:"variants"`
}

// Delivery is a 配送方法 of the shop.
type Delivery struct {
	ID                 int64   `json:"id"`
	AccountID          string  `json:"account_id"`
	Name               string  `json:"name"`
	MethodType         string  `json:"method_type"`
	SlipNumberUse      bool    `json:"slip_number_use"`
	SlipNumberURL      *string `json:"slip_number_url"`
	PreferredDateUse   bool    `json:"preferred_date_use"`
	PreferredPeriodUse bool    `json:"preferred_period_use"`
	DisplayState       string  `json:"display_state"`
}

// Shipping is one change shop staff (or a connector) made to a destination's shipping state
// through updateSale: the slip numbers it added and whether it marked the destination shipped.
type Shipping struct {
	SaleID         int64
	SaleDeliveryID int64
	SlipNumbers    []string // the numbers this update added
	Delivered      bool     // the destination was marked shipped by this update
	TrackingURL    string
	At             time.Time
}

// Server is a fake Color Me Shop.
type Server struct {
	srv  *httptest.Server
	opts Options
	done chan struct{}

	mu           sync.Mutex
	rnd          *mrand.Rand
	products     []*Product
	deliveries   []Delivery
	sales        map[int64]*Sale
	nextID       int64
	faults       Faults
	throttle     int
	throttleWait time.Duration
	stallNext    int
	failNext     []int
	failWrite    []int
	stats        Stats
	shippings    []Shipping
	mails        []Mail
	violations   []string
	rateSec      int64
	rateCount    int
	closeOnce    sync.Once
}

// New starts a fake shop with two delivery methods (ヤマト運輸 and 佐川急便).
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Token == "" {
		opts.Token = "colorme-test-token"
	}
	if opts.Scopes == nil {
		opts.Scopes = AllScopes
	}
	if opts.AccountID == "" {
		opts.AccountID = "PA01234567"
	}
	s := &Server{opts: opts, done: make(chan struct{}), sales: map[int64]*Sale{}, nextID: 1000,
		rnd: mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), stats: Stats{Ops: map[string]int{}}}
	s.deliveries = []Delivery{
		{ID: 101, AccountID: opts.AccountID, Name: "宅急便", MethodType: "yamato", SlipNumberUse: true, PreferredDateUse: true, PreferredPeriodUse: true, DisplayState: "showing"},
		{ID: 102, AccountID: opts.AccountID, Name: "飛脚宅配便", MethodType: "sagawa", SlipNumberUse: true, PreferredDateUse: true, PreferredPeriodUse: true, DisplayState: "showing"},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Close stops the server, ending any answer held back.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// URL is the API's base URL (without /v1).
func (s *Server) URL() string { return s.srv.URL }

// Token is the access token the fake accepts.
func (s *Server) Token() string { return s.opts.Token }

// SetFaults sets the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ThrottleNext makes the next request answer 429 with Retry-After wait (rounded up to seconds).
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle++
	s.throttleWait = wait
}

// StallNext makes the next write apply and then hold its answer until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallNext++
}

// FailNext makes the next request answer status (500, 503, ...) without doing anything.
func (s *Server) FailNext(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, status)
}

// FailNextWrite makes the next write answer status without doing anything; reads pass.
func (s *Server) FailNextWrite(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWrite = append(s.failWrite, status)
}

// RevokeToken makes the fake refuse the token from now on, as when the shop uninstalls the app.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Token = "revoked-" + s.opts.Token
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Ops = map[string]int{}
	for k, v := range s.stats.Ops {
		out.Ops[k] = v
	}
	return out
}

// SpecViolations lists the requests the manifest does not allow, in the order they came.
func (s *Server) SpecViolations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

func ptr[T any](v T) *T { return &v }

// VariantInput describes one option combination of a product.
type VariantInput struct {
	Option1, Option2 string
	ModelNumber      string
	Stock            int
}

// AddProduct lists a product. Without variants, modelNumber is its SKU and stock its stock;
// with variants, each variant has its own model number and stock (option 1 × option 2).
func (s *Server) AddProduct(name, modelNumber string, price int64, stock int, variants ...VariantInput) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Unix()
	p := &Product{AccountID: s.opts.AccountID, ID: s.newID(), Name: name, StockManaged: true, DisplayState: "showing",
		SalesPrice: ptr(price), Price: ptr(price), MakeDate: now, UpdateDate: now}
	if modelNumber != "" {
		p.ModelNumber = ptr(modelNumber)
	}
	if len(variants) == 0 {
		p.Stocks = ptr(stock)
	}
	for _, v := range variants {
		title := v.Option1
		if v.Option2 != "" {
			title += "　x　" + v.Option2
		}
		vv := Variant{ProductID: p.ID, AccountID: s.opts.AccountID, Option1Value: v.Option1, Option2Value: v.Option2,
			Title: title, Stocks: ptr(v.Stock), MakeDate: now, UpdateDate: now}
		if v.ModelNumber != "" {
			vv.ModelNumber = ptr(v.ModelNumber)
		}
		p.Variants = append(p.Variants, vv)
	}
	s.products = append(s.products, p)
	return p.ID
}

// findSKULocked finds the product (and variant index, -1 for none) whose 型番 is sku.
func (s *Server) findSKULocked(sku string) (*Product, int) {
	for _, p := range s.products {
		if len(p.Variants) == 0 {
			if p.ModelNumber != nil && *p.ModelNumber == sku {
				return p, -1
			}
			continue
		}
		for i, v := range p.Variants {
			if v.ModelNumber != nil && *v.ModelNumber == sku {
				return p, i
			}
		}
	}
	return nil, -1
}

// Stock returns the stock shown for a SKU.
func (s *Server) Stock(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i := s.findSKULocked(sku)
	switch {
	case p == nil:
		return 0, false
	case i >= 0:
		return deref(p.Variants[i].Stocks), true
	}
	return deref(p.Stocks), true
}

// SetStock changes a SKU's stock as the merchant does in the shop's admin.
func (s *Server) SetStock(sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, i := s.findSKULocked(sku)
	if p == nil {
		return false
	}
	if i >= 0 {
		p.Variants[i].Stocks = ptr(n)
	} else {
		p.Stocks = ptr(n)
	}
	p.UpdateDate = s.now().Unix()
	return true
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// Address is a buyer's or a destination's name, address and phone.
type Address struct {
	Name, Furigana, Postal string
	PrefID                 int // 1 (北海道) to 47 (沖縄県)
	Address1, Address2     string
	Tel, Mail              string
}

// LineInput is a quantity of a SKU at a price (0: the product's price).
type LineInput struct {
	SKU      string
	Quantity int
	Price    int64
}

// DestinationInput is one destination of a sale.
type DestinationInput struct {
	To              Address
	Lines           []LineInput
	DeliveryID      int64  // 0: the first delivery method
	PreferredDate   string // "2026-12-24"
	PreferredPeriod string // "午前中", "14:00-16:00", ...
	NoshiText       string
	NoshiCharge     int64
	CardName        string
	CardText        string
	WrappingName    string
	WrappingCharge  int64
	DeliveryCharge  int64
}

// SaleInput is a buyer's order.
type SaleInput struct {
	Buyer        Address
	PaymentID    int64
	Fee          int64 // 決済手数料 (代引き手数料)
	Destinations []DestinationInput
}

// prefNames are Japan's prefectures in pref_id order.
var prefNames = [47]string{
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
	"埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
	"岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
	"鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
	"佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
}

func prefName(id int) string {
	if id < 1 || id > 47 {
		return ""
	}
	return prefNames[id-1]
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optN(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// PlaceSale places a buyer's order and returns its sale ID and the IDs of its destinations, in
// order. Stock is taken from each SKU, as the cart does.
func (s *Server) PlaceSale(in SaleInput) (int64, []int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(in.Destinations) == 0 {
		return 0, nil, fmt.Errorf("colormetest: a sale needs a destination")
	}
	now := s.now().Unix()
	sale := &Sale{ID: s.newID(), AccountID: s.opts.AccountID, MakeDate: now, UpdateDate: now, PaymentID: in.PaymentID,
		AcceptedMailState: "sent", PaidMailState: "not_yet", DeliveredMailState: "not_yet", Fee: in.Fee}
	sale.Customer = &Customer{ID: s.newID(), Name: in.Buyer.Name, Furigana: opt(in.Buyer.Furigana), Postal: opt(in.Buyer.Postal),
		Address1: opt(in.Buyer.Address1), Address2: opt(in.Buyer.Address2), Mail: opt(in.Buyer.Mail), Tel: opt(in.Buyer.Tel)}
	if in.Buyer.PrefID != 0 {
		sale.Customer.PrefID, sale.Customer.PrefName = ptr(in.Buyer.PrefID), ptr(prefName(in.Buyer.PrefID))
	}
	var ids []int64
	for _, d := range in.Destinations {
		if len(d.Lines) == 0 {
			return 0, nil, fmt.Errorf("colormetest: a destination needs lines")
		}
		did := d.DeliveryID
		if did == 0 {
			did = s.deliveries[0].ID
		}
		sd := SaleDelivery{ID: s.newID(), AccountID: s.opts.AccountID, SaleID: sale.ID, DeliveryID: did,
			Name: d.To.Name, Furigana: d.To.Furigana, Postal: d.To.Postal, PrefID: d.To.PrefID, PrefName: prefName(d.To.PrefID),
			Address1: opt(d.To.Address1), Address2: opt(d.To.Address2), Tel: opt(d.To.Tel),
			PreferredDate: opt(d.PreferredDate), PreferredPeriod: opt(d.PreferredPeriod),
			NoshiText: opt(d.NoshiText), NoshiCharge: optN(d.NoshiCharge), CardName: opt(d.CardName), CardText: opt(d.CardText),
			WrappingName: opt(d.WrappingName), WrappingCharge: optN(d.WrappingCharge), DeliveryCharge: d.DeliveryCharge,
			DetailIDs: []int64{}}
		sd.TotalCharge = d.DeliveryCharge + d.NoshiCharge + d.WrappingCharge
		for _, l := range d.Lines {
			p, vi := s.findSKULocked(l.SKU)
			if p == nil {
				return 0, nil, fmt.Errorf("colormetest: no product has model number %q", l.SKU)
			}
			if l.Quantity <= 0 {
				return 0, nil, fmt.Errorf("colormetest: quantity %d", l.Quantity)
			}
			price := l.Price
			if price == 0 {
				price = deref(p.SalesPrice)
			}
			det := Detail{ID: s.newID(), SaleID: sale.ID, AccountID: s.opts.AccountID, ProductID: p.ID, SaleDeliveryID: sd.ID,
				ProductModelNumber: deref(p.ModelNumber), ProductName: p.Name, PristineProductFullName: p.Name,
				Price: price, PriceWithTax: price, ProductNum: l.Quantity, SubtotalPrice: price * int64(l.Quantity)}
			if vi >= 0 {
				v := &p.Variants[vi]
				det.Option1Value, det.Option2Value = opt(v.Option1Value), opt(v.Option2Value)
				det.PristineProductFullName = p.Name + " " + v.Title
				v.Stocks = ptr(deref(v.Stocks) - l.Quantity)
			} else if p.StockManaged {
				p.Stocks = ptr(deref(p.Stocks) - l.Quantity)
			}
			sd.DetailIDs = append(sd.DetailIDs, det.ID)
			sale.Details = append(sale.Details, det)
			sale.ProductTotalPrice += det.SubtotalPrice
		}
		sale.DeliveryTotalCharge += d.DeliveryCharge
		sale.NoshiTotalCharge += d.NoshiCharge
		sale.WrappingTotalCharge += d.WrappingCharge
		sale.SaleDeliveries = append(sale.SaleDeliveries, sd)
		ids = append(ids, sd.ID)
	}
	sale.TotalPrice = sale.ProductTotalPrice + sale.DeliveryTotalCharge + sale.Fee + sale.NoshiTotalCharge + sale.WrappingTotalCharge
	s.sales[sale.ID] = sale
	return sale.ID, ids, nil
}

func (s *Server) saleLocked(id int64) (*Sale, error) {
	sale := s.sales[id]
	if sale == nil {
		return nil, fmt.Errorf("colormetest: no sale %d", id)
	}
	return sale, nil
}

// ChangeDestination gives a destination a new address, as shop staff do for a buyer who moved.
func (s *Server) ChangeDestination(saleID, deliveryID int64, to Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale, err := s.saleLocked(saleID)
	if err != nil {
		return err
	}
	for i := range sale.SaleDeliveries {
		d := &sale.SaleDeliveries[i]
		if d.ID == deliveryID {
			d.Name, d.Furigana, d.Postal, d.PrefID, d.PrefName = to.Name, to.Furigana, to.Postal, to.PrefID, prefName(to.PrefID)
			d.Address1, d.Address2, d.Tel = opt(to.Address1), opt(to.Address2), opt(to.Tel)
			sale.UpdateDate = s.now().Unix()
			return nil
		}
	}
	return fmt.Errorf("colormetest: sale %d has no destination %d", saleID, deliveryID)
}

// CancelSale cancels a sale as cancelSale does: quantities and totals become 0, canceled true;
// with restock, the stock comes back.
func (s *Server) CancelSale(saleID int64, restock bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale, err := s.saleLocked(saleID)
	if err != nil {
		return err
	}
	if sale.Canceled {
		return nil
	}
	for i := range sale.Details {
		d := &sale.Details[i]
		if restock {
			for _, p := range s.products {
				if p.ID != d.ProductID {
					continue
				}
				if d.Option1Value == nil {
					p.Stocks = ptr(deref(p.Stocks) + d.ProductNum)
					continue
				}
				for j := range p.Variants {
					v := &p.Variants[j]
					if v.Option1Value == deref(d.Option1Value) && v.Option2Value == deref(d.Option2Value) {
						v.Stocks = ptr(deref(v.Stocks) + d.ProductNum)
					}
				}
			}
		}
		d.ProductNum, d.SubtotalPrice = 0, 0
	}
	sale.Canceled = true
	sale.ProductTotalPrice, sale.TotalPrice = 0, 0
	sale.UpdateDate = s.now().Unix()
	return nil
}

// MarkPaid records the buyer's payment.
func (s *Server) MarkPaid(saleID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale, err := s.saleLocked(saleID)
	if err != nil {
		return err
	}
	sale.Paid = true
	sale.UpdateDate = s.now().Unix()
	return nil
}

// Sale returns a copy of a sale as the API shows it.
func (s *Server) Sale(id int64) (Sale, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale := s.sales[id]
	if sale == nil {
		return Sale{}, false
	}
	return copySale(sale), true
}

func copySale(s *Sale) Sale {
	out := *s
	out.Details = slices.Clone(s.Details)
	out.SaleDeliveries = slices.Clone(s.SaleDeliveries)
	for i := range out.SaleDeliveries {
		out.SaleDeliveries[i].DetailIDs = slices.Clone(out.SaleDeliveries[i].DetailIDs)
	}
	return out
}

// Shippings returns the shipping updates made to one destination, in order.
func (s *Server) Shippings(saleID, deliveryID int64) []Shipping {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Shipping
	for _, sh := range s.shippings {
		if sh.SaleID == saleID && sh.SaleDeliveryID == deliveryID {
			sh.SlipNumbers = slices.Clone(sh.SlipNumbers)
			out = append(out, sh)
		}
	}
	return out
}

// ---- HTTP ----

// apiError is Color Me Shop's error body.
type apiError struct {
	Errors []apiErrorItem `json:"errors"`
}

type apiErrorItem struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Errors: []apiErrorItem{{Code: status*1000 + 100, Message: message, Status: status}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// route is one API operation.
type route struct {
	method string
	op     string // "GET /v1/sales/{id}"
	tool   string // the manifest's tool
	param  string // the path parameter's name in the manifest
	scope  string
	write  bool
	h      func(w http.ResponseWriter, r *http.Request, id int64, body []byte)
}

// match finds the operation for a request; ".json" suffixes are accepted, as the API does.
func (s *Server) match(method, path string) (route, int64, bool) {
	path = strings.TrimSuffix(path, ".json")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v1" {
		return route{}, 0, false
	}
	var id int64
	if len(parts) >= 3 {
		n, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || n <= 0 {
			return route{}, 0, false
		}
		id = n
	}
	switch {
	case parts[1] == "sales" && len(parts) == 2 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/sales", tool: "getSales", scope: "read_sales", h: s.listSales}, 0, true
	case parts[1] == "sales" && len(parts) == 3 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/sales/{id}", tool: "getSale", param: "sale_id", scope: "read_sales", h: s.getSale}, id, true
	case parts[1] == "sales" && len(parts) == 3 && method == http.MethodPut:
		return route{method: method, op: "PUT /v1/sales/{id}", tool: "updateSale", param: "sale_id", scope: "write_sales", write: true, h: s.updateSale}, id, true
	case parts[1] == "sales" && len(parts) == 4 && parts[3] == "mails" && method == http.MethodPost:
		return route{method: method, op: "POST /v1/sales/{id}/mails", tool: "sendSalesMail", param: "sale_id", scope: "write_sales", write: true, h: s.sendMail}, id, true
	case parts[1] == "products" && len(parts) == 2 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/products", tool: "getProducts", scope: "read_products", h: s.listProducts}, 0, true
	case parts[1] == "products" && len(parts) == 3 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/products/{id}", tool: "getProduct", param: "product_id", scope: "read_products", h: s.getProduct}, id, true
	case parts[1] == "products" && len(parts) == 3 && method == http.MethodPut:
		return route{method: method, op: "PUT /v1/products/{id}", tool: "updateProduct", param: "product_id", scope: "write_products", write: true, h: s.updateProduct}, id, true
	case parts[1] == "stocks" && len(parts) == 2 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/stocks", tool: "getStocks", scope: "read_products", h: s.listStocks}, 0, true
	case parts[1] == "deliveries" && len(parts) == 2 && method == http.MethodGet:
		return route{method: method, op: "GET /v1/deliveries", tool: "getDeliveries", scope: "read_sales", h: s.listDeliveries}, 0, true
	}
	return route{}, 0, false
}

// maxBody bounds a request body, as any server does.
const maxBody = 1 << 20

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.Requests++
	tok, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !hasBearer || tok == "" || tok != s.opts.Token {
		s.stats.Unauthorized++
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer realm="api.shop-pro.jp", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "アクセストークンが無効です")
		return
	}
	rt, id, ok := s.match(r.Method, r.URL.Path)
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "存在しないURLです")
		return
	}
	if !slices.Contains(s.opts.Scopes, rt.scope) {
		s.stats.Unauthorized++
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "このアクセストークンには "+rt.scope+" の権限がありません")
		return
	}
	now := s.now()
	throttled := false
	wait := time.Second
	if s.throttle > 0 {
		s.throttle--
		throttled, wait = true, s.throttleWait
	} else if s.opts.RateLimit > 0 {
		if sec := now.Unix(); sec != s.rateSec {
			s.rateSec, s.rateCount = sec, 0
		}
		if s.rateCount >= s.opts.RateLimit {
			throttled = true
			wait = time.Unix(s.rateSec+1, 0).Sub(now)
		} else {
			s.rateCount++
		}
	}
	if throttled {
		s.stats.Throttled++
		s.mu.Unlock()
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		writeError(w, http.StatusTooManyRequests, "リクエスト数が上限を超えました")
		return
	}
	if len(s.failNext) > 0 {
		status := s.failNext[0]
		s.failNext = s.failNext[1:]
		s.stats.Faults++
		s.mu.Unlock()
		writeError(w, status, "エラーが発生しました")
		return
	}
	if rt.write && len(s.failWrite) > 0 {
		status := s.failWrite[0]
		s.failWrite = s.failWrite[1:]
		s.stats.Faults++
		s.mu.Unlock()
		writeError(w, status, "エラーが発生しました")
		return
	}
	if s.faults.ServerError > 0 && s.rnd.Float64() < s.faults.ServerError {
		s.stats.Faults++
		s.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "エラーが発生しました")
		return
	}
	stall := rt.write && (s.stallNext > 0 || (s.faults.Lost > 0 && s.rnd.Float64() < s.faults.Lost))
	if stall {
		if s.stallNext > 0 {
			s.stallNext--
		}
		s.stats.Faults++
	}
	lostDelay := s.faults.LostDelay
	var slow time.Duration
	if !stall && s.faults.Slow > 0 && s.rnd.Float64() < s.faults.Slow {
		s.stats.Faults++
		slow = s.faults.SlowDelay
	}
	spec := s.opts.Spec
	s.mu.Unlock()

	var body []byte
	if rt.write {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(b) > maxBody {
			writeError(w, http.StatusBadRequest, "リクエストが不正です")
			return
		}
		body = b
	}
	if spec != nil {
		path := map[string]string{}
		if rt.param != "" {
			path[rt.param] = strconv.FormatInt(id, 10)
		}
		var err error
		if rt.write {
			err = spec.ValidateBody(rt.tool, body, path)
		} else {
			err = spec.ValidateQuery(rt.tool, r.URL.Query(), path)
		}
		if err != nil {
			s.mu.Lock()
			s.violations = append(s.violations, rt.op+": "+err.Error())
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "パラメータが不正です")
			return
		}
	}
	count := func() {
		s.mu.Lock()
		s.stats.Ops[rt.op]++
		s.mu.Unlock()
	}
	if !stall && slow <= 0 {
		rt.h(w, r, id, body)
		count()
		return
	}
	rec := httptest.NewRecorder()
	rt.h(rec, r, id, body)
	count()
	if stall {
		if lostDelay <= 0 {
			lostDelay = time.Minute
		}
		select {
		case <-r.Context().Done():
		case <-s.done:
		case <-time.After(lostDelay):
		}
		// The answer is lost: close the connection without one.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return
	}
	select {
	case <-r.Context().Done():
		return
	case <-s.done:
		return
	case <-time.After(slow):
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// parseDate reads a date parameter: "2006-01-02 15:04:05" or "2006-01-02" in Japanese time, or
// RFC 3339. A date alone means its start, or for a max its end.
func parseDate(v string, end bool) (int64, bool) {
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", v, JST); err == nil {
		return t.Unix(), true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
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

// paging reads limit (default 10, at most max) and offset.
func paging(q url.Values, maxLimit int) (limit, offset int, msg string) {
	limit, offset = 10, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return 0, 0, fmt.Sprintf("limit は1から%dまでの整数で指定してください", maxLimit)
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, "offset は0以上の整数で指定してください"
		}
		offset = n
	}
	return limit, offset, ""
}

type meta struct {
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// fieldsOnly keeps only the keys fields names ("id,update_date"); all when fields is empty.
func fieldsOnly(v any, fields string) any {
	if fields == "" {
		return v
	}
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := map[string]json.RawMessage{}
	for _, f := range strings.Split(fields, ",") {
		if raw, ok := m[strings.TrimSpace(f)]; ok {
			out[strings.TrimSpace(f)] = raw
		}
	}
	return out
}

func boolParam(q url.Values, k string) (set, val bool) {
	v := q.Get(k)
	if v == "" {
		return false, false
	}
	return true, v == "true"
}

func idSet(v string) (map[int64]bool, bool) {
	if v == "" {
		return nil, true
	}
	out := map[int64]bool{}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, false
		}
		out[n] = true
	}
	return out, true
}

func (s *Server) listSales(w http.ResponseWriter, r *http.Request, _ int64, _ []byte) {
	q := r.URL.Query()
	limit, offset, msg := paging(q, 100)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	bounds := map[string]int64{}
	for _, k := range []string{"after", "before", "make_date_min", "make_date_max", "update_date_min", "update_date_max"} {
		if v := q.Get(k); v != "" {
			t, ok := parseDate(v, strings.HasSuffix(k, "max") || k == "before")
			if !ok {
				writeError(w, http.StatusBadRequest, k+" の日時の形式が不正です")
				return
			}
			bounds[k] = t
		}
	}
	for _, pair := range [][2]string{{"after", "make_date_min"}, {"before", "make_date_max"}} {
		if _, ok := bounds[pair[0]]; !ok {
			if v, ok := bounds[pair[1]]; ok {
				bounds[pair[0]] = v
			}
		}
	}
	ids, ok := idSet(q.Get("ids"))
	if !ok {
		writeError(w, http.StatusBadRequest, "ids が不正です")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Without after, the listing starts at 0:00 seven days before "before" (or now).
	if _, ok := bounds["after"]; !ok {
		ref := s.now()
		if b, ok := bounds["before"]; ok {
			ref = time.Unix(b, 0)
		}
		j := ref.In(JST).AddDate(0, 0, -7)
		bounds["after"] = time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, JST).Unix()
	}
	var hits []*Sale
	for _, sale := range s.sales {
		if ids != nil && !ids[sale.ID] {
			continue
		}
		if sale.MakeDate < bounds["after"] {
			continue
		}
		if b, ok := bounds["before"]; ok && sale.MakeDate > b {
			continue
		}
		if b, ok := bounds["update_date_min"]; ok && sale.UpdateDate < b {
			continue
		}
		if b, ok := bounds["update_date_max"]; ok && sale.UpdateDate > b {
			continue
		}
		if set, v := boolParam(q, "paid"); set && v && !sale.Paid {
			continue
		}
		if set, v := boolParam(q, "delivered"); set && v && !sale.Delivered {
			continue
		}
		if set, v := boolParam(q, "canceled"); set && v && !sale.Canceled {
			continue
		}
		hits = append(hits, sale)
	}
	// Newest first (undocumented; see the package doc).
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].MakeDate != hits[j].MakeDate {
			return hits[i].MakeDate > hits[j].MakeDate
		}
		return hits[i].ID > hits[j].ID
	})
	out := []any{}
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		out = append(out, fieldsOnly(copySale(hits[i]), q.Get("fields")))
	}
	writeJSON(w, map[string]any{"sales": out, "meta": meta{Total: len(hits), Limit: limit, Offset: offset}})
}

func (s *Server) getSale(w http.ResponseWriter, _ *http.Request, id int64, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sale := s.sales[id]
	if sale == nil {
		writeError(w, http.StatusNotFound, "受注が見つかりません")
		return
	}
	writeJSON(w, map[string]any{"sale": copySale(sale)})
}

func (s *Server) updateSale(w http.ResponseWriter, _ *http.Request, id int64, body []byte) {
	var req struct {
		Sale *struct {
			Paid           *bool            `json:"paid"`
			PointState     *string          `json:"point_state"`
			SaleDeliveries []map[string]any `json:"sale_deliveries"`
		} `json:"sale"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Sale == nil {
		writeError(w, http.StatusBadRequest, "sale が不正です")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sale := s.sales[id]
	if sale == nil {
		writeError(w, http.StatusNotFound, "受注が見つかりません")
		return
	}
	// Check every destination before changing any: the update applies whole or not at all.
	type change struct {
		d      *SaleDelivery
		fields map[string]any
	}
	var changes []change
	for _, fields := range req.Sale.SaleDeliveries {
		num, _ := fields["id"].(json.Number)
		did, err := num.Int64()
		if err != nil {
			writeError(w, http.StatusBadRequest, "sale_deliveries の id が必要です")
			return
		}
		var d *SaleDelivery
		for i := range sale.SaleDeliveries {
			if sale.SaleDeliveries[i].ID == did {
				d = &sale.SaleDeliveries[i]
			}
		}
		if d == nil {
			writeError(w, http.StatusNotFound, "お届け先が見つかりません")
			return
		}
		if num, ok := fields["delivery_id"].(json.Number); ok {
			mid, err := num.Int64()
			if err != nil || !slices.ContainsFunc(s.deliveries, func(m Delivery) bool { return m.ID == mid }) {
				writeError(w, http.StatusNotFound, "配送方法が見つかりません")
				return
			}
		}
		if v, ok := fields["delivered"].(bool); ok && v && sale.Canceled {
			writeError(w, http.StatusBadRequest, "キャンセル済みの受注は発送済みにできません")
			return
		}
		changes = append(changes, change{d, fields})
	}
	now := s.now()
	for _, c := range changes {
		d := c.d
		before := splitSlips(deref(d.SlipNumber))
		wasDelivered := d.Delivered
		for k, v := range c.fields {
			str, _ := v.(string)
			switch k {
			case "slip_number":
				d.SlipNumber = opt(str)
			case "tracking_url":
				d.TrackingURL = opt(str)
			case "delivered":
				d.Delivered, _ = v.(bool)
			case "delivery_id":
				n, _ := v.(json.Number)
				d.DeliveryID, _ = n.Int64()
			case "memo":
				d.Memo = opt(str)
			case "preferred_date":
				d.PreferredDate = opt(str)
			case "preferred_period":
				d.PreferredPeriod = opt(str)
			case "noshi_text":
				d.NoshiText = opt(str)
			case "name":
				d.Name = str
			}
		}
		var added []string
		for _, n := range splitSlips(deref(d.SlipNumber)) {
			if !slices.Contains(before, n) {
				added = append(added, n)
			}
		}
		if len(added) > 0 || (d.Delivered && !wasDelivered) {
			s.shippings = append(s.shippings, Shipping{SaleID: sale.ID, SaleDeliveryID: d.ID, SlipNumbers: added,
				Delivered: d.Delivered && !wasDelivered, TrackingURL: deref(d.TrackingURL), At: now})
		}
	}
	if req.Sale.Paid != nil {
		sale.Paid = *req.Sale.Paid
	}
	all := len(sale.SaleDeliveries) > 0
	for _, d := range sale.SaleDeliveries {
		all = all && d.Delivered
	}
	sale.Delivered = all
	sale.UpdateDate = now.Unix()
	writeJSON(w, map[string]any{"sale": copySale(sale)})
}

func (s *Server) sendMail(w http.ResponseWriter, _ *http.Request, id int64, body []byte) {
	var req struct {
		Mail *struct {
			Type string `json:"type"`
		} `json:"mail"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Mail == nil {
		writeError(w, http.StatusBadRequest, "mail が不正です")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sale := s.sales[id]
	if sale == nil {
		writeError(w, http.StatusNotFound, "受注が見つかりません")
		return
	}
	switch req.Mail.Type {
	case "accepted":
		sale.AcceptedMailState = "sent"
	case "paid":
		sale.PaidMailState = "sent"
	case "delivered":
		sale.DeliveredMailState = "sent"
	default:
		writeError(w, http.StatusBadRequest, "type が不正です")
		return
	}
	s.mails = append(s.mails, Mail{SaleID: id, Type: req.Mail.Type, At: s.now()})
	sale.UpdateDate = s.now().Unix()
	writeJSON(w, map[string]any{"mail": map[string]string{"type": req.Mail.Type}})
}

// Mail is a mail the shop sent a buyer through sendSalesMail.
type Mail struct {
	SaleID int64
	Type   string // accepted, paid, delivered
	At     time.Time
}

// Mails returns the mails sent for a sale, in order.
func (s *Server) Mails(saleID int64) []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Mail
	for _, m := range s.mails {
		if m.SaleID == saleID {
			out = append(out, m)
		}
	}
	return out
}

// splitSlips reads a slip_number that may hold several numbers separated by commas.
func splitSlips(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) productLocked(id int64) *Product {
	for _, p := range s.products {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func copyProduct(p *Product) Product {
	out := *p
	out.Variants = slices.Clone(p.Variants)
	if out.Variants == nil {
		out.Variants = []Variant{}
	}
	return out
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request, _ int64, _ []byte) {
	q := r.URL.Query()
	limit, offset, msg := paging(q, 50)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	ids, ok := idSet(q.Get("ids"))
	if !ok {
		writeError(w, http.StatusBadRequest, "ids が不正です")
		return
	}
	mn := q.Get("model_number")
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []*Product
	for _, p := range s.products {
		if ids != nil && !ids[p.ID] {
			continue
		}
		if mn != "" && !strings.Contains(deref(p.ModelNumber), mn) {
			continue
		}
		hits = append(hits, p)
	}
	out := []any{}
	for i := offset; i < len(hits) && i < offset+limit; i++ {
		out = append(out, fieldsOnly(copyProduct(hits[i]), q.Get("fields")))
	}
	writeJSON(w, map[string]any{"products": out, "meta": meta{Total: len(hits), Limit: limit, Offset: offset}})
}

func (s *Server) getProduct(w http.ResponseWriter, _ *http.Request, id int64, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.productLocked(id)
	if p == nil {
		writeError(w, http.StatusNotFound, "商品が見つかりません")
		return
	}
	writeJSON(w, map[string]any{"product": copyProduct(p)})
}

// stockValue reads stocks: an integer (the new stock) or {"increment": n}.
func stockValue(raw json.RawMessage, current int) (int, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n, n >= 0
	}
	var inc struct {
		Increment *int `json:"increment"`
	}
	if json.Unmarshal(raw, &inc) == nil && inc.Increment != nil {
		return current + *inc.Increment, true
	}
	return 0, false
}

func (s *Server) updateProduct(w http.ResponseWriter, _ *http.Request, id int64, body []byte) {
	var req struct {
		Product *struct {
			StockManaged *bool           `json:"stock_managed"`
			Stocks       json.RawMessage `json:"stocks"`
			Variants     []struct {
				Option1Value *string         `json:"option1_value"`
				Option2Value *string         `json:"option2_value"`
				Stocks       json.RawMessage `json:"stocks"`
			} `json:"variants"`
		} `json:"product"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Product == nil {
		writeError(w, http.StatusBadRequest, "product が不正です")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.productLocked(id)
	if p == nil {
		writeError(w, http.StatusNotFound, "商品が見つかりません")
		return
	}
	// Validate everything before applying anything.
	type vset struct {
		i int
		n int
	}
	var sets []vset
	for _, v := range req.Product.Variants {
		i := slices.IndexFunc(p.Variants, func(x Variant) bool {
			return x.Option1Value == deref(v.Option1Value) && x.Option2Value == deref(v.Option2Value)
		})
		if i < 0 {
			writeError(w, http.StatusNotFound, "指定されたオプションの組み合わせが見つかりません")
			return
		}
		if len(v.Stocks) == 0 {
			continue
		}
		n, ok := stockValue(v.Stocks, deref(p.Variants[i].Stocks))
		if !ok {
			writeError(w, http.StatusBadRequest, "stocks が不正です")
			return
		}
		sets = append(sets, vset{i, n})
	}
	var productStock *int
	if len(req.Product.Stocks) > 0 {
		n, ok := stockValue(req.Product.Stocks, deref(p.Stocks))
		if !ok {
			writeError(w, http.StatusBadRequest, "stocks が不正です")
			return
		}
		productStock = &n
	}
	now := s.now().Unix()
	if req.Product.StockManaged != nil {
		p.StockManaged = *req.Product.StockManaged
	}
	// A product whose stock is kept per option ignores the product-level stocks.
	if productStock != nil && len(p.Variants) == 0 {
		p.Stocks = productStock
	}
	for _, st := range sets {
		p.Variants[st.i].Stocks = ptr(st.n)
		p.Variants[st.i].UpdateDate = now
	}
	p.UpdateDate = now
	writeJSON(w, map[string]any{"product": copyProduct(p)})
}

// stockRow is a row of GET /v1/stocks: a product, or one of its variants.
type stockRow struct {
	AccountID          string  `json:"account_id"`
	ProductID          int64   `json:"product_id"`
	Name               string  `json:"name"`
	Option1Value       *string `json:"option1_value"`
	Option2Value       *string `json:"option2_value"`
	Stocks             *int    `json:"stocks"`
	FewNum             *int    `json:"few_num"`
	ModelNumber        *string `json:"model_number"`
	VariantModelNumber *string `json:"variant_model_number"`
	DisplayState       string  `json:"display_state"`
	StockManaged       bool    `json:"stock_managed"`
	UpdateDate         int64   `json:"update_date"`
}

func (s *Server) listStocks(w http.ResponseWriter, r *http.Request, _ int64, _ []byte) {
	q := r.URL.Query()
	limit, offset, msg := paging(q, 50)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	ids, ok := idSet(q.Get("ids"))
	if !ok {
		writeError(w, http.StatusBadRequest, "ids が不正です")
		return
	}
	mn := q.Get("model_number")
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []stockRow
	for _, p := range s.products {
		if ids != nil && !ids[p.ID] {
			continue
		}
		base := stockRow{AccountID: s.opts.AccountID, ProductID: p.ID, Name: p.Name, ModelNumber: p.ModelNumber,
			DisplayState: p.DisplayState, StockManaged: p.StockManaged, UpdateDate: p.UpdateDate}
		if len(p.Variants) == 0 {
			if mn != "" && !strings.Contains(deref(p.ModelNumber), mn) {
				continue
			}
			row := base
			row.Stocks = p.Stocks
			rows = append(rows, row)
			continue
		}
		for _, v := range p.Variants {
			if mn != "" && !strings.Contains(deref(p.ModelNumber), mn) && !strings.Contains(deref(v.ModelNumber), mn) {
				continue
			}
			row := base
			row.Option1Value, row.Option2Value = opt(v.Option1Value), opt(v.Option2Value)
			row.Stocks, row.VariantModelNumber, row.UpdateDate = v.Stocks, v.ModelNumber, v.UpdateDate
			rows = append(rows, row)
		}
	}
	out := []any{}
	for i := offset; i < len(rows) && i < offset+limit; i++ {
		out = append(out, fieldsOnly(rows[i], q.Get("fields")))
	}
	writeJSON(w, map[string]any{"stocks": out, "meta": meta{Total: len(rows), Limit: limit, Offset: offset}})
}

func (s *Server) listDeliveries(w http.ResponseWriter, _ *http.Request, _ int64, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, map[string]any{"deliveries": slices.Clone(s.deliveries)})
}

// AddDelivery adds a delivery method (配送方法) with its method_type (yamato, sagawa, jp,
// other) and returns its ID.
func (s *Server) AddDelivery(name, methodType string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := Delivery{ID: s.newID(), AccountID: s.opts.AccountID, Name: name, MethodType: methodType, SlipNumberUse: true,
		PreferredDateUse: true, PreferredPeriodUse: true, DisplayState: "showing"}
	s.deliveries = append(s.deliveries, d)
	return d.ID
}
