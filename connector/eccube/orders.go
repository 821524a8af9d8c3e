package eccube

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// Refs keys the connector sets on orders and lines (order.Order.Refs, order.Line.Refs).
const (
	RefOrderID      = "eccube.order_id"
	RefOrderNo      = "eccube.order_no"
	RefShippingID   = "eccube.shipping_id"
	RefDeliveryTime = "eccube.delivery_time" // the shop's own label, kept as the buyer chose it
	RefOrderItemID  = "eccube.order_item_id"
)

// orderFields is the selection of one order: everything ListOrders maps, nothing more.
const orderFields = `id order_no name01 name02 email phone_number payment_method currency_code
      subtotal discount delivery_fee_total charge tax total payment_total
      create_date update_date order_date
      OrderStatus { id name }
      OrderItems { id product_name product_code class_category_name1 class_category_name2 price tax quantity OrderItemType { id } }
      Shippings { id name01 name02 company_name phone_number postal_code addr01 addr02 Pref { name }
        shipping_delivery_date shipping_delivery_time shipping_date tracking_number }`

const ordersQuery = `query ListOrders($start: DateTime, $end: DateTime, $page: Int, $limit: Int) {
  orders(update_datetime_start: $start, update_datetime_end: $end, page: $page, limit: $limit) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    nodes { ` + orderFields + ` }
  }
}`

const orderQuery = `query GetOrder($id: ID!) {
  order(id: $id) { ` + orderFields + ` }
}`

// flexID reads an ID the plugin writes as a string ("95"), or a number in webhooks.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id is neither a string nor a number")
	}
	*f = flexID(n.String())
	return nil
}

type gqlShipping struct {
	ID          flexID  `json:"id"`
	Name01      string  `json:"name01"`
	Name02      string  `json:"name02"`
	CompanyName *string `json:"company_name"`
	PhoneNumber *string `json:"phone_number"`
	PostalCode  *string `json:"postal_code"`
	Addr01      *string `json:"addr01"`
	Addr02      *string `json:"addr02"`
	Pref        *struct {
		Name string `json:"name"`
	} `json:"Pref"`
	ShippingDeliveryDate *string `json:"shipping_delivery_date"`
	ShippingDeliveryTime *string `json:"shipping_delivery_time"`
	ShippingDate         *string `json:"shipping_date"`
	TrackingNumber       *string `json:"tracking_number"`
}

type gqlItem struct {
	ID                 flexID  `json:"id"`
	ProductName        string  `json:"product_name"`
	ProductCode        *string `json:"product_code"`
	ClassCategoryName1 *string `json:"class_category_name1"`
	ClassCategoryName2 *string `json:"class_category_name2"`
	Price              float64 `json:"price"`
	Tax                float64 `json:"tax"`
	Quantity           float64 `json:"quantity"`
	OrderItemType      *struct {
		ID flexID `json:"id"`
	} `json:"OrderItemType"`
}

type gqlOrder struct {
	ID               flexID  `json:"id"`
	OrderNo          *string `json:"order_no"`
	Name01           string  `json:"name01"`
	Name02           string  `json:"name02"`
	Email            *string `json:"email"`
	PhoneNumber      *string `json:"phone_number"`
	PaymentMethod    *string `json:"payment_method"`
	CurrencyCode     *string `json:"currency_code"`
	Subtotal         float64 `json:"subtotal"`
	Discount         float64 `json:"discount"`
	DeliveryFeeTotal float64 `json:"delivery_fee_total"`
	Charge           float64 `json:"charge"`
	Tax              float64 `json:"tax"`
	Total            float64 `json:"total"`
	PaymentTotal     float64 `json:"payment_total"`
	CreateDate       string  `json:"create_date"`
	UpdateDate       string  `json:"update_date"`
	OrderDate        *string `json:"order_date"`
	OrderStatus      *struct {
		ID   flexID `json:"id"`
		Name string `json:"name"`
	} `json:"OrderStatus"`
	OrderItems []gqlItem     `json:"OrderItems"`
	Shippings  []gqlShipping `json:"Shippings"`
}

