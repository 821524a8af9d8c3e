// Package inventory keeps one stock pool for all of a merchant's channels and computes what each
// channel may sell.
//
// A [Pool] holds three things: the levels the warehouse reported ([Level], each with the moment it
// was true), the reservations for orders the warehouse has not yet counted ([Reservation]), and
// each channel's SKU mapping and policy ([Channel]). From them it computes, per channel SKU,
//
//	stock     = min over components of floor(max(0, onHand − reserved) / component quantity)
//	available = min(cap, floor(max(0, stock − buffer) × share / 100)), never below zero
//
// where reserved counts every open reservation on that warehouse SKU, whichever channel it came
// from: an order imported on one channel lowers every other channel in the same call. The buffer is
// counted in the channel SKU's own units (for a bundle, in bundles), and it is subtracted before the
// share is applied, so a share never turns the safety stock into sellable stock. Every rounding is
// down. The result therefore never exceeds on hand − reserved − buffer for any component
// (invariant 4 of the design).
//
// # Reservations and shipments
//
// A reservation holds stock from the moment an order is imported until the warehouse's own figures
// include it. A shipment does not release it: the pool marks the shipped quantity with its time and
// keeps it reserved until a level with AsOf at or after the shipment arrives for that SKU, because a
// snapshot taken before the shipment still counts the goods as on hand. Levels older than the one
// held are ignored, so snapshots and shipments may arrive in any order. A cancellation ([Pool.Release])
// gives back the unshipped part at once.
//
// Sales the engine does not import — a shop counter (POS), a phone order, a shop that is not
// connected — are reservations too: the host reserves them under a key of its own choosing (for
// example "pos:2026-11-28:0042") and reports their shipment or release like any other order.
//
// # Telling the channels
//
// Every method that changes stock returns the warehouse SKUs whose free stock changed. For an
// order's fan-out, [Pool.AffectedPlan] turns them into the new numbers of every channel SKU they
// reach, on every channel ([Pool.Affected] and [Pool.Available] do the same in two steps). For a
// full sync, [Pool.PlanChanges] compares a channel's whole plan with what the channel last
// acknowledged, read from the engine's ledger through a function; [Pool.Plan] and [Diff] do the
// same with maps, at roughly twice the cost on a large catalogue.
//
// # Unknown is not zero
//
// A channel SKU whose components the warehouse has not reported yet has no availability: [Pool.Plan]
// leaves it out and [Pool.Available] returns [ErrNoLevel]. The pool never tells a channel zero for
// something it merely has not heard about, and never a number for something it cannot resolve.
//
// # Quantities
//
// Non-positive quantities in items, reservations and shipments are ignored, as are empty SKUs and
// keys; negative on-hand figures count as zero; quantities above [MaxQuantity] count as
// MaxQuantity, so no sum can overflow. No input makes a method panic.
//
// # Concurrency
//
// A Pool is not safe for concurrent use. The engine serialises calls per merchant, and one Pool
// belongs to one merchant; a host calling it from several goroutines must hold its own lock.
//
// # Persistence
//
// The pool performs no I/O. [Pool.Levels] and [Pool.Reservations] return everything it holds apart
// from the channels (which the host configures); calling [Pool.SetLevels] and [Pool.Reserve] with
// them on a new Pool, in either order, rebuilds the same state.
//
// # Errors
//
// [Pool.Resolve], [Pool.Available] and [Pool.Explain] return a *[SKUError] naming the channel and
// SKU. Callers test it with errors.Is against:
//   - [ErrUnknownChannel]: no channel of that name was set.
//   - [ErrUnknownSKU]: the channel has an explicit SKU map without that SKU.
//   - [ErrNoLevel] (Available only): some component has no level yet, so the SKU has no number.
//
// [Policy.Validate] and [Channel.Validate] return errors matching [ErrInvalidPolicy].
package inventory
