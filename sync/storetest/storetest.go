// Package storetest is the conformance suite every sync.Store runs: one call proves that a store
// keeps what the engine relies on (atomic compare-and-set under concurrent replicas, leases that
// expire in the caller's time, pending indexes, merchant isolation, records that are copies, and,
// for persistent stores, nothing lost across a reopen).
//
// A store's own test calls it:
//
//	func TestConformance(t *testing.T) {
//		storetest.TestStore(t, func(t *testing.T) tobirasync.Store { return mystore.New(...) })
//	}
//
// A persistent store also passes Reopen, so the suite checks that a store opened again on the
// same data sees everything:
//
//	storetest.TestHarness(t, storetest.Harness{New: newStore, Reopen: reopen})
//
// Every check is a subtest named after what it covers, and its failures begin with the sentence
// it proves. Each check gets a store of its own from New.
package storetest

import (
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Harness creates the stores the suite checks.
type Harness struct {
	// New returns an empty store; it is called once per check. A SQL store gives each check a
	// fresh schema or truncated tables, since checks count what they list. Close it with
	// t.Cleanup.
	New func(t testing.TB) ledger.Store
	// Reopen returns a new store over the same data as old, as a restarted process would open
	// it (old may be closed first). Nil when the store does not persist; the reopen checks are
	// then skipped.
	Reopen func(t testing.TB, old ledger.Store) ledger.Store
	// Concurrency is how many goroutines race in the compare-and-set checks; 0 means 16. A store
	// whose database serializes writers may lower it, but not below 2.
	Concurrency int
}

// TestStore runs the suite against the stores newStore returns, one per check.
func TestStore(t *testing.T, newStore func(t *testing.T) ledger.Store) {
	t.Helper()
	TestHarness(t, Harness{New: func(tb testing.TB) ledger.Store {
		// The suite hands New the *testing.T of each subtest when it runs under go test.
		return newStore(tb.(*testing.T))
	}})
}

// TestHarness runs the suite with a harness, for stores that persist.
func TestHarness(t *testing.T, h Harness) {
	t.Helper()
	run(t, h)
}

// run accepts any testing.TB, so the suite's own tests run it against broken stores.
func run(t testing.TB, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	if h.Concurrency == 0 {
		h.Concurrency = 16
	}
	if h.Concurrency < 2 {
		// One writer cannot race; the compare-and-set checks would prove nothing.
		t.Fatalf("storetest: Harness.Concurrency is %d, want at least 2", h.Concurrency)
	}
	for _, c := range checks {
		suite.Run(t, c.name, c.proves, func(ch *suite.Check) { c.f(ch, h) })
	}
}

type check struct {
	name, proves string
	f            func(c *suite.Check, h Harness)
}

// checks lists the suite in the order it runs. Each check lives in the file of its part.
var checks = []check{
	{"Cursor/RoundTrip", "a cursor reads back as written, with its version; one never written is empty with version 0", cursorRoundTrip},
	{"Cursor/CompareAndSet", "PutCursor with a stale version is refused with ErrConflict and changes nothing", cursorCAS},
	{"Cursor/ConcurrentWriters", "of many replicas writing a cursor with the same version, exactly one wins", cursorRace},
	{"Order/RoundTrip", "every field of an OrderRecord, nested order included, survives PutOrder and GetOrder", orderRoundTrip},
	{"Order/NotFound", "GetOrder of a key never written returns ErrNotFound", orderNotFound},
	{"Order/CompareAndSet", "PutOrder inserts only when absent and replaces only the version it read, bumping Version", orderCAS},
	{"Order/ConcurrentInsert", "of many replicas inserting the same order, exactly one wins", orderInsertRace},
	{"Order/ConcurrentUpdate", "of many replicas updating the same order version, exactly one wins", orderUpdateRace},
	{"Order/Copies", "records are copies: changing one after PutOrder or after GetOrder does not change the store", orderCopies},
	{"Order/Pending", "PendingOrders returns only pending records of that merchant and channel, oldest first, up to limit, and drops records set non-pending", orderPending},
	{"Order/Held", "HeldOrders lists the merchant's held records of every channel, by channel and order ID, after a key, up to limit, whole", orderHeld},
	{"Order/ByNumber", "OrdersByNumber finds a channel's orders by the exact number people see, not by text in connector data", orderByNumber},
	{"Order/HeldNotByContent", "HeldOrders goes by the record's state, not by text in the order's connector data, and still fills its limit", orderHeldByRefs},
	{"Order/MerchantIsolation", "the same channel and order ID under two merchants (or keys that print alike) are distinct records", orderIsolation},
	{"OrderBatch/Mixed", "PutOrders inserts, updates and refuses each record as PutOrder would, bumping only the written versions, keeps the pending index; GetOrders returns the records that exist", batchMixed},
	{"OrderBatch/ConcurrentWriters", "of many replicas writing the same batch (an insert and an update of one version), exactly one wins each record", batchRace},
	{"OrderBatch/Digests", "OrderDigests returns, per key in order, the digest of the record GetOrder returns (version, fingerprint, parked mark, the order's statuses and update time), in every state, pending or not, and the zero digest for a key without a record", digestsAgree},
	{"OrderBatch/Copies", "records GetOrders returned and PutOrders took keep their content when the store writes a new version (they may be shared with the caller, who does not change them)", batchCopies},
	{"Retention/CompactSettled", "CompactOrders turns the merchant's settled records older than the cutoff into tombstones (nothing pending, parked, held, recent, unconfirmed to its channel or of another merchant), which Tombstones returns and GetOrder no longer does", retentionCompactSettled},
	{"Retention/CompactLimit", "CompactOrders compacts at most limit records a call, so a host compacts in batches until none is left", retentionCompactLimit},
	{"Retention/TombstoneFields", "a tombstone keeps any fingerprint, status and order time as they were, the zero time included", retentionTombstoneFields},
	{"Retention/CompactRacesIntake", "a record changed while compaction runs keeps its change, and every key ends as a record or a tombstone", retentionCompactRacesIntake},
	{"Shipment/RoundTrip", "every field of a ShipmentRecord survives PutShipment and GetShipment; a missing one is ErrNotFound", shipmentRoundTrip},
	{"Shipment/CompareAndSet", "PutShipment inserts only when absent and replaces only the version it read", shipmentCAS},
	{"Shipment/ConcurrentWriters", "of many replicas inserting or updating the same shipment version, exactly one wins", shipmentRace},
	{"Shipment/Copies", "shipment records are copies: changing one after PutShipment or GetShipment does not change the store", shipmentCopies},
	{"Shipment/Pending", "PendingShipments returns only pending shipments of that merchant, oldest first, up to limit, and drops those no longer pending", shipmentPending},
	{"Stock/Levels", "PutLevels keeps, per SKU, the level with the later AsOf, per merchant", stockLevels},
	{"Stock/Reservations", "reservations are inserted, replaced by key, deleted (a missing one without error) and kept per merchant", stockReservations},
	{"Stock/Acked", "acknowledged values (zero and -1 included) and writes under way with their keys are merged per SKU and kept per merchant and channel", stockAcked},
	{"OrderBatch/Reserving", "PutOrdersReserving writes records as PutOrders does and changes each record's reservation (put or delete) with it, and never for a record refused", reservingMixed},
	{"OrderBatch/ReservingConcurrentWriters", "of many replicas writing the same record version each with its own reservation, exactly one wins, and its reservation is the one stored", reservingRace},
	{"Stock/BatchReservations", "PutReservations inserts and replaces by key, the later of a repeated key kept, per merchant", batchReservations},
	{"Quarantine", "quarantined items round-trip, list oldest first per merchant (or all), are replaced by ID and deleted", quarantine},
	{"Lease/Expiry", "a lease excludes others until it expires at the caller's now, then another owner takes it over", leaseExpiry},
	{"Lease/Renewal", "the owner renews its lease, pushing expiry past the old deadline", leaseRenewal},
	{"Lease/Release", "only the owner releases a lease; after that another owner takes it at once", leaseRelease},
	{"Lease/ConcurrentAcquire", "of many replicas acquiring a free lease at once, exactly one holds it", leaseRace},
	{"Context", "a call with a cancelled context returns an error", cancelledContext},
	{"Reopen", "nothing written is lost when the store is opened again, and versions carry on", reopen},
}

// t0 is the suite's fixed instant; stores get every time from the caller.
var t0 = time.Date(2026, 4, 1, 9, 30, 0, 123456000, time.UTC)
