package woocommerce

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/order"
)

// MetaKeys names the order meta_data keys that hold the buyer's requested delivery date, time
// slot and のし. Shops differ (each delivery-date plugin picks its own keys, and a checkout
// field plugin takes whatever the merchant typed), so the host configures them per shop; keys
// are matched exactly, and the first key of a list that holds a readable value wins.
type MetaKeys struct {
	// Date keys hold a date: "2026-07-01", "2026/07/01", full-width digits, or a Unix
	// timestamp (read as a day in Config.Location).
	Date []string
	// Slot keys hold a time slot: "午前中", "14-16", "14:00-16:00", "14時～16時", or an object
	// {"time_from": "14:00", "time_to": "16:00"}.
	Slot []string
	// Noshi keys hold the のし type and inscription ("御歳暮").
	Noshi []string
}

// DefaultMetaKeys are the keys the popular delivery-date plugins write, each confirmed in the
// plugin's own code and in public code of others that read it:
//
//   - Japanized for WooCommerce (woocommerce-for-japan, Artisan Workshop), the usual Japanese
//     plugin: wc4jp-delivery-date ("2026-05-10", or "2026/05/10" per its date-format setting)
//     and wc4jp-delivery-time-zone (the slot as the shop labels it, "14:00-16:00").
//   - WooCommerce Order Delivery (Themesquad, sold on woocommerce.com): _delivery_date
//     (YYYY-MM-DD) and _delivery_time_frame ({"time_from", "time_to"}).
//   - Order Delivery Date for WooCommerce (Tyche Softwares, Pro and Lite): _orddd_timestamp and
//     _orddd_lite_timestamp (Unix seconds). Its time-slot key was not confirmed in two sources
//     and is left out; add it to Slot if a shop uses it.
//
// Noshi lists 熨斗タイプ and のし, which Japanese shops' checkout fields commonly use.
var DefaultMetaKeys = MetaKeys{
	Date:  []string{"wc4jp-delivery-date", "_delivery_date", "_orddd_timestamp", "_orddd_lite_timestamp"},
	Slot:  []string{"wc4jp-delivery-time-zone", "_delivery_time_frame"},
	Noshi: []string{"熨斗タイプ", "のし"},
}

func (k MetaKeys) orDefault() MetaKeys {
	if len(k.Date) == 0 && len(k.Slot) == 0 && len(k.Noshi) == 0 {
		return DefaultMetaKeys
	}
	return k
}

// read takes the delivery request and gift from meta_data. A value it cannot read is left out
// rather than guessed: the warehouse then ships without it, which the host can see.
func (k MetaKeys) read(meta []wcMeta, loc *time.Location) (order.DeliveryRequest, *order.Gift) {
	k = k.orDefault()
	var d order.DeliveryRequest
	var gift *order.Gift
	find := func(keys []string, f func(json.RawMessage) bool) {
		for _, key := range keys {
			for _, m := range meta {
				if m.Key == key && f(m.Value) {
					return
				}
			}
		}
	}
	find(k.Date, func(v json.RawMessage) bool {
		date, ok := parseMetaDate(v, loc)
		if ok {
			d.Date = date
		}
		return ok
	})
	find(k.Slot, func(v json.RawMessage) bool {
		d.Slot = parseMetaSlot(v)
		return d.Slot != order.SlotNone
	})
	find(k.Noshi, func(v json.RawMessage) bool {
		s, ok := metaString(v)
		s = strings.TrimSpace(s)
		if !ok || s == "" || s == "なし" || s == "不要" {
			return false
		}
		gift = &order.Gift{Noshi: s}
		return true
	})
	return d, gift
}

// metaString reads a meta value that is a string or a number.
func metaString(v json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String(), true
	}
	return "", false
}

func parseMetaDate(v json.RawMessage, loc *time.Location) (order.Date, bool) {
	s, ok := metaString(v)
	if !ok {
		return order.Date{}, false
	}
	s = strings.TrimSpace(order.FoldWidth(s))
	if len(s) >= 9 && len(s) <= 11 && strings.Trim(s, "0123456789") == "" {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return order.Date{}, false
		}
		t := time.Unix(secs, 0).In(loc)
		return order.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, true
	}
	s = strings.NewReplacer("年", "-", "月", "-", "日", "").Replace(s)
	if i := strings.IndexAny(s, " (（"); i > 0 {
		s = s[:i] // "2026/07/01 (水)"
	}
	y, rest, ok1 := strings.Cut(strings.ReplaceAll(s, "/", "-"), "-")
	m, dd, ok2 := strings.Cut(rest, "-")
	if !ok1 || !ok2 {
		return order.Date{}, false
	}
	yi, e1 := strconv.Atoi(y)
	mi, e2 := strconv.Atoi(m)
	di, e3 := strconv.Atoi(dd)
	if e1 != nil || e2 != nil || e3 != nil || yi < 2000 || yi > 2200 || mi < 1 || mi > 12 {
		return order.Date{}, false
	}
	date := order.Date{Year: yi, Month: time.Month(mi), Day: di}
	return date, date.Valid()
}

func parseMetaSlot(v json.RawMessage) order.TimeSlot {
	var frame struct {
		From string `json:"time_from"`
		To   string `json:"time_to"`
	}
	if len(v) > 0 && v[0] == '{' {
		if json.Unmarshal(v, &frame) != nil || frame.From == "" {
			return order.SlotNone
		}
		return order.ParseSlot(frame.From + "-" + frame.To)
	}
	s, ok := metaString(v)
	if !ok {
		return order.SlotNone
	}
	return order.ParseSlot(s)
}
