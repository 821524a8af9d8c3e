package woocommerce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

// Refs keys the connector sets on orders and lines (order.Order.Refs, order.Line.Refs).
const (
	RefOrderID     = "woocommerce.order_id"
	RefLineItemID  = "woocommerce.line_item_id"
	RefProductID   = "woocommerce.product_id"
	RefVariationID = "woocommerce.variation_id"
)

// DefaultStatuses maps WooCommerce's core statuses to order statuses. pending (awaiting
// payment), on-hold (awaiting a bank transfer or review), failed (payment declined, the buyer may
// pay again) and checkout-draft are held; refunded and trash are cancellations.
var DefaultStatuses = map[string]order.Status{
	"pending":        order.StatusPending,
	"on-hold":        order.StatusPending,
	"failed":         order.StatusPending,
	"checkout-draft": order.StatusPending,
	"processing":     order.StatusOpen,
	"completed":      order.StatusClosed,
	"cancelled":      order.StatusCancelled,
	"refunded":       order.StatusCancelled,
	"trash":          order.StatusCancelled,
}

// wcTime is a WooCommerce date ("2026-07-01T09:30:00", no zone); the connector reads only the
// *_gmt fields, which are UTC.
type wcTime struct{ time.Time }

func (t *wcTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return errors.New("not a WooCommerce date")
}

// decimal is an amount WooCommerce writes as a string ("1200.00") or a number (line price).
type decimal string

func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*d = decimal(n.String())
	}
	return nil
}

type wcAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
}

type wcMeta struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type wcLine struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	ProductID   int64   `json:"product_id"`
	VariationID int64   `json:"variation_id"`
	Quantity    int     `json:"quantity"`
	SKU         *string `json:"sku"`
	Price       decimal `json:"price"`
}

type wcOrder struct {
	ID              int64     `json:"id"`
	Number          string    `json:"number"`
	Status          string    `json:"status"`
	Currency        string    `json:"currency"`
	DateCreatedGMT  wcTime    `json:"date_created_gmt"`
	DateModifiedGMT wcTime    `json:"date_modified_gmt"`
	Total           decimal   `json:"total"`
	CustomerNote    string    `json:"customer_note"`
	Billing         wcAddress `json:"billing"`
	Shipping        wcAddress `json:"shipping"`
	PaymentMethod   string    `json:"payment_method"`
	MetaData        []wcMeta  `json:"meta_data"`
	LineItems       []wcLine  `json:"line_items"`
}

// orderCursor is a position in a window listed by ID ascending: the offset of the next order
// and the ID of the last order returned. Orders that leave the window meanwhile (modified again)
// shift the rest towards the start, so the next request starts before Offset and keeps only
// IDs above ID; a first order already above ID shows the shift was larger and the request
// starts earlier still.
type orderCursor struct {
	Offset int
	ID     int64
}

func (c orderCursor) encode() connector.Cursor {
	return connector.Cursor("o" + strconv.Itoa(c.Offset) + ".i" + strconv.FormatInt(c.ID, 10))
}

func decodeOrderCursor(s connector.Cursor) (orderCursor, error) {
	bad := fmt.Errorf("woocommerce: malformed cursor: %w", connector.ErrPermanent)
	o, i, ok := strings.Cut(string(s), ".")
	if !ok || !strings.HasPrefix(o, "o") || !strings.HasPrefix(i, "i") {
		return orderCursor{}, bad
	}
	off, err1 := strconv.Atoi(o[1:])
	id, err2 := strconv.ParseInt(i[1:], 10, 64)
	if err1 != nil || err2 != nil || off < 0 || id < 0 {
		return orderCursor{}, bad
	}
	return orderCursor{Offset: off, ID: id}, nil
}

// overlap is how many orders before the cursor's offset a page reads again: as many orders may
// leave the window between two pages before a page must be read a second time, further back.
const overlap = 10

