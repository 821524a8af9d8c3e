// The order flow: SyncOrders lists a channel's orders window by window, and IngestOrder takes
// pushed ones; each order is decided on (new, changed, no news, invalid) and recorded before
// the cursor moves, then delivered (deliver.go).

package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// OrdersRun counts what one SyncOrders run did.
type OrdersRun struct {
	Pages       int
	Seen        int // orders listed, duplicates included
	New         int
	Changed     int
	Unchanged   int
	Quarantined int
	// Delivered counts orders whose pending work finished in this run.
	Delivered int
	// Remaining counts orders still pending (held by date, or waiting on a failing warehouse).
	Remaining int
}

func (r *OrdersRun) logAttrs() []any {
	return []any{"pages", r.Pages, "seen", r.Seen, "new", r.New, "changed", r.Changed, "unchanged", r.Unchanged,
		"quarantined", r.Quarantined, "delivered", r.Delivered, "remaining", r.Remaining}
}

// ordersRun is one SyncOrders run: its counts, and its first failed delivery.
type ordersRun struct {
	OrdersRun
	deliverErr error
}

// windowCursor is the engine's position in a channel's order listing, kept in the Store as
// JSON. Times are UTC; a window in progress keeps its bounds so a restart resumes the same page.
type windowCursor struct {
	// Mark: every order updated before Mark has been recorded.
	Mark time.Time `json:"mark"`
	// From, To and Page describe the window being listed, if any.
	From time.Time        `json:"from,omitzero"`
	To   time.Time        `json:"to,omitzero"`
	Page connector.Cursor `json:"page,omitempty"`
	// Sweep is when the last gap sweep started; SweepFrom/To/Page the sweep in progress.
	Sweep     time.Time        `json:"sweep,omitzero"`
	SweepFrom time.Time        `json:"sweep_from,omitzero"`
	SweepTo   time.Time        `json:"sweep_to,omitzero"`
	SweepPage connector.Cursor `json:"sweep_page,omitempty"`
}

// SyncOrders pulls a channel's new, changed and cancelled orders and delivers pending work to the
// warehouses. It returns when the channel is listed up to now (the cursor trails by the Settle
// of its ListingPolicy), or at the first error that is not about one order (which it returns; the
// cursor keeps what was recorded).
func (e *Engine) SyncOrders(ctx context.Context, merchantID, channel string) (_ OrdersRun, err error) {
	var run ordersRun
	ctx, endRun := e.startRun(ctx, "orders", merchantID, attrChannel, channel)
	defer endRun(&err, run.logAttrs)
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return run.OrdersRun, err
	}
	defer done()
	m, ch, err := e.channel(merchantID, channel)
	if err != nil {
		return run.OrdersRun, err
	}
	part := "orders/" + ledger.JoinKey(merchantID, channel)
	release, err := e.acquire(ctx, part)
	if err != nil {
		return run.OrdersRun, err
	}
	defer release()
	if ch.Source != nil {
		if err := e.pull(ctx, m, ch, part, &run); err != nil {
			if run.deliverErr == nil {
				e.deliverPending(ctx, m, ch, &run.OrdersRun)
			}
			return run.OrdersRun, err
		}
	}
	if run.deliverErr != nil {
		return run.OrdersRun, run.deliverErr
	}
	err = e.deliverPending(ctx, m, ch, &run.OrdersRun)
	return run.OrdersRun, err
}

// deliverEarly delivers pending work in the middle of a run, after a page is recorded. Once a
// delivery fails, the run makes no further attempt: SyncOrders returns that failure, and the
// next run tries again.
func (e *Engine) deliverEarly(ctx context.Context, m *merchant, ch *Channel, run *ordersRun) {
	if run.deliverErr != nil {
		return
	}
	// Counted apart: what is still pending is counted by the run's last pass, not twice.
	var early OrdersRun
	if err := e.deliverPending(ctx, m, ch, &early); err != nil {
		run.deliverErr = err
		run.Remaining += early.Remaining
	}
	run.Delivered += early.Delivered
	run.Quarantined += early.Quarantined
}

