package eccubetest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OrderStatus IDs of EC-CUBE 4 (Eccube\Entity\Master\OrderStatus).
const (
	StatusNew        = 1 // 新規受付
	StatusCancel     = 3 // 注文取消し
	StatusInProgress = 4 // 対応中
	StatusDelivered  = 5 // 発送済み
	StatusPaid       = 6 // 入金済み
	StatusPending    = 7 // 決済処理中
	StatusProcessing = 8 // 購入処理中
	StatusReturned   = 9 // 返品
)

var statusNames = map[int]string{
	StatusNew: "新規受付", StatusCancel: "注文取消し", StatusInProgress: "対応中", StatusDelivered: "発送済み",
	StatusPaid: "入金済み", StatusPending: "決済処理中", StatusProcessing: "購入処理中", StatusReturned: "返品",
}

// OrderItemType IDs (Eccube\Entity\Master\OrderItemType).
const (
	ItemProduct     = 1 // 商品
	ItemDeliveryFee = 2 // 送料
	ItemCharge      = 3 // 手数料
	ItemDiscount    = 4 // 値引き
)

// prefs are the Pref master's names by ID (1 北海道 … 47 沖縄県).
var prefs = [...]string{"", "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
	"埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
	"岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
	"鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
	"佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県"}

// Address is a buyer's or a shipping's name and address as EC-CUBE keeps them.
type Address struct {
	Name01, Name02 string // 姓, 名
	Kana01, Kana02 string
	CompanyName    string
	PhoneNumber    string
	PostalCode     string // seven digits, no hyphen
	PrefID         int    // 1 … 47
	Addr01         string // 市区町村名
	Addr02         string // 番地・ビル名
}

// LineInput is one product line of a placed order.
type LineInput struct {
	Code     string // ProductClass.code (商品コード)
	Name     string
	Quantity int
	Price    int // 税抜単価
	TaxRate  int // percent; 0 means 10
}

// OrderInput places an order as a buyer does at checkout.
type OrderInput struct {
	Buyer Address
	Email string
	// ShipTo is the first Shipping's address; zero means the buyer's.
	ShipTo Address
	Lines  []LineInput
	// More adds further Shippings (複数配送), each with its own lines.
	More []ShippingInput
	// DeliveryDate (お届け日) and DeliveryTime (お届け時間, the shop's DeliveryTime label, such as
	// "午前中" or "14時～16時") of the first Shipping.
	DeliveryDate time.Time
	DeliveryTime string
	// Message is the buyer's free text (お問い合わせ).
	Message       string
	PaymentMethod string // "郵便振替", "代金引換", "クレジットカード決済"…
	DeliveryFee   int
	Charge        int // 手数料 (cash on delivery)
	Discount      int
	// Status is the order's status after checkout; 0 means StatusNew.
	Status int
}

// ShippingInput is a further Shipping of an order.
type ShippingInput struct {
	ShipTo Address
	Lines  []LineInput
}

type item struct {
	id       int
	typ      int
	name     string
	code     string
	price    int
	tax      int
	taxRate  int
	quantity int
	shipping *shipping
}

type shipping struct {
	id           int
	addr         Address
	deliveryName string // 配送業者 (Delivery.name at checkout; updateShipped may replace it)
	timeID       int
	deliveryTime string
	deliveryDate *time.Time
	shippingDate *time.Time
	tracking     string
	note         string
	mailSendDate *time.Time
	created      time.Time
	updated      time.Time
	order        *shopOrder
}

type shopOrder struct {
	id            int
	orderNo       string
	status        int
	buyer         Address
	email         string
	message       string
	paymentMethod string
	deliveryFee   int
	charge        int
	discount      int
	items         []*item
	shippings     []*shipping
	created       time.Time
	updated       time.Time
	orderDate     time.Time
}

type productClass struct {
	id        int
	code      string
	name      string
	stock     int
	unlimited bool
	created   time.Time
	updated   time.Time
}

// subtotal is 小計: the product lines with tax.
func (o *shopOrder) subtotal() (sum, tax int) {
	for _, it := range o.items {
		if it.typ == ItemProduct {
			sum += (it.price + it.tax) * it.quantity
			tax += it.tax * it.quantity
		}
	}
	return sum, tax
}

