// Delivery: moving each recorded order to its desired state at every warehouse (submit, change,
// cancel) and settling the outcome in the ledger.

package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var tokyo = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("JST", 9*60*60)
}()

// deliverPending drives every pending order of a channel to its warehouses. One order's
// permanent failure quarantines that order; a retryable failure ends the run (the warehouse is
// struggling) and leaves the rest pending.
func (e *Engine) deliverPending(ctx context.Context, m *merchant, ch *Channel, res *OrdersRun) error {
	bl, batched := e.store.(ledger.BatchOrderLedger)
	// seen keeps a record that stays pending (held until a date) from being delivered twice in
	// one run; every key is of this merchant and channel, so the order ID tells them apart.
	seen := make(map[string]struct{}, e.opt.PageLimit)
	for {
		recs, err := e.store.PendingOrders(ctx, m.cfg.ID, ch.ID, e.opt.PageLimit)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := requireOrder(rec); err != nil {
				return err
			}
		}
		var sb *settleBatch
		if batched {
			sb = &settleBatch{ch: ch, recs: make([]*ledger.OrderRecord, 0, len(recs)), after: make([]delivered, 0, len(recs))}
		}
		progressed := false
		var runErr error
		for _, rec := range recs {
			if _, ok := seen[rec.Key.OrderID]; ok {
				continue
			}
			seen[rec.Key.OrderID] = struct{}{}
			progressed = true
			wasQuarantined := rec.State == ledger.StateQuarantined
			if err := e.deliverTo(ctx, m, ch, rec, sb); err != nil {
				res.Remaining++
				if errors.Is(err, ledger.ErrConflict) {
					continue // another replica is on it
				}
				runErr = err
				break
			}
			if sb != nil && sb.holds(rec) {
				continue // counted when settled
			}
			switch {
			case rec.Pending:
				res.Remaining++
			case rec.State == ledger.StateQuarantined:
				if !wasQuarantined {
					res.Quarantined++ // a warehouse refused it for good
				}
			default:
				res.Delivered++
			}
		}
		if sb != nil {
			// What the warehouses answered before a failure is recorded all the same.
			if err := e.settleBatch(ctx, bl, m, sb, res); err != nil && runErr == nil {
				runErr = err
			}
		}
		if runErr != nil {
			return runErr
		}
		if !progressed || len(recs) < e.opt.PageLimit {
			return nil
		}
	}
}

// settleBatch collects the deliveries of a page that end in a plain settle, to record them with
// one PutOrders; after holds, per record, what deliver does once its record is written. PutOrders
// takes the records over, so nothing in after may modify them.
type settleBatch struct {
	ch    *Channel
	recs  []*ledger.OrderRecord
	after []delivered
}

func (b *settleBatch) holds(rec *ledger.OrderRecord) bool {
	return len(b.recs) > 0 && b.recs[len(b.recs)-1] == rec
}

// settleBatch is settle for a batch: every reservation first, then the records in one write, so
// that a crash anywhere in between leaves the unwritten records pending and the next run redoes
// both; on a store that writes each record with its reservation (ledger.ReservingOrderLedger),
// both in one call. A record whose write conflicts is left to the replica that wrote it.
func (e *Engine) settleBatch(ctx context.Context, bl ledger.BatchOrderLedger, m *merchant, b *settleBatch, res *OrdersRun) error {
	if len(b.recs) == 0 {
		return nil
	}
	var (
		touched []string
		errs    []error
		err     error
	)
	if rl, ok := e.store.(ledger.ReservingOrderLedger); ok {
		touched, errs, err = e.writeReserving(ctx, rl, m, b.recs, nil)
		if err != nil {
			res.Remaining += len(b.recs)
			return err
		}
	} else {
		touched, err = e.reserveAll(ctx, m, b.recs, nil)
		if err != nil {
			res.Remaining += len(b.recs)
			return err
		}
		errs = bl.PutOrders(ctx, b.recs)
		if len(errs) != len(b.recs) {
			res.Remaining += len(b.recs)
			return fmt.Errorf("tobira/sync: PutOrders answered %d results for %d records", len(errs), len(b.recs))
		}
	}
	// A record another writer replaced after its reservation was computed here keeps that
	// writer's version, whose reservation must stand (followLedger); written atomically with
	// the record, that one stands already, and followLedger brings the pool in line with it.
	var lost []*ledger.OrderRecord
	for i, err := range errs {
		if errors.Is(err, ledger.ErrConflict) {
			lost = append(lost, b.recs[i])
		}
	}
	more, ferr := e.followLedger(ctx, m, lost)
	// The pool already holds the reservations, written or not: push what they changed.
	e.pushAffected(ctx, m, append(touched, more...))
	first := ferr
	for i, rec := range b.recs {
		err := errs[i]
		if err == nil {
			err = e.finish(ctx, m, b.ch, &b.after[i])
		}
		switch {
		case err != nil:
			res.Remaining++
			if !errors.Is(err, ledger.ErrConflict) && first == nil {
				first = err
			}
		case rec.Pending:
			res.Remaining++
		default:
			res.Delivered++
		}
	}
	return first
}

