package base

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

// Refs the client puts on orders and lines, and reads back in ConfirmShipment.
const (
	RefPayment     = "base.payment"       // the order's payment code (cod, atobarai, …)
	RefOrderItemID = "base.order_item_id" // a line's order_item_id
	RefItemID      = "base.item_id"
	RefVariationID = "base.variation_id"
)

// listRow is one row of GET /1/orders.
type listRow struct {
	UniqueKey      string  `json:"unique_key"`
	Ordered        int64   `json:"ordered"`
	Cancelled      *int64  `json:"cancelled"`
	Dispatched     *int64  `json:"dispatched"`
	Payment        string  `json:"payment"`
	Total          int64   `json:"total"`
	DeliveryDate   *string `json:"delivery_date"`
	DeliveryTZ     *string `json:"delivery_time_zone"`
	DispatchStatus string  `json:"dispatch_status"`
	Modified       int64   `json:"modified"`
}

type listAnswer struct {
	Orders []listRow `json:"orders"`
}

type receiver struct {
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	ZipCode    string `json:"zip_code"`
	Prefecture string `json:"prefecture"`
	Address    string `json:"address"`
	Address2   string `json:"address2"`
	Tel        string `json:"tel"`
}

type orderItem struct {
	OrderItemID int64   `json:"order_item_id"`
	ItemID      int64   `json:"item_id"`
	VariationID *int64  `json:"variation_id"`
	Title       string  `json:"title"`
	Variation   *string `json:"variation"`
	Price       int64   `json:"price"`
	Amount      int     `json:"amount"`
	Total       int64   `json:"total"`
	Status      string  `json:"status"`
	Modified    int64   `json:"modified"`
	// Newer answers may name the SKU on the item itself (seen in one public client only).
	ItemIdentifier      *string `json:"item_identifier"`
	VariationIdentifier *string `json:"variation_identifier"`
}

// detail is the order of GET /1/orders/detail/:unique_key and of edit_status's answer.
type detail struct {
	UniqueKey      string    `json:"unique_key"`
	Ordered        int64     `json:"ordered"`
	Cancelled      *int64    `json:"cancelled"`
	Dispatched     *int64    `json:"dispatched"`
	Payment        string    `json:"payment"`
	ShippingFee    *int64    `json:"shipping_fee"`
	CODFee         *int64    `json:"cod_fee"`
	Total          int64     `json:"total"`
	FirstName      string    `json:"first_name"`
	LastName       string    `json:"last_name"`
	Country        *string   `json:"country"`
	CountryCode    *string   `json:"country_code"`
	ZipCode        string    `json:"zip_code"`
	Prefecture     string    `json:"prefecture"`
	Address        string    `json:"address"`
	Address2       *string   `json:"address2"`
	MailAddress    *string   `json:"mail_address"`
	Tel            *string   `json:"tel"`
	Remark         *string   `json:"remark"`
	AddComment     *string   `json:"add_comment"`
	DeliveryDate   *string   `json:"delivery_date"`
	DeliveryTZ     *string   `json:"delivery_time_zone"`
	DispatchStatus string    `json:"dispatch_status"`
	Modified       int64     `json:"modified"`
	Receiver       *receiver `json:"order_receiver"`
	Discount       *struct {
		Discount *int64 `json:"discount"`
	} `json:"order_discount"`
	Atobarai *struct {
		Status *string `json:"status"`
	} `json:"atobarai_payment_transaction"`
	Items []orderItem `json:"order_items"`
}

type detailAnswer struct {
	Order *detail `json:"order"`
}

// cursor is where a listing stands. BASE pages by offset within an order-date window; the
// window is walked in passes: the first over every order placed since Lookback before the
// window, each later one over the orders placed after the newest the previous pass saw (which
// a resumed listing might otherwise miss, as they shift the offsets). A pass that handed out a
// cursor is followed by another; a pass of one page ends the listing.
type cursor struct {
	Pass    int    // 1, 2, …
	Offset  int    // within the pass
	FloorT  int64  // passes after the first list only orders after (FloorT, FloorK)
	FloorK  string //
	TopT    int64  // the newest order (ordered, unique_key) seen in this pass
	TopK    string //
	Handout bool   // this pass handed out a cursor
}