// pull lists windows until the channel is caught up, recording every order before moving the cursor.
func (e *Engine) pull(ctx context.Context, m *merchant, ch *Channel, part string, run *ordersRun) error {
	name := "orders/" + ledger.JoinKey(m.cfg.ID, ch.ID)
	raw, ver, err := e.store.GetCursor(ctx, name)
	if err != nil {
		return err
	}
	var cur windowCursor
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &cur); err != nil {
			return fmt.Errorf("tobira/sync: cursor %s is corrupt: %w", name, err)
		}
	}
	save := func() error {
		b, _ := json.Marshal(cur)
		v, err := e.store.PutCursor(ctx, name, string(b), ver)
		if err == nil {
			ver = v
		}
		return err
	}
	// Windows reach up to now, so an order is delivered on the first run that sees it; only Mark
	// trails by Settle, so the next run lists the unsettled stretch again and picks up orders a
	// platform indexes late. The ledger makes the second listing cost nothing but the read.
	now := e.opt.Clock.Now().UTC()
	pol := ch.Listing.or(&e.opt)
	until := now.Add(-pol.Settle)
	for present := false; ; {
		if cur.To.IsZero() {
			from := cur.Mark.Add(-pol.Overlap)
			if cur.Mark.IsZero() {
				from = now.Add(-e.opt.Lookback)
			}
			to := now
			if to.Sub(from) > e.opt.MaxWindow {
				to = from.Add(e.opt.MaxWindow)
			}
			if present || !to.After(cur.Mark) {
				break
			}
			cur.From, cur.To, cur.Page = from, to, ""
		}
		next, err := e.listPage(ctx, m, ch, cur.From, cur.To, cur.Page, run)
		if err != nil {
			return err
		}
		if next == "" {
			// A window resumed after a restart may end before this run's now; the loop then
			// lists one more, from its Mark to now.
			present = !cur.To.Before(now)
			if mark := minTime(cur.To, until); mark.After(cur.Mark) {
				cur.Mark = mark
			}
			cur.From, cur.To, cur.Page = time.Time{}, time.Time{}, ""
		} else {
			cur.Page = next
		}
		if err := save(); err != nil {
			return err
		}
		if err := e.renew(ctx, part); err != nil {
			return err
		}
		if e.closing() {
			return ErrClosed // a safe point: the page is recorded and the cursor saved
		}
	}
	// The gap sweep re-lists a wide window now and then, for orders a platform indexed later than
	// the overlap allows for. It never moves Mark.
	if cur.SweepTo.IsZero() && now.Sub(cur.Sweep) >= pol.SweepEvery && !cur.Mark.IsZero() {
		cur.Sweep, cur.SweepFrom, cur.SweepTo, cur.SweepPage = now, until.Add(-pol.SweepSpan), until, ""
		if err := save(); err != nil {
			return err
		}
	}
	for !cur.SweepTo.IsZero() {
		next, err := e.listPage(ctx, m, ch, cur.SweepFrom, cur.SweepTo, cur.SweepPage, run)
		if err != nil {
			return err
		}
		if next == "" {
			cur.SweepFrom, cur.SweepTo = time.Time{}, time.Time{}
		}
		cur.SweepPage = next
		if err := save(); err != nil {
			return err
		}
		if e.closing() {
			return ErrClosed
		}
	}
	return nil
}

// listPage lists and records one page, returning the next page's cursor.
func (e *Engine) listPage(ctx context.Context, m *merchant, ch *Channel, from, to time.Time, page connector.Cursor, run *ordersRun) (connector.Cursor, error) {
	res := &run.OrdersRun
	p, err := ch.Source.ListOrders(ctx, connector.ListOrdersRequest{From: from, To: to, Page: page, Limit: e.opt.PageLimit})
	if err != nil {
		return "", e.channelErr(ctx, m, ch.ID, err)
	}
	res.Pages++
	for _, r := range p.Rejects {
		res.Quarantined++
		if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "order", Merchant: m.cfg.ID, Source: ch.ID, ItemID: r.ID, Reason: errString(r.Err)}); err != nil {
			return "", err
		}
	}
	var touched []string
	if bl, ok := e.store.(ledger.BatchOrderLedger); ok && len(p.Orders) > 1 {
		touched, err = e.intakePage(ctx, bl, m, ch, p.Orders, res)
		if err != nil {
			return "", err
		}
	} else {
		for i := range p.Orders {
			skus, err := e.intake(ctx, m, ch, &p.Orders[i], res)
			if err != nil {
				return "", err
			}
			touched = append(touched, skus...)
		}
	}
	if len(touched) > 0 {
		// The page's orders go to the warehouse before its stock fans out, as IngestOrder does:
		// their reservations are in the pool already, and a channel waiting out its rate limit
		// must not hold them back.
		e.deliverEarly(ctx, m, ch, run)
		e.pushAffected(ctx, m, touched)
	}
	if p.Next == page && page != "" {
		// A source that hands back the cursor it was given would loop forever; the page's orders
		// are recorded, so ending the window here loses nothing the overlap and sweep won't see.
		e.opt.Logger.WarnContext(ctx, "tobira: source returned the same page cursor; ending window", attrMerchant, m.cfg.ID, attrChannel, ch.ID, attrFlow, "orders")
		return "", nil
	}
	return p.Next, nil
}

