// Deciding on one order a channel listed or pushed (new, changed, no news, invalid) and
// recording it in the ledger before anything is sent.

// The order flow: SyncOrders lists a channel's orders window by window, and IngestOrder takes
// pushed ones; each order is decided on (new, changed, no news, invalid) and recorded before
// the cursor moves, then delivered (deliver.go).

package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// intake records one order in the ledger: new, changed, cancelled or unchanged. It returns the
// warehouse SKUs whose reservations changed.
func (e *Engine) intake(ctx context.Context, m *merchant, ch *Channel, o *order.Order, res *OrdersRun) ([]string, error) {
	res.Seen++
	return e.intakeOne(ctx, m, ch, o, res)
}

// intakeOne is intake without counting the order as seen.
func (e *Engine) intakeOne(ctx context.Context, m *merchant, ch *Channel, o *order.Order, res *OrdersRun) ([]string, error) {
	k := ledger.OrderKey{Merchant: m.cfg.ID, Channel: ch.ID, OrderID: o.ID}
	for attempt := 0; ; attempt++ {
		rec, err := e.getOrder(ctx, k)
		if errors.Is(err, ledger.ErrNotFound) {
			var t *ledger.Tombstone
			if t, err = e.tombstone(ctx, k); err == nil && t != nil {
				return nil, e.relisted(ctx, k, t, o, res) // retention.go
			}
			rec = nil
		}
		if err != nil {
			return nil, err
		}
		skus, err := e.record(ctx, m, ch, k, rec, o, res)
		if errors.Is(err, ledger.ErrConflict) && attempt < 3 {
			continue // another replica or a webhook wrote first: decide again on its version
		}
		return skus, err
	}
}

// decision is what intake makes of one listed order against its record.
type decision struct {
	kind   decisionKind
	rec    *ledger.OrderRecord // decideWrite: the record to write, then reserve for
	isNew  bool
	fp     string
	reason string // why the order cannot be processed, or ""
}

type decisionKind int

const (
	decideUnchanged decisionKind = iota
	// decideWrite: a valid new or changed order whose record was not quarantined; one write
	// followed by its reservation records it, so a page of them can share one batch.
	decideWrite
	// decideOther: the quarantine paths, which write more than the record; record handles them.
	decideOther
)

// decide classifies o against rec. For decideWrite it updates rec (or a new record) in place;
// when rec is shared (BatchOrderLedger.GetOrders), it updates a clone. checked, if not nil, is
// checkSKUs' answer for o, found ahead for its page (checkPageSKUs).
func (e *Engine) decide(m *merchant, ch *Channel, k ledger.OrderKey, rec *ledger.OrderRecord, o *order.Order, shared bool, checked *skuCheck) decision {
	// Most orders a listing returns are unchanged (the overlap, the sweep, duplicate pushes):
	// decide that before anything costlier, and without allocating.
	var buf [64]byte
	fpb := o.AppendFingerprint(buf[:0])
	if rec != nil {
		if d := ledger.DigestOf(rec); noNews(&d, o, fpb) {
			return decision{kind: decideUnchanged}
		}
	}
	fp := string(fpb)
	reason := ""
	if err := o.Validate(); err != nil {
		reason = err.Error()
	} else if checked != nil && checked.err != nil {
		reason = fmt.Sprintf("line with SKU %q: %v", checked.sku, checked.err)
	} else if checked == nil {
		if sku, err := e.checkSKUs(m, ch.ID, o); err != nil {
			reason = fmt.Sprintf("line with SKU %q: %v", sku, err)
		}
	}
	if reason != "" || (rec != nil && (rec.State == ledger.StateQuarantined || rec.Parked != "")) {
		return decision{kind: decideOther, fp: fp, reason: reason}
	}
	d := decision{kind: decideWrite, rec: rec, fp: fp}
	switch {
	case rec == nil:
		d.rec, d.isNew = &ledger.OrderRecord{Key: k, State: ledger.StateRecorded}, true
	case shared:
		d.rec = rec.Clone()
	}
	e.applyOrder(m, ch, d.rec, o, fp)
	return d
}