type ordersData struct {
	Orders *struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage     bool `json:"hasNextPage"`
			HasPreviousPage bool `json:"hasPreviousPage"`
		} `json:"pageInfo"`
		Nodes []json.RawMessage `json:"nodes"`
	} `json:"orders"`
}

// orderCursor is where a window's walk stands: every order updated before Lo has been returned,
// and of those updated at Lo, the ones in Seen and the ones with an ID up to X. Seen names the
// IDs rather than a bound because the order of equal update times is the shop's database's,
// not something the plugin documents.
type orderCursor struct {
	Lo   int64   `json:"lo"` // Unix seconds
	Seen []int64 `json:"s,omitempty"`
	X    int64   `json:"x,omitempty"`
}

func (c orderCursor) returned(n listed) bool {
	if n.updated < 0 {
		return false
	}
	return n.updated < c.Lo || (n.updated == c.Lo && (n.id <= c.X || slices.Contains(c.Seen, n.id)))
}

func (c orderCursor) encode() connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(base64.RawURLEncoding.EncodeToString(b))
}

func decodeOrderCursor(s connector.Cursor) (orderCursor, error) {
	var c orderCursor
	raw, err := base64.RawURLEncoding.DecodeString(string(s))
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Lo < 0 || c.X < 0 || len(c.Seen) > 10000 {
		return c, fmt.Errorf("eccube: malformed cursor: %w", connector.ErrPermanent)
	}
	return c, nil
}

// listed is one node of a page with the position the walk needs, decoded or not.
type listed struct {
	raw     json.RawMessage
	id      int64
	updated int64 // Unix seconds; -1 when unreadable
}

type slice struct {
	nodes   []listed
	total   int
	hasNext bool
}

// tieMax bounds the orders read at once when more than a page of them share one second.
const tieMax = 1000

// ListOrders implements connector.OrderSource. See the package doc for how a window is walked.
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	limit := c.cfg.PageSize
	if req.Limit > 0 && req.Limit < limit {
		limit = req.Limit
	}
	cur := orderCursor{Lo: req.From.Unix()}
	if req.Page != "" {
		var err error
		if cur, err = decodeOrderCursor(req.Page); err != nil {
			return nil, err
		}
	}
	end := req.To.Unix()
	if req.To.After(time.Unix(end, 0)) {
		end++ // the plugin keeps seconds: the bound rounds up, never cutting the window short
	}
	page := &connector.OrderPage{}
	if cur.Lo >= end {
		return page, nil
	}
	// The lower bound is asked a second early, whether the plugin's bound includes its second or
	// not; what lies before cur is dropped here.
	start := cur.Lo - 1
	first, err := c.fetchOrders(ctx, start, end, 1, limit)
	if err != nil {
		return nil, err
	}
	s, last := first, !first.hasNext
	if !last {
		s = nil
		n := first.total
		for range 3 {
			p := max(1, (n+limit-1)/limit)
			got, err := c.fetchOrders(ctx, start, end, p, limit)
			if err != nil {
				return nil, err
			}
			if got.hasNext || (len(got.nodes) == 0 && got.total > 0) {
				n = got.total // the window grew or shrank between the two requests
				continue
			}
			s, last = got, p == 1
			break
		}
		if s == nil {
			return nil, fmt.Errorf("eccube: ListOrders: the window kept changing while it was read: %w", connector.ErrTemporary)
		}
	}
	next := cur
	var maxU int64 = math.MinInt64
	for _, n := range s.nodes {
		maxU = max(maxU, n.updated)
	}
	if !last {
		if maxU > cur.Lo {
			next = orderCursor{Lo: maxU}
			for _, n := range s.nodes {
				if n.updated == maxU {
					next.Seen = append(next.Seen, n.id)
				}
			}
		} else {
			// More than a page of orders share the second cur.Lo: read that second whole.
			tie, err := c.fetchOrders(ctx, cur.Lo-1, cur.Lo+1, 1, tieMax)
			if err != nil {
				return nil, err
			}
			if tie.hasNext {
				return nil, fmt.Errorf("eccube: ListOrders: more than %d orders updated in one second: %w", tieMax, connector.ErrPermanent)
			}
			// Orders of that second not returned yet, by ID, a page at a time.
			var rest []listed
			for _, n := range tie.nodes {
				if n.updated == cur.Lo && !cur.returned(n) {
					rest = append(rest, n)
				}
			}
			slices.SortFunc(rest, func(a, b listed) int { return cmp.Compare(a.id, b.id) })
			next = orderCursor{Lo: cur.Lo + 1}
			if len(rest) > limit {
				rest = rest[:limit]
				next = orderCursor{Lo: cur.Lo, Seen: cur.Seen, X: rest[limit-1].id}
			}
			s = &slice{nodes: rest}
		}
	}
	for _, n := range s.nodes {
		if cur.returned(n) {
			continue // returned by an earlier page
		}
		o, err := c.decodeOrder(n.raw)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: strconv.FormatInt(n.id, 10), Err: err})
			continue
		}
		page.Orders = append(page.Orders, o)
	}
	if !last {
		page.Next = next.encode()
	}
	return page, nil
}

