// Package shipment holds what a warehouse reports when it ships: which order, which lines and how
// many of each, and the parcels with their carrier and tracking number.
//
// A shipment may cover part of an order (some lines, or part of a line's quantity) and may travel
// in several parcels. Carrier is normalized; each connector maps it to its platform's code, and
// TrackingURL builds the carrier's public tracking page.
//
// # Errors
//
// Validate's errors match ErrInvalid with errors.Is.
package shipment

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrInvalid is matched by every validation error.
var ErrInvalid = errors.New("invalid shipment")

// Shipment is one dispatch by a warehouse.
type Shipment struct {
	// ID is the warehouse's identifier of this shipment; the engine tells each channel about a
	// given ID once.
	ID string `json:"id"`
	// RequestKey is the key of the fulfillment request this shipment answers, as the engine sent it.
	RequestKey string `json:"request_key"`
	// Channel and OrderID name the channel order; warehouses echo them from the request.
	Channel string `json:"channel"`
	OrderID string `json:"order_id"`
	// Lines says which order lines shipped and how many units of each.
	Lines   []Line    `json:"lines"`
	Parcels []Parcel  `json:"parcels"`
	At      time.Time `json:"shipped_at"`
}

// Line is a quantity of one order line in a shipment.
type Line struct {
	LineID   string `json:"line_id"`
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Parcel is one package with its tracking number.
type Parcel struct {
	Carrier        Carrier `json:"carrier"`
	TrackingNumber string  `json:"tracking_number"`
}

// Validate reports what is wrong with s, or nil.
func (s *Shipment) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if s.ID == "" {
		bad("id is empty")
	}
	if s.OrderID == "" && s.RequestKey == "" {
		bad("neither order_id nor request_key is set")
	}
	if len(s.Lines) == 0 {
		bad("no lines")
	}
	for i, l := range s.Lines {
		if l.LineID == "" && l.SKU == "" {
			bad("lines[%d]: neither line_id nor sku is set", i)
		}
		if l.Quantity <= 0 {
			bad("lines[%d].quantity: must be positive, got %d", i, l.Quantity)
		}
	}
	for i, p := range s.Parcels {
		if p.TrackingNumber == "" {
			bad("parcels[%d].tracking_number is empty", i)
		}
		if !p.Carrier.Known() {
			bad("parcels[%d].carrier: unknown carrier %q", i, string(p.Carrier))
		}
	}
	return errors.Join(errs...)
}

// Carrier names a delivery company in Tobira's normalized vocabulary.
type Carrier string

// The carriers Tobira knows. CarrierOther carries a tracking number with no URL.
const (
	Yamato    Carrier = "yamato"    // ヤマト運輸
	Sagawa    Carrier = "sagawa"    // 佐川急便
	JapanPost Carrier = "japanpost" // 日本郵便 (ゆうパック, ゆうパケット)
	Seino     Carrier = "seino"     // 西濃運輸
	Fukuyama  Carrier = "fukuyama"  // 福山通運
	Ecohai    Carrier = "ecohai"    // エコ配
	DHL       Carrier = "dhl"
	FedEx     Carrier = "fedex"
	UPS       Carrier = "ups"
	EMS       Carrier = "ems"
	USPS      Carrier = "usps"

	CarrierOther Carrier = "other"
)

var trackingURL = map[Carrier]string{
	Yamato:       "https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=",
	Sagawa:       "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=",
	JapanPost:    "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=",
	Seino:        "https://track.seino.co.jp/cgi-bin/gnpquery.pgm?GNPNO1=",
	Fukuyama:     "https://corp.fukutsu.co.jp/situation/tracking_no_hunt/",
	Ecohai:       "https://www.ecohai.co.jp/tracking/?no=",
	DHL:          "https://www.dhl.com/jp-en/home/tracking.html?tracking-id=",
	FedEx:        "https://www.fedex.com/fedextrack/?trknbr=",
	UPS:          "https://www.ups.com/track?tracknum=",
	EMS:          "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1=",
	USPS:         "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
	CarrierOther: "",
}

// Known reports whether c is one of the carriers above.
func (c Carrier) Known() bool { _, ok := trackingURL[c]; return ok }

// TrackingURL returns the carrier's public tracking page for number, or "" when the carrier has
// none Tobira knows.
func (c Carrier) TrackingURL(number string) string {
	base := trackingURL[c]
	if base == "" || strings.TrimSpace(number) == "" {
		return ""
	}
	if c == Fukuyama {
		return base + url.PathEscape(number)
	}
	return base + url.QueryEscape(number)
}