// openRequests adds a new request for each warehouse the order's open lines are routed to and
// that has none active. Intake calls it for an order it can deliver at once, so that the record
// written before the first Submit holds the request: a Submit whose answer is lost is then known
// to the next run whatever changes meanwhile (the order, or where its lines are routed).
//
// Each new request notes the content its Submit carries (Lines, ShippingFP): every Submit under its
// key carries that content (see Request.Replay), so the noted content is what the warehouse holds
// if any landed, wherever the lines are routed later.
func openRequests(m *merchant, rec *ledger.OrderRecord, routes routeSet) {
	if rec.Order.Status == order.StatusCancelled {
		return
	}
	fp := ""
	for _, rt := range routes {
		if d := rt.dest; m.warehouses[d] != nil && hasOpen(rt.lines) && activeRequest(rec, d) < 0 {
			if rec.Requests == nil {
				rec.Requests = make([]ledger.Request, 0, len(routes))
			}
			if fp == "" {
				fp = rec.Order.ShippingFingerprint()
			}
			rec.Requests = append(rec.Requests, ledger.Request{Target: d, Key: nextRequestKey(rec, d), State: ledger.RequestNew, Lines: wantLines(rt.lines), ShippingFP: fp})
		}
	}
}

// deliver moves one order toward its desired state at every warehouse: submit, change, cancel.
// The outcomes are recorded together at the end; a crash before that repeats the calls with the
// same idempotency keys (derived from the recorded state), which the warehouses answer as before.
func (e *Engine) deliver(ctx context.Context, m *merchant, ch *Channel, rec *ledger.OrderRecord) error {
	return e.deliverTo(ctx, m, ch, rec, nil)
}

