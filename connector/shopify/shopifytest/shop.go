package shopifytest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

type variant struct {
	id, sku, title, productID string
	item                      *invItem
}

type invItem struct {
	id, sku   string
	available map[string]int // by location ID
}

type fOrder struct {
	id, name, currency  string
	email, phone, note  string
	createdAt, updated  time.Time
	cancelledAt         *time.Time
	cancelReason        string
	attrs               []Attribute
	addr                Address
	lines               []*fLine
	fos                 []*fOrderFO
	fulfillments        []*fulfillment
	displayFulfillState string
	gateways            []string
	financial           string // PAID, PENDING, …
	shipping            []ShippingLine
	discount, tax       int64
	taxExcluded         bool
	shippingIDs         []string
}

type fLine struct {
	id, sku, title string
	qty, current   int
	price          int64 // minor units
	props          []Attribute
}

type fOrderFO struct {
	id            string
	order         *fOrder
	status        string // OPEN, IN_PROGRESS, CANCELLED, INCOMPLETE, CLOSED, ON_HOLD
	requestStatus string // UNSUBMITTED, SUBMITTED, ACCEPTED, REJECTED, CANCELLATION_REQUESTED, …
	lines         []*foLine
	requests      []merchantRequest
	holds         []hold
	heldFrom      string
	updated       time.Time
	estimatedShip *time.Time
}

type foLine struct {
	id        string
	line      *fLine
	total     int
	remaining int
}

type merchantRequest struct {
	kind, message string
	at            time.Time
}

type hold struct{ id, reason, handle string }

type fulfillment struct {
	id        string
	order     *fOrder
	status    string
	createdAt time.Time
	company   string
	numbers   []string
	urls      []string
	lines     map[string]int // fulfillment order line item ID → quantity
}

// Attribute is a note attribute (customAttributes) of an order.
type Attribute struct{ Key, Value string }

// Address is a shipping address.
type Address struct {
	FirstName, LastName, Company, Phone     string
	Address1, Address2, City, Province, Zip string
	ProvinceCode, CountryCode               string
}

// OrderInput describes an order a test creates in the fake shop.
type OrderInput struct {
	// Name defaults to "#<number>".
	Name string
	// Currency defaults to JPY.
	Currency string
	Email    string
	Phone    string
	Note     string
	// Attributes are the order's note attributes (customAttributes).
	Attributes []Attribute
	ShipTo     Address
	Lines      []LineInput
	// Gateways are the payment gateways' names; default ["shopify_payments"]. Cash on
	// delivery is the manual gateway "代金引換" (Shopify's Japanese name for it).
	Gateways []string
	// FinancialStatus is the order's displayFinancialStatus; default PAID, or PENDING when a
	// gateway is a manual one (代金引換, 銀行振込 …: anything but shopify_payments, paypal,
	// gift_card). A PENDING order has its whole current total outstanding.
	FinancialStatus string
	// Shipping are the shipping lines (the buyer's chosen rates), prices in minor units.
	Shipping []ShippingLine
	// Discount is the order's total discount, in minor units.
	Discount int64
	// Tax is the tax the order's prices hold (Japanese prices include it) or, with
	// TaxExcluded, add to them.
	Tax         int64
	TaxExcluded bool
}

// ShippingLine is a shipping rate the buyer chose, as Shopify records it on the order.
type ShippingLine struct {
	Title, Code string
	Price       int64
}

// LineInput is one line of an OrderInput. Price is in the currency's minor unit.
type LineInput struct {
	SKU      string
	Title    string
	Quantity int
	Price    int64
	// Properties are the line item's properties (customAttributes): のし or a message card
	// chosen on the product page.
	Properties []Attribute
}

// paidGateways take the payment at checkout; every other gateway is a manual payment method
// the order waits on.
var paidGateways = map[string]bool{"shopify_payments": true, "paypal": true, "gift_card": true, "bogus": true}

