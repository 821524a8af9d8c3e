// Package connector defines how Tobira talks to sales channels and warehouses.
//
// Channel side: OrderSource lists orders, ShipmentSink confirms shipments, StockTarget sets
// available stock. Warehouse side: Fulfiller takes fulfillment requests (and their changes and
// cancellations), ShipmentSource lists shipments, StockSource lists stock levels. Optional
// capabilities (PartialShipper, StockReader, ComparingTarget, Acknowledger, WebhookReceiver) are
// small interfaces found by type assertion.
//
// Connectors translate; they do not retry. Their errors say what happened, and the engine decides.
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
package connector
