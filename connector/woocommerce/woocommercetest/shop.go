package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Address is a billing or shipping address as WooCommerce keeps it. State is WooCommerce's
// state code (JP13 for Tokyo).
type Address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone"`
}

// Meta is one meta_data entry. Value is any JSON value (plugins store strings, numbers and
// objects).
type Meta struct {
	ID    int64  `json:"id"`
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Note is an order note.
type Note struct {
	ID             int64  `json:"id"`
	Author         string `json:"author"`
	DateCreated    string `json:"date_created"`
	DateCreatedGMT string `json:"date_created_gmt"`
	Note           string `json:"note"`
	CustomerNote   bool   `json:"customer_note"`
}

// Tracking is a Shipment Tracking extension entry.
type Tracking struct {
	TrackingID             string `json:"tracking_id"`
	TrackingProvider       string `json:"tracking_provider"`
	CustomTrackingProvider string `json:"custom_tracking_provider,omitempty"`
	CustomTrackingLink     string `json:"custom_tracking_link,omitempty"`
	TrackingLink           string `json:"tracking_link"`
	TrackingNumber         string `json:"tracking_number"`
	DateShipped            string `json:"date_shipped"`
}

// LineInput is one line of an order a buyer places.
type LineInput struct {
	SKU      string
	Name     string
	Quantity int
	// Price is the unit price in the shop's currency, in its minor unit (yen).
	Price int64
}

// OrderInput is an order a buyer places.
type OrderInput struct {
	Lines    []LineInput
	Shipping Address
	Billing  Address
	// Status defaults to processing (paid, ready to ship).
	Status string
	// Meta is stored as the order's meta_data, in order.
	Meta []Meta
	// PaymentMethod defaults to "bacs"; "cod" is cash on delivery.
	PaymentMethod string
	CustomerNote  string
}

type fLine struct {
	ID          int64
	Name        string
	ProductID   int64
	VariationID int64
	Quantity    int
	SKU         string
	Price       int64
}

type fOrder struct {
	ID            int64
	Status        string
	Created       time.Time
	Modified      time.Time
	Completed     *time.Time
	Paid          *time.Time
	Shipping      Address
	Billing       Address
	Lines         []fLine
	Meta          []Meta
	Notes         []Note
	Trackings     []Tracking
	PaymentMethod string
	CustomerNote  string
}

type fProduct struct {
	ID         int64
	ParentID   int64
	Type       string // simple, variable, variation
	Name       string
	SKU        string
	Manage     bool
	Stock      *int
	Modified   time.Time
	Variations []int64
}

var orderStatuses = []string{"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"}

// stamp is WooCommerce's precision: whole seconds.
func (s *Server) stamp() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

func (s *Server) local(t time.Time) string {
	return t.In(s.opts.Location).Format("2006-01-02T15:04:05")
}

func gmt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

func (s *Server) nextID() int64 { s.seq++; return s.seq }

// ---- seeding, as the shop's staff and buyers act ----

// AddProduct lists a simple product with a managed stock and returns its ID.
func (s *Server) AddProduct(sku string, stock int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID()
	n := stock
	s.products[id] = &fProduct{ID: id, Type: "simple", Name: "Product " + sku, SKU: sku, Manage: true, Stock: &n, Modified: s.stamp()}
	return id
}

// AddVariableProduct lists a variable product with one variation per SKU (stock 0) and returns
// the parent's ID and the variations' IDs.
func (s *Server) AddVariableProduct(name string, skus ...string) (int64, []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent := &fProduct{ID: s.nextID(), Type: "variable", Name: name, Modified: s.stamp()}
	s.products[parent.ID] = parent
	for _, sku := range skus {
		zero := 0
		v := &fProduct{ID: s.nextID(), ParentID: parent.ID, Type: "variation", Name: name + " - " + sku, SKU: sku, Manage: true, Stock: &zero, Modified: s.stamp()}
		s.products[v.ID] = v
		parent.Variations = append(parent.Variations, v.ID)
	}
	return parent.ID, slices.Clone(parent.Variations)
}

// DeleteProduct deletes a product (or variation) for good, as a merchant emptying the trash.
func (s *Server) DeleteProduct(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok {
		return
	}
	for _, v := range p.Variations {
		delete(s.products, v)
	}
	if parent := s.products[p.ParentID]; parent != nil {
		parent.Variations = slices.DeleteFunc(parent.Variations, func(x int64) bool { return x == id })
	}
	delete(s.products, id)
}

func (s *Server) bySKU(sku string) *fProduct {
	for _, p := range s.products {
		if p.SKU == sku && p.Type != "variable" {
			return p
		}
	}
	return nil
}

// ProductID returns the ID of the product or variation carrying sku.
func (s *Server) ProductID(sku string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.bySKU(sku); p != nil {
		return p.ID, true
	}
	return 0, false
}

// Stock returns the stock quantity of the product or variation carrying sku.
func (s *Server) Stock(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.bySKU(sku)
	if p == nil || p.Stock == nil {
		return 0, false
	}
	return *p.Stock, true
}

// SetStock changes a SKU's stock as a merchant does in the admin.
func (s *Server) SetStock(sku string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.bySKU(sku)
	if p == nil {
		return false
	}
	p.Manage, p.Stock, p.Modified = true, &n, s.stamp()
	return true
}

// CreateOrder places an order and returns its ID. Lines name SKUs the shop lists or not (a
// line whose product was deleted keeps its SKU and has product_id 0).
func (s *Server) CreateOrder(in OrderInput) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.stamp()
	o := &fOrder{ID: s.nextID(), Status: in.Status, Created: now, Modified: now, Shipping: in.Shipping, Billing: in.Billing,
		PaymentMethod: in.PaymentMethod, CustomerNote: in.CustomerNote}
	if o.Status == "" {
		o.Status = "processing"
	}
	if o.PaymentMethod == "" {
		o.PaymentMethod = "bacs"
	}
	if o.Status == "processing" || o.Status == "completed" {
		o.Paid = &now
	}
	for _, m := range in.Meta {
		s.metaSeq++
		m.ID = s.metaSeq
		o.Meta = append(o.Meta, m)
	}
	for _, l := range in.Lines {
		line := fLine{ID: s.nextID(), Name: l.Name, Quantity: l.Quantity, SKU: l.SKU, Price: l.Price}
		if p := s.bySKU(l.SKU); p != nil {
			if p.Type == "variation" {
				line.ProductID, line.VariationID = p.ParentID, p.ID
			} else {
				line.ProductID = p.ID
			}
		}
		o.Lines = append(o.Lines, line)
	}
	s.orders[o.ID] = o
	return o.ID
}