func (o *shopOrder) total() int {
	sum, _ := o.subtotal()
	return sum + o.deliveryFee + o.charge - o.discount
}

func taxOf(price, rate int) int {
	if rate == 0 {
		rate = 10
	}
	return price * rate / 100 // EC-CUBE's default rounding is 切り捨て (floor)
}

// ---- seeding and observing, as buyers and shop staff act ----

// AddProduct lists a product with one product class of code (商品コード) holding stock.
func (s *Server) AddProduct(code, name string, stock int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.nextID++
	s.classes[code] = append(s.classes[code], &productClass{id: s.nextID, code: code, name: name, stock: stock, created: now, updated: now})
}

// Stock returns the stock of the product class with code, whether it is unlimited, and whether
// exactly one product class has it.
func (s *Server) Stock(code string) (stock int, unlimited, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pcs := s.classes[code]
	if len(pcs) != 1 {
		return 0, false, false
	}
	return pcs[0].stock, pcs[0].unlimited, true
}

// SetStock changes a product class's stock as staff do in the admin screen.
func (s *Server) SetStock(code string, stock int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pc := range s.classes[code] {
		pc.stock, pc.unlimited, pc.updated = stock, false, s.now()
	}
}

// PlaceOrder places an order at the fake's clock and returns its ID.
func (s *Server) PlaceOrder(in OrderInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.nextID++
	o := &shopOrder{id: s.nextID, status: in.Status, buyer: in.Buyer, email: in.Email, message: in.Message,
		paymentMethod: in.PaymentMethod, deliveryFee: in.DeliveryFee, charge: in.Charge, discount: in.Discount,
		created: now, updated: now, orderDate: now}
	if o.status == 0 {
		o.status = StatusNew
	}
	o.orderNo = strconv.Itoa(o.id)
	ship := func(addr Address, lines []LineInput) *shipping {
		s.nextID++
		sh := &shipping{id: s.nextID, addr: addr, deliveryName: "サンプル業者", created: now, updated: now, order: o}
		for _, l := range lines {
			s.nextID++
			o.items = append(o.items, &item{id: s.nextID, typ: ItemProduct, name: l.Name, code: l.Code, price: l.Price,
				tax: taxOf(l.Price, l.TaxRate), taxRate: max(l.TaxRate, 10*btoi(l.TaxRate == 0)), quantity: l.Quantity, shipping: sh})
		}
		o.shippings = append(o.shippings, sh)
		return sh
	}
	to := in.ShipTo
	if to == (Address{}) {
		to = in.Buyer
	}
	first := ship(to, in.Lines)
	if !in.DeliveryDate.IsZero() {
		d := in.DeliveryDate
		first.deliveryDate = &d
	}
	if in.DeliveryTime != "" {
		first.deliveryTime, first.timeID = in.DeliveryTime, 1
	}
	for _, m := range in.More {
		ship(m.ShipTo, m.Lines)
	}
	if in.DeliveryFee > 0 {
		s.nextID++
		o.items = append(o.items, &item{id: s.nextID, typ: ItemDeliveryFee, name: "送料", price: in.DeliveryFee, quantity: 1, shipping: first})
	}
	s.orders[o.id] = o
	s.event("order", o.id, "created")
	return strconv.Itoa(o.id)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Server) orderByID(id string) *shopOrder {
	n, err := strconv.Atoi(id)
	if err != nil {
		return nil
	}
	return s.orders[n]
}

// ChangeAddress moves an order's first Shipping to addr02 (番地・ビル名), as staff do when a buyer
// calls.
func (s *Server) ChangeAddress(id, addr02 string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderByID(id)
	if o == nil || len(o.shippings) == 0 {
		return false
	}
	now := s.now()
	o.shippings[0].addr.Addr02, o.shippings[0].updated, o.updated = addr02, now, now
	s.event("order", o.id, "updated")
	return true
}

// ChangeDelivery changes the first Shipping's requested date and time label.
func (s *Server) ChangeDelivery(id string, date time.Time, label string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderByID(id)
	if o == nil || len(o.shippings) == 0 {
		return false
	}
	now := s.now()
	sh := o.shippings[0]
	sh.deliveryDate, sh.deliveryTime, sh.updated, o.updated = &date, label, now, now
	if date.IsZero() {
		sh.deliveryDate = nil
	}
	s.event("order", o.id, "updated")
	return true
}

