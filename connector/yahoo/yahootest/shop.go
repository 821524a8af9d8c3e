package yahootest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Order statuses (OrderStatus) and ship statuses (ShipStatus).
const (
	StatusReserved   = 1 // 予約中
	StatusProcessing = 2 // 処理中
	StatusHeld       = 3 // 保留
	StatusCancelled  = 4 // キャンセル
	StatusDone       = 5 // 完了

	ShipNotReady  = 0 // 出荷不可
	ShipReady     = 1 // 出荷可
	ShipWorking   = 2 // 出荷処理中
	ShipShipped   = 3 // 出荷完了
	ShipDelivered = 4 // 着荷済み
)

const timeLayout = "2006-01-02T15:04:05-07:00"

type order struct {
	id         string
	version    int
	placed     time.Time
	updated    time.Time
	status     int
	seen       bool
	payMethod  string
	ship       shipInfo
	items      []item
	history    []historyEntry
	nextLineID int
}

// Address is a recipient as the store shows it.
type Address struct {
	FirstName, LastName string
	ZipCode             string // NNN-NNNN
	Prefecture, City    string
	Address1, Address2  string
	Phone               string
}

// LineInput is one product a buyer orders.
type LineInput struct {
	ItemID    string // 商品コード
	SubCode   string // 個別商品コード, "" for an item without variants
	Title     string
	Quantity  int
	UnitPrice int64
}

// OrderInput is a buyer's order.
type OrderInput struct {
	Lines  []LineInput
	ShipTo Address
	// RequestDate (YYYYMMDD) and RequestTime ("14:00-16:00", "午前中") are お届け希望日/時間.
	RequestDate, RequestTime string
	// PayMethod is Yahoo!'s payment code ("payment_d1" cash on delivery, "payment_a1" card).
	PayMethod string
	// Reserved places a reservation (予約中) instead of an order in process.
	Reserved bool
}

// ShipInfo is what the store shows of an order's shipping.
type ShipInfo struct {
	Status         int
	CompanyCode    string
	InvoiceNumbers []string
	Notes, URL     string
	Date           string
	// Writes counts orderShipStatusChange calls that changed anything.
	Writes int
}

func (s *Server) now() time.Time { return s.opts.Now().In(JST).Truncate(time.Second) }