func (c cursor) encode() connector.Cursor {
	v := url.Values{}
	v.Set("v", "1")
	v.Set("p", strconv.Itoa(c.Pass))
	v.Set("o", strconv.Itoa(c.Offset))
	if c.FloorK != "" {
		v.Set("ft", strconv.FormatInt(c.FloorT, 10))
		v.Set("fk", c.FloorK)
	}
	if c.TopK != "" {
		v.Set("tt", strconv.FormatInt(c.TopT, 10))
		v.Set("tk", c.TopK)
	}
	if c.Handout {
		v.Set("h", "1")
	}
	return connector.Cursor(v.Encode())
}

var errCursor = errors.New("base: malformed cursor")

func decodeCursor(s connector.Cursor) (cursor, error) {
	if s == "" {
		return cursor{Pass: 1}, nil
	}
	v, err := url.ParseQuery(string(s))
	if err != nil || v.Get("v") != "1" {
		return cursor{}, fmt.Errorf("%w: %w", errCursor, connector.ErrPermanent)
	}
	var c cursor
	var e1, e2, e3, e4 error
	c.Pass, e1 = strconv.Atoi(v.Get("p"))
	c.Offset, e2 = strconv.Atoi(v.Get("o"))
	if c.FloorK = v.Get("fk"); c.FloorK != "" {
		c.FloorT, e3 = strconv.ParseInt(v.Get("ft"), 10, 64)
	}
	if c.TopK = v.Get("tk"); c.TopK != "" {
		c.TopT, e4 = strconv.ParseInt(v.Get("tt"), 10, 64)
	}
	c.Handout = v.Get("h") == "1"
	if errors.Join(e1, e2, e3, e4) != nil || c.Pass < 1 || c.Offset < 0 || c.Offset > 1<<30 || (c.Pass > 1 && c.FloorK == "") {
		return cursor{}, fmt.Errorf("%w: %w", errCursor, connector.ErrPermanent)
	}
	return c, nil
}

// after reports whether (t, k) comes after (t2, k2) in (ordered, unique_key) order.
func after(t int64, k string, t2 int64, k2 string) bool {
	return t > t2 || (t == t2 && k > k2)
}

// jstParam formats t as BASE's start_ordered and end_ordered read it.
func jstParam(t time.Time) string { return t.In(JST).Format("2006-01-02 15:04:05") }

// ListOrders lists the orders whose modified time falls in [req.From, req.To), a page at a time.
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	cur, err := decodeCursor(req.Page)
	if err != nil {
		return nil, err
	}
	limit := c.cfg.PageSize
	if req.Limit > 0 && req.Limit < limit {
		limit = req.Limit
	}
	lo := req.From.Add(-c.cfg.Lookback).Truncate(time.Second)
	if cur.Pass > 1 {
		lo = time.Unix(cur.FloorT, 0)
	}
	// end_ordered is inclusive to the second; an order cannot be modified before it was placed.
	hi := req.To.Truncate(time.Second)
	q := url.Values{"start_ordered": {jstParam(lo)}, "end_ordered": {jstParam(hi)},
		"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(cur.Offset)}}
	var ans listAnswer
	if err := c.call(ctx, kindRead, http.MethodGet, "/1/orders", q, &ans); err != nil {
		return nil, err
	}
	page := &connector.OrderPage{}
	from, to := req.From.Unix(), req.To
	for _, row := range ans.Orders {
		if row.UniqueKey == "" {
			page.Rejects = append(page.Rejects, connector.Reject{Err: fmt.Errorf("base: a listed order has no unique_key: %w", connector.ErrPermanent)})
			continue
		}
		if cur.TopK == "" || after(row.Ordered, row.UniqueKey, cur.TopT, cur.TopK) {
			cur.TopT, cur.TopK = row.Ordered, row.UniqueKey
		}
		if cur.Pass > 1 && !after(row.Ordered, row.UniqueKey, cur.FloorT, cur.FloorK) {
			continue // listed by an earlier pass
		}
		m := time.Unix(row.Modified, 0)
		if row.Modified < from || !m.Before(to) {
			continue
		}
		o, rej, err := c.getOrder(ctx, row.UniqueKey)
		if err != nil {
			return nil, err
		}
		if rej != nil {
			page.Rejects = append(page.Rejects, *rej)
			continue
		}
		page.Orders = append(page.Orders, o)
	}
	switch {
	case len(ans.Orders) >= limit:
		cur.Offset += len(ans.Orders)
		cur.Handout = true
		page.Next = cur.encode()
	case cur.Handout && cur.TopK != "":
		page.Next = cursor{Pass: cur.Pass + 1, FloorT: cur.TopT, FloorK: cur.TopK}.encode()
	}
	return page, nil
}

