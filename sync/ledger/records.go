package ledger

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// OrderKey names a channel order. Order IDs are unique only within one channel account (two shops
// both start at #1001), so every key carries the merchant and the channel.
type OrderKey struct {
	Merchant string `json:"merchant"`
	Channel  string `json:"channel"`
	OrderID  string `json:"order_id"`
}

// String returns "merchant/channel/order", each part escaped as JoinKey does, so that distinct
// keys never print alike.
func (k OrderKey) String() string { return JoinKey(k.Merchant, k.Channel, k.OrderID) }

// Append appends String's form of k to b, for callers that only look it up.
func (k OrderKey) Append(b []byte) []byte {
	b = appendEscaped(b, k.Merchant)
	b = append(b, '/')
	b = appendEscaped(b, k.Channel)
	b = append(b, '/')
	return appendEscaped(b, k.OrderID)
}

// JoinKey joins parts with "/", escaping "/" and "%" in each, so that distinct parts never make
// the same key. Keys, lease and cursor names that carry merchant and channel IDs are built with
// it.
func JoinKey(parts ...string) string {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n) // enough unless a part needs escaping
	for i, p := range parts {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.ContainsAny(p, "%/") {
			p = keyEscaper.Replace(p)
		}
		b.WriteString(p)
	}
	return b.String()
}

var keyEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

func appendEscaped(b []byte, s string) []byte {
	if strings.ContainsAny(s, "%/") {
		return append(b, keyEscaper.Replace(s)...)
	}
	return append(b, s...)
}

// OrderState summarizes where an order is.
type OrderState string

// Order states.
const (
	StateRecorded    OrderState = "recorded"    // seen, work pending or in progress
	StateHeld        OrderState = "held"        // not ready to ship, or held by the host
	StateSent        OrderState = "sent"        // every request is at its warehouse
	StateShipped     OrderState = "shipped"     // every routed line shipped
	StateCancelled   OrderState = "cancelled"   // cancelled and the warehouses agreed
	StateQuarantined OrderState = "quarantined" // the last version seen could not be processed
	StateNotRouted   OrderState = "not-routed"  // no line goes to a warehouse
)

// OrderDigest is the part of an OrderRecord the engine compares a listed order with to decide it
// is no news: the record's version, fingerprint and parked mark, and its order's statuses and
// update time. A store builds it with DigestOf (OrderDigester).
type OrderDigest struct {
	// Version is the record's, at least 1 (PutOrder); 0 in the digest of a missing record.
	Version     int64
	Fingerprint string
	Parked      string
	// HasOrder is false for a record without its order; the other order fields are then zero.
	HasOrder      bool
	UpdatedAt     time.Time // the order's, not the record's
	Status        order.Status
	ChannelStatus string
}

// DigestOf returns rec's digest. Its strings are rec's.
func DigestOf(rec *OrderRecord) OrderDigest {
	d := OrderDigest{Version: rec.Version, Fingerprint: rec.Fingerprint, Parked: rec.Parked}
	if o := rec.Order; o != nil {
		d.HasOrder, d.UpdatedAt, d.Status, d.ChannelStatus = true, o.UpdatedAt, o.Status, o.ChannelStatus
	}
	return d
}

// OrderRecord is the ledger entry of one channel order. The engine owns its content; a store
// persists it whole and keys it by Key.
type OrderRecord struct {
	Key     OrderKey `json:"key"`
	Version int64    `json:"version"`
	// Order is the latest version seen, never nil in a record the engine writes; Fingerprint is
	// its Fingerprint. A recorded order is never modified: each new version replaces the pointer,
	// so records, their clones and a store's copies share it. Nobody (engine, store or host)
	// writes through it.
	Order       *order.Order `json:"order"`
	Fingerprint string       `json:"fingerprint"`
	State       OrderState   `json:"state"`
	// Pending is set while the engine has work to do for the order; stores index it.
	Pending bool `json:"pending"`
	// HoldReason is set while the order is held: the reason last reported with OrderHeld.
	HoldReason string `json:"hold_reason,omitempty"`
	// ManualHold is set while the host holds the order, with the host's ManualReason. They are
	// apart from HoldReason so that delivery sees a new hand-placed hold as not yet reported.
	ManualHold   bool   `json:"manual_hold,omitempty"`
	ManualReason string `json:"manual_reason,omitempty"`
	// Away records, per destination other than a warehouse, a digest of the lines last reported
	// going there (LinesRoutedAway), so that a change to them is reported again.
	Away     map[string]string `json:"away,omitempty"`
	Requests []Request         `json:"requests,omitempty"`
	// Shipments lists the shipments applied to the order, oldest first.
	Shipments []ShipmentEntry `json:"shipments,omitempty"`
	UpdatedAt time.Time       `json:"updated_at"`
	// Parked names a later version of the order that could not be processed and waits in
	// quarantine while the record keeps the version before it, so that the same version listed
	// again is no news; "" when there is none. Its content is the engine's.
	Parked string `json:"parked,omitempty"`
}