// wpTime formats a bound for modified_after / modified_before with dates_are_gmt.
func wpTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// ListOrders implements connector.OrderSource: orders modified in [req.From, req.To), by ID
// ascending, through GET /orders with modified_after, modified_before and dates_are_gmt.
//
// WooCommerce keeps whole seconds and both bounds are strict, so modified_after is one second
// before From (a duplicate at worst) and modified_before is To rounded up to the second. Pages
// are read by offset with an overlap, filtered by the cursor's last ID (see orderCursor), so
// resuming from any cursor leaves no gap even when orders leave the window in between.
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	limit := c.cfg.PageSize
	if req.Limit > 0 && req.Limit < limit {
		limit = req.Limit
	}
	var cur orderCursor
	if req.Page != "" {
		var err error
		if cur, err = decodeOrderCursor(req.Page); err != nil {
			return nil, err
		}
	}
	back := min(cur.Offset, overlap)
	for {
		start := cur.Offset - back
		perPage := min(100, limit+back)
		raws, total, err := c.fetchOrders(ctx, req, start, perPage)
		if err != nil {
			return nil, err
		}
		if start > 0 && cur.ID > 0 && (len(raws) == 0 || rawID(raws[0]) > cur.ID) {
			// More orders left the window than the overlap covers: start earlier.
			back = min(cur.Offset, 4*back+limit)
			continue
		}
		page := &connector.OrderPage{}
		next := cur
		next.Offset = start + len(raws)
		kept, more := 0, false
		for i, raw := range raws {
			id := rawID(raw)
			if id <= cur.ID && id != 0 {
				continue
			}
			if kept == limit {
				more = true
				break
			}
			kept++
			next.Offset, next.ID = start+i+1, max(id, next.ID)
			o, err := c.decodeOrder(raw)
			if err != nil {
				page.Rejects = append(page.Rejects, connector.Reject{ID: idString(id), Err: err})
				continue
			}
			page.Orders = append(page.Orders, o)
		}
		if more || (total >= 0 && start+len(raws) < total) || (total < 0 && len(raws) == perPage) {
			page.Next = next.encode()
		}
		return page, nil
	}
}

func idString(id int64) string {
	if id <= 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// rawID reads an order's id without decoding the rest, so a broken order still has its place.
func rawID(raw json.RawMessage) int64 {
	var v struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	return v.ID
}

// fetchOrders reads one page; total is X-WP-Total, or -1 when the answer lacks it.
func (c *Client) fetchOrders(ctx context.Context, req connector.ListOrdersRequest, offset, perPage int) ([]json.RawMessage, int, error) {
	q := url.Values{
		"dates_are_gmt": {"true"}, "orderby": {"id"}, "order": {"asc"},
		"per_page": {strconv.Itoa(perPage)}, "offset": {strconv.Itoa(offset)},
	}
	if !req.From.IsZero() {
		q.Set("modified_after", wpTime(req.From.Truncate(time.Second).Add(-time.Second)))
	}
	if !req.To.IsZero() {
		to := req.To.UTC()
		if to.Truncate(time.Second) != to {
			to = to.Truncate(time.Second).Add(time.Second)
		}
		q.Set("modified_before", wpTime(to))
	}
	resp, err := c.do(ctx, call{op: "list orders", method: http.MethodGet, path: APIPath + "/orders", query: q})
	if err != nil {
		return nil, 0, err
	}
	var raws []json.RawMessage
	if err := decode("list orders", resp, &raws, false); err != nil {
		return nil, 0, err
	}
	total := -1
	if v := resp.Header.Get("X-WP-Total"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			total = n
		}
	}
	return raws, total, nil
}

// GetOrder reads one order.
func (c *Client) GetOrder(ctx context.Context, id string) (order.Order, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return order.Order{}, fmt.Errorf("woocommerce: order ID %q is not a WooCommerce ID: %w", id, connector.ErrNotFound)
	}
	resp, err := c.do(ctx, call{op: "get order", method: http.MethodGet, path: APIPath + "/orders/" + id})
	if err != nil {
		return order.Order{}, err
	}
	return c.decodeOrder(resp.Body)
}

// DecodeOrder turns one order as WooCommerce writes it (REST answers and order.* webhook
// payloads alike) into an order. A malformed or invalid order is an error matching
// connector.ErrPermanent that names the field, never its value.
func (c *Client) DecodeOrder(data []byte) (order.Order, error) { return c.decodeOrder(data) }

func (c *Client) decodeOrder(data []byte) (order.Order, error) {
	var w wcOrder
	if err := httpclient.Decode(data, &w, httpclient.DecodeOptions{}); err != nil {
		return order.Order{}, fmt.Errorf("woocommerce: order: %w", err)
	}
	return c.mapOrder(&w)
}

// ErrTooManyLines rejects an order with more line items than one order may carry here.
var ErrTooManyLines = fmt.Errorf("woocommerce: order has more than 1000 line items: %w", connector.ErrPermanent)

