package amazon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

// Refs keys the connector sets on orders and lines.
const (
	// RefOrderItemID is a line's Amazon OrderItemId, which confirmShipment names.
	RefOrderItemID = "amazon_order_item_id"
	// RefMarketplaceID is the order's marketplace.
	RefMarketplaceID = "amazon_marketplace_id"
	// RefBuyerCancelReason is set on a line the buyer asked to cancel, with Amazon's reason code.
	RefBuyerCancelReason = "amazon_buyer_cancel_reason"
	// RefOrderTotal holds Amazon's OrderTotal when its parts do not add up to it.
	RefOrderTotal = "amazon_order_total"
)

// CancelledRecipient is the recipient a cancelled order carries, since Amazon no longer shows
// its address.
var CancelledRecipient = order.Address{Name: "(cancelled on Amazon)", Line1: "(address withheld by Amazon)", Country: "JP", PostalCode: "000-0000"}

// twoMinutes is the model's rule for LastUpdatedBefore, with a margin for clock skew.
const twoMinutes = 2*time.Minute + 5*time.Second

// listedStatuses are the statuses ListOrders asks for: Pending orders have no address and are
// listed once Amazon moves them on.
var listedStatuses = []string{"Unshipped", "PartiallyShipped", "Shipped", "Canceled", "InvoiceUnconfirmed"}

// cursor is ListOrders' page cursor: Amazon's NextToken and the window it belongs to, so a
// token Amazon no longer takes can be replaced by listing the window again.
type cursor struct {
	Token  string    `json:"n"`
	After  time.Time `json:"a,omitzero"`
	Before time.Time `json:"b"`
}

type v0Money struct {
	CurrencyCode string `json:"CurrencyCode"`
	Amount       string `json:"Amount"`
}

type v0Address struct {
	Name          string `json:"Name"`
	CompanyName   string `json:"CompanyName"`
	AddressLine1  string `json:"AddressLine1"`
	AddressLine2  string `json:"AddressLine2"`
	AddressLine3  string `json:"AddressLine3"`
	City          string `json:"City"`
	StateOrRegion string `json:"StateOrRegion"`
	PostalCode    string `json:"PostalCode"`
	CountryCode   string `json:"CountryCode"`
	Phone         string `json:"Phone"`
}

type v0Order struct {
	AmazonOrderID      string     `json:"AmazonOrderId"`
	SellerOrderID      string     `json:"SellerOrderId"`
	PurchaseDate       string     `json:"PurchaseDate"`
	LastUpdateDate     string     `json:"LastUpdateDate"`
	OrderStatus        string     `json:"OrderStatus"`
	FulfillmentChannel string     `json:"FulfillmentChannel"`
	OrderTotal         *v0Money   `json:"OrderTotal"`
	PaymentMethod      string     `json:"PaymentMethod"`
	MarketplaceID      string     `json:"MarketplaceId"`
	ShippingAddress    *v0Address `json:"ShippingAddress"`
}

type v0Item struct {
	SellerSKU                  string   `json:"SellerSKU"`
	OrderItemID                string   `json:"OrderItemId"`
	Title                      string   `json:"Title"`
	QuantityOrdered            int      `json:"QuantityOrdered"`
	QuantityShipped            int      `json:"QuantityShipped"`
	ItemPrice                  *v0Money `json:"ItemPrice"`
	ShippingPrice              *v0Money `json:"ShippingPrice"`
	ShippingDiscount           *v0Money `json:"ShippingDiscount"`
	PromotionDiscount          *v0Money `json:"PromotionDiscount"`
	ItemTax                    *v0Money `json:"ItemTax"`
	ShippingTax                *v0Money `json:"ShippingTax"`
	CODFee                     *v0Money `json:"CODFee"`
	CODFeeDiscount             *v0Money `json:"CODFeeDiscount"`
	IsGift                     string   `json:"IsGift"`
	ScheduledDeliveryStartDate string   `json:"ScheduledDeliveryStartDate"`
	ScheduledDeliveryEndDate   string   `json:"ScheduledDeliveryEndDate"`
	BuyerRequestedCancel       *struct {
		IsBuyerRequestedCancel string `json:"IsBuyerRequestedCancel"`
		BuyerCancelReason      string `json:"BuyerCancelReason"`
	} `json:"BuyerRequestedCancel"`
}