func (s *Server) edit(id int64, f func(o *fOrder)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return false
	}
	f(o)
	o.Modified = s.stamp()
	return true
}

// SetStatus moves an order to a status, as the shop or a payment does.
func (s *Server) SetStatus(id int64, status string) bool {
	return s.edit(id, func(o *fOrder) { s.setStatus(o, status) })
}

func (s *Server) setStatus(o *fOrder, status string) {
	o.Status = status
	now := s.stamp()
	if status == "completed" && o.Completed == nil {
		o.Completed = &now
	}
	if status == "processing" && o.Paid == nil {
		o.Paid = &now
	}
}

// Cancel cancels an order.
func (s *Server) Cancel(id int64) bool { return s.SetStatus(id, "cancelled") }

// ChangeShipping replaces an order's shipping address.
func (s *Server) ChangeShipping(id int64, a Address) bool {
	return s.edit(id, func(o *fOrder) { o.Shipping = a })
}

// SetMeta sets (or adds) an order meta_data entry.
func (s *Server) SetMeta(id int64, key string, value any) bool {
	return s.edit(id, func(o *fOrder) { s.setMeta(o, key, value) })
}

func (s *Server) setMeta(o *fOrder, key string, value any) {
	for i := range o.Meta {
		if o.Meta[i].Key == key {
			o.Meta[i].Value = value
			return
		}
	}
	s.metaSeq++
	o.Meta = append(o.Meta, Meta{ID: s.metaSeq, Key: key, Value: value})
}

// OrderView is what the shop's admin shows of an order.
type OrderView struct {
	ID        int64
	Status    string
	Modified  time.Time
	Meta      []Meta
	Notes     []Note
	Trackings []Tracking
}

// Order returns what the admin shows of an order.
func (s *Server) Order(id int64) (OrderView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return OrderView{}, false
	}
	return OrderView{ID: o.ID, Status: o.Status, Modified: o.Modified, Meta: slices.Clone(o.Meta),
		Notes: slices.Clone(o.Notes), Trackings: slices.Clone(o.Trackings)}, true
}

// OrderJSON returns the order as GET /orders/<id> does, for webhook payloads.
func (s *Server) OrderJSON(id int64) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(s.orderJSON(o))
	return b, err == nil
}

