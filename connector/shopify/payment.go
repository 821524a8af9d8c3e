package shopify

import (
	"fmt"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// DefaultCODGateways are the payment gateway names Japanese shops use for cash on delivery: the
// manual payment method as Shopify's Japanese admin names it (代金引換) and as merchants often
// rename it (代引き, 代金引換え …, carriers' services such as e-コレクト and 宅急便コレクト), and
// Shopify's English name for it.
var DefaultCODGateways = []string{
	"代金引換", "代金引換え", "代金引き換え", "代引き", "代引", "代引き決済", "代金引換決済",
	"e-コレクト", "宅急便コレクト", "ヤマト代引き", "佐川代引き",
	"Cash on Delivery (COD)", "Cash on Delivery", "COD", "cash_on_delivery",
}

// isCOD reports whether any of the order's gateways is cash on delivery.
func (c *Client) isCOD(gateways []string) bool {
	for _, g := range gateways {
		if matchKey(c.cfg.CODGateways, g) {
			return true
		}
	}
	return false
}

// payment is how the order is paid. For cash on delivery the carrier collects what Shopify
// still has outstanding (the total less what was paid otherwise, a gift card for instance);
// nothing outstanding means the merchant marked the order paid and nothing is collected.
func (c *Client) payment(g *gqlOrder) (order.Payment, error) {
	if !c.isCOD(g.PaymentGatewayNames) {
		return order.Payment{Method: order.PaymentPrepaid}, nil
	}
	if g.TotalOutstandingSet == nil {
		return order.Payment{}, fmt.Errorf("shopify: cash-on-delivery order without an outstanding amount: %w", connector.ErrPermanent)
	}
	due, err := g.TotalOutstandingSet.money()
	if err != nil {
		return order.Payment{}, fmt.Errorf("shopify: cash-on-delivery amount: %w", err)
	}
	if due.Amount <= 0 {
		return order.Payment{Method: order.PaymentPrepaid}, nil
	}
	return order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: due}, nil
}

// totals maps Shopify's money figures onto order.Totals. Subtotal is the lines' sum before
// discounts (what Validate checks the lines against); whatever Shopify's total holds beyond
// lines, shipping, tax and discounts (duties, additional fees such as a 代引き手数料 charged as
// one, tips) is Fees. Figures that are missing, unreadable or that leave Fees negative give no
// totals rather than a rejected order: the warehouse ships without them.
func totals(g *gqlOrder, lines []order.Line) order.Totals {
	if g.TotalPriceSet == nil {
		return order.Totals{}
	}
	total, err := g.TotalPriceSet.money()
	if err != nil {
		return order.Totals{}
	}
	get := func(m *gqlMoney) (order.Money, bool) {
		if m == nil {
			return order.Money{Amount: 0, Currency: total.Currency}, true
		}
		v, err := m.money()
		return v, err == nil && v.Currency == total.Currency
	}
	shipping, ok1 := get(g.TotalShippingPriceSet)
	tax, ok2 := get(g.TotalTaxSet)
	discount, ok3 := get(g.TotalDiscountsSet)
	if !ok1 || !ok2 || !ok3 {
		return order.Totals{}
	}
	var sum int64
	for _, l := range lines {
		if l.UnitPrice.Currency != total.Currency {
			return order.Totals{}
		}
		sum += l.UnitPrice.Amount * int64(l.Quantity)
	}
	t := order.Totals{
		Subtotal: order.Money{Amount: sum, Currency: total.Currency}, Shipping: given(shipping), Tax: given(tax),
		TaxIncluded: g.TaxesIncluded, Discount: given(discount), Total: total,
	}
	fees := total.Amount - (sum + shipping.Amount - discount.Amount)
	if !g.TaxesIncluded {
		fees -= tax.Amount
	}
	if fees < 0 {
		return order.Totals{}
	}
	if fees > 0 {
		t.Fees = order.Money{Amount: fees, Currency: total.Currency}
	}
	return t
}

// given leaves a zero figure out, as order.Totals writes "none".
func given(m order.Money) order.Money {
	if m.Amount == 0 {
		return order.Money{}
	}
	return m
}

func (m *gqlMoney) money() (order.Money, error) {
	return parseMoney(strings.TrimSpace(m.ShopMoney.Amount), m.ShopMoney.CurrencyCode)
}