// noNews reports whether o, whose fingerprint is fp, is no news against the record digested in d:
// decide's test for an unchanged order, which a page answers from digests alone when the store
// has them (ledger.OrderDigester) and from the records otherwise.
func noNews(d *ledger.OrderDigest, o *order.Order, fp []byte) bool {
	if !d.HasOrder {
		return false // a broken record: reading it whole reports it
	}
	if !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(d.UpdatedAt) {
		return true // an older version than the one recorded: a late webhook or a stale page
	}
	// A quarantined record holds the fingerprint of the version quarantined: the same version
	// listed again is no news, and stays quarantined until the host retries it (Retry) or the
	// channel sends another.
	if d.Fingerprint == string(fp) && d.Status == o.Status && d.ChannelStatus == o.ChannelStatus {
		return true
	}
	return d.Parked != "" && d.Parked == parkedMark(fp, o) // the version quarantined, listed again
}

// applyOrder puts a valid version of the order into its record, marking it for delivery.
func (e *Engine) applyOrder(m *merchant, ch *Channel, rec *ledger.OrderRecord, o *order.Order, fp string) {
	// A cancellation leaves the fingerprint as it was, but the warehouse must hear of it all the
	// same: a Submit whose answer was lost may have landed.
	cancelled := rec.Order != nil && o.Status == order.StatusCancelled && rec.Order.Status != order.StatusCancelled
	if rec.Fingerprint != fp || cancelled {
		markUnacknowledged(m, ch.ID, rec)
	}
	rec.Order, rec.Fingerprint, rec.Pending, rec.UpdatedAt = o, fp, true, e.opt.Clock.Now()
	if reason, _ := e.holdReason(ch, rec); reason == "" {
		var buf [2]route
		openRequests(m, rec, m.cfg.routes(ch.ID, o, buf[:0]))
	}
}

func (e *Engine) record(ctx context.Context, m *merchant, ch *Channel, k ledger.OrderKey, rec *ledger.OrderRecord, o *order.Order, res *OrdersRun) ([]string, error) {
	d := e.decide(m, ch, k, rec, o, false, nil)
	switch d.kind {
	case decideUnchanged:
		res.Unchanged++
		return nil, nil
	case decideWrite:
		if d.isNew {
			res.New++
		} else {
			res.Changed++
		}
		if err := e.store.PutOrder(ctx, d.rec); err != nil {
			return nil, err
		}
		return e.reserveWritten(ctx, m, d.rec)
	}
	if d.reason != "" {
		if rec != nil && rec.State != ledger.StateQuarantined {
			// A broken new version of a good order: park the version, keep the order as it was.
			// The entry first: the record's mark makes a repeat of this version no news.
			if err := e.quarantineOrder(ctx, k, o, d.reason); err != nil {
				return nil, err
			}
			rec.Parked = parkedMark([]byte(d.fp), o)
			if err := e.store.PutOrder(ctx, rec); err != nil {
				return nil, err
			}
			res.Quarantined++
			return nil, nil
		}
		if rec == nil {
			rec = &ledger.OrderRecord{Key: k}
		} else if rec.Fingerprint == d.fp && rec.State == ledger.StateQuarantined {
			res.Unchanged++
			return nil, nil
		}
		// The quarantine entry first: the record is what makes a repeat of this version
		// "unchanged", so it must not exist without the entry.
		if err := e.quarantineOrder(ctx, k, o, d.reason); err != nil {
			return nil, err
		}
		rec.Order, rec.State, rec.Pending, rec.UpdatedAt = o, ledger.StateQuarantined, false, e.opt.Clock.Now()
		rec.Fingerprint = d.fp
		res.Quarantined++
		return nil, e.store.PutOrder(ctx, rec)
	}
	if rec.State != ledger.StateQuarantined {
		// A valid version of an order whose previous version was parked (Parked): the entry
		// goes first, then the record takes the version as any change.
		res.Changed++
		id := quarantineID("order", k)
		if err := e.store.DeleteQuarantine(ctx, id); err != nil {
			return nil, err
		}
		rec.Parked = ""
		e.applyOrder(m, ch, rec, o, d.fp)
		if err := e.store.PutOrder(ctx, rec); err != nil {
			return nil, err
		}
		e.lifted(ctx, k, id, LiftedNewVersion)
		return e.reserveWritten(ctx, m, rec)
	}
	// A valid version of a quarantined order: a new one, or the one the host retried.
	res.Changed++
	rec.State = ledger.StateRecorded
	why := LiftedNewVersion
	if rec.Fingerprint == retriedMark {
		why = LiftedRetried
	}
	// Before the record: a crash in between leaves the record quarantined, and the next
	// listing processes this version again.
	id := quarantineID("order", k)
	if err := e.store.DeleteQuarantine(ctx, id); err != nil {
		return nil, err
	}
	e.applyOrder(m, ch, rec, o, d.fp)
	if err := e.store.PutOrder(ctx, rec); err != nil {
		return nil, err
	}
	e.lifted(ctx, k, id, why)
	return e.reserveWritten(ctx, m, rec)
}