// ListOrders lists the MFN orders updated in [req.From, req.To), or as much of it as lies two
// minutes in the past.
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	limit := req.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	if req.Page != "" {
		var cur cursor
		if err := json.Unmarshal([]byte(req.Page), &cur); err != nil || cur.Token == "" {
			return nil, fmt.Errorf("amazon: ListOrders: unreadable cursor: %w", connector.ErrPermanent)
		}
		q := url.Values{"MarketplaceIds": {c.cfg.MarketplaceID}, "NextToken": {cur.Token}}
		page, err := c.listPage(ctx, q, cur.After, cur.Before)
		if statusOf(err) != http.StatusBadRequest || cur.After.IsZero() {
			return page, err
		}
		// Amazon refused its own NextToken (expired, or from before a change on its side): list
		// the window again from its start. Orders come twice, which the engine allows; none is
		// skipped.
		c.log.InfoContext(ctx, "amazon NextToken refused; listing the window again", "error", err.Error())
		return c.listPage(ctx, c.windowQuery(cur.After, cur.Before, limit), cur.After, cur.Before)
	}
	before := req.To.Add(-time.Nanosecond)
	if lim := c.cfg.Now().Add(-twoMinutes); before.After(lim) {
		before = lim
	}
	before = before.UTC().Truncate(time.Second)
	from := req.From.UTC().Truncate(time.Second)
	if before.Before(from) {
		return &connector.OrderPage{}, nil // all of the window is younger than two minutes
	}
	return c.listPage(ctx, c.windowQuery(from, before, limit), from, before)
}

// windowQuery is getOrders' query for the first page of [from, before].
func (c *Client) windowQuery(from, before time.Time, limit int) url.Values {
	return url.Values{"MarketplaceIds": {c.cfg.MarketplaceID},
		"LastUpdatedAfter": {from.Format(time.RFC3339)}, "LastUpdatedBefore": {before.Format(time.RFC3339)},
		"FulfillmentChannels": {"MFN"}, "OrderStatuses": {strings.Join(listedStatuses, ",")},
		"MaxResultsPerPage": {strconv.Itoa(limit)}}
}

// listPage calls getOrders with q and completes each order with its items.
func (c *Client) listPage(ctx context.Context, q url.Values, from, before time.Time) (*connector.OrderPage, error) {
	var out struct {
		Payload struct {
			Orders    []json.RawMessage `json:"Orders"`
			NextToken string            `json:"NextToken"`
		} `json:"payload"`
	}
	r := restricted{method: http.MethodGet, path: "/orders/v0/orders", elements: []string{"shippingAddress"}}
	if _, err := c.do(ctx, call{op: "getOrders", method: http.MethodGet, path: "/orders/v0/orders", query: q, rdt: &r}, &out); err != nil {
		return nil, err
	}
	page := &connector.OrderPage{}
	for _, raw := range out.Payload.Orders {
		o, skip, err := c.order(ctx, raw)
		switch {
		case err != nil && o.ID != "" && isPageError(err):
			return nil, err
		case err != nil:
			page.Rejects = append(page.Rejects, connector.Reject{ID: o.ID, Err: err})
		case skip != "":
			c.log.InfoContext(ctx, "amazon order skipped", "order", o.ID, "reason", skip)
		default:
			page.Orders = append(page.Orders, o)
		}
	}
	if out.Payload.NextToken != "" {
		b, _ := json.Marshal(cursor{Token: out.Payload.NextToken, After: from, Before: before})
		page.Next = connector.Cursor(b)
	}
	return page, nil
}

