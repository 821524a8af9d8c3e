// The order flow: SyncOrders lists a channel's orders window by window; each order is decided on
// and recorded (decide.go) before the cursor moves, then delivered (deliver.go). Pushed orders
// take the same path (ingest.go).

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
	// cutShort is set when a window ended before its last page (a source that repeated its
	// cursor): what it did not list is left to the overlap and the sweep.
	cutShort bool
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
	// An empty page records nothing, so saving the cursor after it can wait: a run that lists
	// several empty windows (a quiet channel, a long first lookback) writes the cursor once, with
	// the next page that records orders or at the end, and a crash in between lists them again.
	dirty := false
	// A channel's first run lists its whole lookback in this run (a resumed window is not a
	// first run).
	first := cur.Mark.IsZero() && cur.To.IsZero()
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
		next, listed, err := e.listPage(ctx, m, ch, cur.From, cur.To, cur.Page, run)
		if err != nil {
			if dirty {
				// The empty windows listed before the failure stay done, so that a listing
				// that fails after a few calls a run (a tight rate limit) still moves on.
				_ = save()
			}
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
		dirty = true
		if listed > 0 || e.closing() {
			if err := save(); err != nil {
				return err
			}
			dirty = false
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
	// A sweep that starts now is saved with its first page: until then there is nothing of it to
	// resume, and a run that fails before starts it again.
	//
	// A first run that has just listed the sweep's window whole, every window to its last page,
	// counts as its sweep: listing it
	// again at the same moment could find nothing the first listing missed, and would double the
	// calls a new channel's first run makes (on a mall allowing one call a second, minutes).
	due := cur.SweepTo.IsZero() && now.Sub(cur.Sweep) >= pol.SweepEvery && !cur.Mark.IsZero()
	if due && first && !run.cutShort && !now.Add(-e.opt.Lookback).After(until.Add(-pol.SweepSpan)) {
		cur.Sweep, due, dirty = now, false, true
	}
	if due {
		cur.Sweep, cur.SweepFrom, cur.SweepTo, cur.SweepPage = now, until.Add(-pol.SweepSpan), until, ""
	} else if dirty {
		if err := save(); err != nil {
			return err
		}
	}
	for !cur.SweepTo.IsZero() {
		next, _, err := e.listPage(ctx, m, ch, cur.SweepFrom, cur.SweepTo, cur.SweepPage, run)
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

// listPage lists and records one page, returning the next page's cursor and how many orders and
// rejects the page held.
func (e *Engine) listPage(ctx context.Context, m *merchant, ch *Channel, from, to time.Time, page connector.Cursor, run *ordersRun) (_ connector.Cursor, listed int, err error) {
	res := &run.OrdersRun
	p, err := ch.Source.ListOrders(ctx, connector.ListOrdersRequest{From: from, To: to, Page: page, Limit: e.opt.PageLimit})
	if err != nil {
		return "", 0, e.channelErr(ctx, m, ch.ID, err)
	}
	res.Pages++
	listed = len(p.Orders) + len(p.Rejects)
	for _, r := range p.Rejects {
		res.Quarantined++
		if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "order", Merchant: m.cfg.ID, Source: ch.ID, ItemID: r.ID, Reason: errString(r.Err)}); err != nil {
			return "", 0, err
		}
	}
	var touched []string
	recorded := res.New + res.Changed
	if bl, ok := e.store.(ledger.BatchOrderLedger); ok && len(p.Orders) > 1 {
		touched, err = e.intakePage(ctx, bl, m, ch, p.Orders, res)
		if err != nil {
			return "", 0, err
		}
	} else {
		for i := range p.Orders {
			skus, err := e.intake(ctx, m, ch, &p.Orders[i], res)
			if err != nil {
				return "", 0, err
			}
			touched = append(touched, skus...)
		}
	}
	if len(touched) > 0 || res.New+res.Changed > recorded {
		// The page's orders go to the warehouse before its stock fans out, as IngestOrder does:
		// their reservations are in the pool already, and a channel waiting out its rate limit
		// must not hold them back. A page that recorded orders and moved no stock (none on hand
		// yet) delivers them now too, while their records are fresh, rather than after the
		// channel's last page.
		e.deliverEarly(ctx, m, ch, run)
		e.pushAffected(ctx, m, touched)
	}
	if p.Next == page && page != "" {
		// A source that hands back the cursor it was given would loop forever; the page's orders
		// are recorded, so ending the window here loses nothing the overlap and sweep won't see.
		e.opt.Logger.WarnContext(ctx, "tobira: source returned the same page cursor; ending window", attrMerchant, m.cfg.ID, attrChannel, ch.ID, attrFlow, "orders")
		run.cutShort = true
		return "", listed, nil
	}
	return p.Next, listed, nil
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
	recs, news, err := e.pageRecords(ctx, bl, keys, orders)
	if err != nil {
		return nil, err
	}
	var tombs map[ledger.OrderKey]ledger.Tombstone
	if news == nil {
		tombs, err = e.tombstonesOf(ctx, keys, recs) // retention.go
	} else if missing := news.missing(keys); len(missing) > 0 {
		tombs, err = e.tombstonesOf(ctx, missing, nil)
	}
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
	checked := e.checkPageSKUs(m, ch.ID, orders)
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
		rec := recs[keys[i]]
		if news != nil {
			switch news[i] {
			case newsNone:
				res.Unchanged++
				continue
			case newsRecord:
				if rec == nil {
					// Compacted, or written and removed, since its digest was read: one at a
					// time, intake finds what it is now.
					single = append(single, i)
					continue
				}
			}
		}
		d := e.decide(m, ch, keys[i], rec, &orders[i], true, &checked[i])
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
		rl, reserving := e.store.(ledger.ReservingOrderLedger)
		var errs []error
		if reserving {
			fresh := make([]bool, len(ds))
			for j := range ds {
				fresh[j] = ds[j].isNew
			}
			touched, errs, err = e.writeReserving(ctx, rl, m, writes, fresh)
			if err != nil {
				return nil, err
			}
		} else {
			errs = bl.PutOrders(ctx, writes)
			if len(errs) != len(writes) {
				return nil, fmt.Errorf("tobira/sync: PutOrders answered %d results for %d records", len(errs), len(writes))
			}
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
		if !reserving {
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

// pageRecords reads the records a page is decided against. On a store with digests
// (ledger.OrderDigester) it reads the digests of the page's keys first and then whole only the
// records with news for their order (none, usually: a page of new orders, or one listed again
// unchanged), and reports what each digest said (news); otherwise it reads every record and news
// is nil.
func (e *Engine) pageRecords(ctx context.Context, bl ledger.BatchOrderLedger, keys []ledger.OrderKey, orders []order.Order) (map[ledger.OrderKey]*ledger.OrderRecord, pageNews, error) {
	od, ok := e.store.(ledger.OrderDigester)
	if !ok {
		recs, err := getOrders(ctx, bl, keys)
		return recs, nil, err
	}
	digests, err := od.OrderDigests(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	if digests != nil && len(digests) != len(keys) {
		return nil, nil, fmt.Errorf("tobira/sync: OrderDigests answered %d digests for %d keys", len(digests), len(keys))
	}
	news := make(pageNews, len(keys))
	var read []ledger.OrderKey
	for i, k := range keys {
		if digests == nil || digests[i].Version == 0 {
			continue // newsAbsent
		}
		var buf [64]byte
		if noNews(&digests[i], &orders[i], orders[i].AppendFingerprint(buf[:0])) {
			news[i] = newsNone
			continue
		}
		news[i] = newsRecord
		read = append(read, k)
	}
	if len(read) == 0 {
		return nil, news, nil
	}
	recs, err := getOrders(ctx, bl, read)
	return recs, news, err
}

// pageNews is what the digests of a page's records said of each of its orders.
type pageNews []newsKind

type newsKind uint8

const (
	newsAbsent newsKind = iota // no record
	newsNone                   // a record, and the order is no news to it
	newsRecord                 // a record, read whole to decide on
)

// missing returns the keys without a record: keys itself when none has one (a page of new
// orders), so that the usual page copies nothing.
func (n pageNews) missing(keys []ledger.OrderKey) []ledger.OrderKey {
	absent := 0
	for i := range keys {
		if n[i] == newsAbsent {
			absent++
		}
	}
	if absent == len(keys) {
		return keys
	}
	out := make([]ledger.OrderKey, 0, absent)
	for i, k := range keys {
		if n[i] == newsAbsent {
			out = append(out, k)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