// sums are an order's money figures in minor units, original (as placed) and current (after
// cancelled quantities).
type sums struct {
	lines, shipping, discount, tax, total int64
	currentLines, currentTotal            int64
	outstanding, received                 int64
}

func (o *fOrder) sums() sums {
	var m sums
	for _, l := range o.lines {
		m.lines += l.price * int64(l.qty)
		m.currentLines += l.price * int64(l.current)
	}
	for _, sl := range o.shipping {
		m.shipping += sl.Price
	}
	m.discount, m.tax = o.discount, o.tax
	add := m.shipping - m.discount
	if o.taxExcluded {
		add += m.tax
	}
	m.total, m.currentTotal = m.lines+add, m.currentLines+add
	switch {
	case o.cancelledAt != nil:
	case o.financial == "PENDING":
		m.outstanding = m.currentTotal
	default:
		m.received = m.total
	}
	return m
}

// AddVariant creates a product variant with sku and an inventory item stocked at the location
// with available units, and returns the inventory item's ID.
func (s *Server) AddVariant(sku string, available int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	item := &invItem{id: s.gid("InventoryItem"), sku: sku, available: map[string]int{s.locationID: available}}
	v := &variant{id: s.gid("ProductVariant"), sku: sku, title: sku, productID: s.gid("Product"), item: item}
	s.items[item.id] = item
	s.variants = append(s.variants, v)
	return item.id
}

// Available returns the available quantity of sku at the location.
func (s *Server) Available(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.variants {
		if v.sku == sku {
			n, ok := v.item.available[s.locationID]
			return n, ok
		}
	}
	return 0, false
}

// SetAvailable changes the available quantity of sku, as a merchant editing stock would.
func (s *Server) SetAvailable(sku string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.variants {
		if v.sku == sku {
			v.item.available[s.locationID] = n
		}
	}
}

// CreateOrder places an order with one fulfillment order assigned to the location, not yet
// requested, and returns the order's ID.
func (s *Server) CreateOrder(in OrderInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.stamp()
	o := &fOrder{id: s.gid("Order"), currency: in.Currency, email: in.Email, phone: in.Phone, note: in.Note,
		createdAt: now, updated: now, attrs: append([]Attribute(nil), in.Attributes...), addr: in.ShipTo,
		displayFulfillState: "UNFULFILLED", gateways: append([]string(nil), in.Gateways...), financial: in.FinancialStatus,
		shipping: append([]ShippingLine(nil), in.Shipping...), discount: in.Discount, tax: in.Tax, taxExcluded: in.TaxExcluded}
	if o.currency == "" {
		o.currency = "JPY"
	}
	if len(o.gateways) == 0 {
		o.gateways = []string{"shopify_payments"}
	}
	if o.financial == "" {
		o.financial = "PAID"
		for _, g := range o.gateways {
			if !paidGateways[g] {
				o.financial = "PENDING"
			}
		}
	}
	for range o.shipping {
		o.shippingIDs = append(o.shippingIDs, s.gid("ShippingLine"))
	}
	o.name = in.Name
	if o.name == "" {
		o.name = "#" + strconv.Itoa(len(s.orders)+1001)
	}
	fo := &fOrderFO{id: s.gid("FulfillmentOrder"), order: o, status: "OPEN", requestStatus: "UNSUBMITTED", updated: now}
	for _, l := range in.Lines {
		fl := &fLine{id: s.gid("LineItem"), sku: l.SKU, title: l.Title, qty: l.Quantity, current: l.Quantity, price: l.Price,
			props: append([]Attribute(nil), l.Properties...)}
		if fl.title == "" {
			fl.title = l.SKU
		}
		o.lines = append(o.lines, fl)
		fo.lines = append(fo.lines, &foLine{id: s.gid("FulfillmentOrderLineItem"), line: fl, total: l.Quantity, remaining: l.Quantity})
	}
	o.fos = []*fOrderFO{fo}
	s.orders[o.id] = o
	s.fos[fo.id] = fo
	return o.id
}

