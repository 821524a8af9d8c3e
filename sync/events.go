// Events the engine reports to the host's Observer.

package sync

import (
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Event is something the host may want to act on: tell the merchant, page an operator, update a
// dashboard. Events are delivered synchronously to Options.Observer, at least once: after a crash
// an event may be delivered again, never lost before its effect was recorded.
type Event interface {
	// Kind is a short stable name, such as "order.sent".
	Kind() string
}

// Observer receives events. It must return quickly and must not call back into the engine.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// OrderSent: a fulfillment request reached its warehouse.
type OrderSent struct {
	Key       ledger.OrderKey
	Warehouse string
	Request   string
}

// OrderHeld: an order is held and will not be sent until it is ready or released.
type OrderHeld struct {
	Key    ledger.OrderKey
	Reason string
}

// OrderChanged: a warehouse accepted a change of the order (address, delivery request, lines).
type OrderChanged struct {
	Key       ledger.OrderKey
	Warehouse string
}

// ChangeRefused: a warehouse refused a change; the parcel goes out as it was. Tell the merchant.
type ChangeRefused struct {
	Key       ledger.OrderKey
	Warehouse string
	Reason    string
}

// OrderCancelled: a warehouse accepted a cancellation, of the whole request or of Lines.
type OrderCancelled struct {
	Key       ledger.OrderKey
	Warehouse string
	// Lines is nil for a whole cancellation.
	Lines []connector.LineQuantity
}

// CancelRefused: a warehouse refused a cancellation (already picked or shipped). The buyer will
// receive the parcel: the merchant must act (intercept it, arrange a return).
type CancelRefused struct {
	Key       ledger.OrderKey
	Warehouse string
	Lines     []connector.LineQuantity
	Reason    string
}

// LinesRoutedAway: lines of an order go somewhere other than a warehouse (the merchant, a
// drop-shipping supplier) or nowhere (ignored). Destination says where; the engine sends them to
// no warehouse. When the lines going to a destination change (added, changed, cancelled), the
// event comes again with every line now going there: an empty Lines means nothing is left to ship.
type LinesRoutedAway struct {
	Key         ledger.OrderKey
	Destination string
	Lines       []connector.LineQuantity
}

// ItemQuarantined: an order, shipment or stock item was set aside; Quarantined says why.
type ItemQuarantined struct {
	Item ledger.QuarantineEntry
}

// QuarantineLifted: a quarantined order left quarantine and is processed again: the host retried
// it (Reason LiftedRetried), or the channel sent a new version of it (LiftedNewVersion). Item is
// the quarantine entry's ID. An order listed again unchanged stays quarantined, with no event.
type QuarantineLifted struct {
	Item   string
	Key    ledger.OrderKey
	Reason string
}

// Reasons of QuarantineLifted.
const (
	LiftedRetried    = "retried by the host"
	LiftedNewVersion = "the channel sent a new version"
)

// ShipmentConfirmed: a channel acknowledged a shipment.
type ShipmentConfirmed struct {
	Key      ledger.OrderKey
	Shipment string
	Complete bool
}

// OrderShipped: every line routed to warehouses has shipped.
type OrderShipped struct {
	Key ledger.OrderKey
}

// ChannelStopped: a channel or warehouse refused the engine's credentials. Its flows stop until
// the host renews them with PutMerchant; they then resume from the recorded cursor.
type ChannelStopped struct {
	Merchant string
	// Channel is the channel or warehouse ID.
	Channel string
	Reason  string
}

// CredentialExpiring: the credential of a channel or warehouse lapses at ExpiresAt, within
// Options.CredentialWarning (connector.CredentialExpirer). The host renews it, and installs it
// with PutMerchant, before then; otherwise the channel stops at ExpiresAt (ChannelStopped).
// Each expiry time is reported once per configuration.
type CredentialExpiring struct {
	Merchant string
	// Channel is the channel or warehouse ID.
	Channel   string
	ExpiresAt time.Time
}

// StockPushed: a channel acknowledged stock values.
type StockPushed struct {
	Merchant string
	Channel  string
	Count    int
}

// StockConflict: a channel held another value than the engine last set (someone edited it on
// the channel). The engine re-planned from the channel's value.
type StockConflict struct {
	Merchant string
	Channel  string
	SKU      string
}

// Kind implements Event.
func (OrderSent) Kind() string { return "order.sent" }

// Kind implements Event.
func (OrderHeld) Kind() string { return "order.held" }

// Kind implements Event.
func (OrderChanged) Kind() string { return "order.changed" }

// Kind implements Event.
func (ChangeRefused) Kind() string { return "order.change_refused" }

// Kind implements Event.
func (OrderCancelled) Kind() string { return "order.cancelled" }

// Kind implements Event.
func (CancelRefused) Kind() string { return "order.cancel_refused" }

// Kind implements Event.
func (LinesRoutedAway) Kind() string { return "order.routed_away" }

// Kind implements Event.
func (ItemQuarantined) Kind() string { return "quarantined" }

// Kind implements Event.
func (QuarantineLifted) Kind() string { return "quarantine.lifted" }

// Kind implements Event.
func (ShipmentConfirmed) Kind() string { return "shipment.confirmed" }

// Kind implements Event.
func (OrderShipped) Kind() string { return "order.shipped" }

// Kind implements Event.
func (ChannelStopped) Kind() string { return "channel.stopped" }

// Kind implements Event.
func (StockPushed) Kind() string { return "stock.pushed" }

// Kind implements Event.
func (CredentialExpiring) Kind() string { return "credential.expiring" }

// Kind implements Event.
func (StockConflict) Kind() string { return "stock.conflict" }