// isPageError reports whether err, met while completing one order, must fail the whole page
// (the next call may succeed) rather than reject the order.
func isPageError(err error) bool {
	switch connector.Classify(err) {
	case connector.Unauthorized:
		return true
	case connector.Permanent:
		return false
	}
	return true
}

// order decodes one listed order and reads its items. skip says why an order is not the
// warehouse's business.
func (c *Client) order(ctx context.Context, raw json.RawMessage) (order.Order, string, error) {
	var v v0Order
	if err := httpclient.Decode(raw, &v, httpclient.DecodeOptions{}); err != nil {
		var id struct {
			AmazonOrderID string `json:"AmazonOrderId"`
		}
		_ = json.Unmarshal(raw, &id)
		return order.Order{ID: id.AmazonOrderID}, "", fmt.Errorf("amazon: order: %w", err)
	}
	if v.FulfillmentChannel == "AFN" {
		return order.Order{ID: v.AmazonOrderID}, "fulfilled by Amazon (AFN): Amazon ships it, not the warehouse", nil
	}
	items, err := c.orderItems(ctx, v.AmazonOrderID)
	if err != nil {
		return order.Order{ID: v.AmazonOrderID}, "", err
	}
	o, err := mapOrder(v, items)
	return o, "", err
}

// orderItems reads every item of an order, following NextToken.
func (c *Client) orderItems(ctx context.Context, id string) ([]v0Item, error) {
	if id == "" || strings.ContainsAny(id, "/?#%") {
		return nil, fmt.Errorf("amazon: order ID %q is not an Amazon order ID: %w", truncate(id, 40), connector.ErrPermanent)
	}
	var items []v0Item
	q := url.Values{}
	for range 100 {
		var out struct {
			Payload struct {
				OrderItems []v0Item `json:"OrderItems"`
				NextToken  string   `json:"NextToken"`
			} `json:"payload"`
		}
		if _, err := c.do(ctx, call{op: "getOrderItems", method: http.MethodGet, path: "/orders/v0/orders/" + id + "/orderItems", query: q}, &out); err != nil {
			return nil, err
		}
		items = append(items, out.Payload.OrderItems...)
		if out.Payload.NextToken == "" {
			return items, nil
		}
		q = url.Values{"NextToken": {out.Payload.NextToken}}
	}
	return nil, fmt.Errorf("amazon: getOrderItems of %s: too many pages: %w", id, connector.ErrPermanent)
}

var errNoID = errors.New("no AmazonOrderId")

