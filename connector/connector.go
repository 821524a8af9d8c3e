package connector

import (
	"context"
	"net/http"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// Cursor is an opaque position in a listing, chosen by the connector. The engine and the store
// keep it as a string and hand it back unchanged; "" means "from the beginning".
type Cursor string

// Reject is one item of a page the connector could not turn into a domain value (a broken
// payload, an order that fails validation). The engine quarantines it and goes on with the rest.
type Reject struct {
	// ID is the platform's identifier of the item, if it could be read.
	ID string
	// Err says what is wrong; it must not contain personal data.
	Err error
}

// ---- Channel side ----

// ListOrdersRequest asks for orders created or changed in the half-open window [From, To) of
// update time, one page at a time. The engine computes the window (in UTC, reaching up to now,
// starting early enough to list recent updates again); Page is "" for the window's first page
// and then the previous page's Next.
type ListOrdersRequest struct {
	From, To time.Time
	Page     Cursor
	// Limit is a hint for the page size; 0 lets the connector choose.
	Limit int
}

// OrderPage is one page of orders. The page is the caller's, but a source may share the slices
// and maps inside its orders (lines, refs) with its own state: the caller must not modify them in
// place (it replaces them to edit), and the source never writes into what it handed out.
type OrderPage struct {
	Orders  []order.Order
	Rejects []Reject
	// Next is the cursor of the following page of the same window; "" when this was the last.
	Next Cursor
}

// OrderSource lists a channel's orders, including changed and cancelled ones.
//
// Contract: listing a window page by page returns every order whose last update falls in the
// window at least once (duplicates are allowed, gaps never), and resuming from any Next returned
// earlier continues without a gap.
type OrderSource interface {
	ListOrders(ctx context.Context, req ListOrdersRequest) (*OrderPage, error)
}

// ShipmentConfirmation tells a channel that (part of) an order shipped.
type ShipmentConfirmation struct {
	// Order is the order as the engine last imported it, with the connector's Refs.
	Order order.Order
	// Shipment is the warehouse's shipment; for a channel that cannot express partial shipments,
	// the engine sends one confirmation covering every line once all have shipped.
	Shipment shipment.Shipment
	// Complete is true when, with this shipment, every line routed to warehouses has shipped.
	Complete bool
	// IdempotencyKey is stable across retries of this confirmation.
	IdempotencyKey string
}

// ShipmentSink tells a channel about shipments. ConfirmShipment must be idempotent on the order
// and the shipment's ID: confirming the same shipment of an order twice has one effect on the
// platform. Warehouses number their own shipments, so shipments of two orders may carry the same
// ID and are two shipments; within one order the engine keeps IDs distinct.
type ShipmentSink interface {
	ConfirmShipment(ctx context.Context, c ShipmentConfirmation) error
}

// PartialShipper is implemented by sinks that state whether their platform can express a
// shipment covering only part of an order. Sinks that do not implement it are assumed able to.
type PartialShipper interface {
	SupportsPartialShipments() bool
}

// StockUpdate sets the quantity a channel may sell of one of its SKUs (an absolute number).
type StockUpdate struct {
	SKU       string
	Available int
	// Compare, when not nil, is the quantity the engine believes the channel holds; a target
	// that offers compare-and-set refuses the update with ErrConflict if it holds another.
	Compare *int
	// Key identifies this intended write and is its idempotency key. The engine records it
	// before the call and sends the same Key again only when it retries this very write after
	// its answer was lost; every new intended value gets a new Key, even a value sent before
	// (5 → 4 → 5 → 4 is three writes with three keys). A target whose platform takes a key per
	// call derives the call's key from its updates' keys, in order, so a batch retried whole is
	// recognised. "" means the caller gives the write no identity: the target must then apply
	// it and never answer it from an earlier call's result.
	Key string
}

// StockResult is the outcome of one StockUpdate; Err is nil when the channel acknowledged it.
type StockResult struct {
	SKU string
	Err error
}

// StockTarget sets available quantities on a channel.
type StockTarget interface {
	// SetStock applies at most BatchLimit updates and returns one result per update, in order.
	// An error return means the call as a whole failed and no result is known.
	SetStock(ctx context.Context, updates []StockUpdate) ([]StockResult, error)
	// BatchLimit is the most updates one SetStock call takes.
	BatchLimit() int
}

// StockReader is implemented by targets that can read back what the channel shows, for
// reconciliation.
type StockReader interface {
	ReadStock(ctx context.Context, skus []string) (map[string]int, error)
}

// ComparingTarget is implemented by targets whose platform honours StockUpdate.Compare.
type ComparingTarget interface {
	ComparesStock() bool
}

// CredentialExpirer is implemented by connectors whose credential lapses at a time they know
// (Rakuten's 90-day license key, a refresh token that must be renewed by the merchant), so that
// the host can renew it before calls start failing. The engine asks before the flows that use the
// connector and tells the host once, with its CredentialExpiring event, when the time comes within
// its warning period.
type CredentialExpirer interface {
	// CredentialExpiry returns when the credential lapses, or the zero time when unknown.
	CredentialExpiry() time.Time
}

// Acknowledger is implemented by sources whose platform wants an order marked as taken in by the
// warehouse (Rakuten's 受注確認, for example). The engine calls it after the order is delivered.
type Acknowledger interface {
	AcknowledgeOrder(ctx context.Context, o order.Order) error
}

// WebhookReceiver is implemented by connectors that accept pushes from their platform. The
// handler verifies each push and hands what it carries to Intake, exactly as if it had been polled.
type WebhookReceiver interface {
	WebhookHandler(intake Intake) http.Handler
}

// Intake receives orders pushed by a platform, or hints that an order must be re-read.
type Intake interface {
	IngestOrder(ctx context.Context, o order.Order) error
}

// ---- Warehouse side ----

// FulfillmentRequest asks a warehouse to ship (part of) an order.
type FulfillmentRequest struct {
	// Key identifies the request and is its idempotency key: submitting it again has no effect.
	Key      string
	Merchant string
	Channel  string
	// Order holds only the lines routed to this warehouse.
	Order order.Order
}

// ChangeRequest asks a warehouse to replace a request's content (address, delivery request,
// lines, gift) with Order.
type ChangeRequest struct {
	Key string // the request being changed
	// IdempotencyKey identifies this change; repeating it has no further effect.
	IdempotencyKey string
	Order          order.Order
}

// CancelRequest asks a warehouse to cancel a request, or only some quantities of it.
type CancelRequest struct {
	Key            string
	IdempotencyKey string
	// Lines lists the quantities to cancel; nil cancels the whole request.
	Lines []LineQuantity
	// Reason is for people at the warehouse.
	Reason string
}

// LineQuantity is a quantity of one order line.
type LineQuantity struct {
	LineID   string
	SKU      string
	Quantity int
}

// Answer is a warehouse's reply to a change or cancellation. A refusal is an answer, not an
// error: the parcel was already picked or has left.
type Answer struct {
	Accepted bool
	// Reason explains a refusal (RefusedPicked, RefusedShipped or the warehouse's own words).
	Reason string
}

// Refusal reasons warehouses commonly give.
const (
	RefusedPicked  = "picked"
	RefusedShipped = "shipped"
)

// Fulfiller is a warehouse that accepts fulfillment requests. Every method is idempotent on its key.
//
// A request's slices and maps (the order's lines, refs) may be shared with the engine's records:
// a Fulfiller must not modify them, and copies what it keeps past the call (as io.Writer must
// not modify the bytes it is given).
type Fulfiller interface {
	Submit(ctx context.Context, r FulfillmentRequest) error
	Change(ctx context.Context, r ChangeRequest) (Answer, error)
	Cancel(ctx context.Context, r CancelRequest) (Answer, error)
}

// ShipmentPage is one page of shipments.
type ShipmentPage struct {
	Shipments []shipment.Shipment
	Rejects   []Reject
	// Next is where the following call continues; it is returned even on the last page, so the
	// engine can resume from it later. More says whether another page is ready now.
	Next Cursor
	More bool
}

// ShipmentSource lists a warehouse's shipments in the order it made them.
type ShipmentSource interface {
	ListShipments(ctx context.Context, after Cursor) (*ShipmentPage, error)
}

// StockPage is one page of stock levels.
type StockPage struct {
	Levels  []inventory.Level
	Rejects []Reject
	Next    Cursor
	More    bool
}

// StockSource lists a warehouse's stock levels, each with the time it was true. Listing from ""
// returns every SKU; listing from a saved cursor returns levels changed since.
type StockSource interface {
	ListStock(ctx context.Context, after Cursor) (*StockPage, error)
}
