package order_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/order"
)

func valid() order.Order {
	return order.Order{
		ID: "1001", Status: order.StatusOpen,
		Lines: []order.Line{
			{ID: "1", SKU: "SENCHA", Quantity: 2, UnitPrice: order.Yen(1200)},
			{ID: "2", SKU: "MATCHA", Quantity: 1, UnitPrice: order.Yen(2400)},
		},
		ShipTo:   order.Address{Name: "山田 花子", Phone: "090-1234-5678", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Date: order.Date{Year: 2026, Month: time.December, Day: 24}, Slot: order.Slot1416},
		Payment:  order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(5630)},
		Totals:   order.Totals{Subtotal: order.Yen(4800), Shipping: order.Yen(500), Fees: order.Yen(330), Total: order.Yen(5630), Tax: order.Yen(436), TaxIncluded: true},
	}
}

func TestValidateAcceptsAGoodOrder(t *testing.T) {
	o := valid()
	require.NoError(t, o.Validate())
}

func TestValidateNamesFieldAndProblem(t *testing.T) {
	cases := []struct {
		name, field string
		edit        func(o *order.Order)
	}{
		{"empty sku", "lines[0].sku", func(o *order.Order) { o.Lines[0].SKU = " " }},
		{"zero quantity", "lines[1].quantity", func(o *order.Order) { o.Lines[1].Quantity = 0 }},
		{"negative quantity", "lines[0].quantity", func(o *order.Order) { o.Lines[0].Quantity = -1 }},
		{"unknown currency", "lines[0].unit_price", func(o *order.Order) { o.Lines[0].UnitPrice.Currency = "XYZ" }},
		{"money does not add up", "totals.total", func(o *order.Order) { o.Totals.Total = order.Yen(9999) }},
		{"subtotal differs from lines", "totals.subtotal", func(o *order.Order) { o.Totals.Subtotal = order.Yen(4000) }},
		{"postal code", "ship_to.postal_code", func(o *order.Order) { o.ShipTo.PostalCode = "1500001" }},
		{"prefecture", "ship_to.prefecture", func(o *order.Order) { o.ShipTo.Prefecture = "東京" }},
		{"time slot", "delivery.slot", func(o *order.Order) { o.Delivery.Slot = "0911" }},
		{"date that does not exist", "delivery.date", func(o *order.Order) { o.Delivery.Date = order.Date{Year: 2026, Month: 2, Day: 30} }},
		{"cod without amount", "payment.collect_amount", func(o *order.Order) { o.Payment.CollectAmount = order.Money{} }},
		{"no lines", "lines", func(o *order.Order) { o.Lines = nil; o.Totals = order.Totals{} }},
		{"duplicate line", "lines[1].id", func(o *order.Order) { o.Lines[1].ID = "1" }},
		{"cancelled more than ordered", "lines[0].cancelled", func(o *order.Order) { o.Lines[0].Cancelled = 3 }},
		{"unknown status", "status", func(o *order.Order) { o.Status = "paid" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := valid()
			c.edit(&o)
			err := o.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, order.ErrInvalid)
			var fe *order.FieldError
			require.ErrorAs(t, err, &fe)
			require.Contains(t, err.Error(), c.field+":")
			require.NotContains(t, err.Error(), "神宮前", "errors carry no personal data")
			require.NotContains(t, err.Error(), "090-1234-5678")
		})
	}
}

func TestValidateForeignAddress(t *testing.T) {
	o := valid()
	o.ShipTo = order.Address{Name: "Jane Doe", Country: "US", PostalCode: "94103", Line1: "1 Market St"}
	require.NoError(t, o.Validate())
	o.ShipTo.Country = "USA"
	require.ErrorContains(t, o.Validate(), "ship_to.country")
}

