package rakuten

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// slotOf maps RMS's shippingTerm (お届け時間帯) to a carrier slot. A request no carrier slot
// expresses comes back as a label for people instead.
func slotOf(term int) (order.TimeSlot, string) {
	switch {
	case term == 0:
		return order.SlotNone, ""
	case term == 1:
		return order.SlotMorning, ""
	case term == 2:
		return order.SlotNone, "午後"
	case term == 9:
		return order.SlotNone, "その他"
	case term >= 100 && term <= 2424:
		from, to := term/100, term%100
		if from >= to || to > 24 {
			return order.SlotNone, fmt.Sprintf("shippingTerm %d", term)
		}
		if s := order.TimeSlot(fmt.Sprintf("%02d%02d", from, to)); s.Valid() {
			return s, ""
		}
		return order.SlotNone, fmt.Sprintf("%d時-%d時", from, to)
	}
	return order.SlotNone, fmt.Sprintf("shippingTerm %d", term)
}

// delivery reads the delivery request: deliveryDate and shippingTerm, then (ParseRemarks) the
// remarks. problem is set for a field RMS filled with something unreadable.
func (c *Client) delivery(ctx context.Context, m orderModel, refs map[string]string) (d order.DeliveryRequest, problem string) {
	if m.DeliveryDate != nil && strings.TrimSpace(*m.DeliveryDate) != "" {
		date, err := order.ParseDate(strings.TrimSpace(*m.DeliveryDate))
		if err != nil || !date.Valid() {
			return d, "unreadable deliveryDate"
		}
		d.Date = date
	}
	unmapped := ""
	if m.ShippingTerm != nil && *m.ShippingTerm != 0 {
		refs[RefShippingTerm] = strconv.Itoa(*m.ShippingTerm)
		d.Slot, unmapped = slotOf(*m.ShippingTerm)
		if unmapped != "" {
			refs[RefUnmappedSlot] = unmapped
		}
	}
	if !c.cfg.ParseRemarks || m.Remarks == nil || (!d.Date.IsZero() && (d.Slot != order.SlotNone || unmapped != "")) {
		return d, ""
	}
	date, slot, asked, parsed := parseRemarks(*m.Remarks)
	if d.Date.IsZero() && !date.IsZero() {
		d.Date = date
	}
	if d.Slot == order.SlotNone && unmapped == "" && slot != order.SlotNone {
		d.Slot = slot
	}
	if asked && !parsed {
		refs[RefRemarks] = *m.Remarks
		c.log.WarnContext(ctx, "rakuten: the remarks hold a delivery request that could not be parsed; kept in the order's refs", "order", safeCode(m.OrderNumber))
	}
	return d, ""
}

var (
	remarksAsk   = regexp.MustCompile(`配送日|配達日|お届け|届け日|時間帯|日時指定|着日`)
	remarksDate  = regexp.MustCompile(`(20\d\d)\s*[-/年]\s*(\d{1,2})\s*[-/月]\s*(\d{1,2})`)
	remarksRange = regexp.MustCompile(`(\d{1,2})\s*(?:[:：]\s*00)?\s*時?\s*[~～〜\-ー－]\s*(\d{1,2})\s*(?:[:：]\s*00)?\s*時?`)
)

// parseRemarks finds a delivery request in free text: asked says the text speaks of one,
// parsed that a date or a slot was read from it.
func parseRemarks(s string) (date order.Date, slot order.TimeSlot, asked, parsed bool) {
	if len(s) > 4096 {
		s = s[:4096]
	}
	asked = remarksAsk.MatchString(s)
	if m := remarksDate.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		dd, _ := strconv.Atoi(m[3])
		if d := (order.Date{Year: y, Month: timeMonth(mo), Day: dd}); d.Valid() && mo >= 1 && mo <= 12 {
			date, parsed = d, true
		}
	}
	if strings.Contains(s, "午前中") {
		slot, parsed = order.SlotMorning, true
	} else {
		// Dates look like ranges ("11-12"): look for a slot where they are not.
		for _, m := range remarksRange.FindAllStringSubmatch(remarksDate.ReplaceAllString(s, " "), 8) {
			from, _ := strconv.Atoi(m[1])
			to, _ := strconv.Atoi(m[2])
			if ts := order.TimeSlot(fmt.Sprintf("%02d%02d", from, to)); from < to && ts.Valid() {
				slot, parsed = ts, true
				break
			}
		}
	}
	return date, slot, asked, parsed
}

// carrierCodes maps Tobira's carriers to RMS's deliveryCompany codes.
var carrierCodes = map[shipment.Carrier]string{
	shipment.CarrierOther: "1000",
	shipment.Yamato:       "1001",
	shipment.Sagawa:       "1002",
	shipment.JapanPost:    "1003",
	shipment.Seino:        "1004",
	shipment.Fukuyama:     "1006",
	shipment.Ecohai:       "1016",
	shipment.EMS:          "1017",
	shipment.DHL:          "1018",
	shipment.FedEx:        "1019",
	shipment.UPS:          "1020",
	shipment.USPS:         "1024",
}

// CarrierCode returns RMS's deliveryCompany code for a carrier; unknown carriers are 1000 (その他).
func CarrierCode(c shipment.Carrier) string {
	if code, ok := carrierCodes[c]; ok {
		return code
	}
	return "1000"
}

func timeMonth(m int) time.Month { return time.Month(m) }
