package order

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
)

// Fingerprint is a digest of exactly the fields a warehouse acts on: the lines (SKU and open
// quantity), the address, the delivery request, the gift and the cash-on-delivery amount. A change
// the warehouse must hear about changes it; a change it need not (status words, prices, names of
// products, timestamps, refs) does not. Line order does not matter.
func (o *Order) Fingerprint() string {
	h := sha256.New()
	writeLines(h, o.Lines)
	o.writeShipping(h)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ShippingFingerprint is the Fingerprint without the lines: two orders with equal shipping
// fingerprints differ, if at all, only in what they contain. The engine uses it to tell a
// partial cancellation (fewer units, same parcel) from a change.
func (o *Order) ShippingFingerprint() string {
	h := sha256.New()
	o.writeShipping(h)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func writeLines(h hash.Hash, lines []Line) {
	type key struct {
		id, sku string
		n       int
	}
	ks := make([]key, 0, len(lines))
	for _, l := range lines {
		if n := l.Open(); n > 0 {
			ks = append(ks, key{l.ID, l.SKU, n})
		}
	}
	slices.SortFunc(ks, func(a, b key) int {
		if a.id < b.id {
			return -1
		} else if a.id > b.id {
			return 1
		}
		return 0
	})
	writeField(h, "lines", strconv.Itoa(len(ks)))
	for _, k := range ks {
		writeField(h, k.id, k.sku, strconv.Itoa(k.n))
	}
}

func (o *Order) writeShipping(h hash.Hash) {
	a := o.ShipTo
	writeField(h, "ship_to", a.Name, a.Company, a.Phone, a.country(), a.PostalCode, a.Prefecture, a.City, a.Line1, a.Line2)
	writeField(h, "delivery", o.Delivery.Date.String(), string(o.Delivery.Slot))
	if g := o.Gift; g != nil {
		writeField(h, "gift", strconv.FormatBool(g.Wrapping), g.Noshi, g.Message)
	}
	if o.Payment.Method == PaymentCashOnDelivery {
		writeField(h, "cod", o.Payment.CollectAmount.Currency, strconv.FormatInt(o.Payment.CollectAmount.Amount, 10))
	}
}

// writeField writes length-prefixed strings so no two different field lists hash alike.
func writeField(h hash.Hash, parts ...string) {
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
}