func (c *Client) fetchOrders(ctx context.Context, start, end int64, pageNo, limit int) (*slice, error) {
	var data ordersData
	err := c.do(ctx, op{name: "ListOrders", query: ordersQuery, vars: map[string]any{
		"start": time.Unix(start, 0).UTC().Format(atom), "end": time.Unix(end, 0).UTC().Format(atom),
		"page": pageNo, "limit": limit,
	}}, &data)
	if err != nil {
		return nil, err
	}
	if data.Orders == nil {
		return nil, fmt.Errorf("eccube: ListOrders: the answer holds no orders: %w", connector.ErrTemporary)
	}
	s := &slice{total: data.Orders.TotalCount, hasNext: data.Orders.PageInfo.HasNextPage}
	for _, raw := range data.Orders.Nodes {
		var head struct {
			ID         flexID `json:"id"`
			UpdateDate string `json:"update_date"`
		}
		n := listed{raw: raw, updated: -1}
		if json.Unmarshal(raw, &head) == nil {
			n.id, _ = strconv.ParseInt(string(head.ID), 10, 64)
			if t, err := time.Parse(atom, head.UpdateDate); err == nil {
				n.updated = t.Unix()
			}
		}
		s.nodes = append(s.nodes, n)
	}
	return s, nil
}

// getOrder reads one order; nil without error when the shop has none with that ID.
func (c *Client) getOrder(ctx context.Context, id string) (json.RawMessage, error) {
	var data struct {
		Order json.RawMessage `json:"order"`
	}
	if err := c.do(ctx, op{name: "GetOrder", query: orderQuery, vars: map[string]any{"id": id}}, &data); err != nil {
		return nil, err
	}
	if len(data.Order) == 0 || string(data.Order) == "null" {
		return nil, nil
	}
	return data.Order, nil
}

// ErrMultipleShippings is the Reject error of an order with more than one Shipping (複数配送).
var ErrMultipleShippings = errors.New("eccube: the order ships to more than one address (複数配送); ship it by hand")

// decodeOrder turns one order node into an order.Order, or an error naming what is wrong
// (never a value: names and addresses stay out of errors).
func (c *Client) decodeOrder(raw json.RawMessage) (order.Order, error) {
	var g gqlOrder
	if err := json.Unmarshal(raw, &g); err != nil {
		return order.Order{}, fmt.Errorf("eccube: malformed order: %w", connector.ErrPermanent)
	}
	return c.toOrder(g)
}