// mapOrder turns an Orders v0 order and its items into the domain order.
func mapOrder(v v0Order, items []v0Item) (order.Order, error) {
	o := order.Order{ID: v.AmazonOrderID, Number: v.AmazonOrderID, ChannelStatus: v.OrderStatus,
		Refs: map[string]string{RefMarketplaceID: v.MarketplaceID}}
	if o.ID == "" {
		return o, fmt.Errorf("amazon: order: %w: %w", errNoID, connector.ErrPermanent)
	}
	bad := func(field string, err error) (order.Order, error) {
		return o, fmt.Errorf("amazon: order %s: %s: %w: %w", o.ID, field, err, connector.ErrPermanent)
	}
	var err error
	if o.PlacedAt, err = parseTime(v.PurchaseDate); err != nil {
		return bad("PurchaseDate", err)
	}
	if o.UpdatedAt, err = parseTime(v.LastUpdateDate); err != nil {
		return bad("LastUpdateDate", err)
	}
	switch v.OrderStatus {
	case "Unshipped", "PartiallyShipped":
		o.Status = order.StatusOpen
	case "Shipped":
		o.Status = order.StatusClosed
	case "Canceled", "Unfulfillable":
		o.Status = order.StatusCancelled
	default: // Pending, PendingAvailability, InvoiceUnconfirmed
		o.Status = order.StatusPending
	}
	if v.ShippingAddress != nil {
		o.ShipTo = mapAddress(*v.ShippingAddress)
	}
	if o.Status == order.StatusCancelled && o.ShipTo.Name == "" {
		o.ShipTo = CancelledRecipient
	}
	var total order.Money
	if v.OrderTotal != nil {
		if total, err = parseMoney(*v.OrderTotal); err != nil {
			return bad("OrderTotal", err)
		}
	}
	o.Payment.Method = order.PaymentPrepaid
	if v.PaymentMethod == "COD" {
		o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: total}
	}
	var sums [6]int64 // subtotal, shipping, fees, tax, discount, currency seen
	currency := total.Currency
	requested, gift := 0, false
	for i, it := range items {
		l := order.Line{ID: it.OrderItemID, SKU: it.SellerSKU, Name: it.Title, Quantity: it.QuantityOrdered,
			Refs: map[string]string{RefOrderItemID: it.OrderItemID}}
		if it.ItemPrice != nil && it.QuantityOrdered > 0 {
			total, err := parseMoney(*it.ItemPrice)
			if err != nil {
				return bad(fmt.Sprintf("OrderItems[%d].ItemPrice", i), err)
			}
			// ItemPrice is the line's total; the unit price is what the line model keeps.
			l.UnitPrice = order.Money{Amount: total.Amount / int64(it.QuantityOrdered), Currency: total.Currency}
		}
		for k, m := range map[int][]*v0Money{1: {it.ShippingPrice}, 2: {it.CODFee}, 3: {it.ItemTax, it.ShippingTax},
			4: {it.PromotionDiscount, it.ShippingDiscount, it.CODFeeDiscount}} {
			for _, x := range m {
				if x == nil {
					continue
				}
				v, err := parseMoney(*x)
				if err != nil {
					return bad(fmt.Sprintf("OrderItems[%d] money", i), err)
				}
				if k == 4 && v.Amount < 0 {
					v.Amount = -v.Amount // Amazon writes discounts either way
				}
				sums[k] += v.Amount
				currency = v.Currency
			}
		}
		sums[0] += l.UnitPrice.Amount * int64(l.Quantity)
		if it.IsGift == "true" {
			gift = true
		}
		if bc := it.BuyerRequestedCancel; bc != nil && bc.IsBuyerRequestedCancel == "true" {
			l.Cancelled = max(0, it.QuantityOrdered-it.QuantityShipped)
			l.Refs[RefBuyerCancelReason] = safeCode(bc.BuyerCancelReason)
			requested++
		}
		if o.Delivery.Date.IsZero() && it.ScheduledDeliveryStartDate != "" {
			o.Delivery = deliveryWindow(it.ScheduledDeliveryStartDate, it.ScheduledDeliveryEndDate)
		}
		o.Lines = append(o.Lines, l)
	}
	if gift {
		o.Gift = &order.Gift{}
	}
	// Japanese prices include consumption tax. The totals are kept only when they add up to
	// Amazon's OrderTotal; otherwise (gift wrap, points) only the total Amazon states is kept in
	// Refs, since the parts would not explain it.
	if currency != "" && total.Amount != 0 {
		m := func(n int64) order.Money { return order.Money{Amount: n, Currency: currency} }
		t := order.Totals{Subtotal: m(sums[0]), Shipping: m(sums[1]), Fees: m(sums[2]), Tax: m(sums[3]), TaxIncluded: true,
			Discount: m(sums[4]), Total: total}
		if sums[0]+sums[1]+sums[2]-sums[4] == total.Amount {
			o.Totals = t
		} else {
			o.Refs[RefOrderTotal] = total.String()
		}
	}
	if requested > 0 && requested == len(items) && o.Status == order.StatusOpen {
		// Every item is asked to be cancelled: to the warehouse, the order is cancelled.
		o.Status = order.StatusCancelled
	}
	if err := o.Validate(); err != nil && o.Status != order.StatusCancelled {
		return o, fmt.Errorf("amazon: order %s: %w: %w", o.ID, connector.ErrPermanent, err)
	}
	return o, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("not an ISO 8601 time")
	}
	return t.UTC(), nil
}