// PlaceOrder places a buyer's order and returns its OrderId.
func (s *Server) PlaceOrder(in OrderInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	now := s.now()
	o := &order{id: fmt.Sprintf("%s-%08d", s.opts.SellerID, 10000000+s.seq), version: 1, placed: now, updated: now,
		status: StatusProcessing, payMethod: in.PayMethod}
	if in.Reserved {
		o.status = StatusReserved
	}
	if o.payMethod == "" {
		o.payMethod = "payment_a1"
	}
	o.ship = shipInfo{ShipStatus: ShipReady, ShipMethod: "postage1", ShipMethodName: "宅配便",
		ShipRequestDate: in.RequestDate, ShipRequestTime: in.RequestTime}
	setAddress(&o.ship, in.ShipTo)
	for _, l := range in.Lines {
		o.nextLineID++
		o.items = append(o.items, item{LineID: o.nextLineID, ItemID: l.ItemID, SubCode: l.SubCode, Title: l.Title,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	}
	s.orders[o.id] = o
	return o.id
}

func setAddress(si *shipInfo, a Address) {
	si.ShipFirstName, si.ShipLastName, si.ShipZipCode = a.FirstName, a.LastName, a.ZipCode
	si.ShipPrefecture, si.ShipCity, si.ShipAddress1, si.ShipAddress2 = a.Prefecture, a.City, a.Address1, a.Address2
	si.ShipPhoneNumber = a.Phone
}

// change applies a store-side edit and records it in the order's history.
func (s *Server) change(id, op string, f func(o *order)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, found := s.orders[id]
	if !found {
		return false
	}
	f(o)
	o.version++
	o.updated = s.now()
	snap := o.info().doc()
	o.history = append(o.history, historyEntry{HistoryID: len(o.history) + 1, OperationType: op,
		UpdateTime: o.updated.Format(timeLayout), OrderInfo: &snap})
	return true
}

// ChangeAddress changes the delivery address, as the store does on the buyer's request
// (orderChange).
func (s *Server) ChangeAddress(id string, a Address) bool {
	return s.change(id, "orderChange", func(o *order) { setAddress(&o.ship, a) })
}

// ChangeQuantity changes a line's quantity (orderChange).
func (s *Server) ChangeQuantity(id string, lineID, quantity int) bool {
	found := false
	ok := s.change(id, "orderChange", func(o *order) {
		for i := range o.items {
			if o.items[i].LineID == lineID {
				o.items[i].Quantity, found = quantity, true
			}
		}
	})
	return ok && found
}

// AddItem adds a line to the order (orderItemAdd) and returns its LineId.
func (s *Server) AddItem(id string, l LineInput) int {
	var lineID int
	s.change(id, "orderItemAdd", func(o *order) {
		o.nextLineID++
		lineID = o.nextLineID
		o.items = append(o.items, item{LineID: lineID, ItemID: l.ItemID, SubCode: l.SubCode, Title: l.Title, Quantity: l.Quantity, UnitPrice: l.UnitPrice})
	})
	return lineID
}

// Cancel cancels the order (OrderStatus 4).
func (s *Server) Cancel(id string) bool {
	return s.change(id, "orderStatusChange", func(o *order) { o.status = StatusCancelled })
}

// Ship returns what the store shows of the order's shipping.
func (s *Server) Ship(id string) (ShipInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, found := s.orders[id]
	if !found {
		return ShipInfo{}, false
	}
	si := ShipInfo{Status: o.ship.ShipStatus, CompanyCode: o.ship.ShipCompanyCode, Notes: o.ship.ShipNotes,
		URL: o.ship.ShipURL, Date: o.ship.ShipDate, Writes: s.shipHits[id]}
	for _, n := range []string{o.ship.ShipInvoiceNumber1, o.ship.ShipInvoiceNumber2} {
		if n != "" {
			si.InvoiceNumbers = append(si.InvoiceNumbers, n)
		}
	}
	return si, true
}

// ListItem registers an item code (商品コード or 商品コード:個別商品コード) with stock n.
func (s *Server) ListItem(code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed[code] = true
	s.stock[code] = n
}

// Stock returns the quantity the store shows for code.
func (s *Server) Stock(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stock[code]
}

// SetStockByHand changes a quantity behind the client's back, as staff do in the store admin.
func (s *Server) SetStockByHand(code string, n int) { s.ListItem(code, n) }

func (o *order) info() orderInfo {
	oi := orderInfo{OrderID: o.id, Version: o.version, IsSplit: "false", OrderTime: o.placed.Format(timeLayout),
		LastUpdateTime: o.updated.Format(timeLayout), OrderStatus: o.status, Ship: o.ship,
		Items: slices.Clone(o.items)}
	oi.Pay.PayMethod = o.payMethod
	for _, it := range o.items {
		oi.Pay.TotalPrice += it.UnitPrice * int64(it.Quantity)
	}
	return oi
}

// ---- handlers ----

// listFields are the orderList fields the fake fills in; acceptedList the other names Yahoo!
// takes (as the PHP client lists them), which the fake accepts and leaves out of its answer.
var listFields = map[string]bool{"OrderId": true, "Version": true, "OrderTime": true, "LastUpdateTime": true,
	"OrderStatus": true, "ShipStatus": true}

var acceptedList = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split("OriginalOrderId,ParentOrderId,DeviceType,IsSeen,IsSplit,IsRoyalty,IsSeller,"+
		"IsAffiliate,IsRatingB2s,ExistMultiReleaseDate,ReleaseDate,Suspect,StoreStatus,RoyaltyFixTime,PrintSlipFlag,"+
		"PrintDeliveryFlag,PrintBillFlag,BuyerCommentsFlag,PayStatus,SettleStatus,PayType,PayMethod,PayMethodName,"+
		"PayDate,SettleId,UseWallet,NeedBillSlip,NeedDetailedSlip,NeedReceipt,BillFirstName,BillFirstNameKana,"+
		"BillLastName,BillLastNameKana,BillPrefecture,ShipMethod,ShipRequestDate,ShipRequestTime,ShipNotes,"+
		"ShipInvoiceNumber1,ShipInvoiceNumber2,ArriveType,ShipDate,NeedGiftWrap,NeedGiftWrapMessage,NeedGiftWrapPaper,"+
		"ShipFirstName,ShipFirstNameKana,ShipLastName,ShipLastNameKana,ShipPrefecture,PayCharge,ShipCharge,"+
		"GiftWrapCharge,Discount,UsePoint,TotalPrice,RefundTotalPrice,UsePointType,IsGetPointFixAll,SellerId,IsLogin,"+
		"PayNo,PayNoIssueDate,SellerType,IsPayManagement,ShipUrl,ShipMethodName,ArrivalDate,TotalMallCouponDiscount", ",") {
		m[f] = true
	}
	return m
}()

func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	var req searchReq
	if !decode(w, r, &req) || !s.checkSeller(w, req.SellerID) {
		return
	}
	q := req.Search
	if strings.TrimSpace(q.Field) == "" {
		writeError(w, http.StatusBadRequest, "", "Field is required")
		return
	}
	fields := map[string]bool{}
	for _, f := range strings.Split(q.Field, ",") {
		f = strings.TrimSpace(f)
		if !listFields[f] && !acceptedList[f] {
			writeError(w, http.StatusBadRequest, "", "Field is invalid")
			return
		}
		fields[f] = true
	}
	result, start := 10, 1
	var err error
	if q.Result != "" {
		if result, err = strconv.Atoi(q.Result); err != nil || result < 1 {
			writeError(w, http.StatusBadRequest, "", "Result is invalid")
			return
		}
	}
	if q.Start != "" {
		if start, err = strconv.Atoi(q.Start); err != nil || start < 1 {
			writeError(w, http.StatusBadRequest, "", "Start is invalid")
			return
		}
	}
	if q.Sort != "" && q.Sort != "+order_time" && q.Sort != "-order_time" {
		writeError(w, http.StatusBadRequest, "", "Sort is invalid")
		return
	}
	from, err1 := parseCondTime(q.Condition.OrderTimeFrom)
	to, err2 := parseCondTime(q.Condition.OrderTimeTo)
	if err1 != nil || err2 != nil {
		writeError(w, http.StatusBadRequest, "", "OrderTime is invalid")
		return
	}
	s.mu.Lock()
	var hits []*order
	for _, o := range s.orders {
		switch {
		case !from.IsZero() && o.placed.Before(from), !to.IsZero() && o.placed.After(to):
		case q.Condition.OrderID != "" && o.id != q.Condition.OrderID:
		case q.Condition.OrderStatus != "" && strconv.Itoa(o.status) != q.Condition.OrderStatus:
		default:
			hits = append(hits, o)
		}
	}
	slices.SortFunc(hits, func(a, b *order) int {
		if c := a.placed.Compare(b.placed); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	if q.Sort == "-order_time" {
		slices.Reverse(hits)
	}
	var res listResult
	res.Status = "OK"
	res.Search.TotalCount = len(hits)
	for i := start - 1; i < len(hits) && i < start-1+result; i++ {
		o := hits[i]
		e := listEntry{Index: i + 1}
		if fields["OrderId"] {
			e.OrderID = o.id
		}
		if fields["Version"] {
			e.Version = strconv.Itoa(o.version)
		}
		if fields["OrderTime"] {
			e.OrderTime = o.placed.Format(timeLayout)
		}
		if fields["LastUpdateTime"] {
			e.LastUpdateTime = o.updated.Format(timeLayout)
		}
		if fields["OrderStatus"] {
			e.OrderStatus = strconv.Itoa(o.status)
		}
		if fields["ShipStatus"] {
			e.ShipStatus = strconv.Itoa(o.ship.ShipStatus)
		}
		res.Search.OrderInfo = append(res.Search.OrderInfo, e)
	}
	s.mu.Unlock()
	ok(w, len(res.Search.OrderInfo), res)
}

func (s *Server) orderInfo(w http.ResponseWriter, r *http.Request) {
	var req targetReq
	if !decode(w, r, &req) || !s.checkSeller(w, req.SellerID) {
		return
	}
	if strings.TrimSpace(req.Target.Field) == "" {
		writeError(w, http.StatusBadRequest, "", "Field is required")
		return
	}
	want := map[string]bool{}
	for _, f := range strings.Split(req.Target.Field, ",") {
		f = strings.TrimSpace(f)
		if !fieldNames[f] {
			writeError(w, http.StatusBadRequest, "", "Field is invalid")
			return
		}
		want[f] = true
	}
	s.mu.Lock()
	o, found := s.orders[req.Target.OrderID]
	var oi infoDoc
	if found {
		o.seen = true
		oi = o.info().doc().only(want)
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusBadRequest, "", "OrderId is not found") // code: the fake's own
		return
	}
	ok(w, 1, infoResult{Status: "OK", OrderInfo: oi})
}

func (s *Server) orderCount(w http.ResponseWriter, r *http.Request) {
	if !s.checkSeller(w, r.URL.Query().Get("sellerId")) {
		return
	}
	var res countResult
	res.Status = "OK"
	s.mu.Lock()
	for _, o := range s.orders {
		switch {
		case o.seen:
		case o.status == StatusReserved:
			res.Count.NewReserve++
		case o.status == StatusProcessing:
			res.Count.NewOrder++
		}
	}
	s.mu.Unlock()
	ok(w, 1, res)
}

func (s *Server) orderChangeHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.checkSeller(w, q.Get("sellerId")) {
		return
	}
	s.mu.Lock()
	o, found := s.orders[q.Get("orderId")]
	var hist []historyEntry
	if found {
		hist = slices.Clone(o.history)
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusBadRequest, "", "OrderId is not found")
		return
	}
	ok(w, len(hist), historyResult{Status: "OK", History: hist})
}

