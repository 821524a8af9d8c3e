package amazon_test

import (
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/order"
)

// TestMappingTable checks single fields of the order mapping on hand-written Orders v0 JSON.
func TestMappingTable(t *testing.T) {
	base := func(extra string) string {
		return `{"AmazonOrderId":"503-1","PurchaseDate":"2026-12-01T00:00:00Z","LastUpdateDate":"2026-12-01T01:00:00Z","OrderStatus":"Unshipped",` +
			`"FulfillmentChannel":"MFN","OrderTotal":{"CurrencyCode":"JPY","Amount":"2000"},` +
			`"ShippingAddress":{"Name":"山田","AddressLine1":"神宮前1","PostalCode":"１５００００１","StateOrRegion":"東京都","CountryCode":"JP"}` + extra + `}`
	}
	item := func(extra string) string {
		return `[{"OrderItemId":"1","SellerSKU":"A","QuantityOrdered":2,"ItemPrice":{"CurrencyCode":"JPY","Amount":"2000.00"}` + extra + `}]`
	}
	cases := []struct {
		name, order, items string
		check              func(o order.Order) string
	}{
		{"CVS is prepaid", base(`,"PaymentMethod":"CVS"`), item(""), func(o order.Order) string {
			if o.Payment.Method != order.PaymentPrepaid || !o.Payment.CollectAmount.IsZero() {
				return "payment " + string(o.Payment.Method)
			}
			return ""
		}},
		{"COD collects the total", base(`,"PaymentMethod":"COD"`), item(""), func(o order.Order) string {
			if o.Payment.CollectAmount != order.Yen(2000) {
				return "collect " + o.Payment.CollectAmount.String()
			}
			return ""
		}},
		{"full-width postal code", base(""), item(""), func(o order.Order) string {
			if o.ShipTo.PostalCode != "150-0001" {
				return o.ShipTo.PostalCode
			}
			return ""
		}},
		{"morning slot", base(""), item(`,"ScheduledDeliveryStartDate":"2026-12-24T23:00:00Z","ScheduledDeliveryEndDate":"2026-12-25T03:00:00Z"`), func(o order.Order) string {
			if o.Delivery.Slot != order.SlotMorning || o.Delivery.Date != (order.Date{Year: 2026, Month: 12, Day: 25}) {
				return "delivery " + o.Delivery.Date.String() + " " + string(o.Delivery.Slot)
			}
			return ""
		}},
		{"an odd window has a date and no slot", base(""), item(`,"ScheduledDeliveryStartDate":"2026-12-24T01:30:00Z","ScheduledDeliveryEndDate":"2026-12-24T04:00:00Z"`), func(o order.Order) string {
			if o.Delivery.Slot != "" || o.Delivery.Date.Day != 24 {
				return "delivery " + o.Delivery.Date.String() + " " + string(o.Delivery.Slot)
			}
			return ""
		}},
		{"partial buyer cancel", base(""), `[{"OrderItemId":"1","SellerSKU":"A","QuantityOrdered":2,"QuantityShipped":0,"BuyerRequestedCancel":{"IsBuyerRequestedCancel":"true","BuyerCancelReason":"NoLongerNeeded"}},{"OrderItemId":"2","SellerSKU":"B","QuantityOrdered":1}]`, func(o order.Order) string {
			if o.Status != order.StatusOpen || o.Lines[0].Cancelled != 2 || o.Lines[1].Cancelled != 0 || o.Lines[0].Refs[amazon.RefBuyerCancelReason] != "NoLongerNeeded" {
				return "lines " + o.Lines[0].SKU
			}
			return ""
		}},
		{"cancelled without an address", `{"AmazonOrderId":"503-2","PurchaseDate":"2026-12-01T00:00:00Z","LastUpdateDate":"2026-12-01T01:00:00Z","OrderStatus":"Canceled","FulfillmentChannel":"MFN"}`, item(""), func(o order.Order) string {
			if o.Status != order.StatusCancelled || o.ShipTo != amazon.CancelledRecipient || o.Validate() != nil {
				return "cancelled " + string(o.Status)
			}
			return ""
		}},
		{"totals that do not add up stay in Refs", base(""), item(`,"ShippingPrice":{"CurrencyCode":"JPY","Amount":"500"}`), func(o order.Order) string {
			if !o.Totals.Total.IsZero() || o.Refs[amazon.RefOrderTotal] == "" {
				return "totals " + o.Totals.Total.String()
			}
			return ""
		}},
	}
	for _, c := range cases {
		o, err := amazon.MapOrderJSON([]byte(c.order), []byte(c.items))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if msg := c.check(o); msg != "" {
			t.Errorf("%s: %s", c.name, msg)
		}
	}
	// A bad amount is a permanent error naming the field, not the value.
	_, err := amazon.MapOrderJSON([]byte(base("")), []byte(item(`,"ItemTax":{"CurrencyCode":"JPY","Amount":"1.5"}`)))
	if err == nil || !strings.Contains(err.Error(), "money") || strings.Contains(err.Error(), "1.5") {
		t.Errorf("a yen amount with decimals gave %v", err)
	}
}
