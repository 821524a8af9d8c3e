// Package ledger is the contract between Tobira's engine and the storage a host gives it: the
// Store interface the engine keeps its ledger in (cursors, order records, the shipment outbox,
// stock reservations and what each channel acknowledged, quarantine, leases), and the records it
// writes there.
//
// Hosts that run the engine on sync/memstore or sync/sqlstore never import this package to do
// so. Store writers do: a store implements Store (and, for speed, the optional BatchOrderLedger,
// OrderDigester, BatchReservations and ReservingOrderLedger; for retention, Compactor) and
// proves it with sync/storetest. Records are the engine's to fill; a store keeps them whole,
// copies what it is given (Clone), and keys them as the methods say.
//
// # Stability
//
// Hosts may implement Store. Methods are added only with a major version; new needs arrive as
// new optional interfaces.
//
// # Errors
//
// ErrNotFound (no such record) and ErrConflict (a compare-and-set or insert found another
// version), which the engine tests with errors.Is.
package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
)

// Store is everything the engine keeps. A host backs it with its own database (sync/sqlstore) or
// uses sync/memstore. It is composed of small interfaces a store may implement separately.
//
// Every mutation is an insert-if-absent or a compare-and-set on a version, so it maps to one SQL
// statement; the engine never needs a transaction spanning calls. Implementations must be safe for
// concurrent use and pass sync/storetest.
type Store interface {
	CursorStore
	OrderLedger
	ShipmentOutbox
	StockLedger
	QuarantineStore
	LeaseStore
}

// Errors a Store returns; the engine tests them with errors.Is.
var (
	// ErrNotFound: no such record.
	ErrNotFound = errors.New("tobira/ledger: not found")
	// ErrConflict: a compare-and-set found another version (another replica wrote first), or an
	// insert found the record present.
	ErrConflict = errors.New("tobira/ledger: version conflict")
)

// CursorStore keeps the engine's position in each listing. Values are opaque to the store.
type CursorStore interface {
	// GetCursor returns the cursor and its version; a cursor never written is "", 0, nil.
	GetCursor(ctx context.Context, name string) (value string, version int64, err error)
	// PutCursor writes value if the stored version is still version (0: not yet written) and
	// returns the new version; otherwise it returns ErrConflict.
	PutCursor(ctx context.Context, name, value string, version int64) (int64, error)
}

// OrderLedger holds one record per channel order: what was seen, what was sent where.
type OrderLedger interface {
	// GetOrder returns the record, or ErrNotFound.
	GetOrder(ctx context.Context, key OrderKey) (*OrderRecord, error)
	// PutOrder inserts rec when rec.Version is 0 (ErrConflict if it exists) or replaces it if the
	// stored version equals rec.Version (ErrConflict otherwise). On success it increments
	// rec.Version. The store keeps its own copy (OrderRecord.Clone): later changes to rec do not
	// reach it. The order the record points to is shared, as no one modifies it.
	PutOrder(ctx context.Context, rec *OrderRecord) error
	// PendingOrders returns up to limit records of one channel with Pending set, oldest first.
	PendingOrders(ctx context.Context, merchant, channel string, limit int) ([]*OrderRecord, error)
}

// ShipmentOutbox holds shipments on their way to channels.
type ShipmentOutbox interface {
	// GetShipment returns the record, or ErrNotFound.
	GetShipment(ctx context.Context, id string) (*ShipmentRecord, error)
	// PutShipment has PutOrder's insert and compare-and-set semantics, keyed by rec.ID.
	PutShipment(ctx context.Context, rec *ShipmentRecord) error
	// PendingShipments returns up to limit records of one merchant in state ShipmentPending,
	// oldest first.
	PendingShipments(ctx context.Context, merchant string, limit int) ([]*ShipmentRecord, error)
}