func (c *Client) toOrder(g gqlOrder) (order.Order, error) {
	bad := func(format string, args ...any) (order.Order, error) {
		return order.Order{}, fmt.Errorf("eccube: order %s: %s: %w", g.ID, fmt.Sprintf(format, args...), connector.ErrPermanent)
	}
	if _, err := strconv.ParseInt(string(g.ID), 10, 64); err != nil {
		return bad("id is not a number")
	}
	updated, err := time.Parse(atom, g.UpdateDate)
	if err != nil {
		return bad("update_date is not a date")
	}
	placed, err := time.Parse(atom, g.CreateDate)
	if err != nil {
		return bad("create_date is not a date")
	}
	if g.OrderDate != nil {
		if t, err := time.Parse(atom, *g.OrderDate); err == nil {
			placed = t
		}
	}
	switch len(g.Shippings) {
	case 0:
		return bad("no Shipping")
	case 1:
	default:
		return order.Order{}, fmt.Errorf("eccube: order %s: %w", g.ID, errors.Join(ErrMultipleShippings, connector.ErrPermanent))
	}
	sh := g.Shippings[0]
	currency := "JPY"
	if g.CurrencyCode != nil && *g.CurrencyCode != "" {
		currency = *g.CurrencyCode
	}
	money := func(f float64) (order.Money, bool) {
		if f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return order.Money{}, false
		}
		return order.Money{Amount: int64(f), Currency: currency}, true
	}
	o := order.Order{
		ID: string(g.ID), Number: deref(g.OrderNo), Status: order.StatusOpen,
		PlacedAt: placed.UTC(), UpdatedAt: updated.UTC(),
		Refs: map[string]string{RefOrderID: string(g.ID), RefOrderNo: deref(g.OrderNo), RefShippingID: string(sh.ID)},
	}
	if g.OrderStatus != nil {
		o.ChannelStatus = string(g.OrderStatus.ID)
		o.Status = statusOf(string(g.OrderStatus.ID))
	}
	for i, it := range g.OrderItems {
		if it.OrderItemType == nil || it.OrderItemType.ID != "1" {
			continue // 送料, 手数料, 値引き, ポイント are not goods
		}
		q := it.Quantity
		if q != math.Trunc(q) || q < 0 || q > 1e6 {
			return bad("OrderItems[%d].quantity is not a whole number", i)
		}
		unit, ok := money(it.Price + it.Tax)
		if !ok {
			return bad("OrderItems[%d].price is not a whole amount", i)
		}
		name := it.ProductName
		for _, cl := range []*string{it.ClassCategoryName1, it.ClassCategoryName2} {
			if cl != nil && *cl != "" {
				name += " " + *cl
			}
		}
		o.Lines = append(o.Lines, order.Line{ID: string(it.ID), SKU: deref(it.ProductCode), Name: name,
			Quantity: int(q), UnitPrice: unit, Refs: map[string]string{RefOrderItemID: string(it.ID)}})
	}
	o.ShipTo = order.Address{
		Name: strings.TrimSpace(sh.Name01 + " " + sh.Name02), Company: deref(sh.CompanyName),
		Phone: deref(sh.PhoneNumber), Email: deref(g.Email), Country: "JP",
		PostalCode: postal(deref(sh.PostalCode)), City: deref(sh.Addr01), Line1: deref(sh.Addr02),
	}
	if o.ShipTo.Line1 == "" {
		o.ShipTo.City, o.ShipTo.Line1 = "", o.ShipTo.City
	}
	if sh.Pref != nil {
		o.ShipTo.Prefecture = sh.Pref.Name
	}
	if d := deref(sh.ShippingDeliveryDate); d != "" {
		t, err := time.Parse(atom, d)
		if err != nil {
			return bad("shipping_delivery_date is not a date")
		}
		t = t.In(jst)
		o.Delivery.Date = order.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
	}
	if label := strings.TrimSpace(deref(sh.ShippingDeliveryTime)); label != "" {
		o.Refs[RefDeliveryTime] = label
		o.Delivery.Slot = c.slot(label)
	}
	sub, ok1 := money(g.Subtotal)
	fee, ok2 := money(g.DeliveryFeeTotal)
	charge, ok3 := money(g.Charge)
	disc, ok4 := money(g.Discount)
	tax, ok5 := money(g.Tax)
	total, ok6 := money(g.Total)
	if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && sub.Amount+fee.Amount+charge.Amount-disc.Amount == total.Amount {
		// EC-CUBE's subtotal includes tax. A shop whose figures do not add up this way (a
		// plugin's own charges) keeps its totals to itself rather than failing validation.
		o.Totals = order.Totals{Subtotal: sub, Shipping: fee, Fees: charge, Tax: tax, TaxIncluded: true, Discount: disc, Total: total}
	}
	if pm := deref(g.PaymentMethod); strings.Contains(pm, "代金引換") || strings.Contains(pm, "代引") {
		collect, ok := money(g.PaymentTotal)
		if !ok {
			return bad("payment_total is not a whole amount")
		}
		o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: collect}
	}
	if err := o.Validate(); err != nil && o.Status != order.StatusCancelled {
		return order.Order{}, fmt.Errorf("eccube: order %s: %w", g.ID, err)
	}
	return o, nil
}