// Webhook builds the request WooCommerce sends for topic ("order.created", "order.updated")
// about order id, signed with the webhook secret, to url.
func (s *Server) Webhook(url, topic string, id int64, deliveryID string) (*http.Request, error) {
	body, ok := s.OrderJSON(id)
	if !ok {
		return nil, fmt.Errorf("woocommercetest: no order %d", id)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resource, event, _ := strings.Cut(topic, ".")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WooCommerce/9.0 Hookshot (WordPress/6.5)")
	req.Header.Set("X-WC-Webhook-Source", s.srv.URL+"/")
	req.Header.Set("X-WC-Webhook-Topic", topic)
	req.Header.Set("X-WC-Webhook-Resource", resource)
	req.Header.Set("X-WC-Webhook-Event", event)
	req.Header.Set("X-WC-Webhook-ID", "1")
	req.Header.Set("X-WC-Webhook-Delivery-ID", deliveryID)
	req.Header.Set("X-WC-Webhook-Signature", Sign(s.opts.WebhookSecret, body))
	return req, nil
}

// ---- JSON as WooCommerce writes it ----

func (s *Server) orderJSON(o *fOrder) map[string]any {
	var total int64
	lines := make([]map[string]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		sub := l.Price * int64(l.Quantity)
		total += sub
		lines = append(lines, map[string]any{
			"id": l.ID, "name": l.Name, "product_id": l.ProductID, "variation_id": l.VariationID,
			"quantity": l.Quantity, "tax_class": "", "subtotal": money(sub), "subtotal_tax": "0",
			"total": money(sub), "total_tax": "0", "taxes": []any{}, "meta_data": []any{},
			"sku": l.SKU, "price": l.Price, "parent_name": nil,
		})
	}
	optTime := func(t *time.Time, local bool) any {
		if t == nil {
			return nil
		}
		if local {
			return s.local(*t)
		}
		return gmt(*t)
	}
	meta := o.Meta
	if meta == nil {
		meta = []Meta{}
	}
	return map[string]any{
		"id": o.ID, "parent_id": 0, "number": strconv.FormatInt(o.ID, 10), "order_key": fmt.Sprintf("wc_order_%d", o.ID),
		"created_via": "checkout", "version": "9.0.0", "status": o.Status, "currency": s.opts.Currency,
		"date_created": s.local(o.Created), "date_created_gmt": gmt(o.Created),
		"date_modified": s.local(o.Modified), "date_modified_gmt": gmt(o.Modified),
		"discount_total": "0", "discount_tax": "0", "shipping_total": "0", "shipping_tax": "0", "cart_tax": "0",
		"total": money(total), "total_tax": "0", "prices_include_tax": true, "customer_id": 0,
		"customer_ip_address": "", "customer_user_agent": "", "customer_note": o.CustomerNote,
		"billing": o.Billing, "shipping": o.Shipping, "payment_method": o.PaymentMethod,
		"payment_method_title": o.PaymentMethod, "transaction_id": "",
		"date_paid": optTime(o.Paid, true), "date_paid_gmt": optTime(o.Paid, false),
		"date_completed": optTime(o.Completed, true), "date_completed_gmt": optTime(o.Completed, false),
		"cart_hash": "", "meta_data": meta, "line_items": lines, "tax_lines": []any{}, "shipping_lines": []any{},
		"fee_lines": []any{}, "coupon_lines": []any{}, "refunds": []any{}, "set_paid": false,
	}
}

func money(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) productJSON(p *fProduct) map[string]any {
	status := "instock"
	if p.Manage && p.Stock != nil && *p.Stock <= 0 {
		status = "outofstock"
	}
	var stock any
	if p.Stock != nil {
		stock = *p.Stock
	}
	m := map[string]any{
		"id": p.ID, "name": p.Name, "sku": p.SKU, "type": p.Type, "status": "publish",
		"date_modified": s.local(p.Modified), "date_modified_gmt": gmt(p.Modified),
		"manage_stock": p.Manage, "stock_quantity": stock, "stock_status": status, "meta_data": []any{},
	}
	if p.Type == "variation" {
		m["parent_id"] = p.ParentID
		delete(m, "type")
	} else {
		m["parent_id"] = 0
		vs := p.Variations
		if vs == nil {
			vs = []int64{}
		}
		m["variations"] = vs
	}
	return m
}

// ---- handlers (called without s.mu held) ----

func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func invalidOrder() answer {
	return errAnswer(http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

// parseWPDate reads a date parameter as rest_parse_date does: ISO 8601, with or without a
// zone; without one it is in the site's zone, or UTC with dates_are_gmt.
func (s *Server) parseWPDate(v string, gmtDates bool) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	loc := s.opts.Location
	if gmtDates {
		loc = time.UTC
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (s *Server) listOrders(r *http.Request, q url.Values) answer {
	page, perPage, offset, bad := paging(q)
	if bad != nil {
		return *bad
	}
	gmtDates := q.Get("dates_are_gmt") == "true" || q.Get("dates_are_gmt") == "1"
	var bounds [4]*time.Time
	for i, k := range []string{"after", "before", "modified_after", "modified_before"} {
		if v := q.Get(k); v != "" {
			t, ok := s.parseWPDate(v, gmtDates)
			if !ok {
				return invalidParam(k, "Invalid date.")
			}
			bounds[i] = &t
		}
	}
	statuses := []string{"any"}
	if v := q["status"]; len(v) > 0 {
		statuses = nil
		for _, x := range v {
			statuses = append(statuses, strings.Split(x, ",")...)
		}
		for _, st := range statuses {
			if st != "any" && !slices.Contains(orderStatuses, st) {
				return invalidParam("status", "status[0] is not one of any, "+strings.Join(orderStatuses, ", ")+".")
			}
		}
	}
	orderby := q.Get("orderby")
	if orderby == "" {
		orderby = "date"
	}
	if !slices.Contains([]string{"date", "id", "include", "title", "slug"}, orderby) {
		return invalidParam("orderby", "orderby is not one of date, id, include, title, slug.")
	}
	dir := q.Get("order")
	if dir == "" {
		dir = "desc"
	}
	if dir != "asc" && dir != "desc" {
		return invalidParam("order", "order is not one of asc, desc.")
	}
	s.mu.Lock()
	var list []*fOrder
	for _, o := range s.orders {
		if !statusMatches(statuses, o.Status) {
			continue
		}
		if bounds[0] != nil && !o.Created.After(*bounds[0]) || bounds[1] != nil && !o.Created.Before(*bounds[1]) ||
			bounds[2] != nil && !o.Modified.After(*bounds[2]) || bounds[3] != nil && !o.Modified.Before(*bounds[3]) {
			continue
		}
		list = append(list, o)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		var less bool
		switch orderby {
		case "date":
			less = a.Created.Before(b.Created) || a.Created.Equal(b.Created) && a.ID < b.ID
		default:
			less = a.ID < b.ID
		}
		if dir == "desc" {
			return !less
		}
		return less
	})
	total := len(list)
	start := (page - 1) * perPage
	if offset >= 0 {
		start = offset
	}
	var out []map[string]any
	for i := start; i < total && i < start+perPage; i++ {
		out = append(out, s.orderJSON(list[i]))
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	if total > 0 && offset < 0 && start >= total {
		return invalidParam("page", "The page number requested is larger than the number of pages available.")
	}
	return answer{status: 200, body: out, header: pageHeaders(r, s.srv.URL, total, page, perPage)}
}

func statusMatches(statuses []string, st string) bool {
	for _, want := range statuses {
		// "any" is every status but trash (and the block checkout's drafts), as WordPress's
		// post_status "any" excludes them.
		if want == st || want == "any" && st != "trash" && st != "checkout-draft" {
			return true
		}
	}
	return false
}

func (s *Server) getOrder(ids string) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	return answer{status: 200, body: s.orderJSON(o)}
}

func (s *Server) updateOrder(ids string, body []byte) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	var in struct {
		Status       *string `json:"status"`
		CustomerNote *string `json:"customer_note"`
		MetaData     []struct {
			ID    int64  `json:"id"`
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"meta_data"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	if in.Status != nil && !slices.Contains(orderStatuses, *in.Status) {
		return invalidParam("status", "status is not one of "+strings.Join(orderStatuses, ", ")+".")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	if in.Status != nil {
		s.setStatus(o, *in.Status)
	}
	if in.CustomerNote != nil {
		o.CustomerNote = *in.CustomerNote
	}
	for _, m := range in.MetaData {
		s.setMeta(o, m.Key, m.Value)
	}
	o.Modified = s.stamp()
	return answer{status: 200, body: s.orderJSON(o)}
}

func (s *Server) listNotes(ids string, q url.Values) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	typ := q.Get("type")
	if typ == "" {
		typ = "any"
	}
	if typ != "any" && typ != "customer" && typ != "internal" {
		return invalidParam("type", "type is not one of any, customer, internal.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	out := []Note{}
	for i := len(o.Notes) - 1; i >= 0; i-- { // newest first
		n := o.Notes[i]
		if typ == "any" || (typ == "customer") == n.CustomerNote {
			out = append(out, n)
		}
	}
	return answer{status: 200, body: out}
}

func (s *Server) addNote(ids string, body []byte) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	var in struct {
		Note         string `json:"note"`
		CustomerNote bool   `json:"customer_note"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	if strings.TrimSpace(in.Note) == "" {
		return errAnswer(http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): note")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	s.noteSeq++
	now := s.stamp()
	n := Note{ID: s.noteSeq, Author: "WooCommerce", DateCreated: s.local(now), DateCreatedGMT: gmt(now), Note: in.Note, CustomerNote: in.CustomerNote}
	o.Notes = append(o.Notes, n)
	return answer{status: http.StatusCreated, body: n}
}

var providers = map[string]map[string]string{
	"Japan": {
		"Japan Post": "https://trackings.post.japanpost.jp/services/srv/search/?requestNo1=%1$s",
		"Sagawa":     "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=%1$s",
		"Yamato":     "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=%1$s",
	},
	"United States": {"Fedex": "https://www.fedex.com/apps/fedextrack/?tracknumbers=%1$s", "UPS": "https://www.ups.com/track?tracknum=%1$s", "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels=%1$s"},
	"Global":        {"DHL": "https://www.dhl.com/en/express/tracking.html?AWB=%1$s"},
}

func knownProvider(name string) (string, bool) {
	for _, ps := range providers {
		for p, link := range ps {
			if strings.EqualFold(p, name) {
				return link, true
			}
		}
	}
	return "", false
}

func (s *Server) listTrackings(ids string) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	out := slices.Clone(o.Trackings)
	if out == nil {
		out = []Tracking{}
	}
	return answer{status: 200, body: out}
}

func (s *Server) addTracking(ids string, body []byte) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	var in struct {
		TrackingProvider       string `json:"tracking_provider"`
		CustomTrackingProvider string `json:"custom_tracking_provider"`
		CustomTrackingLink     string `json:"custom_tracking_link"`
		TrackingNumber         string `json:"tracking_number"`
		DateShipped            string `json:"date_shipped"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	if in.TrackingNumber == "" {
		return errAnswer(http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): tracking_number")
	}
	t := Tracking{TrackingNumber: in.TrackingNumber}
	switch {
	case in.CustomTrackingProvider != "":
		t.CustomTrackingProvider, t.CustomTrackingLink, t.TrackingLink = in.CustomTrackingProvider, in.CustomTrackingLink, in.CustomTrackingLink
	case in.TrackingProvider != "":
		link, ok := knownProvider(in.TrackingProvider)
		if !ok {
			return errAnswer(http.StatusBadRequest, "woocommerce_rest_invalid_tracking_provider", "Invalid tracking provider.")
		}
		t.TrackingProvider = in.TrackingProvider
		t.TrackingLink = strings.ReplaceAll(link, "%1$s", url.QueryEscape(in.TrackingNumber))
	default:
		return errAnswer(http.StatusBadRequest, "rest_missing_callback_param", "Missing parameter(s): tracking_provider")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return invalidOrder()
	}
	t.DateShipped = in.DateShipped
	if t.DateShipped == "" {
		t.DateShipped = s.stamp().In(s.opts.Location).Format("2006-01-02")
	}
	s.seq++
	t.TrackingID = fmt.Sprintf("%032x", s.seq)
	o.Trackings = append(o.Trackings, t)
	return answer{status: http.StatusCreated, body: t}
}

func (s *Server) getProduct(ids string) answer {
	id, ok := parseID(ids)
	if !ok {
		return noRoute()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.products[id]
	if !ok || p.Type == "variation" {
		return errAnswer(http.StatusNotFound, "woocommerce_rest_product_invalid_id", "Invalid ID.")
	}
	return answer{status: 200, body: s.productJSON(p)}
}

// listProducts lists products (parent 0) or a variable product's variations, ordered by ID
// ascending within the filters sku (comma-separated, exact) and type.
func (s *Server) listProducts(r *http.Request, q url.Values, parent int64) answer {
	page, perPage, offset, bad := paging(q)
	if bad != nil {
		return *bad
	}
	var skus []string
	if v := q.Get("sku"); v != "" {
		for _, x := range strings.Split(v, ",") {
			skus = append(skus, strings.TrimSpace(x))
		}
	}
	var include []int64
	if v := q.Get("include"); v != "" {
		for _, x := range strings.Split(v, ",") {
			id, ok := parseID(strings.TrimSpace(x))
			if !ok {
				return invalidParam("include", "include[0] is not of type integer.")
			}
			include = append(include, id)
		}
	}
	typ := q.Get("type")
	if typ != "" && !slices.Contains([]string{"simple", "grouped", "external", "variable"}, typ) {
		return invalidParam("type", "type is not one of simple, grouped, external, variable.")
	}
	s.mu.Lock()
	if parent != 0 {
		if p, ok := s.products[parent]; !ok || p.Type != "variable" {
			s.mu.Unlock()
			return errAnswer(http.StatusNotFound, "woocommerce_rest_product_invalid_id", "Invalid ID.")
		}
	}
	var list []*fProduct
	for _, p := range s.products {
		if parent == 0 && p.Type == "variation" || parent != 0 && p.ParentID != parent {
			continue
		}
		if skus != nil && !slices.Contains(skus, p.SKU) || typ != "" && p.Type != typ || include != nil && !slices.Contains(include, p.ID) {
			continue
		}
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	total := len(list)
	start := (page - 1) * perPage
	if offset >= 0 {
		start = offset
	}
	out := []map[string]any{}
	for i := start; i < total && i < start+perPage; i++ {
		out = append(out, s.productJSON(list[i]))
	}
	s.mu.Unlock()
	return answer{status: 200, body: out, header: pageHeaders(r, s.srv.URL, total, page, perPage)}
}

// batch applies products/batch (parent 0) or products/<parent>/variations/batch. Only update
// is modelled; create and delete count toward the limit and are refused per item.
func (s *Server) batch(parent int64, body []byte) answer {
	var in struct {
		Create []json.RawMessage `json:"create"`
		Update []json.RawMessage `json:"update"`
		Delete []json.RawMessage `json:"delete"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.")
	}
	if n := len(in.Create) + len(in.Update) + len(in.Delete); n > BatchLimit {
		return errAnswer(http.StatusRequestEntityTooLarge, "woocommerce_rest_request_entity_too_large",
			fmt.Sprintf("Unable to accept more than %d items for this request.", BatchLimit))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if parent != 0 {
		if p, ok := s.products[parent]; !ok || p.Type != "variable" {
			return errAnswer(http.StatusNotFound, "woocommerce_rest_product_invalid_id", "Invalid ID.")
		}
	}
	itemErr := func(id any, status int, code, msg string) map[string]any {
		return map[string]any{"id": id, "error": errBody(status, code, msg)}
	}
	out := map[string]any{}
	if len(in.Update) > 0 {
		var res []any
		for _, raw := range in.Update {
			var u struct {
				ID            json.Number  `json:"id"`
				ManageStock   *bool        `json:"manage_stock"`
				StockQuantity *json.Number `json:"stock_quantity"`
			}
			if err := json.Unmarshal(raw, &u); err != nil {
				res = append(res, itemErr(0, 400, "rest_invalid_param", "Invalid parameter(s): update"))
				continue
			}
			id, err := u.ID.Int64()
			p, ok := s.products[id]
			if err != nil || !ok || parent == 0 && p.Type == "variation" || parent != 0 && p.ParentID != parent {
				code := "woocommerce_rest_product_invalid_id"
				if parent != 0 {
					code = "woocommerce_rest_product_variation_invalid_id"
				}
				res = append(res, itemErr(id, 400, code, "Invalid ID."))
				continue
			}
			if u.StockQuantity != nil {
				n, err := u.StockQuantity.Int64()
				if err != nil || n < -1<<31 || n > 1<<31-1 {
					res = append(res, itemErr(id, 400, "rest_invalid_param", "Invalid parameter(s): stock_quantity"))
					continue
				}
				q := int(n)
				p.Stock = &q
			}
			if u.ManageStock != nil {
				p.Manage = *u.ManageStock
			}
			p.Modified = s.stamp()
			res = append(res, s.productJSON(p))
		}
		out["update"] = res
	}
	if len(in.Create) > 0 {
		var res []any
		for range in.Create {
			res = append(res, itemErr(0, 400, "woocommerce_rest_cannot_create", "The fake does not create products through batch."))
		}
		out["create"] = res
	}
	if len(in.Delete) > 0 {
		var res []any
		for range in.Delete {
			res = append(res, itemErr(0, 400, "woocommerce_rest_cannot_delete", "The fake does not delete products through batch."))
		}
		out["delete"] = res
	}
	return answer{status: 200, body: out}
}