// intakePage is intake for a page of orders on a store that reads and writes in batches: one read
// for the page, one write for the orders that only need their record written, then their
// reservations, as intake does them one by one. Everything else (quarantine paths, a second
// listing of an order in the same page, a record another writer changed in between) goes through
// intake one order at a time.
func (e *Engine) intakePage(ctx context.Context, bl ledger.BatchOrderLedger, m *merchant, ch *Channel, orders []order.Order, res *OrdersRun) ([]string, error) {
	keys := make([]ledger.OrderKey, len(orders))
	for i := range orders {
		keys[i] = ledger.OrderKey{Merchant: m.cfg.ID, Channel: ch.ID, OrderID: orders[i].ID}
	}
	recs, err := getOrders(ctx, bl, keys)
	if err != nil {
		return nil, err
	}
	tombs, err := e.tombstonesOf(ctx, keys, recs) // retention.go
	if err != nil {
		return nil, err
	}
	var (
		writes = make([]*ledger.OrderRecord, 0, len(orders))
		ds     = make([]decision, 0, len(orders))
		at     = make([]int, 0, len(orders))
		single []int
		// Every key of the page is of this merchant and channel: the order ID tells them apart.
		seen = make(map[string]struct{}, len(orders))
	)
	for i := range orders {
		res.Seen++
		if _, ok := seen[orders[i].ID]; ok {
			// Deciding twice on one fetched record would write the second decision over the first
			// with the same version; one at a time, the second sees the first.
			single = append(single, i)
			continue
		}
		seen[orders[i].ID] = struct{}{}
		if t, ok := tombs[keys[i]]; ok {
			if err := e.relisted(ctx, keys[i], &t, &orders[i], res); err != nil {
				return nil, err
			}
			continue
		}
		d := e.decide(m, ch, keys[i], recs[keys[i]], &orders[i], true)
		switch d.kind {
		case decideUnchanged:
			res.Unchanged++
		case decideWrite:
			writes, ds, at = append(writes, d.rec), append(ds, d), append(at, i)
		default:
			single = append(single, i)
		}
	}
	var touched []string
	if len(writes) > 0 {
		errs := bl.PutOrders(ctx, writes)
		if len(errs) != len(writes) {
			return nil, fmt.Errorf("tobira/sync: PutOrders answered %d results for %d records", len(errs), len(writes))
		}
		var (
			first   error
			written = make([]*ledger.OrderRecord, 0, len(writes))
			fresh   = make([]bool, 0, len(writes))
		)
		for j, rec := range writes {
			switch {
			case errs[j] == nil:
				if ds[j].isNew {
					res.New++
				} else {
					res.Changed++
				}
				written, fresh = append(written, rec), append(fresh, ds[j].isNew)
			case errors.Is(errs[j], ledger.ErrConflict):
				single = append(single, at[j]) // another writer was first: decide again on its version
			case first == nil:
				first = errs[j]
			}
		}
		skus, err := e.reserveAll(ctx, m, written, fresh)
		touched = skus
		if err != nil {
			return touched, err
		}
		more, err := e.followLedger(ctx, m, written)
		touched = append(touched, more...)
		if err != nil {
			return touched, err
		}
		if first != nil {
			return touched, first
		}
	}
	slices.Sort(single)
	for _, i := range single {
		skus, err := e.intakeOne(ctx, m, ch, &orders[i], res)
		if err != nil {
			return touched, err
		}
		touched = append(touched, skus...)
	}
	return touched, nil
}

// IngestOrder records an order a platform pushed (a webhook) exactly as if it had been polled,
// then delivers it. A duplicate or out-of-date push changes nothing.
//
// An order that cannot be processed (it is invalid, names an unknown SKU, or a warehouse refused
// it for good) is quarantined, which the host hears of (ItemQuarantined, ListQuarantine), and
// IngestOrder returns nil: the push was taken in, so a webhook handler answers it with success
// and the platform does not deliver it again. An error means the push was not recorded (or not
// delivered yet, as a retryable warehouse failure) and may be repeated. A host that wants to
// know of the quarantine calls IngestOrderStrict.
func (e *Engine) IngestOrder(ctx context.Context, merchantID, channel string, o order.Order) error {
	err := e.IngestOrderStrict(ctx, merchantID, channel, o)
	if errors.Is(err, ErrQuarantined) {
		return nil
	}
	return err
}