// deliverTo does deliver's work for a run that records many orders at once: given a batch, it
// leaves the record's last write to the batch, so a page of orders costs one store call.
func (e *Engine) deliverTo(ctx context.Context, m *merchant, ch *Channel, rec *ledger.OrderRecord, batch *settleBatch) error {
	o := rec.Order
	cancelled := o.Status == order.StatusCancelled
	sent := slices.ContainsFunc(rec.Requests, func(r ledger.Request) bool { return r.State != ledger.RequestNew })
	if rec.State == ledger.StateQuarantined {
		rec.Pending = false
		return e.store.PutOrder(ctx, rec)
	}
	if reason, timed := e.holdReason(ch, rec); reason != "" && !cancelled && (!sent || rec.ManualHold) {
		wasHeld := rec.State == ledger.StateHeld && rec.HoldReason == reason
		rec.State, rec.HoldReason, rec.Pending = ledger.StateHeld, reason, timed
		if err := e.settle(ctx, m, rec); err != nil {
			return err
		}
		if !wasHeld {
			emit(e, OrderHeld{Key: rec.Key, Reason: reason})
		}
		return nil
	}
	rec.HoldReason = ""
	var buf [2]route
	routes := m.cfg.routes(ch.ID, o, buf[:0])
	n := len(rec.Requests)
	if openRequests(m, rec, routes); len(rec.Requests) > n {
		// Requests opened here (an order whose hold lifted) are recorded before their Submit, as
		// intake records the others.
		if err := e.store.PutOrder(ctx, rec); err != nil {
			return err
		}
	}
	// Lines routed away are reported when they change, once the write recording them lands.
	away := routedAway(m, rec, routes, cancelled)
	shipFP := o.ShippingFingerprint()
	progressed := false
	for i := range rec.Requests {
		r := &rec.Requests[i]
		wh := m.warehouses[r.Target]
		if wh == nil {
			continue // the warehouse was removed from the configuration; the request stays as it was
		}
		if err := m.stoppedErr(r.Target); err != nil {
			return err
		}
		e.checkCredential(m, r.Target, wh.Fulfiller)
		var want []connector.LineQuantity
		lines := routes.lines(r.Target)
		if !cancelled {
			want = wantLines(lines)
		}
		var err error
		switch p := r.Replay; {
		case p != nil && r.State == ledger.RequestNew && len(want) == 0:
			// A whole cancellation needs no repeat: it cancels whatever landed under the key, and
			// every Submit under it carried the noted content.
			r.Replay = nil
		case p != nil:
			// A call for an earlier content may have landed with its answer lost: repeat it, with
			// its key, and the answer says what the warehouse holds.
			pl := replayLines(m, ch.ID, r)
			if _, err = e.step(ctx, m, wh, rec, r, subset(p, pl), wantLines(pl), p.ShippingFingerprint()); err == nil {
				r.Replay, progressed = nil, true // recorded even if the next call fails
			}
		}
		done := false
		if err == nil {
			done, err = e.step(ctx, m, wh, rec, r, subset(o, lines), want, shipFP)
		}
		if err != nil {
			switch connector.Classify(err) {
			case connector.Unauthorized:
				e.stop(ctx, m, r.Target, err)
				return fmt.Errorf("%w: %w", ErrStopped, err)
			case connector.Permanent:
				if qerr := e.quarantineOrder(ctx, rec.Key, o, "warehouse "+r.Target+" refused the request: "+err.Error()); qerr != nil {
					return qerr
				}
				rec.State, rec.Pending = ledger.StateQuarantined, false
				return e.settle(ctx, m, rec)
			}
			if progressed {
				// Keep what the warehouses answered so far; the failed call is tried again later.
				if perr := e.store.PutOrder(ctx, rec); perr == nil {
					e.reportRouting(away)
				}
			}
			return scrubErr(err, o)
		}
		// Outcomes are recorded once, at the end: repeating a call after a crash is safe, since
		// each carries a key derived from the recorded state, and one write per order is cheap.
		progressed = progressed || done
	}
	wasShipped := rec.State == ledger.StateShipped
	rec.State = orderState(m, rec)
	// A shipped order may have become complete here (its last open units were cancelled) with
	// shipments waiting for completion: it stays pending until they are woken, so that a crash in
	// between wakes them at the next run.
	wake := rec.State == ledger.StateShipped && len(rec.Shipments) > 0
	rec.Pending = wake
	d := delivered{rec: rec, away: away, wasShipped: wasShipped, wake: wake}
	// A batch hands rec over to the store (BatchOrderLedger.PutOrders), after which finish may
	// only read it; waking shipments writes rec again, so those few settle here.
	if batch != nil && !wake {
		batch.recs, batch.after = append(batch.recs, rec), append(batch.after, d)
		return nil
	}
	if err := e.settle(ctx, m, rec); err != nil {
		return err
	}
	return e.finish(ctx, m, ch, &d)
}

// delivered is what a delivery leaves to do once its record is written (finish).
type delivered struct {
	rec        *ledger.OrderRecord
	away       []LinesRoutedAway // events for lines routed away, to report
	wasShipped bool              // the record was shipped before the delivery
	wake       bool              // the order is complete with shipments waiting for it
}

// finish does what follows the write of a delivery's record: the events, waking the shipments
// that waited for the order to complete, and the channel's acknowledgement. Unless d.wake, it
// only reads the record, which a batch has handed over to the store.
func (e *Engine) finish(ctx context.Context, m *merchant, ch *Channel, d *delivered) error {
	rec := d.rec
	e.reportRouting(d.away)
	if !d.wasShipped && rec.State == ledger.StateShipped {
		emit(e, OrderShipped{Key: rec.Key})
	}
	if d.wake {
		if err := e.wakeWaiting(ctx, m, rec); err != nil {
			return err
		}
		rec.Pending = false
		if err := e.store.PutOrder(ctx, rec); err != nil {
			return err
		}
	}
	if ack, ok := ch.Source.(connector.Acknowledger); ok && rec.State == ledger.StateSent && len(rec.Shipments) == 0 {
		// Best effort: the platform wants to know the warehouse took the order in. A failure is
		// logged, never a reason to send the order twice. The connector gets its own lines: the
		// order is shared with the store's records, which must not see them change.
		o := *rec.Order
		o.Lines = slices.Clone(o.Lines)
		if err := ack.AcknowledgeOrder(ctx, o); err != nil {
			e.opt.Logger.WarnContext(ctx, "tobira: acknowledging order failed", attrMerchant, rec.Key.Merchant, attrChannel, rec.Key.Channel,
				attrFlow, "orders", "order", rec.Key.OrderID, "err", scrubErr(err, rec.Order).Error())
		}
	}
	return nil
}