// getOrder reads one order's detail. A detail that cannot become an order is a Reject; an
// order that vanished too.
func (c *Client) getOrder(ctx context.Context, key string) (order.Order, *connector.Reject, error) {
	var ans detailAnswer
	err := c.call(ctx, kindRead, http.MethodGet, "/1/orders/detail/"+url.PathEscape(key), nil, &ans)
	var de *httpclient.DecodeError
	switch {
	case errors.Is(err, connector.ErrNotFound):
		return order.Order{}, &connector.Reject{ID: key, Err: err}, nil
	case errors.As(err, &de):
		return order.Order{}, &connector.Reject{ID: key, Err: fmt.Errorf("base: order detail: %w", de)}, nil
	case err != nil:
		return order.Order{}, nil, err
	case ans.Order == nil:
		return order.Order{}, &connector.Reject{ID: key, Err: fmt.Errorf("base: order detail without an order: %w", connector.ErrPermanent)}, nil
	}
	o, err := c.toOrder(ctx, ans.Order)
	if err != nil {
		return order.Order{}, &connector.Reject{ID: key, Err: err}, nil
	}
	return o, nil, nil
}

// statusOf maps BASE's dispatch_status.
func statusOf(s string) order.Status {
	switch s {
	case "ordered":
		return order.StatusOpen
	case "cancelled":
		return order.StatusCancelled
	case "dispatched", "shipping":
		return order.StatusClosed
	}
	return order.StatusPending // unpaid, unshippable, and whatever BASE adds
}

// slotOf maps delivery_time_zone: BASE's four digits are the start and end hours, the form
// order.TimeSlot uses.
func slotOf(s *string) (order.TimeSlot, error) {
	if s == nil || *s == "" {
		return order.SlotNone, nil
	}
	slot := order.TimeSlot(*s)
	if slot == order.SlotNone || !slot.Valid() {
		return "", fmt.Errorf("base: unknown delivery_time_zone code: %w", connector.ErrPermanent)
	}
	return slot, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// countryOf maps BASE's country ("Japan") or country_code ("JP") to ISO 3166-1 alpha-2, "" for
// Japan.
func countryOf(d *detail) string {
	if cc := strings.ToUpper(strings.TrimSpace(str(d.CountryCode))); len(cc) == 2 {
		if cc == "JP" {
			return ""
		}
		return cc
	}
	switch c := strings.TrimSpace(str(d.Country)); c {
	case "", "Japan", "日本", "JP", "JPN":
		return ""
	default:
		return "??" // a country the connector cannot name: validation rejects it
	}
}

func name(last, first string) string { return strings.TrimSpace(last + " " + first) }

// postal normalizes a Japanese postal code to NNN-NNNN.
func postal(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == 'ー' || r == '－' || r == '‐':
			return '-'
		}
		return r
	}, s))
	if len(s) == 7 && !strings.Contains(s, "-") {
		return s[:3] + "-" + s[3:]
	}
	return s
}