// IngestOrderStrict is IngestOrder, except that an order left in quarantine (this version, or
// an earlier one listed again unchanged) returns an error wrapping ErrQuarantined that names the
// quarantine entry and its reason.
func (e *Engine) IngestOrderStrict(ctx context.Context, merchantID, channel string, o order.Order) (err error) {
	ctx, endRun := e.startRun(ctx, "intake", merchantID, attrChannel, channel)
	defer endRun(&err, func() []any { return []any{"order", o.ID} })
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	return e.ingest(ctx, merchantID, channel, o)
}

// ingest is IngestOrderStrict for a caller that began (Engine.begin).
func (e *Engine) ingest(ctx context.Context, merchantID, channel string, o order.Order) error {
	m, ch, err := e.channel(merchantID, channel)
	if err != nil {
		return err
	}
	var res OrdersRun
	skus, err := e.intake(ctx, m, ch, &o, &res)
	if err != nil {
		return err
	}
	k := ledger.OrderKey{Merchant: merchantID, Channel: channel, OrderID: o.ID}
	if res.Quarantined > 0 {
		return e.quarantinedErr(ctx, k)
	}
	// The order goes to the warehouse before the stock fans out: the reservation is already in
	// the pool, so the values pushed are the same, and a channel waiting out its rate limit (one
	// SKU per call, 5,000 calls an hour) must not hold the order back.
	defer e.pushAffected(ctx, m, skus)
	rec, err := e.getOrder(ctx, k)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil // quarantined before it was recorded
	} else if err != nil {
		return err
	}
	if rec.State == ledger.StateQuarantined {
		return e.quarantinedErr(ctx, k)
	}
	if !rec.Pending {
		return nil
	}
	if err := e.deliver(ctx, m, ch, rec); err != nil && !errors.Is(err, ledger.ErrConflict) {
		return err
	}
	if rec.State == ledger.StateQuarantined {
		return e.quarantinedErr(ctx, k)
	}
	// A conflict means a run (here or on another replica) delivered the record meanwhile; what
	// is still pending stays pending for the next run.
	return nil
}

// Intake returns a connector.Intake that feeds one channel's pushes into the engine, for
// connectors' webhook handlers.
func (e *Engine) Intake(merchantID, channel string) connector.Intake {
	return intakeFunc(func(ctx context.Context, o order.Order) error { return e.IngestOrder(ctx, merchantID, channel, o) })
}

type intakeFunc func(ctx context.Context, o order.Order) error

func (f intakeFunc) IngestOrder(ctx context.Context, o order.Order) error { return f(ctx, o) }

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
// when rec is shared (BatchOrderLedger.GetOrders), it updates a clone.
func (e *Engine) decide(m *merchant, ch *Channel, k ledger.OrderKey, rec *ledger.OrderRecord, o *order.Order, shared bool) decision {
	if rec != nil && !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(rec.Order.UpdatedAt) {
		return decision{kind: decideUnchanged} // an older version than the one recorded: a late webhook or a stale page
	}
	// Most orders a listing returns are unchanged (the overlap, the sweep, duplicate pushes):
	// decide that before anything costlier, and without allocating.
	var buf [64]byte
	fpb := o.AppendFingerprint(buf[:0])
	// A quarantined record holds the fingerprint of the version quarantined: the same version
	// listed again is no news, and stays quarantined until the host retries it (Retry) or the
	// channel sends another.
	if rec != nil && rec.Fingerprint == string(fpb) && rec.Order.Status == o.Status && rec.Order.ChannelStatus == o.ChannelStatus {
		return decision{kind: decideUnchanged}
	}
	if rec != nil && rec.Parked != "" && rec.Parked == parkedMark(fpb, o) {
		return decision{kind: decideUnchanged} // the version quarantined, listed again
	}
	fp := string(fpb)
	reason := ""
	if err := o.Validate(); err != nil {
		reason = err.Error()
	} else if sku, err := e.checkSKUs(m, ch.ID, o); err != nil {
		reason = fmt.Sprintf("line with SKU %q: %v", sku, err)
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
	d := e.decide(m, ch, k, rec, o, false)
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

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