func (c *Client) mapOrder(w *wcOrder) (order.Order, error) {
	if w.ID <= 0 {
		return order.Order{}, fmt.Errorf("woocommerce: order has no id: %w", connector.ErrPermanent)
	}
	id := strconv.FormatInt(w.ID, 10)
	if w.DateModifiedGMT.IsZero() {
		return order.Order{}, fmt.Errorf("woocommerce: order %s has no date_modified_gmt: %w", id, connector.ErrPermanent)
	}
	if len(w.LineItems) > 1000 {
		return order.Order{}, ErrTooManyLines
	}
	o := order.Order{
		ID: id, Number: w.Number, Status: c.status(w.Status), ChannelStatus: w.Status,
		PlacedAt: w.DateCreatedGMT.Time, UpdatedAt: w.DateModifiedGMT.Time,
		Refs: map[string]string{RefOrderID: id},
	}
	o.Delivery, o.Gift = c.cfg.Meta.read(w.MetaData, c.cfg.Location)
	o.ShipTo = mapAddress(w.Shipping, w.Billing)
	for i, l := range w.LineItems {
		price, err := parseMoney(string(l.Price), w.Currency)
		if err != nil {
			return o, fmt.Errorf("woocommerce: order %s: line_items[%d].price: %w", id, i, err)
		}
		lid := strconv.FormatInt(l.ID, 10)
		line := order.Line{ID: lid, SKU: deref(l.SKU), Name: l.Name, Quantity: l.Quantity, UnitPrice: price,
			Refs: map[string]string{RefLineItemID: lid, RefProductID: strconv.FormatInt(l.ProductID, 10)}}
		if l.VariationID > 0 {
			line.Refs[RefVariationID] = strconv.FormatInt(l.VariationID, 10)
		}
		o.Lines = append(o.Lines, line)
		if line.SKU != "" {
			c.skus.learn(line.SKU, l.ProductID, l.VariationID)
		}
	}
	if slices.Contains(c.cfg.CODMethods, w.PaymentMethod) {
		total, err := parseMoney(string(w.Total), w.Currency)
		if err != nil {
			return o, fmt.Errorf("woocommerce: order %s: total: %w", id, err)
		}
		o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: total}
	}
	if err := o.Validate(); err != nil && o.Status != order.StatusCancelled {
		return o, fmt.Errorf("woocommerce: order %s: %w: %w", id, connector.ErrPermanent, err)
	}
	return o, nil
}

func (c *Client) status(s string) order.Status {
	if st, ok := c.cfg.Statuses[s]; ok {
		return st
	}
	if st, ok := DefaultStatuses[s]; ok {
		return st
	}
	return order.StatusPending
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// mapAddress takes the shipping address, or the billing one for an order that has none (a
// shop that ships to the billing address leaves shipping empty). Japanese names are written
// family name first.
func mapAddress(ship, bill wcAddress) order.Address {
	a := ship
	if strings.TrimSpace(a.Address1) == "" && strings.TrimSpace(a.Postcode) == "" {
		a = bill
	}
	phone := a.Phone
	if phone == "" {
		phone = bill.Phone
	}
	addr := order.Address{Company: a.Company, Phone: phone, Email: bill.Email, Country: a.Country,
		PostalCode: a.Postcode, City: a.City, Line1: a.Address1, Line2: a.Address2}
	if a.Country == "JP" || a.Country == "" {
		addr.Name = strings.TrimSpace(a.LastName + " " + a.FirstName)
		addr.PostalCode = jpPostal(a.Postcode)
		addr.Prefecture = prefecture(a.State)
		if addr.Prefecture == "" && a.State != "" && addr.City == "" {
			addr.City = a.State
		}
	} else {
		addr.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
		addr.Prefecture = a.State
	}
	return addr
}

// prefecture maps WooCommerce's Japanese state codes (JP01 … JP47) to the prefecture's name;
// a name already written out is kept.
func prefecture(state string) string {
	if n, ok := strings.CutPrefix(state, "JP"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= 47 {
			return order.Prefectures[i-1]
		}
	}
	for _, p := range order.Prefectures {
		if p == state {
			return p
		}
	}
	return ""
}

// jpPostal writes a Japanese postal code as NNN-NNNN.
func jpPostal(z string) string {
	digits := make([]byte, 0, 7)
	for _, r := range order.FoldWidth(z) {
		if r >= '0' && r <= '9' {
			digits = append(digits, byte(r))
		}
	}
	if len(digits) != 7 {
		return z
	}
	return string(digits[:3]) + "-" + string(digits[3:])
}

// parseMoney reads a decimal amount ("1200", "1200.00", "12.5") into minor units.
func parseMoney(amount, currency string) (order.Money, error) {
	digits, ok := order.MinorUnits(currency)
	if !ok {
		return order.Money{}, fmt.Errorf("unknown currency %q: %w", sanitizeCode(currency), connector.ErrPermanent)
	}
	amount = strings.TrimSpace(amount)
	neg := strings.HasPrefix(amount, "-")
	amount = strings.TrimPrefix(amount, "-")
	whole, frac, _ := strings.Cut(amount, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits || whole == "" || len(whole) > 15 {
		return order.Money{}, fmt.Errorf("amount is not a decimal in the currency's minor unit: %w", connector.ErrPermanent)
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 {
		return order.Money{}, fmt.Errorf("amount is not a decimal: %w", connector.ErrPermanent)
	}
	if neg {
		n = -n
	}
	return order.Money{Amount: n, Currency: currency}, nil
}
