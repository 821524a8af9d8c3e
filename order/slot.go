package order

import "strings"

// FoldWidth folds full-width digits, letters and punctuation (２０２６／０７／０１, ＡＭ) to
// ASCII, the ideographic space to a space and 〜 to ~, as Japanese buyers and shop apps type
// them: connectors fold before they parse dates, slots and postal codes.
func FoldWidth(s string) string {
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

// ParseSlot reads a time slot as buyers, shop apps and plugins write it: "午前中", "午前", "AM",
// "14-16", "14時～16時", "14:00-16:00", "1416", full-width digits too. It returns SlotNone for
// "指定なし" and anything it cannot map to a slot carriers offer, so its answer is always Valid.
func ParseSlot(s string) TimeSlot {
	s = strings.TrimSpace(FoldWidth(s))
	switch strings.ToLower(s) {
	case "", "指定なし", "なし", "none", "希望なし":
		return SlotNone
	case "午前中", "午前", "am", "morning":
		return SlotMorning
	}
	if strings.HasPrefix(s, "午前") {
		return SlotMorning
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
		return SlotNone
	}
	if hours[0] == 8 && hours[1] == 12 {
		return SlotMorning
	}
	if slot := TimeSlot(twoDigits(hours[0]) + twoDigits(hours[1])); slot.Valid() {
		return slot
	}
	return SlotNone
}

func twoDigits(n int) string {
	if n < 0 || n > 99 {
		return "xx"
	}
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}
