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
}

type fLine struct {
	id, sku, title string
	qty, current   int
	price          int64 // minor units
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
	Currency   string
	Email      string
	Phone      string
	Note       string
	Attributes []Attribute
	ShipTo     Address
	Lines      []LineInput
}

// LineInput is one line of an OrderInput. Price is in the currency's minor unit.
type LineInput struct {
	SKU      string
	Title    string
	Quantity int
	Price    int64
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
		displayFulfillState: "UNFULFILLED"}
	if o.currency == "" {
		o.currency = "JPY"
	}
	o.name = in.Name
	if o.name == "" {
		o.name = "#" + strconv.Itoa(len(s.orders)+1001)
	}
	fo := &fOrderFO{id: s.gid("FulfillmentOrder"), order: o, status: "OPEN", requestStatus: "UNSUBMITTED", updated: now}
	for _, l := range in.Lines {
		fl := &fLine{id: s.gid("LineItem"), sku: l.SKU, title: l.Title, qty: l.Quantity, current: l.Quantity, price: l.Price}
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

// restPayload is the order as a REST-style webhook carries it.
func (o *fOrder) restPayload() map[string]any {
	lines := make([]any, len(o.lines))
	for i, l := range o.lines {
		lines[i] = map[string]any{
			"id": gidNum(l.id), "admin_graphql_api_id": l.id, "sku": l.sku, "title": l.title, "name": l.title,
			"quantity": l.qty, "current_quantity": l.current, "price": moneyString(l.price, o.currency),
		}
	}
	attrs := make([]any, len(o.attrs))
	for i, a := range o.attrs {
		attrs[i] = map[string]string{"name": a.Key, "value": a.Value}
	}
	var cancelled any
	if o.cancelledAt != nil {
		cancelled = o.cancelledAt.Format(time.RFC3339)
	}
	var reason any
	if o.cancelReason != "" {
		reason = strings.ToLower(o.cancelReason)
	}
	return map[string]any{
		"id": gidNum(o.id), "admin_graphql_api_id": o.id, "name": o.name, "email": o.email, "phone": o.phone,
		"created_at": o.createdAt.Format(time.RFC3339), "updated_at": o.updated.Format(time.RFC3339),
		"cancelled_at": cancelled, "cancel_reason": reason, "currency": o.currency, "note": o.note,
		"note_attributes": attrs, "line_items": lines,
		"shipping_address": map[string]any{
			"first_name": o.addr.FirstName, "last_name": o.addr.LastName, "name": strings.TrimSpace(o.addr.LastName + " " + o.addr.FirstName),
			"company": o.addr.Company, "phone": o.addr.Phone, "address1": o.addr.Address1, "address2": o.addr.Address2,
			"city": o.addr.City, "province": o.addr.Province, "province_code": o.addr.ProvinceCode, "zip": o.addr.Zip,
			"country_code": o.addr.CountryCode,
		},
	}
}

// moneyString formats minor units as Shopify's decimal strings.
func moneyString(minor int64, currency string) string {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "":
		return strconv.FormatInt(minor, 10) + ".0"
	}
	return fmt.Sprintf("%d.%02d", minor/100, minor%100)
}