// parseMoney reads Amazon's decimal string into minor units of its currency.
func parseMoney(m v0Money) (order.Money, error) {
	digits, ok := order.MinorUnits(m.CurrencyCode)
	if !ok {
		return order.Money{}, fmt.Errorf("unknown currency %q", truncate(safeCode(m.CurrencyCode), 8))
	}
	r, ok := new(big.Rat).SetString(strings.TrimSpace(m.Amount))
	if !ok || len(m.Amount) > 32 {
		return order.Money{}, errors.New("amount is not a decimal number")
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return order.Money{}, errors.New("amount has more decimals than its currency or is too large")
	}
	return order.Money{Amount: r.Num().Int64(), Currency: m.CurrencyCode}, nil
}

func mapAddress(a v0Address) order.Address {
	line2 := strings.TrimSpace(a.AddressLine2 + " " + a.AddressLine3)
	out := order.Address{Name: a.Name, Company: a.CompanyName, Phone: a.Phone, Country: a.CountryCode,
		PostalCode: a.PostalCode, Prefecture: a.StateOrRegion, City: a.City, Line1: a.AddressLine1, Line2: line2}
	if out.Country == "" || out.Country == "JP" {
		out.PostalCode = jpPostal(out.PostalCode)
	}
	return out
}

// jpPostal writes a Japanese postal code as NNN-NNNN when it has seven digits.
func jpPostal(s string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return -1
	}, s)
	if len(d) == 7 {
		return d[:3] + "-" + d[3:]
	}
	return s
}

var jst = time.FixedZone("JST", 9*3600)

// deliveryWindow maps a scheduled delivery window to a date and, when it is one of the slots
// Japanese carriers offer, a time slot.
func deliveryWindow(start, end string) order.DeliveryRequest {
	s, err := parseTime(start)
	if err != nil {
		return order.DeliveryRequest{}
	}
	s = s.In(jst)
	d := order.DeliveryRequest{Date: order.Date{Year: s.Year(), Month: s.Month(), Day: s.Day()}}
	e, err := parseTime(end)
	if err != nil {
		return d
	}
	e = e.In(jst)
	slot := order.TimeSlot(fmt.Sprintf("%02d%02d", s.Hour(), e.Hour()))
	if s.Hour() == 8 && e.Hour() == 12 {
		slot = order.SlotMorning
	}
	if slot.Valid() && s.Minute() == 0 && e.Minute() == 0 && e.After(s) && e.Sub(s) < 12*time.Hour {
		d.Slot = slot
	}
	return d
}

// ReadOrder reads one order by ID, as ListOrders would list it (with its address, read with a
// restricted data token). An AFN order is connector.ErrPermanent.
func (c *Client) ReadOrder(ctx context.Context, id string) (order.Order, error) {
	if id == "" || strings.ContainsAny(id, "/?#%") {
		return order.Order{}, fmt.Errorf("amazon: ReadOrder: %q is not an Amazon order ID: %w", truncate(id, 40), connector.ErrPermanent)
	}
	var out struct {
		Payload json.RawMessage `json:"payload"`
	}
	r := restricted{method: http.MethodGet, path: "/orders/v0/orders/{orderId}", elements: []string{"shippingAddress"}}
	if _, err := c.do(ctx, call{op: "getOrder", method: http.MethodGet, path: "/orders/v0/orders/" + id, rdt: &r}, &out); err != nil {
		return order.Order{}, err
	}
	o, skip, err := c.order(ctx, out.Payload)
	if err != nil {
		return o, err
	}
	if skip != "" {
		return o, fmt.Errorf("amazon: order %s: %s: %w", id, skip, connector.ErrPermanent)
	}
	return o, nil
}