// statusOf maps EC-CUBE's OrderStatus IDs.
func statusOf(id string) order.Status {
	switch id {
	case "3": // 注文取消し
		return order.StatusCancelled
	case "5", "9": // 発送済み, 返品
		return order.StatusClosed
	case "7", "8": // 決済処理中, 購入処理中
		return order.StatusPending
	}
	return order.StatusOpen // 新規受付, 対応中, 入金済み, and a shop's own statuses
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// postal writes EC-CUBE's seven digits as NNN-NNNN.
func postal(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		if r == '-' || r == 'ー' || r == '－' || r == ' ' {
			return -1
		}
		return r
	}, s)
	if len(s) == 7 {
		return s[:3] + "-" + s[3:]
	}
	return s
}

// slot reads a shop's delivery time label: Config.TimeSlots first, then 午前中 and "H時～H時"
// forms in half- or full-width. A label that is no carrier slot (午後, 夜間) gives SlotNone; the
// label itself stays in Refs[RefDeliveryTime].
func (c *Client) slot(label string) order.TimeSlot {
	if s, ok := c.cfg.TimeSlots[label]; ok && s.Valid() {
		return s
	}
	return ParseTimeSlot(label)
}

// ParseTimeSlot reads a delivery time label such as "午前中", "14時～16時", "14:00-16:00" or
// "１８～２１時" as a slot; SlotNone when it names none.
func ParseTimeSlot(label string) order.TimeSlot {
	norm := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '～' || r == '〜' || r == '~' || r == '－' || r == 'ー' || r == '−' || r == '‐':
			return '-'
		}
		return r
	}, label)
	if strings.Contains(norm, "午前") {
		return order.SlotMorning
	}
	var hours []int
	n, in := 0, false
	for _, r := range norm + " " {
		if r >= '0' && r <= '9' {
			n, in = n*10+int(r-'0'), true
			if n > 99 {
				return order.SlotNone
			}
			continue
		}
		if in {
			hours = append(hours, n)
			n, in = 0, false
		}
	}
	// "14:00-16:00" reads as 14, 0, 16, 0: keep the hours.
	if len(hours) == 4 && hours[1] == 0 && hours[3] == 0 {
		hours = []int{hours[0], hours[2]}
	}
	if len(hours) != 2 {
		return order.SlotNone
	}
	s := order.TimeSlot(fmt.Sprintf("%02d%02d", hours[0], hours[1]))
	if s == "" || !s.Valid() {
		return order.SlotNone
	}
	return s
}
