package order

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"
)

// ErrInvalid is matched (with errors.Is) by every validation error.
var ErrInvalid = errors.New("invalid order")

// FieldError says which field of an order is wrong and why. Field is a path such as
// "lines[2].quantity"; Problem never contains the field's value, which may be personal data.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return "order: " + e.Field + ": " + e.Problem }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// blank reports whether s is empty or only white space: strings.TrimSpace(s) == "", without
// trimming both ends of a string that starts with a letter, as nearly every field does.
func blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// jpPostal reports whether s is NNN-NNNN.
func jpPostal(s string) bool {
	if len(s) != 8 || s[3] != '-' {
		return false
	}
	for i := range len(s) {
		if i != 3 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// Validate checks the order and returns every problem found, joined; each is a *FieldError.
// It returns nil for an order the engine can send to a warehouse.
func (o *Order) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if blank(o.ID) {
		bad("id", "is empty")
	}
	switch o.Status {
	case StatusPending, StatusOpen, StatusCancelled, StatusClosed:
	default:
		bad("status", "unknown status %q", string(o.Status))
	}
	if len(o.Lines) == 0 {
		bad("lines", "order has no lines")
	}
	seen := make(map[string]bool, len(o.Lines))
	var currency string
	var subtotal int64
	for i, l := range o.Lines {
		// The field's path is built only for a problem: valid orders, the common case, cost no
		// allocation for it.
		f := func() string { return "lines[" + strconv.Itoa(i) + "]" }
		if l.ID == "" {
			bad(f()+".id", "is empty")
		} else if seen[l.ID] {
			bad(f()+".id", "duplicate line id %q", l.ID)
		}
		seen[l.ID] = true
		if blank(l.SKU) {
			bad(f()+".sku", "is empty")
		}
		if l.Quantity <= 0 {
			// One error: the cancelled units are measured against a quantity that means nothing.
			bad(f()+".quantity", "must be positive, got %d", l.Quantity)
		} else if l.Cancelled < 0 || l.Cancelled > l.Quantity {
			bad(f()+".cancelled", "must be between 0 and quantity %d, got %d", l.Quantity, l.Cancelled)
		}
		if !l.UnitPrice.IsZero() {
			if _, ok := currencyDigits[l.UnitPrice.Currency]; !ok {
				checkMoney(f()+".unit_price", l.UnitPrice, bad) // reports the unknown currency
			}
			if l.UnitPrice.Amount < 0 {
				bad(f()+".unit_price", "is negative")
			}
			if currency == "" {
				currency = l.UnitPrice.Currency
			} else if l.UnitPrice.Currency != currency {
				bad(f()+".unit_price", "currency %s differs from %s", l.UnitPrice.Currency, currency)
			}
			subtotal += l.UnitPrice.Amount * int64(l.Quantity)
		}
	}
	o.ShipTo.validate("ship_to", bad)
	if !o.Delivery.Date.IsZero() && !o.Delivery.Date.Valid() {
		bad("delivery.date", "%s does not exist", o.Delivery.Date)
	}
	if !o.Delivery.Slot.Valid() {
		bad("delivery.slot", "unknown time slot %q", string(o.Delivery.Slot))
	}
	switch o.Payment.Method {
	case "", PaymentPrepaid:
		if !o.Payment.CollectAmount.IsZero() {
			bad("payment.collect_amount", "set for a payment that is not cash on delivery")
		}
	case PaymentCashOnDelivery:
		checkMoney("payment.collect_amount", o.Payment.CollectAmount, bad)
		if o.Payment.CollectAmount.Amount <= 0 {
			bad("payment.collect_amount", "cash on delivery needs a positive amount")
		}
	default:
		bad("payment.method", "unknown method %q", string(o.Payment.Method))
	}
	o.Totals.validate(subtotal, currency, bad)
	return errors.Join(errs...)
}

func checkMoney(field string, m Money, bad func(string, string, ...any)) {
	if _, ok := currencyDigits[m.Currency]; !ok {
		bad(field, "unknown currency %q", m.Currency)
	}
}

func (t Totals) validate(lineSum int64, currency string, bad func(string, string, ...any)) {
	if t.Total.IsZero() {
		return
	}
	parts := []struct {
		name string
		m    Money
	}{{"subtotal", t.Subtotal}, {"shipping", t.Shipping}, {"fees", t.Fees}, {"tax", t.Tax}, {"discount", t.Discount}, {"total", t.Total}}
	for _, p := range parts {
		if p.m.IsZero() {
			continue
		}
		checkMoney("totals."+p.name, p.m, bad)
		if currency == "" {
			currency = p.m.Currency
		}
		if p.m.Currency != currency {
			bad("totals."+p.name, "currency %s differs from %s", p.m.Currency, currency)
			return
		}
	}
	if lineSum != 0 && t.Subtotal.Amount != lineSum {
		bad("totals.subtotal", "is %d but the lines add up to %d", t.Subtotal.Amount, lineSum)
	}
	want := t.Subtotal.Amount + t.Shipping.Amount + t.Fees.Amount - t.Discount.Amount
	if !t.TaxIncluded {
		want += t.Tax.Amount
	}
	if t.Total.Amount != want {
		bad("totals.total", "is %d but subtotal, shipping, fees, tax and discount add up to %d", t.Total.Amount, want)
	}
}

func (a Address) validate(f string, bad func(string, string, ...any)) {
	if blank(a.Name) {
		bad(f+".name", "is empty")
	}
	if blank(a.Line1) {
		bad(f+".line1", "is empty")
	}
	if a.country() != "JP" {
		if len(a.country()) != 2 {
			bad(f+".country", "is not an ISO 3166-1 alpha-2 code")
		}
		return
	}
	if !jpPostal(a.PostalCode) {
		bad(f+".postal_code", "is not NNN-NNNN")
	}
	if a.Prefecture != "" && !isPrefecture(a.Prefecture) {
		bad(f+".prefecture", "is not one of the 47 prefectures")
	}
}
