package order

import (
	"log/slog"
	"time"
)

// Status is the channel-independent state of an order. Connectors map their platform's statuses
// onto it and keep the original in [Order.ChannelStatus], which hold rules may match.
type Status string

// The statuses an order can be in.
const (
	// StatusPending: the order exists but is not ready to ship (unpaid, under review, awaiting the
	// shop's confirmation). The engine records it and holds it.
	StatusPending Status = "pending"
	// StatusOpen: the order is ready to be fulfilled.
	StatusOpen Status = "open"
	// StatusCancelled: the whole order was cancelled on the channel.
	StatusCancelled Status = "cancelled"
	// StatusClosed: the channel considers the order done (shipped or archived).
	StatusClosed Status = "closed"
)

// Order is one order as a channel reports it, normalized. Connector-specific references the
// engine must carry back untouched (fulfillment-order IDs, basket IDs) live in Refs.
type Order struct {
	// ID is the channel's identifier, unique within one channel account.
	ID string `json:"id"`
	// Number is the order number people see (#1001), if different from ID.
	Number string `json:"number,omitempty"`
	// Status is the normalized status; ChannelStatus the platform's own word for it.
	Status        Status `json:"status"`
	ChannelStatus string `json:"channel_status,omitempty"`
	// PlacedAt and UpdatedAt are instants; connectors convert platform local times to UTC.
	PlacedAt  time.Time `json:"placed_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Lines    []Line          `json:"lines"`
	ShipTo   Address         `json:"ship_to"`
	Delivery DeliveryRequest `json:"delivery,omitzero"`
	Payment  Payment         `json:"payment,omitzero"`
	Gift     *Gift           `json:"gift,omitempty"`
	Totals   Totals          `json:"totals,omitzero"`

	// Refs holds connector data the engine carries untouched.
	Refs map[string]string `json:"refs,omitempty"`
}

// Line is one product line of an order.
type Line struct {
	// ID is the channel's line identifier; unique within the order.
	ID  string `json:"id"`
	SKU string `json:"sku"`
	// Name is for people (packing slips); it is not part of the fingerprint.
	Name      string `json:"name,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unit_price,omitzero"`
	// Cancelled is how many of Quantity the channel cancelled (a partial cancellation); the line
	// still wants Quantity-Cancelled units.
	Cancelled int               `json:"cancelled,omitempty"`
	Refs      map[string]string `json:"refs,omitempty"`
}

// Open returns the quantity still wanted: Quantity minus Cancelled, never negative.
func (l Line) Open() int {
	if n := l.Quantity - l.Cancelled; n > 0 {
		return n
	}
	return 0
}

// Totals are the order's money figures. When Total is given, Validate checks that
// Subtotal + Shipping + Fees + Tax - Discount = Total and that Subtotal is the sum of the lines.
type Totals struct {
	Subtotal Money `json:"subtotal,omitzero"`
	Shipping Money `json:"shipping,omitzero"`
	Fees     Money `json:"fees,omitzero"`
	Tax      Money `json:"tax,omitzero"`
	// TaxIncluded says line prices already include Tax (usual in Japan); Tax is then not added.
	TaxIncluded bool  `json:"tax_included,omitempty"`
	Discount    Money `json:"discount,omitzero"`
	Total       Money `json:"total,omitzero"`
}

// PaymentMethod is how the buyer pays. Only cash on delivery matters to the warehouse.
type PaymentMethod string

// Payment methods that matter to fulfillment.
const (
	PaymentPrepaid        PaymentMethod = "prepaid"
	PaymentCashOnDelivery PaymentMethod = "cod" // 代引き
)

// Payment says how the order is paid; for cash on delivery, how much the carrier collects.
type Payment struct {
	Method PaymentMethod `json:"method,omitempty"`
	// CollectAmount is what the carrier collects at the door (代引き金額).
	CollectAmount Money `json:"collect_amount,omitzero"`
}

// Gift holds gift wrapping, のし and a message.
type Gift struct {
	Wrapping bool `json:"wrapping,omitempty"`
	// Noshi is the のし type and inscription, for example "御歳暮".
	Noshi   string `json:"noshi,omitempty"`
	Message string `json:"message,omitempty"`
}

// Address is a delivery address with the recipient. It holds personal data: its LogValue redacts
// everything but the country and prefecture, so a logged Address leaks nothing.
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	Country    string `json:"country"` // ISO 3166-1 alpha-2; "" means JP
	PostalCode string `json:"postal_code"`
	Prefecture string `json:"prefecture,omitempty"` // 都道府県, for JP one of Prefectures
	City       string `json:"city,omitempty"`
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
}

// LogValue implements slog.LogValuer and keeps personal data out of logs.
func (a Address) LogValue() slog.Value {
	return slog.GroupValue(slog.String("country", a.country()), slog.String("prefecture", a.Prefecture))
}

// String redacts like LogValue, so fmt and error messages leak nothing either.
func (a Address) String() string {
	return "address(" + a.country() + " " + a.Prefecture + ", redacted)"
}

func (a Address) country() string {
	if a.Country == "" {
		return "JP"
	}
	return a.Country
}

// LogValue implements slog.LogValuer: an order logs its identity and shape, never its address.
func (o Order) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", o.ID), slog.String("status", string(o.Status)),
		slog.Int("lines", len(o.Lines)))
}
