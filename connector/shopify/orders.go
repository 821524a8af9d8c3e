package shopify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// Refs keys the connector sets on orders and lines (order.Order.Refs, order.Line.Refs).
const (
	RefOrderID                   = "shopify.order_id"
	RefOrderName                 = "shopify.order_name"
	RefFulfillmentOrderID        = "shopify.fulfillment_order_id"
	RefLineItemID                = "shopify.line_item_id"
	RefFulfillmentOrderLineID    = "shopify.fulfillment_order_line_item_id"
	RefFulfillmentRequestMessage = "shopify.request_message"
)

const addressFields = `firstName lastName company phone address1 address2 city province provinceCode zip countryCodeV2`

// moneyFields selects a MoneyBag in the shop's currency.
const moneyFields = `{ shopMoney { amount currencyCode } }`

// orderFields is what the connector reads of an order, polled or (as gqlOrder) from a webhook.
const orderFields = `id name createdAt updatedAt cancelledAt closed displayFulfillmentStatus email currencyCode
      paymentGatewayNames taxesIncluded
      totalPriceSet ` + moneyFields + ` totalShippingPriceSet ` + moneyFields + `
      totalTaxSet ` + moneyFields + ` totalDiscountsSet ` + moneyFields + ` totalOutstandingSet ` + moneyFields + `
      customAttributes { key value }
      shippingAddress { ` + addressFields + ` }
      lineItems(first: $lines) {
        pageInfo { hasNextPage }
        nodes { id sku name quantity currentQuantity originalUnitPriceSet ` + moneyFields + ` customAttributes { key value } }
      }`

const ordersQuery = `query ListOrders($first: Int!, $after: String, $query: String, $lines: Int!) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ` + orderFields + `
    }
  }
}`

