// Package sync is Tobira's engine: it moves orders from channels to warehouses, shipments from
// warehouses to channels, and stock from warehouses to channels, for any number of merchants.
//
// Hosts use the standard library's sync too, so they import this one under an alias, as the
// examples do:
//
//	import tobirasync "github.com/tobira-commerce/tobira/sync"
//
// # Flows
//
// The host calls the flows on its own schedule, or calls Run:
//
//   - SyncOrders(ctx, merchant, channel) lists a channel's orders in UTC windows of update time
//     (up to now, with a cursor that trails by a settle delay, an overlap and a periodic wider gap
//     sweep), records each in the order ledger, moves the cursor only after the page is recorded,
//     delivers pending work to the warehouses (submit, change, cancel, each with an idempotency
//     key derived from the order) and fans the stock it changed out to every channel at once.
//     IngestOrder takes a pushed order (a webhook) through the same path.
//   - SyncShipments(ctx, merchant, warehouse) lists shipments into an outbox and confirms each to
//     its channel once; RecordShipment does the same for a shipment the host reports.
//   - SyncStock(ctx, merchant) reads warehouse levels and pushes every channel's availability
//     that differs from what the channel acknowledged; SetOnHand and ReportSale feed the pool.
//     Every imported order lowers every channel's availability at once.
//
// # Storage, replicas, time
//
// Everything the engine knows is in a store the host supplies (sync/memstore, sync/sqlstore or
// its own, written to the contract in sync/ledger and proved by sync/storetest). Each partition (merchant, channel or warehouse, flow) runs one at a time in this
// process and, through a lease in the Store, across replicas; so do the stock pushes to each
// channel, whose order matters. All time comes from Options.Clock.
//
// # Operating it
//
// What cannot be processed is quarantined (ListQuarantine, ItemQuarantined) and stays so, listed
// again unchanged, until the host retries it (Retry) or the channel sends a new version
// (QuarantineLifted says which). HeldOrders and UnsentOrders list what waits. Close stops the
// engine for a deployment and hands its partitions to the other replicas at once. Options.Logger
// gets one record per flow run and per failure, with the merchant, the channel or warehouse and
// the flow, and never an order's personal data.
//
// Options.Telemetry hears of each flow run (its start, then its outcome, duration and counts)
// and, when it is also a connector.CallObserver, of each platform call the run makes through
// connector/httpclient, for metrics and traces. The nested module
// github.com/tobira-commerce/tobira/sync/otel maps them to OpenTelemetry; hosts that do not
// import it never build OpenTelemetry.
//
// # Usage and cost
//
// Usage returns what each channel's and warehouse's platform calls spent, per credential and
// operation, against the budget the platform allows, for connectors that count them
// (connector.UsageReporter). When a flow of a channel runs and its calls are on course to exceed
// one of the platform's caps (an hourly or daily quota) within the cap's window, the host gets a
// UsageForecast event, once per window.
//
// # Errors
//
// ErrUnknownMerchant, ErrStopped (credentials refused: the channel waits for PutMerchant),
// ErrPaused, ErrBusy (another replica holds the lease) and ErrClosed (Close was called) from the
// flows; ErrQuarantined from IngestOrderStrict; ledger.ErrNotFound and ledger.ErrConflict from
// stores. Errors of connectors pass through wrapped and keep their
// connector error values.
package sync