// TouchOrder marks the order updated now (as an edit by the merchant would).
func (s *Server) TouchOrder(orderID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		o.updated = s.stamp()
	}
}

// ChangeAddress replaces the order's shipping address, as an edit in the admin would.
func (s *Server) ChangeAddress(orderID string, a Address) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		o.addr, o.updated = a, s.stamp()
	}
}

// CancelOrder cancels the order, as the merchant would in the admin.
func (s *Server) CancelOrder(orderID, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[orderID]; o != nil {
		t := s.stamp()
		o.cancelledAt, o.cancelReason, o.updated = &t, reason, t
	}
}

// FulfillmentOrderIDs returns the IDs of the order's fulfillment orders.
func (s *Server) FulfillmentOrderIDs(orderID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	if o := s.orders[orderID]; o != nil {
		for _, fo := range o.fos {
			ids = append(ids, fo.id)
		}
	}
	return ids
}

// RequestFulfillment sends the merchant's fulfillment request for the fulfillment order, as
// fulfillmentOrderSubmitFulfillmentRequest would.
func (s *Server) RequestFulfillment(foID, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fo := s.fos[foID]
	if fo == nil || fo.requestStatus != "UNSUBMITTED" && fo.requestStatus != "REJECTED" {
		return fmt.Errorf("shopifytest: fulfillment order %s cannot be requested", foID)
	}
	fo.requestStatus, fo.updated = "SUBMITTED", s.stamp()
	fo.requests = append(fo.requests, merchantRequest{kind: "FULFILLMENT_REQUEST", message: message, at: fo.updated})
	return nil
}

// RequestCancellation sends the merchant's cancellation request for an accepted fulfillment
// order, as fulfillmentOrderSubmitCancellationRequest would.
func (s *Server) RequestCancellation(foID, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fo := s.fos[foID]
	if fo == nil || fo.requestStatus != "ACCEPTED" {
		return fmt.Errorf("shopifytest: fulfillment order %s has no accepted request to cancel", foID)
	}
	fo.requestStatus, fo.updated = "CANCELLATION_REQUESTED", s.stamp()
	fo.requests = append(fo.requests, merchantRequest{kind: "CANCELLATION_REQUEST", message: message, at: fo.updated})
	return nil
}

// FulfillmentOrderState is a fulfillment order as tests inspect it.
type FulfillmentOrderState struct {
	Status, RequestStatus string
	// Remaining is the unfulfilled quantity by SKU.
	Remaining          map[string]int
	Holds              int
	EstimatedShippedAt *time.Time
}

// FulfillmentOrder returns the state of a fulfillment order.
func (s *Server) FulfillmentOrder(foID string) (FulfillmentOrderState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fo := s.fos[foID]
	if fo == nil {
		return FulfillmentOrderState{}, false
	}
	st := FulfillmentOrderState{Status: fo.status, RequestStatus: fo.requestStatus, Remaining: map[string]int{}, Holds: len(fo.holds), EstimatedShippedAt: fo.estimatedShip}
	for _, l := range fo.lines {
		st.Remaining[l.line.sku] += l.remaining
	}
	return st, true
}

// Fulfillment is a fulfillment as tests inspect it.
type Fulfillment struct {
	ID      string
	Company string
	Numbers []string
	URLs    []string
	// Quantities by SKU.
	Quantities map[string]int
}

// Fulfillments returns the order's fulfillments, oldest first.
func (s *Server) Fulfillments(orderID string) []Fulfillment {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[orderID]
	if o == nil {
		return nil
	}
	var out []Fulfillment
	for _, f := range o.fulfillments {
		q := map[string]int{}
		for foli, n := range f.lines {
			for _, fo := range o.fos {
				for _, l := range fo.lines {
					if l.id == foli {
						q[l.line.sku] += n
					}
				}
			}
		}
		out = append(out, Fulfillment{ID: f.id, Company: f.company, Numbers: append([]string(nil), f.numbers...), URLs: append([]string(nil), f.urls...), Quantities: q})
	}
	return out
}