// ShipmentEntry is one shipment as applied to its order: when it left and how many units of
// each line it carried.
type ShipmentEntry struct {
	// ID is the warehouse's shipment ID, unique only within Warehouse: two warehouses may both
	// number their shipments from 1.
	ID        string         `json:"id"`
	Warehouse string         `json:"warehouse,omitempty"`
	At        time.Time      `json:"at"`
	Lines     map[string]int `json:"lines"`
}

// Matches reports whether the entry records shipment id of warehouse wh. Entries recorded
// before Warehouse existed match any warehouse.
func (x ShipmentEntry) Matches(wh, id string) bool {
	return x.ID == id && (x.Warehouse == "" || x.Warehouse == wh)
}

// Shipped returns how many units of each line have shipped.
func (rec *OrderRecord) Shipped() map[string]int {
	out := map[string]int{}
	for _, s := range rec.Shipments {
		for id, n := range s.Lines {
			out[id] += n
		}
	}
	return out
}

// RequestState is where one fulfillment request stands at its warehouse.
type RequestState string

// Request states.
const (
	RequestNew       RequestState = "new"       // decided, not yet acknowledged by the warehouse
	RequestSent      RequestState = "sent"      // the warehouse has it
	RequestCancelled RequestState = "cancelled" // the warehouse cancelled it
)

// Request is what one warehouse was asked to do for an order.
type Request struct {
	// Target is the warehouse's ID; Key the request's idempotency key.
	Target string       `json:"target"`
	Key    string       `json:"key"`
	State  RequestState `json:"state"`
	// Lines and ShippingFP are what the warehouse holds (as last accepted). Lines is never
	// modified in place: a new content replaces the slice, so record clones share it.
	Lines      []connector.LineQuantity `json:"lines"`
	ShippingFP string                   `json:"shipping_fp"`
	// Replay is the order whose content was sent, or was to be sent, to this request (a Submit, a
	// change or a line cancellation) when the order changed again: that call may have landed with
	// its answer lost. Delivery repeats it first, with the same idempotency key, so the warehouse
	// holds a content the engine knows or answers whether it had landed, then sends the order as
	// it is now.
	Replay *order.Order `json:"replay,omitempty"`
	// Unsure is set when the warehouse may hold other content than Lines and ShippingFP. Records
	// written before Replay existed carry it; the next call then carries the whole content (a
	// change), never a relative line cancellation.
	Unsure bool `json:"unsure,omitempty"`
	// Seq counts changes and cancellations sent; it makes each one's idempotency key distinct.
	Seq int `json:"seq"`
	// Refused is the digest of the last content the warehouse refused, so it is not asked again;
	// RefusedReason is its answer.
	Refused       string `json:"refused,omitempty"`
	RefusedReason string `json:"refused_reason,omitempty"`
}

// ShipmentState is where a shipment stands on its way to the channel.
type ShipmentState string

// Shipment states.
const (
	ShipmentPending     ShipmentState = "pending"     // to be confirmed to the channel
	ShipmentWaiting     ShipmentState = "waiting"     // held until the whole order shipped
	ShipmentConfirmed   ShipmentState = "confirmed"   // the channel has it
	ShipmentNotTold     ShipmentState = "not-told"    // the channel must not hear of it; Reason says why
	ShipmentQuarantined ShipmentState = "quarantined" // could not be processed
)

// ShipmentRecord is one shipment in the outbox.
type ShipmentRecord struct {
	// ID is "merchant/warehouse/shipment", unique per warehouse shipment.
	ID        string            `json:"id"`
	Version   int64             `json:"version"`
	Merchant  string            `json:"merchant"`
	Warehouse string            `json:"warehouse"`
	Shipment  shipment.Shipment `json:"shipment"`
	State     ShipmentState     `json:"state"`
	// Applied records that the shipment's quantities were added to its order record.
	Applied   bool      `json:"applied,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// QuarantineEntry is an item the engine set aside with a reason the host can read.
type QuarantineEntry struct {
	// ID is unique per item: kind, merchant, channel or warehouse, and the item's own ID.
	ID       string `json:"id"`
	Kind     string `json:"kind"` // "order", "shipment", "stock"
	Merchant string `json:"merchant"`
	// Source is the channel or warehouse the item came from.
	Source string `json:"source"`
	ItemID string `json:"item_id"`
	Reason string `json:"reason"`
	// Payload is the item as JSON when the engine could read it, so that Retry can replay it.
	Payload []byte    `json:"payload,omitempty"`
	At      time.Time `json:"at"`
}

// Clone returns a copy of rec that shares no mutable memory with it: what it shares (the order,
// each request's Lines, each shipment entry's Lines) is never modified, only replaced. Stores use
// it to keep their copy apart from the engine's.
func (rec *OrderRecord) Clone() *OrderRecord {
	c := *rec
	c.Away = maps.Clone(rec.Away)
	c.Requests = slices.Clone(rec.Requests)
	c.Shipments = slices.Clone(rec.Shipments)
	return &c
}

// Clone returns a copy of rec that shares no mutable memory with it.
func (rec *ShipmentRecord) Clone() *ShipmentRecord {
	c := *rec
	c.Shipment.Lines = append([]shipment.Line(nil), rec.Shipment.Lines...)
	c.Shipment.Parcels = append([]shipment.Parcel(nil), rec.Shipment.Parcels...)
	return &c
}
