package csvfile

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"

	"github.com/tobira-commerce/tobira/shipment"
)

// narrow turns full-width digits and letters (１２３, ＡＢＣ) into ASCII and half-width katakana
// (ﾔﾏﾄ) into full-width, as spreadsheets and people at a warehouse type them either way.
func narrow(s string) string { return width.Fold.String(s) }

// parseCount reads a non-negative whole number, allowing full-width digits and thousands commas.
func parseCount(s string) (int, error) {
	s = strings.ReplaceAll(narrow(s), ",", "")
	if s == "" {
		return 0, errors.New("is empty")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<30 {
		return 0, errors.New("is not a whole number of units")
	}
	return n, nil
}

// timeLayouts are the forms of a date or time found in Japanese WMS files. The first group has a
// time of day; the second only a date.
var (
	timeLayouts = []string{"2006/01/02 15:04:05", "2006-01-02 15:04:05", "2006/01/02 15:04", "2006-01-02 15:04",
		"2006/1/2 15:04:05", "2006/1/2 15:04", "20060102150405", "2006-01-02T15:04:05"}
	dateLayouts = []string{"2006/01/02", "2006-01-02", "2006/1/2", "20060102"}
)

// parseTime reads a date or a time in loc (RFC 3339 times carry their own zone). dateOnly says no
// time of day was given.
func parseTime(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	s = narrow(s)
	if s == "" {
		return time.Time{}, false, errors.New("is empty")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), false, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), false, nil
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, errors.New("is not a date (YYYY/MM/DD) or a time (YYYY/MM/DD hh:mm:ss)")
}

// carriers maps what partners write in 配送業者 (company names, service names, codes) to the
// normalized carrier.
var carriers = map[string]shipment.Carrier{
	"ヤマト運輸": shipment.Yamato, "ヤマト": shipment.Yamato, "クロネコヤマト": shipment.Yamato, "宅急便": shipment.Yamato,
	"ネコポス": shipment.Yamato, "宅急便コンパクト": shipment.Yamato, "yamato": shipment.Yamato,
	"佐川急便": shipment.Sagawa, "佐川": shipment.Sagawa, "飛脚宅配便": shipment.Sagawa, "sagawa": shipment.Sagawa,
	"日本郵便": shipment.JapanPost, "日本郵政": shipment.JapanPost, "ゆうパック": shipment.JapanPost,
	"ゆうパケット": shipment.JapanPost, "ゆうメール": shipment.JapanPost, "japanpost": shipment.JapanPost, "jp": shipment.JapanPost,
	"西濃運輸": shipment.Seino, "西濃": shipment.Seino, "カンガルー便": shipment.Seino, "seino": shipment.Seino,
	"福山通運": shipment.Fukuyama, "福山": shipment.Fukuyama, "fukuyama": shipment.Fukuyama,
	"エコ配": shipment.Ecohai, "ecohai": shipment.Ecohai,
	"dhl": shipment.DHL, "fedex": shipment.FedEx, "ups": shipment.UPS, "ems": shipment.EMS, "usps": shipment.USPS,
}

// carrierOf normalizes a 配送業者 value; what it does not know is CarrierOther, so the tracking
// number still reaches the channel.
func carrierOf(s string) (shipment.Carrier, bool) {
	s = strings.ToLower(strings.TrimSpace(narrow(s)))
	if c, ok := carriers[s]; ok {
		return c, true
	}
	if c := shipment.Carrier(s); c.Known() {
		return c, true
	}
	return shipment.CarrierOther, s == ""
}