func TestFingerprintCoversWhatTheWarehouseActsOn(t *testing.T) {
	base := valid()
	fp := base.Fingerprint()
	changes := map[string]func(o *order.Order){
		"quantity":   func(o *order.Order) { o.Lines[0].Quantity = 3 },
		"cancelled":  func(o *order.Order) { o.Lines[0].Cancelled = 1 },
		"sku":        func(o *order.Order) { o.Lines[0].SKU = "GYOKURO" },
		"new line":   func(o *order.Order) { o.Lines = append(o.Lines, order.Line{ID: "3", SKU: "CUP", Quantity: 1}) },
		"address":    func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" },
		"phone":      func(o *order.Order) { o.ShipTo.Phone = "03-0000-0000" },
		"date":       func(o *order.Order) { o.Delivery.Date.Day = 25 },
		"slot":       func(o *order.Order) { o.Delivery.Slot = order.SlotMorning },
		"gift":       func(o *order.Order) { o.Gift = &order.Gift{Noshi: "御歳暮"} },
		"cod amount": func(o *order.Order) { o.Payment.CollectAmount = order.Yen(6000) },
	}
	for name, edit := range changes {
		o := valid()
		edit(&o)
		require.NotEqual(t, fp, o.Fingerprint(), "a change of %s must reach the warehouse", name)
	}
	same := map[string]func(o *order.Order){
		"status":     func(o *order.Order) { o.ChannelStatus = "paid" },
		"price":      func(o *order.Order) { o.Lines[0].UnitPrice = order.Yen(1); o.Totals = order.Totals{} },
		"name":       func(o *order.Order) { o.Lines[0].Name = "煎茶 100g" },
		"updated":    func(o *order.Order) { o.UpdatedAt = time.Now() },
		"refs":       func(o *order.Order) { o.Refs = map[string]string{"x": "y"} },
		"line order": func(o *order.Order) { o.Lines[0], o.Lines[1] = o.Lines[1], o.Lines[0] },
	}
	for name, edit := range same {
		o := valid()
		edit(&o)
		require.Equal(t, fp, o.Fingerprint(), "a change of %s is nothing the warehouse acts on", name)
	}
}

func TestAddressNeverLogsPersonalData(t *testing.T) {
	o := valid()
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("order", "order", o, "addr", o.ShipTo)
	out := b.String() + fmt.Sprint(o.ShipTo) + fmt.Sprintf("%v", o.ShipTo)
	for _, secret := range []string{"山田", "090-1234-5678", "神宮前", "150-0001"} {
		require.NotContains(t, out, secret)
	}
}

func TestMoneyAndDates(t *testing.T) {
	require.Equal(t, "JPY 1200", order.Yen(1200).String())
	require.Equal(t, "USD 12.05", order.Money{Amount: 1205, Currency: "USD"}.String())
	require.Equal(t, "USD -0.50", order.Money{Amount: -50, Currency: "USD"}.String())
	d, err := order.ParseDate("2026/12/24")
	require.NoError(t, err)
	require.Equal(t, "2026-12-24", d.String())
	_, err = order.ParseDate("24.12.2026")
	require.Error(t, err)
	require.False(t, errors.Is(err, order.ErrInvalid))
}

func FuzzValidate(f *testing.F) {
	f.Add("1001", "SKU", 1, 0, "150-0001", "1416", int64(100))
	f.Add("", "", -5, 9, "abc", "zz", int64(-1))
	f.Fuzz(func(t *testing.T, id, sku string, qty, cancelled int, postal, slot string, price int64) {
		o := order.Order{ID: id, Status: order.StatusOpen, Lines: []order.Line{{ID: "1", SKU: sku, Quantity: qty, Cancelled: cancelled, UnitPrice: order.Yen(price)}},
			ShipTo: order.Address{Name: "x", Line1: "y", PostalCode: postal}, Delivery: order.DeliveryRequest{Slot: order.TimeSlot(slot)}}
		_ = o.Validate()
		_ = o.Fingerprint()
	})
}

func TestValidateNegativeQuantityIsOneError(t *testing.T) {
	o := valid()
	o.Lines[0].Quantity = -2
	err := o.Validate()
	require.ErrorContains(t, err, "lines[0].quantity:")
	require.NotContains(t, err.Error(), "cancelled", "no second error about cancelled units")
}
