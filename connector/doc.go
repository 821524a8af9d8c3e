// Package connector defines how Tobira talks to sales channels and warehouses.
//
// Channel side: OrderSource lists orders, ShipmentSink confirms shipments, StockTarget sets
// available stock. Warehouse side: Fulfiller takes fulfillment requests (and their changes and
// cancellations), ShipmentSource lists shipments, StockSource lists stock levels. Optional
// capabilities (PartialShipper, StockReader, ComparingTarget, Acknowledger, WebhookReceiver,
// CredentialExpirer, UsageReporter) are small interfaces found by type assertion.
//
// Connectors translate; they do not retry. Their errors say what happened, and the engine decides.
//
// A context may carry a CallObserver (WithCallObserver): the engine's flow runs carry the host's
// telemetry, and connector/httpclient reports each call made with such a context to it. A
// connector that talks to its platform some other way may report its calls the same way.
//
// # Stability
//
// These interfaces are meant to be implemented by third parties; new capabilities arrive as new
// optional interfaces, never as methods added to these.
//
// # Errors
//
// ErrUnauthorized, ErrPermanent, ErrNotFound, ErrTemporary, ErrOutcomeUnknown and ErrConflict,
// tested with errors.Is; *RateLimitError, with errors.As, carries the wait. Classify maps any
// error to what the engine does with it.
//
// # Writing a connector in an afternoon
//
// A connector is a translator between one platform's API and the types of packages order,
// shipment and inventory. The engine owns everything else: scheduling, retries, idempotency keys,
// the ledger, stock arithmetic. Five steps:
//
// 1. Pick the interfaces your platform can serve. A mall or cart implements OrderSource (list
// orders created or changed in a window of update time, a page at a time, with an opaque Cursor
// of your choosing), ShipmentSink (confirm a shipment, idempotent on the shipment's ID) and
// StockTarget (set absolute quantities in batches no larger than BatchLimit). A warehouse (a
// WMS or a 3PL's API) implements Fulfiller (Submit, Change and Cancel, each idempotent on its
// key; a refusal because the parcel was picked or shipped is Answer{Accepted: false}, not an
// error), ShipmentSource and StockSource (listings that return a Next cursor on every page,
// levels carrying the AsOf time they were true). Carry the platform's own IDs the other calls
// need (line item IDs, basket IDs, package references) in order.Order.Refs and order.Line.Refs:
// the engine hands them back untouched.
//
// 2. Declare what your platform can do beyond that with the optional interfaces, and only
// those: PartialShipper (false if a shipment must cover the whole order), ComparingTarget (true
// if the platform honours StockUpdate.Compare, answering a mismatch with ErrConflict),
// StockReader (read stock back for reconciliation), Acknowledger (mark an order as taken in) and
// WebhookReceiver (an http.Handler that verifies the platform's signature and hands each order
// to Intake, exactly as if it had been polled).
//
// 3. Map every failure to the error values, wrapping with %w so errors.Is finds them: an expired
// or revoked credential (401, 403) is ErrUnauthorized; a request the platform will refuse again
// (400, 422, an unknown SKU) is ErrPermanent; a missing object (404) is ErrNotFound; 5xx and
// broken connections are ErrTemporary; a throttle (429 with Retry-After, Shopify's THROTTLED,
// BASE's hour_api_limit) is a *RateLimitError with the wait the platform asked for; a write that
// timed out after it was sent goes through WriteFailed and becomes ErrOutcomeUnknown, never a
// plain temporary error, since it may have landed. Classify is how the engine reads them: check
// that yours classify as you mean. Never retry or sleep inside a connector, and return promptly
// when ctx is cancelled.
//
// 4. Build requests with package connector/httpclient instead of net/http directly. It is
// go-retryablehttp with the policy the platforms need: a rate.Limiter per credential sized from
// the platform's published limits, Retry-After and platform throttle signals honoured (by
// default a throttle comes back at once as a *RateLimitError, after one request, so the engine
// paces itself), retries of writes only with an idempotency key, a timeout per attempt, a cap on
// response size, strict decoding whose errors name the field, failures already mapped to the
// values above, and a logger that redacts tokens and personal data. Name each request's
// Operation and its client's Meter counts what every credential spends; implement UsageReporter
// from it (Meter.Usage) so the host sees your platform's calls against its budget, and give the
// client the platform's caps (httpclient.Config.Caps) and, where its answers state a budget, a
// BudgetFunc.
//
// 5. Write the fake before the connector: an httptest.Server built from the platform's official
// API reference, not from what the connector happens to send. Same paths and methods, same field
// names and JSON shapes, the same pagination (cursor, page number or link header, with its page
// size limits), the same auth checks (reject a missing or wrong token with the platform's status
// and body), the same error bodies, and throttling on demand with the platform's own signal.
// Export it as a test helper package (connector/shopify/shopifytest is the model) so hosts can
// test against it too. Then prove the connector with the conformance suite, one call per
// interface, from the connector's own test (a channel connector in all three roles takes one):
//
//	func TestConformance(t *testing.T) {
//		conformance.TestChannel(t, harness{}) // harness: New(t) returns the connector and a seeder over the fake
//	}
//
// Package connector/conformance lists the harness each suite needs and what it checks; the
// memory connectors (connector/memory, whose conformance_test.go is a complete example) pass
// every suite. A store a host writes for the engine has its own suite, sync/storetest.
package connector