// SetStatus moves an order to status (StatusCancel for 注文取消し, StatusPaid for 入金済み…).
func (s *Server) SetStatus(id string, status int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderByID(id)
	if o == nil {
		return false
	}
	o.status, o.updated = status, s.now()
	s.event("order", o.id, "updated")
	return true
}

// Status returns an order's status ID, or 0 when there is no such order.
func (s *Server) Status(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orderByID(id); o != nil {
		return o.status
	}
	return 0
}

// ShippingView is a Shipping as the admin screen shows it.
type ShippingView struct {
	ID           string
	Shipped      bool
	ShippingDate time.Time
	DeliveryName string
	Tracking     string
	Note         string
	MailSent     bool
}

// Shippings returns an order's Shippings in order.
func (s *Server) Shippings(id string) []ShippingView {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderByID(id)
	if o == nil {
		return nil
	}
	out := make([]ShippingView, 0, len(o.shippings))
	for _, sh := range o.shippings {
		v := ShippingView{ID: strconv.Itoa(sh.id), Shipped: sh.shippingDate != nil, DeliveryName: sh.deliveryName,
			Tracking: sh.tracking, Note: sh.note, MailSent: sh.mailSendDate != nil}
		if sh.shippingDate != nil {
			v.ShippingDate = *sh.shippingDate
		}
		out = append(out, v)
	}
	return out
}

// ---- the orders query ----

type orderFilter struct {
	from, to *time.Time
	statuses map[int]bool
}

// searchOrders is OrderRepository::getQueryBuilderBySearchDataForAdmin as the API uses it:
// update_datetime_start and update_datetime_end both inclusive (as CustomerRepository's are);
// newest update first, equal update times in the order Options.TieOrder gives (the database
// decides in a real shop); without a status filter, orders still in checkout (購入処理中) or
// payment (決済処理中) are left out.
func (s *Server) searchOrders(f orderFilter) []*shopOrder {
	var out []*shopOrder
	for _, o := range s.orders {
		if f.statuses != nil {
			if !f.statuses[o.status] {
				continue
			}
		} else if o.status == StatusProcessing || o.status == StatusPending {
			continue
		}
		if f.from != nil && o.updated.Before(*f.from) {
			continue
		}
		if f.to != nil && o.updated.After(*f.to) {
			continue
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].updated.Equal(out[j].updated) {
			return out[i].updated.After(out[j].updated)
		}
		if s.opts.TiesAscending {
			return out[i].id < out[j].id
		}
		return out[i].id > out[j].id
	})
	return out
}

func (s *Server) orderNode(o *shopOrder) node {
	sum, tax := o.subtotal()
	total := o.total()
	n := node{
		"id": strconv.Itoa(o.id), "order_no": o.orderNo, "message": str(o.message),
		"name01": o.buyer.Name01, "name02": o.buyer.Name02, "kana01": str(o.buyer.Kana01), "kana02": str(o.buyer.Kana02),
		"company_name": str(o.buyer.CompanyName), "email": str(o.email), "phone_number": str(o.buyer.PhoneNumber),
		"postal_code": str(o.buyer.PostalCode), "addr01": str(o.buyer.Addr01), "addr02": str(o.buyer.Addr02),
		"subtotal": float(sum), "discount": float(o.discount), "delivery_fee_total": float(o.deliveryFee),
		"charge": float(o.charge), "tax": float(tax), "total": float(total), "payment_total": float(total),
		"payment_method": str(o.paymentMethod), "create_date": dateTime(o.created), "update_date": dateTime(o.updated),
		"order_date": dateTime(o.orderDate), "currency_code": "JPY", "add_point": float(0), "use_point": float(0),
		"Pref":        prefNode(o.buyer.PrefID),
		"OrderStatus": node{"id": strconv.Itoa(o.status), "name": statusNames[o.status], "sort_no": o.status, "display_order_count": true},
	}
	n["OrderItems"] = lazy(func() any {
		out := make([]node, len(o.items))
		for i, it := range o.items {
			out[i] = s.itemNode(it)
		}
		return out
	})
	n["Shippings"] = lazy(func() any {
		out := make([]node, len(o.shippings))
		for i, sh := range o.shippings {
			out[i] = s.shippingNode(sh)
		}
		return out
	})
	return n
}