// reportRouting emits the LinesRoutedAway events of a delivery whose record was written.
func (e *Engine) reportRouting(away []LinesRoutedAway) {
	for _, ev := range away {
		emit(e, ev)
	}
}

// settle records the end of a delivery: the reservation is brought in line with the record
// first, so that a crash between the two leaves the record pending and the next run redoes both.
func (e *Engine) settle(ctx context.Context, m *merchant, rec *ledger.OrderRecord) error {
	skus, err := e.reserve(ctx, m, rec)
	if err != nil {
		return err
	}
	if err := e.store.PutOrder(ctx, rec); err != nil {
		if errors.Is(err, ledger.ErrConflict) {
			// Another writer replaced the record after its reservation was computed here: the
			// ledger's version must be the one reserved (followLedger).
			more, ferr := e.followLedger(ctx, m, []*ledger.OrderRecord{rec})
			e.pushAffected(ctx, m, append(skus, more...))
			if ferr != nil {
				return ferr
			}
		}
		return err
	}
	e.pushAffected(ctx, m, skus)
	return nil
}

// routedAway returns the LinesRoutedAway events to emit, and records them in rec.Away: one for
// each destination other than a warehouse whose lines differ from what was last reported, with
// every line now going there (none when the lines were cancelled or removed since).
func routedAway(m *merchant, rec *ledger.OrderRecord, routes routeSet, cancelled bool) []LinesRoutedAway {
	if len(rec.Away) == 0 && !slices.ContainsFunc(routes, func(r route) bool { return m.warehouses[r.dest] == nil }) {
		return nil // every line goes to a warehouse, and none went elsewhere before: the usual order
	}
	dests := map[string]bool{}
	for _, r := range routes {
		dests[r.dest] = true
	}
	for d := range rec.Away {
		dests[d] = true
	}
	var out []LinesRoutedAway
	for _, d := range slices.Sorted(maps.Keys(dests)) {
		if m.warehouses[d] != nil {
			continue
		}
		var lines []connector.LineQuantity
		if !cancelled {
			lines = wantLines(routes.lines(d))
		}
		digest := linesDigest(lines)
		prev, reported := rec.Away[d]
		if (reported && prev == digest) || (!reported && len(lines) == 0) {
			continue
		}
		out = append(out, LinesRoutedAway{Key: rec.Key, Destination: d, Lines: lines})
		if len(lines) == 0 {
			delete(rec.Away, d)
			continue
		}
		if rec.Away == nil {
			rec.Away = map[string]string{}
		}
		rec.Away[d] = digest
	}
	return out
}

