package order

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Fingerprint is a digest of exactly the fields a warehouse acts on: the lines (SKU and open
// quantity), the address, the delivery request, the gift and the cash-on-delivery amount. A change
// the warehouse must hear about changes it; a change it need not (status words, prices, names of
// products, timestamps, refs) does not. Line order does not matter.
func (o *Order) Fingerprint() string {
	var buf [2 * digestSize]byte
	return string(o.AppendFingerprint(buf[:0]))
}

// AppendFingerprint appends o.Fingerprint() to b. A caller that only compares fingerprints
// (most orders a listing returns are unchanged) can keep them on its stack.
func (o *Order) AppendFingerprint(b []byte) []byte {
	var buf [512]byte
	data := appendLines(buf[:0], o.Lines)
	data = o.appendShipping(data)
	return appendDigest(b, data)
}

// ShippingFingerprint is the Fingerprint without the lines: two orders with equal shipping
// fingerprints differ, if at all, only in what they contain. The engine uses it to tell a
// partial cancellation (fewer units, same parcel) from a change.
func (o *Order) ShippingFingerprint() string {
	var buf [512]byte
	return digest(o.appendShipping(buf[:0]))
}

// digestSize is how many bytes of the SHA-256 a fingerprint keeps: 128 bits, so that two
// contents colliding (a change taken for no change) is out of reach.
const digestSize = 16

func digest(b []byte) string {
	var buf [2 * digestSize]byte
	return string(appendDigest(buf[:0], b))
}

func appendDigest(dst, data []byte) []byte {
	sum := sha256.Sum256(data)
	return hex.AppendEncode(dst, sum[:digestSize])
}

func appendLines(b []byte, lines []Line) []byte {
	open := 0
	sorted := slices.IsSortedFunc(lines, func(a, b Line) int { return strings.Compare(a.ID, b.ID) })
	if !sorted {
		lines = slices.SortedFunc(slices.Values(lines), func(a, b Line) int { return strings.Compare(a.ID, b.ID) })
	}
	for _, l := range lines {
		if l.Open() > 0 {
			open++
		}
	}
	b = appendField(b, "lines", strconv.Itoa(open))
	for _, l := range lines {
		if n := l.Open(); n > 0 {
			b = appendField(b, l.ID, l.SKU, strconv.Itoa(n))
		}
	}
	return b
}

func (o *Order) appendShipping(b []byte) []byte {
	a := o.ShipTo
	b = appendField(b, "ship_to", a.Name, a.Company, a.Phone, a.country(), a.PostalCode, a.Prefecture, a.City, a.Line1, a.Line2)
	b = appendField(b, "delivery", o.Delivery.Date.String(), string(o.Delivery.Slot))
	if g := o.Gift; g != nil {
		b = appendField(b, "gift", strconv.FormatBool(g.Wrapping), g.Noshi, g.Message)
	}
	if o.Payment.Method == PaymentCashOnDelivery {
		b = appendField(b, "cod", o.Payment.CollectAmount.Currency, strconv.FormatInt(o.Payment.CollectAmount.Amount, 10))
	}
	return b
}

// appendField appends length-prefixed strings so no two different field lists encode alike.
func appendField(b []byte, parts ...string) []byte {
	for _, p := range parts {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}