type gqlMoney struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"shopMoney"`
}

type gqlAddress struct {
	FirstName     *string `json:"firstName"`
	LastName      *string `json:"lastName"`
	Company       *string `json:"company"`
	Phone         *string `json:"phone"`
	Address1      *string `json:"address1"`
	Address2      *string `json:"address2"`
	City          *string `json:"city"`
	Province      *string `json:"province"`
	ProvinceCode  *string `json:"provinceCode"`
	Zip           *string `json:"zip"`
	CountryCodeV2 *string `json:"countryCodeV2"`
}

type gqlLineItem struct {
	ID                   string      `json:"id"`
	SKU                  *string     `json:"sku"`
	Name                 string      `json:"name"`
	Quantity             int         `json:"quantity"`
	CurrentQuantity      int         `json:"currentQuantity"`
	OriginalUnitPriceSet gqlMoney    `json:"originalUnitPriceSet"`
	CustomAttributes     []attribute `json:"customAttributes"`
}

type gqlOrder struct {
	ID                       string      `json:"id"`
	Name                     string      `json:"name"`
	CreatedAt                time.Time   `json:"createdAt"`
	UpdatedAt                time.Time   `json:"updatedAt"`
	CancelledAt              *time.Time  `json:"cancelledAt"`
	Closed                   bool        `json:"closed"`
	DisplayFulfillmentStatus string      `json:"displayFulfillmentStatus"`
	Email                    *string     `json:"email"`
	CurrencyCode             string      `json:"currencyCode"`
	PaymentGatewayNames      []string    `json:"paymentGatewayNames"`
	TaxesIncluded            bool        `json:"taxesIncluded"`
	TotalPriceSet            *gqlMoney   `json:"totalPriceSet"`
	TotalShippingPriceSet    *gqlMoney   `json:"totalShippingPriceSet"`
	TotalTaxSet              *gqlMoney   `json:"totalTaxSet"`
	TotalDiscountsSet        *gqlMoney   `json:"totalDiscountsSet"`
	TotalOutstandingSet      *gqlMoney   `json:"totalOutstandingSet"`
	CustomAttributes         []attribute `json:"customAttributes"`
	ShippingAddress          *gqlAddress `json:"shippingAddress"`
	LineItems                struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Nodes []gqlLineItem `json:"nodes"`
	} `json:"lineItems"`
}

type ordersData struct {
	Orders struct {
		PageInfo pageInfo   `json:"pageInfo"`
		Nodes    []gqlOrder `json:"nodes"`
	} `json:"orders"`
}

type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

// orderCursor is the position in a window: Shopify's endCursor within a search whose lower
// bound may have moved forward (From) to stay under the paging cap, and how many objects that
// search has paged through.
type orderCursor struct {
	After string    `json:"a,omitempty"`
	From  time.Time `json:"f"`
	To    time.Time `json:"t"`
	Seen  int       `json:"n,omitempty"`
	// Last is the update time of the last order returned, where a moved window restarts.
	Last time.Time `json:"l,omitzero"`
}

func (c orderCursor) encode() connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(base64.RawURLEncoding.EncodeToString(b))
}

func decodeOrderCursor(s connector.Cursor) (orderCursor, error) {
	var c orderCursor
	raw, err := base64.RawURLEncoding.DecodeString(string(s))
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return c, fmt.Errorf("shopify: malformed cursor: %w", connector.ErrPermanent)
	}
	return c, nil
}

// searchTime formats t for Shopify's search syntax. Shopify keeps whole seconds, so the bounds
// are floored: the lower bound then includes the second From falls in (a duplicate at worst),
// and the upper bound leaves that second to the next window, whose lower bound includes it.
func searchTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// perOrderCost is the calculated cost of one order of ordersQuery: the order, its attributes,
// address, five money bags (2 each), line connection (2) and per line the line, its price set
// and money, and its attributes.
func (c *Client) perOrderCost() int { return 15 + 4*c.cfg.LinesPerOrder }

// pageSize fits a page in the bucket as Shopify last described it.
func (c *Client) pageSize(limit int) int {
	n := c.cfg.PageSize
	if limit > 0 && limit < n {
		n = limit
	}
	fit := int((c.bucketMax()*0.9 - 2) / float64(c.perOrderCost()))
	return max(1, min(n, fit, 250))
}

// ListOrders implements connector.OrderSource: orders updated in [req.From, req.To), oldest
// update first, through orders(sortKey: UPDATED_AT) with a search on updated_at.
//
// Shopify pages through at most 25,000 objects of one search. Before a page would cross that
// cap, the next cursor restarts the search at the update time of the last order returned
// (inclusive, so orders sharing that second are read again, never skipped).
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	cur := orderCursor{From: req.From.UTC(), To: req.To.UTC()}
	if req.Page != "" {
		var err error
		if cur, err = decodeOrderCursor(req.Page); err != nil {
			return nil, err
		}
	}
	first := c.pageSize(req.Limit)
	if cur.Seen > 0 && cur.Seen+first > c.cfg.PagingCap && cur.Last.After(cur.From) {
		cur = orderCursor{From: cur.Last, To: cur.To}
	}
	q := fmt.Sprintf("updated_at:>='%s' AND updated_at:<'%s'", searchTime(cur.From), searchTime(cur.To))
	vars := map[string]any{"first": first, "query": q, "lines": c.cfg.LinesPerOrder}
	if cur.After != "" {
		vars["after"] = cur.After
	}
	var data ordersData
	err := c.do(ctx, op{name: "ListOrders", query: ordersQuery, vars: vars, estimate: 2 + first*c.perOrderCost()}, &data)
	if err != nil {
		return nil, err
	}
	page := &connector.OrderPage{}
	for _, g := range data.Orders.Nodes {
		o, err := c.mapOrder(&g)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: g.ID, Err: err})
		} else {
			page.Orders = append(page.Orders, o)
		}
		if g.UpdatedAt.After(cur.Last) {
			cur.Last = g.UpdatedAt.UTC()
		}
	}
	if pi := data.Orders.PageInfo; pi.HasNextPage && pi.EndCursor != nil {
		cur.After = *pi.EndCursor
		cur.Seen += len(data.Orders.Nodes)
		page.Next = cur.encode()
	}
	return page, nil
}

// ErrTooManyLines is the Reject error of an order with more lines than Config.LinesPerOrder.
var ErrTooManyLines = fmt.Errorf("shopify: order has more line items than Config.LinesPerOrder: %w", connector.ErrPermanent)

func (c *Client) mapOrder(g *gqlOrder) (order.Order, error) {
	o := order.Order{
		ID: g.ID, Number: g.Name, Status: order.StatusOpen, ChannelStatus: g.DisplayFulfillmentStatus,
		PlacedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC(),
		Refs: map[string]string{RefOrderID: g.ID, RefOrderName: g.Name},
	}
	lists := make([][]attribute, 0, 1+len(g.LineItems.Nodes))
	lists = append(lists, g.CustomAttributes)
	for _, l := range g.LineItems.Nodes {
		lists = append(lists, l.CustomAttributes)
	}
	w := c.cfg.Attributes.read(lists...)
	o.Delivery, o.Gift = w.delivery, w.gift
	switch {
	case g.CancelledAt != nil:
		o.Status = order.StatusCancelled
	case g.Closed:
		o.Status = order.StatusClosed
	}
	if g.LineItems.PageInfo.HasNextPage {
		return o, ErrTooManyLines
	}
	if g.ShippingAddress != nil {
		o.ShipTo = mapAddress(g.ShippingAddress)
	}
	if g.Email != nil {
		o.ShipTo.Email = *g.Email
	}
	for i, l := range g.LineItems.Nodes {
		price, err := parseMoney(l.OriginalUnitPriceSet.ShopMoney.Amount, l.OriginalUnitPriceSet.ShopMoney.CurrencyCode)
		if err != nil {
			return o, fmt.Errorf("shopify: lines[%d].price: %w", i, err)
		}
		line := order.Line{ID: l.ID, SKU: deref(l.SKU), Name: l.Name, Quantity: l.Quantity,
			Cancelled: l.Quantity - l.CurrentQuantity, UnitPrice: price,
			Refs: map[string]string{RefLineItemID: l.ID}}
		if line.Cancelled < 0 {
			line.Cancelled = 0
		}
		o.Lines = append(o.Lines, line)
	}
	o.Totals = totals(g, o.Lines)
	var err error
	if o.Payment, err = c.payment(g); err != nil && o.Status != order.StatusCancelled {
		return o, err
	}
	if err := o.Validate(); err != nil && o.Status != order.StatusCancelled {
		return o, fmt.Errorf("shopify: %w: %w", connector.ErrPermanent, err)
	}
	return o, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func mapAddress(a *gqlAddress) order.Address {
	addr := order.Address{
		Name:    strings.TrimSpace(deref(a.LastName) + " " + deref(a.FirstName)),
		Company: deref(a.Company), Phone: deref(a.Phone), Country: deref(a.CountryCodeV2),
		PostalCode: deref(a.Zip), City: deref(a.City), Line1: deref(a.Address1), Line2: deref(a.Address2),
	}
	if addr.Country == "JP" {
		addr.PostalCode = jpPostal(addr.PostalCode)
		addr.Prefecture = prefecture(deref(a.ProvinceCode), deref(a.Province))
	} else {
		addr.Prefecture = deref(a.Province)
	}
	return addr
}

// jpPostal writes a Japanese postal code as NNN-NNNN (Shopify keeps what the buyer typed).
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

// prefecture maps Shopify's province code (JP-13) to the prefecture's name (東京都); Shopify's
// province name is English ("Tokyo"), which the warehouse cannot print on a label.
func prefecture(code, name string) string {
	if n, ok := strings.CutPrefix(code, "JP-"); ok {
		if i, err := strconv.Atoi(n); err == nil && i >= 1 && i <= 47 {
			return order.Prefectures[i-1]
		}
	}
	for _, p := range order.Prefectures {
		if p == name {
			return p
		}
	}
	return ""
}

// parseMoney reads Shopify's decimal amounts ("1200.0", "12.34") into minor units.
func parseMoney(amount, currency string) (order.Money, error) {
	digits, ok := order.MinorUnits(currency)
	if !ok {
		return order.Money{}, fmt.Errorf("unknown currency %q: %w", currency, connector.ErrPermanent)
	}
	neg := strings.HasPrefix(amount, "-")
	amount = strings.TrimPrefix(amount, "-")
	whole, frac, _ := strings.Cut(amount, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits || whole == "" {
		return order.Money{}, errors.New("amount is not a decimal in the currency's minor unit")
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 {
		return order.Money{}, errors.New("amount is not a decimal")
	}
	if neg {
		n = -n
	}
	return order.Money{Amount: n, Currency: currency}, nil
}