// step makes one warehouse call for one request if its content differs from what is wanted, and
// updates r from the answer. It reports whether r changed and must be recorded.
func (e *Engine) step(ctx context.Context, m *merchant, wh *Warehouse, rec *ledger.OrderRecord, r *ledger.Request, sub order.Order, want []connector.LineQuantity, shipFP string) (bool, error) {
	f := wh.Fulfiller
	resubmitted := false
	switch {
	case r.State == ledger.RequestCancelled:
		return false, nil
	case len(want) == 0:
		// Whole cancellation, also of a request never acknowledged: its Submit may have landed
		// before a crash, and the warehouse must not ship it.
		if r.Refused == "cancel" {
			return false, nil
		}
		a, err := f.Cancel(ctx, connector.CancelRequest{Key: r.Key, IdempotencyKey: key(r.Key, "cancel", strconv.Itoa(r.Seq)), Reason: "cancelled on channel " + rec.Key.Channel})
		if err != nil {
			return false, err
		}
		r.Seq++
		if a.Accepted {
			r.State, r.Lines, r.Refused, r.RefusedReason = ledger.RequestCancelled, nil, "", ""
			emit(e, OrderCancelled{Key: rec.Key, Warehouse: r.Target})
		} else {
			r.Refused, r.RefusedReason = "cancel", a.Reason
			emit(e, CancelRefused{Key: rec.Key, Warehouse: r.Target, Reason: a.Reason})
		}
		return true, nil
	case r.State == ledger.RequestNew:
		if err := f.Submit(ctx, connector.FulfillmentRequest{Key: r.Key, Merchant: rec.Key.Merchant, Channel: rec.Key.Channel, Order: sub}); err != nil {
			return false, err
		}
		if r.ShippingFP == "" || r.ShippingFP == shipFP && sameLines(r.Lines, want) {
			// Whatever landed under this key carried this content.
			r.State, r.Lines, r.ShippingFP = ledger.RequestSent, want, shipFP
			emit(e, OrderSent{Key: rec.Key, Warehouse: r.Target, Request: r.Key})
			return true, nil
		}
		// An earlier content may have been submitted under this key (intake recorded it in
		// r.Lines and r.ShippingFP), its answer lost: Submit then had no effect, and the warehouse
		// holds that content or this one. The whole content goes again, as a change.
		resubmitted = true
	}
	digest := linesDigest(want) + "|" + shipFP
	same := r.ShippingFP == shipFP && sameLines(r.Lines, want)
	if !resubmitted && (same && !r.Unsure || r.Refused == digest) {
		return false, nil
	}
	seq := strconv.Itoa(r.Seq)
	var (
		a   connector.Answer
		err error
	)
	cut, onlyFewer := decreases(r.Lines, want)
	cancelOnly := onlyFewer && r.ShippingFP == shipFP && !same
	// A partial cancellation is relative to what the warehouse holds, so it is sent only when
	// that is known; otherwise a change carries the whole content.
	partial := cancelOnly && !resubmitted && !r.Unsure
	if partial {
		a, err = f.Cancel(ctx, connector.CancelRequest{Key: r.Key, IdempotencyKey: key(r.Key, "cancel", seq, digest), Lines: cut, Reason: "lines cancelled on channel " + rec.Key.Channel})
	} else {
		a, err = f.Change(ctx, connector.ChangeRequest{Key: r.Key, IdempotencyKey: key(r.Key, "change", seq, digest), Order: sub})
	}
	if err != nil {
		return false, err
	}
	if resubmitted {
		r.State = ledger.RequestSent
		emit(e, OrderSent{Key: rec.Key, Warehouse: r.Target, Request: r.Key})
	}
	r.Seq++
	switch {
	case a.Accepted:
		r.Lines, r.ShippingFP, r.Refused, r.RefusedReason, r.Unsure = want, shipFP, "", "", false
		switch {
		case resubmitted || same:
			// Nothing the host has not heard: the content is what OrderSent or an earlier
			// event reported.
		case cancelOnly:
			emit(e, OrderCancelled{Key: rec.Key, Warehouse: r.Target, Lines: cut})
		default:
			emit(e, OrderChanged{Key: rec.Key, Warehouse: r.Target})
		}
	case cancelOnly:
		r.Refused, r.RefusedReason = digest, a.Reason
		emit(e, CancelRefused{Key: rec.Key, Warehouse: r.Target, Lines: cut, Reason: a.Reason})
	default:
		r.Refused, r.RefusedReason = digest, a.Reason
		emit(e, ChangeRefused{Key: rec.Key, Warehouse: r.Target, Reason: a.Reason})
	}
	return true, nil
}

// wakeWaiting puts the order's shipments that wait for its completion back in the outbox: the
// next SyncShipments confirms them, now that the order is complete.
func (e *Engine) wakeWaiting(ctx context.Context, m *merchant, rec *ledger.OrderRecord) error {
	for _, entry := range rec.Shipments {
		whs := []string{entry.Warehouse}
		if entry.Warehouse == "" {
			whs = slices.Collect(maps.Keys(m.warehouses))
		}
		for _, wh := range whs {
			srec, err := e.store.GetShipment(ctx, shipmentID(m.cfg.ID, wh, entry.ID))
			if errors.Is(err, ledger.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if srec.State != ledger.ShipmentWaiting || srec.Shipment.Channel != rec.Key.Channel || srec.Shipment.OrderID != rec.Key.OrderID {
				continue
			}
			srec.State = ledger.ShipmentPending
			if err := e.store.PutShipment(ctx, srec); err != nil && !errors.Is(err, ledger.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

// orderState summarizes the requests: the order is shipped once every unit due from its
// warehouses has shipped, which a cancellation of the last open units can also bring about.
func orderState(m *merchant, rec *ledger.OrderRecord) ledger.OrderState {
	if len(rec.Requests) == 0 {
		if rec.Order.Status == order.StatusCancelled {
			return ledger.StateCancelled
		}
		return ledger.StateNotRouted
	}
	cancelled := true
	shipped := rec.State == ledger.StateShipped || (len(rec.Shipments) > 0 && shippedAll(m, rec))
	for _, r := range rec.Requests {
		if r.State != ledger.RequestCancelled {
			cancelled = false
		}
	}
	switch {
	case cancelled:
		return ledger.StateCancelled
	case shipped:
		return ledger.StateShipped
	}
	return ledger.StateSent
}