func prefNode(id int) any {
	if id < 1 || id >= len(prefs) {
		return nil
	}
	return node{"id": strconv.Itoa(id), "name": prefs[id], "sort_no": id}
}

func (s *Server) itemNode(it *item) node {
	n := node{
		"id": strconv.Itoa(it.id), "product_name": it.name, "product_code": str(it.code), "price": float(it.price),
		"quantity": float(it.quantity), "tax": float(it.tax), "tax_rate": float(it.taxRate), "tax_adjust": float(0),
		"currency_code": "JPY",
		"OrderItemType": node{"id": strconv.Itoa(it.typ), "name": itemTypeName(it.typ), "sort_no": it.typ},
	}
	if it.shipping != nil {
		sh := it.shipping
		n["Shipping"] = lazy(func() any { return s.shippingNode(sh) })
	}
	if it.code != "" {
		if pcs := s.classes[it.code]; len(pcs) == 1 {
			n["ProductClass"] = classNode(pcs[0])
		}
	}
	return n
}

func itemTypeName(t int) string {
	switch t {
	case ItemProduct:
		return "商品"
	case ItemDeliveryFee:
		return "送料"
	case ItemCharge:
		return "手数料"
	case ItemDiscount:
		return "割引"
	}
	return "その他"
}

func (s *Server) shippingNode(sh *shipping) node {
	n := node{
		"id": strconv.Itoa(sh.id), "name01": sh.addr.Name01, "name02": sh.addr.Name02,
		"kana01": str(sh.addr.Kana01), "kana02": str(sh.addr.Kana02), "company_name": str(sh.addr.CompanyName),
		"phone_number": str(sh.addr.PhoneNumber), "postal_code": str(sh.addr.PostalCode),
		"addr01": str(sh.addr.Addr01), "addr02": str(sh.addr.Addr02),
		"shipping_delivery_name": str(sh.deliveryName), "shipping_delivery_time": str(sh.deliveryTime),
		"shipping_delivery_date": dateTimePtr(sh.deliveryDate), "shipping_date": dateTimePtr(sh.shippingDate),
		"tracking_number": str(sh.tracking), "note": str(sh.note), "sort_no": nil,
		"create_date": dateTime(sh.created), "update_date": dateTime(sh.updated), "mail_send_date": dateTimePtr(sh.mailSendDate),
		"Pref": prefNode(sh.addr.PrefID),
	}
	if sh.timeID != 0 {
		n["time_id"] = sh.timeID
	}
	o := sh.order
	n["Order"] = lazy(func() any { return s.orderNode(o) })
	n["OrderItems"] = lazy(func() any {
		var out []node
		for _, it := range o.items {
			if it.shipping == sh {
				out = append(out, s.itemNode(it))
			}
		}
		return out
	})
	return n
}

func classNode(pc *productClass) node {
	n := node{
		"id": strconv.Itoa(pc.id), "code": str(pc.code), "stock_unlimited": pc.unlimited, "price02": float(0),
		"visible": true, "create_date": dateTime(pc.created), "update_date": dateTime(pc.updated), "currency_code": "JPY",
	}
	if !pc.unlimited {
		n["stock"] = float(pc.stock)
	}
	n["ProductStock"] = node{"id": strconv.Itoa(pc.id), "stock": n["stock"], "create_date": dateTime(pc.created), "update_date": dateTime(pc.updated)}
	return n
}

// products is ProductRepository's admin search as the API uses it: "id" matches a product's ID,
// its name or a product class's code (部分一致).
func (s *Server) products(q string) []node {
	codes := make([]string, 0, len(s.classes))
	for c := range s.classes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var out []node
	for _, c := range codes {
		for _, pc := range s.classes[c] {
			if q != "" && !strings.Contains(pc.code, q) && !strings.Contains(pc.name, q) && fmt.Sprint(pc.id) != q {
				continue
			}
			out = append(out, node{"id": strconv.Itoa(pc.id), "name": pc.name, "create_date": dateTime(pc.created),
				"update_date": dateTime(pc.updated), "ProductClasses": []node{classNode(pc)}})
		}
	}
	return out
}