// OrderIDs returns every order's ID, in creation order.
func (s *Server) OrderIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.orders))
	for id := range s.orders {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return gidNum(ids[i]) < gidNum(ids[j]) })
	return ids
}

func gidNum(gid string) int64 {
	n, _ := strconv.ParseInt(gid[strings.LastIndexByte(gid, '/')+1:], 10, 64)
	return n
}

func legacyID(gid string) string { return gid[strings.LastIndexByte(gid, '/')+1:] }

// restPayload is the order as an orders/* webhook carries it (Shopify's REST Order resource),
// with the fields a real orders/create holds for what the fake models: identity and times,
// payment (gateway, payment_gateway_names, financial_status), money (total_price and the other
// totals, each with its _set in shop and presentment money, total_outstanding, taxes_included),
// note_attributes, line items with their properties, shipping_lines, and the shipping address
// with its country.
func (o *fOrder) restPayload() map[string]any {
	cur := o.currency
	amount := func(minor int64) string { return restMoney(minor, cur) }
	set := func(minor int64) map[string]any {
		m := map[string]any{"amount": amount(minor), "currency_code": cur}
		return map[string]any{"shop_money": m, "presentment_money": m}
	}
	m := o.sums()
	lines := make([]any, len(o.lines))
	for i, l := range o.lines {
		props := make([]any, len(l.props))
		for j, p := range l.props {
			props[j] = map[string]string{"name": p.Key, "value": p.Value}
		}
		lines[i] = map[string]any{
			"id": gidNum(l.id), "admin_graphql_api_id": l.id, "sku": nilIfEmpty(l.sku), "title": l.title, "name": l.title,
			"variant_title": nil, "vendor": nil, "quantity": l.qty, "current_quantity": l.current,
			"fulfillable_quantity": l.current, "fulfillment_status": nil, "requires_shipping": true, "taxable": true,
			"gift_card": false, "product_exists": true, "grams": 0,
			"price": amount(l.price), "price_set": set(l.price), "total_discount": amount(0), "total_discount_set": set(0),
			"properties": props, "tax_lines": []any{}, "discount_allocations": []any{}, "duties": []any{},
		}
	}
	attrs := make([]any, len(o.attrs))
	for i, a := range o.attrs {
		attrs[i] = map[string]string{"name": a.Key, "value": a.Value}
	}
	shipping := make([]any, len(o.shipping))
	for i, sl := range o.shipping {
		shipping[i] = map[string]any{
			"id": gidNum(o.shippingIDs[i]), "title": sl.Title, "code": sl.Code, "source": "shopify",
			"price": amount(sl.Price), "price_set": set(sl.Price), "discounted_price": amount(sl.Price),
			"discounted_price_set": set(sl.Price), "carrier_identifier": nil, "phone": nil,
			"requested_fulfillment_service_id": nil, "tax_lines": []any{}, "discount_allocations": []any{},
		}
	}
	var cancelled any
	if o.cancelledAt != nil {
		cancelled = o.cancelledAt.Format(time.RFC3339)
	}
	var reason any
	if o.cancelReason != "" {
		reason = strings.ToLower(o.cancelReason)
	}
	var fulfillment any
	switch o.displayFulfillState {
	case "FULFILLED":
		fulfillment = "fulfilled"
	case "PARTIALLY_FULFILLED":
		fulfillment = "partial"
	}
	var gateway any
	if len(o.gateways) > 0 {
		gateway = o.gateways[0]
	}
	addr := map[string]any{
		"first_name": nilIfEmpty(o.addr.FirstName), "last_name": nilIfEmpty(o.addr.LastName),
		"name":    strings.TrimSpace(o.addr.LastName + " " + o.addr.FirstName),
		"company": nilIfEmpty(o.addr.Company), "phone": nilIfEmpty(o.addr.Phone), "address1": nilIfEmpty(o.addr.Address1),
		"address2": nilIfEmpty(o.addr.Address2), "city": nilIfEmpty(o.addr.City), "province": nilIfEmpty(o.addr.Province),
		"province_code": nilIfEmpty(o.addr.ProvinceCode), "zip": nilIfEmpty(o.addr.Zip),
		"country": nilIfEmpty(countryName(o.addr.CountryCode)), "country_code": nilIfEmpty(o.addr.CountryCode),
		"latitude": nil, "longitude": nil,
	}
	return map[string]any{
		"id": gidNum(o.id), "admin_graphql_api_id": o.id, "name": o.name, "order_number": orderNumber(o.name),
		"email": nilIfEmpty(o.email), "contact_email": nilIfEmpty(o.email), "phone": nilIfEmpty(o.phone),
		"created_at": o.createdAt.Format(time.RFC3339), "updated_at": o.updated.Format(time.RFC3339),
		"processed_at": o.createdAt.Format(time.RFC3339), "closed_at": nil,
		"cancelled_at": cancelled, "cancel_reason": reason, "test": false, "confirmed": true,
		"currency": cur, "presentment_currency": cur, "note": nilIfEmpty(o.note), "note_attributes": attrs, "tags": "",
		"gateway": gateway, "payment_gateway_names": append([]string{}, o.gateways...),
		"financial_status": strings.ToLower(o.financial), "fulfillment_status": fulfillment,
		"taxes_included": !o.taxExcluded, "total_weight": 0,
		"subtotal_price": amount(m.lines - m.discount), "subtotal_price_set": set(m.lines - m.discount),
		"total_line_items_price": amount(m.lines), "total_line_items_price_set": set(m.lines),
		"total_discounts": amount(m.discount), "total_discounts_set": set(m.discount),
		"total_shipping_price_set": set(m.shipping),
		"total_tax":                amount(m.tax), "total_tax_set": set(m.tax),
		"total_price": amount(m.total), "total_price_set": set(m.total),
		"current_total_price": amount(m.currentTotal), "current_total_price_set": set(m.currentTotal),
		"current_subtotal_price": amount(m.currentLines - m.discount), "current_subtotal_price_set": set(m.currentLines - m.discount),
		"current_total_discounts": amount(m.discount), "current_total_discounts_set": set(m.discount),
		"current_total_tax": amount(m.tax), "current_total_tax_set": set(m.tax),
		"total_outstanding": amount(m.outstanding), "total_tip_received": amount(0),
		"line_items": lines, "shipping_lines": shipping, "discount_codes": []any{}, "tax_lines": []any{},
		"shipping_address": addr, "billing_address": addr,
	}
}

// restMoney formats minor units as the REST API writes amounts: two decimals ("3530.00"),
// three for currencies with three.
func restMoney(minor int64, currency string) string {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "":
		return strconv.FormatInt(minor, 10) + ".00"
	case "BHD", "KWD", "OMR", "JOD":
		return fmt.Sprintf("%d.%03d", minor/1000, abs(minor%1000))
	}
	return fmt.Sprintf("%d.%02d", minor/100, abs(minor%100))
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func orderNumber(name string) any {
	if n, err := strconv.Atoi(strings.TrimPrefix(name, "#")); err == nil {
		return n
	}
	return nil
}

// countryName is the English country name REST addresses carry beside the code.
func countryName(code string) string {
	switch code {
	case "JP":
		return "Japan"
	case "US":
		return "United States"
	case "":
		return ""
	}
	return code
}

// moneyString formats minor units as Shopify's decimal strings.
func moneyString(minor int64, currency string) string {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "":
		return strconv.FormatInt(minor, 10) + ".0"
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}