func (s *Server) orderShipStatusChange(w http.ResponseWriter, r *http.Request) {
	var req targetReq
	if !decode(w, r, &req) || !s.checkSeller(w, req.SellerID) {
		return
	}
	sh := req.Order.Ship
	switch {
	case req.Target.IsPointFix != "true" && req.Target.IsPointFix != "false":
		writeError(w, http.StatusBadRequest, "", "IsPointFix is required")
		return
	case sh == nil || sh.ShipStatus == "":
		writeError(w, http.StatusBadRequest, "", "ShipStatus is required")
		return
	case len([]rune(sh.ShipNotes)) > 500:
		writeError(w, http.StatusBadRequest, "", "ShipNotes is too long")
		return
	case sh.ShipDate != "" && !isDate(sh.ShipDate):
		writeError(w, http.StatusBadRequest, "", "ShipDate is invalid")
		return
	}
	st, err := strconv.Atoi(sh.ShipStatus)
	if err != nil || st < ShipNotReady || st > ShipDelivered {
		writeError(w, http.StatusBadRequest, "", "ShipStatus is invalid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, found := s.orders[req.Target.OrderID]
	if !found {
		writeError(w, http.StatusBadRequest, "", "OrderId is not found")
		return
	}
	if o.status == StatusCancelled {
		writeError(w, http.StatusBadRequest, "", "Order is cancelled")
		return
	}
	before := o.ship
	o.ship.ShipStatus = st
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&o.ship.ShipMethod, sh.ShipMethod)
	set(&o.ship.ShipCompanyCode, sh.ShipCompanyCode)
	set(&o.ship.ShipInvoiceNumber1, sh.ShipInvoiceNumber1)
	set(&o.ship.ShipInvoiceNumber2, sh.ShipInvoiceNumber2)
	set(&o.ship.ShipNotes, sh.ShipNotes)
	set(&o.ship.ShipURL, sh.ShipURL)
	set(&o.ship.ShipDate, sh.ShipDate)
	if o.ship != before {
		s.shipHits[o.id]++
		o.version++
		o.updated = s.now()
		snap := o.info().doc()
		o.history = append(o.history, historyEntry{HistoryID: len(o.history) + 1, OperationType: "orderShipStatusChange",
			UpdateTime: o.updated.Format(timeLayout), OrderInfo: &snap})
	}
	ok(w, 1, statusResult{Status: "OK"})
}

func isDate(v string) bool {
	_, err := time.Parse("20060102", v)
	return err == nil
}

var (
	reItemCode = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,99}(:[A-Za-z0-9_\-]{1,99})?$`)
	reQuantity = regexp.MustCompile(`^[+\-]?[0-9]{1,9}$`)
)

// stockForm reads setStock's and getStock's form: seller_id and comma-separated item_code.
func (s *Server) stockForm(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "", "Request is invalid")
		return nil, false
	}
	if !s.checkSeller(w, r.PostForm.Get("seller_id")) {
		return nil, false
	}
	codes := strings.Split(r.PostForm.Get("item_code"), ",")
	if len(codes) > MaxStockCodes {
		writeError(w, http.StatusBadRequest, "", "item_code exceeds 1000")
		return nil, false
	}
	for _, c := range codes {
		if !reItemCode.MatchString(c) {
			writeError(w, http.StatusBadRequest, "st-02101", "item_code() is invalid format.")
			return nil, false
		}
	}
	return codes, true
}

func splitCode(c string) stockResult {
	item, sub, _ := strings.Cut(c, ":")
	return stockResult{ItemCode: item, SubCode: sub}
}

func (s *Server) setStock(w http.ResponseWriter, r *http.Request) {
	codes, good := s.stockForm(w, r)
	if !good {
		return
	}
	qs := strings.Split(r.PostForm.Get("quantity"), ",")
	if len(qs) != len(codes) {
		writeError(w, http.StatusBadRequest, "", "quantity count differs from item_code count")
		return
	}
	for _, q := range qs {
		if q == "INI" {
			writeError(w, http.StatusBadRequest, "st-02104", "quantity(INI) is no longer supported.")
			return
		}
		if !reQuantity.MatchString(q) {
			writeError(w, http.StatusBadRequest, "", "quantity() is invalid format.")
			return
		}
	}
	s.mu.Lock()
	res := stockSet{Available: len(codes), Returned: len(codes), First: 1}
	for i, c := range codes {
		n, _ := strconv.Atoi(strings.TrimPrefix(qs[i], "+"))
		if qs[i][0] == '+' || qs[i][0] == '-' {
			n += s.stock[c]
		}
		n = max(n, 0)
		s.stock[c] = n // unknown codes are accepted and linked when the item is registered
		sr := splitCode(c)
		sr.Quantity = strconv.Itoa(n)
		res.Results = append(res.Results, sr)
	}
	s.mu.Unlock()
	writeXML(w, http.StatusOK, res)
}

func (s *Server) getStock(w http.ResponseWriter, r *http.Request) {
	codes, good := s.stockForm(w, r)
	if !good {
		return
	}
	s.mu.Lock()
	res := stockSet{Available: len(codes), Returned: len(codes), First: 1}
	for _, c := range codes {
		sr := splitCode(c)
		n, known := s.stock[c]
		sr.Status = "0"
		if known {
			sr.Status, sr.Quantity = "1", strconv.Itoa(n)
		}
		res.Results = append(res.Results, sr)
	}
	s.mu.Unlock()
	writeXML(w, http.StatusOK, res)
}