// StockLedger holds the stock pool of each merchant and what each channel acknowledged.
type StockLedger interface {
	// Levels returns every level recorded for the merchant.
	Levels(ctx context.Context, merchant string) ([]inventory.Level, error)
	// PutLevels records levels, each replacing the one of its SKU unless that one has a later AsOf.
	PutLevels(ctx context.Context, merchant string, levels []inventory.Level) error
	// Reservations returns every reservation of the merchant.
	Reservations(ctx context.Context, merchant string) ([]inventory.Reservation, error)
	// PutReservation inserts or replaces the reservation with r.Key.
	PutReservation(ctx context.Context, merchant string, r inventory.Reservation) error
	// DeleteReservation removes it; removing a missing one is not an error.
	DeleteReservation(ctx context.Context, merchant, key string) error
	// Acked returns what the ledger holds of each SKU the engine has pushed to the channel. A
	// store keeps each StockAck as it was written, negative Available included.
	Acked(ctx context.Context, merchant, channel string) (map[string]StockAck, error)
	// PutAcked records values, each replacing the one of its SKU. values stays the caller's: the
	// store copies what it keeps.
	PutAcked(ctx context.Context, merchant, channel string, values map[string]StockAck) error
}

// StockAck is what the ledger holds of one SKU on one channel: the value the channel
// acknowledged, or a write whose outcome is not known yet.
//
// The engine records a write with its key before it sends it. The key stays until the channel
// answers the write either way, so a write whose answer was lost (or that a crash interrupted)
// is sent again with the same key, and the platform applies it at most once; any other value is
// a new write with a new key, so a value the channel showed before is never taken for a
// repetition (5 → 4 → 5 → 4 is three writes).
type StockAck struct {
	// Available is the value the channel acknowledged, or the value of the write under way.
	// Negative means the ledger does not know what the channel shows.
	Available int
	// Write is the key of a write sent without an answer yet (connector.StockUpdate.Key), or ""
	// once the channel answered.
	Write string
	// Compare is the compare value that write was sent with (connector.StockUpdate.Compare), so
	// that it is sent again exactly as it was: platforms refuse a key repeated with other content.
	Compare *int
}

// Known reports whether the channel acknowledged Available.
func (a StockAck) Known() bool { return a.Write == "" && a.Available >= 0 }

// QuarantineStore keeps items the engine could not process, for the host to see and act on.
type QuarantineStore interface {
	// PutQuarantine inserts or replaces the item with q.ID.
	PutQuarantine(ctx context.Context, q QuarantineEntry) error
	// ListQuarantine returns the merchant's items ("" for all merchants), oldest first.
	ListQuarantine(ctx context.Context, merchant string) ([]QuarantineEntry, error)
	// DeleteQuarantine removes an item; removing a missing one is not an error.
	DeleteQuarantine(ctx context.Context, id string) error
}

// LeaseStore lets several engine replicas share work: one holder per name at a time.
type LeaseStore interface {
	// AcquireLease takes or renews the lease name for owner until now+ttl. It succeeds when the
	// lease is free, expired at now, or already owner's, and reports whether owner holds it.
	// Time comes from the caller so that virtual clocks work.
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}

// BatchOrderLedger is an optional capability of an OrderLedger: reading and writing many records
// in one call, so that the engine pays one round trip per page of orders instead of one per
// order. The engine discovers it by type assertion and falls back to GetOrder and PutOrder when a
// store does not implement it.
//
// A batch need not be atomic: each record is written or refused on its own, exactly as PutOrder
// would, and the engine orders its writes so that a batch cut short by a crash is redone.
type BatchOrderLedger interface {
	// GetOrders returns the records of the keys that exist; a missing key is absent from the map,
	// not an error. The records may be the store's own, shared with other readers: the caller
	// must not modify them (it clones one to change it), and the store never modifies a record
	// it handed out (a write replaces it). Most records a page reads are only compared with the
	// listing, so they are not copied for nothing.
	GetOrders(ctx context.Context, keys []OrderKey) (map[OrderKey]*OrderRecord, error)
	// PutOrders applies PutOrder's insert or compare-and-set to each record, in order, and returns
	// one error per record: nil (the record's Version was incremented), ErrConflict, or the
	// failure that kept it from being written (then its Version is unchanged).
	//
	// Unlike PutOrder, PutOrders takes ownership of each record it writes: the store may keep the
	// record itself, with everything it references, rather than a copy. The caller may still
	// read a written record but must not modify it (Clone it to write again); a record refused
	// stays the caller's. Stores that copy (or encode) satisfy this too.
	PutOrders(ctx context.Context, recs []*OrderRecord) []error
}

