package shopify

import (
	"strings"

	"github.com/tobira-commerce/tobira/order"
)

// DeliveryKeys names the note attributes (customAttributes) a shop's checkout stores the
// requested delivery date and time slot in. Shops differ (each delivery-date app picks its own
// keys), so the host configures them per shop; keys are matched case-insensitively.
type DeliveryKeys struct {
	Date []string
	Slot []string
}

// DefaultDeliveryKeys are the keys popular Japanese delivery-date apps and themes use.
var DefaultDeliveryKeys = DeliveryKeys{
	Date: []string{"配送希望日", "お届け希望日", "配達希望日", "delivery_date", "Delivery Date", "delivery-date"},
	Slot: []string{"配送希望時間帯", "お届け希望時間帯", "配達希望時間帯", "配送時間帯", "delivery_time", "Delivery Time", "delivery-time"},
}

func (k DeliveryKeys) orDefault() DeliveryKeys {
	if len(k.Date) == 0 && len(k.Slot) == 0 {
		return DefaultDeliveryKeys
	}
	return k
}

type attribute struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// delivery reads the delivery request from note attributes. A value it cannot read is left
// out rather than guessed: the warehouse then ships without a slot, which the host can see.
func (k DeliveryKeys) delivery(attrs []attribute) order.DeliveryRequest {
	k = k.orDefault()
	var d order.DeliveryRequest
	for _, a := range attrs {
		if a.Value == nil {
			continue
		}
		v := strings.TrimSpace(*a.Value)
		switch {
		case matchKey(k.Date, a.Key) && d.Date.IsZero():
			if date, err := order.ParseDate(normalizeDigits(v)); err == nil && date.Valid() {
				d.Date = date
			}
		case matchKey(k.Slot, a.Key) && d.Slot == order.SlotNone:
			d.Slot = ParseSlot(v)
		}
	}
	return d
}

func matchKey(keys []string, k string) bool {
	for _, want := range keys {
		if strings.EqualFold(strings.TrimSpace(k), want) {
			return true
		}
	}
	return false
}

// normalizeDigits folds full-width digits and punctuation (２０２６／０７／０１) to ASCII.
func normalizeDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII block
			return r - 0xFEE0
		case r == 0x3000: // ideographic space
			return ' '
		case r == '〜':
			return '~'
		}
		return r
	}, s)
}

// ParseSlot reads a time slot as buyers and apps write it: "午前中", "午前", "AM", "14-16",
// "14時～16時", "14:00-16:00", "1416", full-width digits too. It returns order.SlotNone for
// "指定なし" and anything it cannot map to a slot carriers offer.
func ParseSlot(s string) order.TimeSlot {
	s = strings.TrimSpace(normalizeDigits(s))
	switch strings.ToLower(s) {
	case "", "指定なし", "なし", "none", "希望なし":
		return order.SlotNone
	case "午前中", "午前", "am", "morning", "午前中（8時～12時）", "8-12", "08-12":
		return order.SlotMorning
	}
	if strings.HasPrefix(s, "午前") {
		return order.SlotMorning
	}
	// Collect the hours: the first number of each group of digits, minutes dropped.
	var hours []int
	n, inNum, afterColon := 0, false, false
	flush := func() {
		if inNum && !afterColon {
			hours = append(hours, n)
		}
		n, inNum = 0, false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if n < 100000 { // longer numbers are not hours; stop before they overflow
				n = n*10 + int(r-'0')
			}
			inNum = true
		case r == ':':
			flush()
			afterColon = true
			continue
		default:
			flush()
		}
		if r < '0' || r > '9' {
			afterColon = false
		}
	}
	flush()
	if len(hours) == 1 && hours[0] >= 800 && hours[0] <= 2121 {
		// "1416": start and end run together.
		hours = []int{hours[0] / 100, hours[0] % 100}
	}
	if len(hours) != 2 {
		return order.SlotNone
	}
	slot := order.TimeSlot(twoDigits(hours[0]) + twoDigits(hours[1]))
	if hours[0] == 8 && hours[1] == 12 {
		return order.SlotMorning
	}
	if slot.Valid() {
		return slot
	}
	return order.SlotNone
}

func twoDigits(n int) string {
	if n < 0 || n > 99 {
		return "xx"
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