// toOrder turns a detail into an order. Its errors carry no personal data.
func (c *Client) toOrder(ctx context.Context, d *detail) (order.Order, error) {
	if d.UniqueKey == "" {
		return order.Order{}, fmt.Errorf("base: order without unique_key: %w", connector.ErrPermanent)
	}
	o := order.Order{ID: d.UniqueKey, Number: d.UniqueKey, Status: statusOf(d.DispatchStatus), ChannelStatus: d.DispatchStatus,
		PlacedAt: time.Unix(d.Ordered, 0).UTC(), UpdatedAt: time.Unix(d.Modified, 0).UTC(),
		Refs: map[string]string{RefPayment: d.Payment}}
	if d.Cancelled != nil && o.Status != order.StatusCancelled && d.DispatchStatus != "dispatched" {
		o.Status = order.StatusCancelled
	}
	// The ship-to address is the receiver's when the buyer gave one (お届け先), else the buyer's.
	country := countryOf(d)
	o.ShipTo = order.Address{Name: name(d.LastName, d.FirstName), Phone: str(d.Tel), Email: str(d.MailAddress),
		Country: country, PostalCode: postal(d.ZipCode), Prefecture: d.Prefecture, Line1: d.Address, Line2: str(d.Address2)}
	if r := d.Receiver; r != nil && (r.Address != "" || r.ZipCode != "" || r.LastName != "") {
		o.ShipTo = order.Address{Name: name(r.LastName, r.FirstName), Phone: r.Tel, Country: country,
			PostalCode: postal(r.ZipCode), Prefecture: r.Prefecture, Line1: r.Address, Line2: r.Address2}
	}
	if dd := str(d.DeliveryDate); dd != "" {
		date, err := order.ParseDate(dd)
		if err != nil {
			return order.Order{}, fmt.Errorf("base: delivery_date is not YYYY-MM-DD: %w", connector.ErrPermanent)
		}
		o.Delivery.Date = date
	}
	slot, err := slotOf(d.DeliveryTZ)
	if err != nil {
		return order.Order{}, err
	}
	o.Delivery.Slot = slot
	if d.Payment == "cod" {
		o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(d.Total)}
	} else {
		o.Payment = order.Payment{Method: order.PaymentPrepaid}
	}
	var sub int64
	for _, it := range d.Items {
		sku, err := c.skuOf(ctx, it)
		if err != nil {
			return order.Order{}, err
		}
		l := order.Line{ID: strconv.FormatInt(it.OrderItemID, 10), SKU: sku, Name: strings.TrimSpace(it.Title + " " + str(it.Variation)),
			Quantity: it.Amount, UnitPrice: order.Yen(it.Price),
			Refs: map[string]string{RefOrderItemID: strconv.FormatInt(it.OrderItemID, 10), RefItemID: strconv.FormatInt(it.ItemID, 10)}}
		if it.VariationID != nil {
			l.Refs[RefVariationID] = strconv.FormatInt(*it.VariationID, 10)
		}
		if it.Status == "cancelled" {
			l.Cancelled = l.Quantity
		}
		sub += it.Price * int64(it.Amount)
		o.Lines = append(o.Lines, l)
	}
	t := order.Totals{Subtotal: order.Yen(sub), TaxIncluded: true}
	if d.ShippingFee != nil {
		t.Shipping = order.Yen(*d.ShippingFee)
	}
	if d.CODFee != nil {
		t.Fees = order.Yen(*d.CODFee)
	}
	if d.Discount != nil && d.Discount.Discount != nil {
		t.Discount = order.Yen(*d.Discount.Discount)
	}
	if t.Subtotal.Amount+t.Shipping.Amount+t.Fees.Amount-t.Discount.Amount == d.Total {
		t.Total = order.Yen(d.Total)
	}
	o.Totals = t
	if err := o.Validate(); err != nil {
		return order.Order{}, fmt.Errorf("base: order does not validate: %w", err)
	}
	return o, nil
}