// OrderDigester is an optional capability of an OrderLedger: reading, for many records at once,
// only what the engine compares a listed order with to find it unchanged (OrderDigest). Most
// orders a listing returns are unchanged (the overlap window, the gap sweep, duplicate pushes),
// so a store that keeps records in a form costly to read whole (encoded, packed, in rows spread
// over tables) can answer them without building the records. The engine discovers it by type
// assertion and then reads whole (GetOrders) only the records that turn out to have news.
type OrderDigester interface {
	// OrderDigests returns one digest per key, in the order of keys: the digest (DigestOf) of
	// the key's record, or the zero OrderDigest (Version 0, which no stored record has) for a
	// key without one, which is not an error. When no key has a record it may return nil: the
	// usual page, of new orders, then costs no allocation.
	OrderDigests(ctx context.Context, keys []OrderKey) ([]OrderDigest, error)
}

// OrderLister is an optional capability of an OrderLedger: listing a merchant's held orders
// across its channels, for the host's view of what waits (the engine's HeldOrders), and finding
// an order by the number people see (the engine's OrdersByNumber). The engine
// discovers it by type assertion; without it, that listing reports errors.ErrUnsupported.
type OrderLister interface {
	// HeldOrders returns up to limit records of the merchant, of every channel, in state
	// StateHeld, ordered by channel then order ID, starting after the key after (the zero key
	// starts at the first). The records are the caller's.
	HeldOrders(ctx context.Context, merchant string, after OrderKey, limit int) ([]*OrderRecord, error)
	// OrdersByNumber returns up to limit records of one channel of the merchant whose order
	// carries number as its Number (the number people see, #1001), by order ID. The records are
	// the caller's.
	OrdersByNumber(ctx context.Context, merchant, channel, number string, limit int) ([]*OrderRecord, error)
}

// BatchReservations is an optional capability of a StockLedger: writing many reservations of one
// merchant in one call. The engine uses it when it records a page of orders, and falls back to
// PutReservation without it.
type BatchReservations interface {
	// PutReservations inserts or replaces each reservation by its Key, as PutReservation does; a
	// key given twice keeps the later one. On error, any of them may or may not have been written.
	//
	// Like PutOrders, it takes ownership of what it is given: the store may keep each
	// reservation's Items and Shipped rather than copies, and the caller must not modify them
	// afterwards. Stores that copy (or encode) satisfy this too.
	PutReservations(ctx context.Context, merchant string, rs []inventory.Reservation) error
}

// ReservingOrderLedger is an optional capability of a Store: writing order records each together
// with its order's stock reservation, so that a record and the reservation computed from it are
// written in one atomic step or not at all. Without it the engine writes a record and its
// reservation apart, and must read the records back afterwards to find any that another writer
// replaced in between (whose reservation its own write may have overwritten); with it, a record
// refused by its compare-and-set leaves the reservation as that other writer left it, and one
// call replaces two writes and a read. The engine discovers it by type assertion.
type ReservingOrderLedger interface {
	// PutOrdersReserving applies PutOrders to recs, with PutOrders' ownership and results, and
	// for each record written applies rs[i] in the same atomic step, on the merchant of the
	// record's key: Put inserts or replaces that reservation (as PutReservation, taking over its
	// Items and Shipped as PutReservations does), Delete removes the reservation with Key. A
	// record refused (ErrConflict) or failed changes no reservation. rs is nil (no reservation
	// changes) or as long as recs; a zero ReservationChange changes nothing. Two changes of one
	// reservation key in a call keep the later.
	PutOrdersReserving(ctx context.Context, recs []*OrderRecord, rs []ReservationChange) []error
}

// ReservationChange is what writing one order record does to its order's reservation.
type ReservationChange struct {
	// Put, when its Key is not "", is the reservation to insert or replace.
	Put inventory.Reservation
	// Delete, when not "", is the key of the reservation to remove (then Put is ignored).
	Delete string
}
