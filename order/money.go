package order

import (
	"fmt"
	"strconv"
)

// Money is an amount in the currency's minor unit (yen for JPY, cents for USD) and an ISO 4217
// currency code. Integer minor units keep sums exact; the zero value means "not given".
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
}

// Yen returns an amount in Japanese yen, which has no minor unit.
func Yen(amount int64) Money { return Money{Amount: amount, Currency: "JPY"} }

// IsZero reports whether m is the zero value (no amount, no currency).
func (m Money) IsZero() bool { return m.Amount == 0 && m.Currency == "" }

// String formats m for people, for example "JPY 1200" or "USD 12.34".
func (m Money) String() string {
	digits, ok := currencyDigits[m.Currency]
	if !ok || digits == 0 {
		return m.Currency + " " + strconv.FormatInt(m.Amount, 10)
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	sign, a := "", m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s %s%d.%0*d", m.Currency, sign, a/unit, digits, a%unit)
}

// MinorUnits returns the number of decimal digits of an ISO 4217 currency's minor unit and whether
// the currency is known.
func MinorUnits(currency string) (int, bool) {
	d, ok := currencyDigits[currency]
	return d, ok
}

// currencyDigits lists the ISO 4217 currencies merchants on our channels sell in, with the digits
// of their minor unit. A currency missing here fails validation rather than being guessed.
var currencyDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "TWD": 2,
	"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "NZD": 2, "CHF": 2, "CNY": 2, "HKD": 2,
	"SGD": 2, "THB": 2, "MYR": 2, "PHP": 2, "IDR": 2, "INR": 2, "SEK": 2, "NOK": 2, "DKK": 2,
	"PLN": 2, "CZK": 2, "HUF": 2, "MXN": 2, "BRL": 2, "ZAR": 2, "AED": 2, "SAR": 2, "ILS": 2,
	"TRY": 2, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3,
}