// markUnacknowledged is called when a recorded order changes in what its warehouses must hear of
// (its content, or its cancellation) while its last delivery has not finished (the record is
// still pending): a call for the recorded content may have landed with its answer lost. A Submit
// with the same key then has no further effect, so a request still new notes that content as what
// its warehouse may hold (the first time only). Either way the request keeps the recorded order as
// its Replay: delivery repeats the call for it (a Submit with that content, or the change or
// cancellation), with its key, before sending the new content, so the warehouse holds a content
// the engine knows, or answers whether the call had landed.
func markUnacknowledged(m *merchant, channel string, rec *ledger.OrderRecord) {
	if !rec.Pending || rec.Order.Status == order.StatusCancelled {
		return // the last delivery finished, or it only cancelled (absolute, keyed by its turn)
	}
	fp := rec.Order.ShippingFingerprint()
	routes := m.cfg.routes(channel, rec.Order, nil)
	// A request still new noted at its creation the content its Submit carries: repeat that.
	for i := range rec.Requests {
		if r := &rec.Requests[i]; r.State == ledger.RequestNew && r.Replay == nil && r.ShippingFP != "" {
			r.Replay = rec.Order
		}
	}
	for _, rt := range routes {
		d, lines := rt.dest, wantLines(rt.lines)
		if m.warehouses[d] == nil || len(lines) == 0 {
			continue
		}
		i := activeRequest(rec, d)
		switch {
		case i < 0 && rec.State == ledger.StateRecorded && len(rec.Requests) == 0:
			// A record written before requests were recorded ahead of their Submit: one may have
			// gone to where the lines are routed.
			rec.Requests = append(rec.Requests, ledger.Request{Target: d, Key: nextRequestKey(rec, d), State: ledger.RequestNew, Lines: lines, ShippingFP: fp, Replay: rec.Order})
		case i < 0:
		case rec.Requests[i].State == ledger.RequestNew && rec.Requests[i].ShippingFP == "":
			rec.Requests[i].Lines, rec.Requests[i].ShippingFP, rec.Requests[i].Replay = lines, fp, rec.Order
		case rec.Requests[i].State == ledger.RequestSent && rec.Requests[i].Replay == nil && !rec.Requests[i].Unsure &&
			(rec.Requests[i].ShippingFP != fp || !sameLines(rec.Requests[i].Lines, lines)) &&
			rec.Requests[i].Refused != linesDigest(lines)+"|"+fp:
			// The recorded content was to be sent as a change or a cancellation, and was not
			// refused: that call may be the one whose answer was lost.
			rec.Requests[i].Replay = rec.Order
		}
	}
}
