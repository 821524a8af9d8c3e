package sync

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
)

// configurePool applies every channel's stock policy and SKU map, as the latest configuration
// has them, to the pool. Callers hold m.stock.
func (m *merchant) configurePool() {
	for _, c := range m.stockState.channels {
		m.pool.SetChannel(c.ID, c.Stock)
	}
}

// loadPool builds the merchant's pool from the Store on first use. Callers hold m.stock.
func (e *Engine) loadPool(ctx context.Context, m *merchant) error {
	if m.loaded {
		return nil
	}
	levels, err := e.store.Levels(ctx, m.cfg.ID)
	if err != nil {
		return err
	}
	res, err := e.store.Reservations(ctx, m.cfg.ID)
	if err != nil {
		return err
	}
	m.pool = inventory.NewPool()
	m.configurePool()
	// Reservations first: a level then releases the shipped units it already counts, so shipped
	// entries persisted before that level arrived cannot count twice.
	for _, r := range res {
		m.pool.AppendReserveNote(nil, r, reservationDigest(r))
	}
	m.pool.SetLevels(levels...)
	m.acked = map[string]map[string]StockAck{}
	// Reservations that hold nothing any more (shipped, and counted by a level since) are gone
	// from the pool; drop them from the Store too, or every reload would read all of history.
	held := make(map[string]bool, len(res))
	for _, r := range m.pool.Reservations() {
		held[r.Key] = true
	}
	for _, r := range res {
		if !held[r.Key] {
			if err := e.store.DeleteReservation(ctx, m.cfg.ID, r.Key); err != nil {
				return err
			}
		}
	}
	m.loaded = true
	return nil
}

// checkSKUs reports the first line whose SKU the merchant's stock pool cannot resolve for the
// channel, so the order is quarantined instead of reserving nothing.
func (e *Engine) checkSKUs(m *merchant, channel string, o *order.Order) (string, error) {
	m.stock.Lock()
	defer m.stock.Unlock()
	if m.pool == nil {
		m.pool = inventory.NewPool()
		m.configurePool()
	}
	for _, l := range o.Lines {
		if m.warehouses[m.cfg.dest(channel, l.SKU)] == nil {
			continue
		}
		var buf [4]inventory.Item
		if _, err := m.pool.AppendResolve(buf[:0], channel, l.SKU); err != nil {
			return l.SKU, err
		}
	}
	return "", nil
}

// dueUnits returns, per line routed to a warehouse, how many units the order will ship in all
// (see lineDue).
func dueUnits(m *merchant, rec *OrderRecord) map[string]int {
	out := make(map[string]int, len(rec.Order.Lines))
	var routes routeSet
	for i := range rec.Order.Lines {
		if n, ok := lineDue(m, rec, &rec.Order.Lines[i], &routes); ok {
			out[rec.Order.Lines[i].ID] = n
		}
	}
	return out
}

// lineDue returns how many units of line l the order will ship in all, and false when the line
// is not routed to a warehouse. While the warehouse has not answered the channel's latest
// content, that is the larger of what it holds and what the channel wants (a change not yet
// answered must not free stock); once it refused that content (a change or a cancellation,
// because it picked or shipped), it is what the warehouse holds, which is what will leave. A
// cancelled order is due what its warehouses still hold until they accept the cancellation.
//
// Most records have one request per warehouse and no refusal: each line is looked at on its own,
// and the lines of a destination are gathered (*routes, computed once per record) only to
// compare with a refusal.
func lineDue(m *merchant, rec *OrderRecord, l *order.Line, routes *routeSet) (int, bool) {
	cancelled := rec.Order.Status == order.StatusCancelled
	d := m.cfg.dest(rec.Key.Channel, l.SKU)
	if m.warehouses[d] == nil {
		return 0, false
	}
	held, final := 0, false
	if i := slices.IndexFunc(rec.Requests, func(r Request) bool { return r.Target == d }); i >= 0 {
		r := &rec.Requests[i]
		if r.State != RequestCancelled {
			for _, h := range r.Lines {
				if h.LineID == l.ID {
					held += h.Quantity
				}
			}
			if p := r.Replay; p != nil {
				// Until the warehouse answers the repeated call, it may hold that content.
				for _, pl := range p.Lines {
					if pl.ID == l.ID && m.cfg.dest(rec.Key.Channel, pl.SKU) == d {
						held = max(held, pl.Open())
					}
				}
			}
			switch {
			case cancelled:
				final = r.Refused == "cancel"
			case r.Refused != "":
				if *routes == nil {
					*routes = m.cfg.routes(rec.Key.Channel, rec.Order, nil)
				}
				final = r.Refused == linesDigest(wantLines(routes.lines(d)))+"|"+rec.Order.ShippingFingerprint()
			}
		}
	}
	if !cancelled && !final {
		held = max(held, l.Open())
	}
	return held, true
}

// shippedUnits returns how many units of the line with ID id have shipped.
func shippedUnits(rec *OrderRecord, id string) int {
	n := 0
	for _, s := range rec.Shipments {
		n += s.Lines[id]
	}
	return n
}

// resScratch holds the buffers reservations are computed in, reused from order to order: most
// recomputed reservations equal what the Store holds and are dropped at once, so they should
// cost no allocation. It belongs to the merchant and is guarded by m.stock.
type resScratch struct {
	key, digest []byte
	items       []inventory.Item
	shipped     []inventory.ShippedItem
	resolved    []inventory.Item
}

// computeReservation puts what the order still takes from the merchant's warehouses into m.scratch:
// its key, per line routed to a warehouse the units due from it (lineDue) less what already
// shipped, in warehouse SKUs ordered by SKU, and the shipped units not yet counted. Callers
// hold m.stock; the result lives until the next call (see reservationOf and unchanged).
func (m *merchant) computeReservation(pool *inventory.Pool, rec *OrderRecord) {
	sc := &m.scratch
	sc.key = rec.Key.appendTo(sc.key[:0])
	sc.items, sc.shipped = sc.items[:0], sc.shipped[:0]
	if rec.State != StateQuarantined {
		var routes routeSet
		for i := range rec.Order.Lines {
			l := &rec.Order.Lines[i]
			n, ok := lineDue(m, rec, l, &routes)
			if !ok {
				continue
			}
			if n -= shippedUnits(rec, l.ID); n <= 0 {
				continue
			}
			var err error
			if sc.resolved, err = pool.AppendResolve(sc.resolved[:0], rec.Key.Channel, l.SKU); err != nil {
				continue // checked at intake; a SKU unmapped since then reserves nothing
			}
			for _, it := range sc.resolved {
				sc.items = addItem(sc.items, it.SKU, n*it.Quantity)
			}
		}
		// Shipped units stay reserved until a level taken after the shipment counts them; the
		// pool drops each entry when such a level arrives.
		for _, s := range rec.Shipments {
			for _, l := range rec.Order.Lines {
				n := s.Lines[l.ID]
				if n <= 0 {
					continue
				}
				var err error
				if sc.resolved, err = pool.AppendResolve(sc.resolved[:0], rec.Key.Channel, l.SKU); err != nil {
					continue
				}
				for _, it := range sc.resolved {
					sc.shipped = append(sc.shipped, inventory.ShippedItem{SKU: it.SKU, Quantity: n * it.Quantity, At: s.At})
				}
			}
		}
		slices.SortFunc(sc.items, func(a, b inventory.Item) int { return strings.Compare(a.SKU, b.SKU) })
	}
	sc.digest = appendReservationDigest(sc.digest[:0], sc.items, sc.shipped)
}

// addItem adds n units of sku to items. An order takes few SKUs, so a linear search beats a map.
func addItem(items []inventory.Item, sku string, n int) []inventory.Item {
	for i := range items {
		if items[i].SKU == sku {
			items[i].Quantity += n
			return items
		}
	}
	return append(items, inventory.Item{SKU: sku, Quantity: n})
}

// unchanged reports whether the reservation in m.scratch is the one the Store holds, as the
// pool noted it. It allocates nothing: the lookup and comparison use the scratch bytes as they
// are. A reservation the pool has forgotten (it holds nothing any more) compares as empty: at
// worst a write that changes nothing, or an emptied reservation left in the Store, which
// loadPool drops since it holds nothing.
func (m *merchant) unchanged() bool {
	return m.pool.Note(m.scratch.key) == string(m.scratch.digest)
}

// reservationOf returns the reservation in m.scratch as values of its own, and its digest.
func (m *merchant) reservationOf(channel string) (inventory.Reservation, string) {
	r, digest, _ := m.appendReservationOf(channel, nil)
	return r, digest
}

// appendReservationOf is reservationOf taking the reservation's items from the spare capacity
// of slab when it has room (and returning slab extended by them), so that a batch of
// reservations shares a few allocations instead of one each. The key and digest share one string.
func (m *merchant) appendReservationOf(channel string, slab []inventory.Item) (inventory.Reservation, string, []inventory.Item) {
	sc := &m.scratch
	kd := string(append(sc.key, sc.digest...))
	r := inventory.Reservation{Key: kd[:len(sc.key)], Channel: channel}
	if n := len(sc.items); n > 0 {
		if cap(slab)-len(slab) >= n {
			slab = append(slab, sc.items...)
			r.Items = slab[len(slab)-n : len(slab) : len(slab)] // capped: an append to it copies
		} else {
			r.Items = slices.Clone(sc.items)
		}
	}
	if len(sc.shipped) > 0 {
		r.Shipped = slices.Clone(sc.shipped)
	}
	return r, kd[len(sc.key):], slab
}

// reservationDigest is a short form of a reservation's content; "" when it holds nothing.
func reservationDigest(r inventory.Reservation) string {
	return string(appendReservationDigest(nil, r.Items, r.Shipped))
}

func appendReservationDigest(b []byte, items []inventory.Item, shipped []inventory.ShippedItem) []byte {
	for _, it := range items {
		b = append(append(b, it.SKU...), '=')
		b = append(strconv.AppendInt(b, int64(it.Quantity), 10), ';')
	}
	for _, s := range shipped {
		b = append(append(b, s.SKU...), '@')
		b = append(strconv.AppendInt(b, s.At.UnixNano(), 10), '=')
		b = append(strconv.AppendInt(b, int64(s.Quantity), 10), ';')
	}
	return b
}

// followLedger brings the reservations just written for recs in line with the records the ledger
// holds now. Reservations are written whole, the last write winning, while records are written
// by compare-and-set: another writer (a webhook, a replica) that replaced one of the records
// meanwhile may have written its reservation before the one computed here from the older
// version, which would then stand, and channels would be offered units already sold. The
// reservation of each record the ledger holds at another version is computed again from the
// ledger's.
//
// Whoever writes a record and then its reservation calls it after both; whoever writes the
// reservation first (settle) calls it when its record write conflicts. Either way the last
// reservation written is checked against the ledger after it was written.
func (e *Engine) followLedger(ctx context.Context, m *merchant, recs []*OrderRecord) ([]string, error) {
	var touched []string
	for attempt := 0; len(recs) > 0 && attempt < 3; attempt++ {
		stored, err := e.ledgerOf(ctx, recs)
		if err != nil {
			return touched, err
		}
		var moved []*OrderRecord
		for _, rec := range recs {
			if cur := stored[rec.Key]; cur != nil && cur.Version != rec.Version {
				moved = append(moved, cur)
			}
		}
		for _, cur := range moved {
			skus, err := e.reserve(ctx, m, cur)
			touched = append(touched, skus...)
			if err != nil {
				return touched, err
			}
		}
		recs = moved
	}
	return touched, nil
}

// ledgerOf returns the ledger's records of recs' keys, to read only.
func (e *Engine) ledgerOf(ctx context.Context, recs []*OrderRecord) (map[OrderKey]*OrderRecord, error) {
	if bl, ok := e.store.(BatchOrderLedger); ok && len(recs) > 1 {
		keys := make([]OrderKey, len(recs))
		for i, rec := range recs {
			keys[i] = rec.Key
		}
		return getOrders(ctx, bl, keys)
	}
	out := make(map[OrderKey]*OrderRecord, len(recs))
	for _, rec := range recs {
		cur, err := e.getOrder(ctx, rec.Key)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out[rec.Key] = cur
	}
	return out, nil
}

// reserveWritten is reserve for a record just written, followed by followLedger.
func (e *Engine) reserveWritten(ctx context.Context, m *merchant, rec *OrderRecord) ([]string, error) {
	skus, err := e.reserve(ctx, m, rec)
	if err != nil {
		return skus, err
	}
	more, err := e.followLedger(ctx, m, []*OrderRecord{rec})
	return append(skus, more...), err
}

// reserve brings the order's reservation in line with its record and returns the warehouse SKUs
// whose availability may have changed.
func (e *Engine) reserve(ctx context.Context, m *merchant, rec *OrderRecord) ([]string, error) {
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return nil, err
	}
	m.computeReservation(m.pool, rec)
	if m.unchanged() {
		return nil, nil // as recorded: nothing to write, nothing changed
	}
	r, digest := m.reservationOf(rec.Key.Channel)
	var skus []string
	if digest == "" {
		if err := e.store.DeleteReservation(ctx, m.cfg.ID, r.Key); err != nil {
			return nil, err
		}
		skus = m.pool.Release(r.Key)
	} else {
		if err := e.store.PutReservation(ctx, m.cfg.ID, r); err != nil {
			return nil, err
		}
		skus = m.pool.AppendReserveNote(nil, r, digest)
	}
	return skus, nil
}

// reserveAll is reserve for many records, with one write for the reservations to insert or
// replace when the store takes them in a batch. fresh, if not nil, marks the records that were
// just inserted into the ledger: their reservations are written after them, so none is stored
// yet and one that holds something is written without looking the stored one up (writing is
// always correct; the lookup only saves writes that change nothing).
func (e *Engine) reserveAll(ctx context.Context, m *merchant, recs []*OrderRecord, fresh []bool) ([]string, error) {
	br, ok := e.store.(BatchReservations)
	if !ok || len(recs) < 2 {
		var touched []string
		for _, rec := range recs {
			skus, err := e.reserve(ctx, m, rec)
			if err != nil {
				return touched, err
			}
			touched = append(touched, skus...)
		}
		return touched, nil
	}
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return nil, err
	}
	var (
		skus    []string
		puts    []inventory.Reservation
		digests []string
		// slab holds the items of the batch's reservations, which the store and the pool keep
		// (BatchReservations takes them over; the pool copies).
		slab []inventory.Item
	)
	for i, rec := range recs {
		m.computeReservation(m.pool, rec)
		if !(fresh != nil && fresh[i] && len(m.scratch.digest) > 0) && m.unchanged() {
			continue
		}
		if len(m.scratch.digest) == 0 {
			r, _ := m.reservationOf(rec.Key.Channel)
			if err := e.store.DeleteReservation(ctx, m.cfg.ID, r.Key); err != nil {
				return skus, err
			}
			skus = append(skus, m.pool.Release(r.Key)...)
			continue
		}
		if slab == nil {
			// Sized for two SKUs an order, the usual; a reservation that does not fit gets its own.
			slab = make([]inventory.Item, 0, 2*len(recs))
		}
		r, digest, more := m.appendReservationOf(rec.Key.Channel, slab)
		slab = more
		if puts == nil {
			puts, digests = make([]inventory.Reservation, 0, len(recs)), make([]string, 0, len(recs))
		}
		puts, digests = append(puts, r), append(digests, digest)
	}
	if len(puts) == 0 {
		return skus, nil
	}
	// The pool follows the store: nothing of a failed batch is counted, and the next reserve of
	// those orders writes them again.
	if err := br.PutReservations(ctx, m.cfg.ID, puts); err != nil {
		return skus, err
	}
	for i, r := range puts {
		skus = m.pool.AppendReserveNote(skus, r, digests[i])
	}
	return skus, nil
}

// ReportSale records a sale the engine does not import (a shop that is not connected, a phone
// order, a point of sale) so that it counts against every channel at once. key must be unique
// per sale; reporting it again replaces it, and ReportSale with no items withdraws it.
func (e *Engine) ReportSale(ctx context.Context, merchantID, key string, items []inventory.Item) error {
	m, err := e.merchant(merchantID)
	if err != nil {
		return err
	}
	m.stock.Lock()
	if err := e.loadPool(ctx, m); err != nil {
		m.stock.Unlock()
		return err
	}
	r := inventory.Reservation{Key: "sale:" + key, Items: items}
	var skus []string
	if len(items) == 0 {
		err = e.store.DeleteReservation(ctx, merchantID, r.Key)
		skus = m.pool.Release(r.Key)
	} else {
		err = e.store.PutReservation(ctx, merchantID, r)
		skus = m.pool.Reserve(r)
	}
	m.stock.Unlock()
	if err != nil {
		return err
	}
	e.pushAffected(ctx, m, skus)
	return nil
}

// SetOnHand records warehouse stock levels (a WMS reporting its own counts) and pushes what
// changed to every channel.
func (e *Engine) SetOnHand(ctx context.Context, merchantID string, levels ...inventory.Level) error {
	m, err := e.merchant(merchantID)
	if err != nil {
		return err
	}
	if err := e.setLevels(ctx, m, levels); err != nil {
		return err
	}
	skus := make([]string, len(levels))
	for i, l := range levels {
		skus[i] = l.SKU
	}
	e.pushAffected(ctx, m, skus)
	return nil
}

func (e *Engine) setLevels(ctx context.Context, m *merchant, levels []inventory.Level) error {
	for i := range levels {
		if levels[i].OnHand < 0 {
			levels[i].OnHand = 0 // a warehouse that oversold must not make channels sell more
		}
	}
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return err
	}
	if err := e.store.PutLevels(ctx, m.cfg.ID, levels); err != nil {
		return err
	}
	// Shipped units this level counts leave the reservations in the pool. The persisted
	// reservations keep them until rewritten, which is harmless: loadPool applies levels last.
	m.pool.SetLevels(levels...)
	return nil
}

// pushAffected pushes new values of the channel SKUs that depend on these warehouse SKUs. Pushing
// is best effort here: what fails is pushed again by the next SyncStock, which diffs everything.
func (e *Engine) pushAffected(ctx context.Context, m *merchant, warehouseSKUs []string) {
	if len(warehouseSKUs) == 0 {
		return
	}
	m.stock.Lock()
	if err := e.loadPool(ctx, m); err != nil {
		m.stock.Unlock()
		return
	}
	affected := m.pool.Affected(warehouseSKUs)
	m.stock.Unlock()
	var pushes []func()
	for _, c := range m.cfg.Channels {
		if skus := affected[c.ID]; len(skus) > 0 && c.Target != nil && !c.Paused {
			pushes = append(pushes, func() {
				if _, err := e.push(ctx, m, &c, skus); err != nil {
					e.opt.Logger.WarnContext(ctx, "tobira: stock push failed; retried at the next SyncStock", "merchant", m.cfg.ID, "channel", c.ID, "err", err)
				}
			})
		}
	}
	e.opt.Parallel(pushes...)
}

// StockResult counts what one SyncStock run did.
type StockResult struct {
	Levels int // levels read from warehouses
	Pushed int // values channels acknowledged
	Failed int // values that failed, to be pushed again
}

// SyncStock reads stock levels from the merchant's warehouses and pushes every channel's values
// that differ from what the channel last acknowledged. Failures of one channel do not stop the
// others; the first error is returned after all were tried.
func (e *Engine) SyncStock(ctx context.Context, merchantID string) (StockResult, error) {
	var res StockResult
	m, err := e.merchant(merchantID)
	if err != nil {
		return res, err
	}
	part := "stock/" + escape(merchantID)
	release, err := e.acquire(ctx, part)
	if err != nil {
		return res, err
	}
	defer release()
	// Rebuild the pool from the Store: other replicas record reservations and levels too, and
	// this run must plan from all of them, not from what this process saw.
	m.stock.Lock()
	m.loaded = false
	m.stock.Unlock()
	var errs []error
	for _, w := range m.cfg.Warehouses {
		if w.Stock == nil {
			continue
		}
		if err := e.pullStock(ctx, m, &w, &res); err != nil {
			errs = append(errs, fmt.Errorf("warehouse %s: %w", w.ID, err))
		}
	}
	var (
		mu     sync.Mutex
		pushes []func()
	)
	for _, c := range m.cfg.Channels {
		if c.Target == nil || c.Paused || m.stoppedErr(c.ID) != nil {
			continue
		}
		pushes = append(pushes, func() {
			n, err := e.push(ctx, m, &c, nil)
			mu.Lock()
			defer mu.Unlock()
			res.Pushed += n
			if err != nil {
				errs = append(errs, fmt.Errorf("channel %s: %w", c.ID, err))
			}
		})
	}
	e.opt.Parallel(pushes...)
	return res, errors.Join(errs...)
}

func (e *Engine) pullStock(ctx context.Context, m *merchant, w *Warehouse, res *StockResult) error {
	name := "stock/" + escape(m.cfg.ID) + "/" + escape(w.ID)
	cur, ver, err := e.store.GetCursor(ctx, name)
	if err != nil {
		return err
	}
	for {
		p, err := w.Stock.ListStock(ctx, connector.Cursor(cur))
		if err != nil {
			return e.channelErr(ctx, m, w.ID, err)
		}
		for _, r := range p.Rejects {
			if err := e.quarantine(ctx, Quarantined{Kind: "stock", Merchant: m.cfg.ID, Source: w.ID, ItemID: r.ID, Reason: errString(r.Err)}); err != nil {
				return err
			}
		}
		levels := p.Levels[:0:0]
		for _, l := range p.Levels {
			if l.SKU == "" || l.AsOf.IsZero() {
				if err := e.quarantine(ctx, Quarantined{Kind: "stock", Merchant: m.cfg.ID, Source: w.ID, ItemID: l.SKU, Reason: "stock level without SKU or AsOf"}); err != nil {
					return err
				}
				continue
			}
			levels = append(levels, l)
		}
		if err := e.setLevels(ctx, m, levels); err != nil {
			return err
		}
		res.Levels += len(levels)
		if ver, err = e.store.PutCursor(ctx, name, string(p.Next), ver); err != nil {
			return err
		}
		cur = string(p.Next)
		if !p.More {
			return nil
		}
	}
}

// push sends a channel the values of skus (all planned SKUs when nil) that differ from what it
// last acknowledged, in batches of at most its limit. It returns how many were acknowledged.
//
// One push per channel runs at a time: two pushes planned at different moments could land out of
// order, and the older, higher value would win on the channel. A push asked for while another
// runs is handed to the running one, which plans it afresh when it is done (so nobody waits on
// a slow channel, and bursts of sales coalesce into few calls).
func (e *Engine) push(ctx context.Context, m *merchant, c *Channel, skus []string) (int, error) {
	v, ok := m.pushing.Load(c.ID)
	if !ok {
		// Load first: LoadOrStore would allocate a state on every push to find one there.
		v, _ = m.pushing.LoadOrStore(c.ID, &pushState{})
	}
	st := v.(*pushState)
	st.mu.Lock()
	if st.running {
		st.add(skus)
		st.mu.Unlock()
		return 0, nil
	}
	if skus == nil {
		st.add(nil)
	}
	st.running = true
	st.mu.Unlock()
	// Other replicas push to the channel too: two pushes in flight could land in one order and
	// be recorded in the other, leaving the ledger believing a value the channel does not show,
	// which no later push would correct. One replica pushes to a channel at a time.
	part := "push/" + escape(m.cfg.ID) + "/" + escape(c.ID)
	release, err := e.acquire(ctx, part)
	st.mu.Lock()
	if err != nil {
		// What this push wanted stays queued for the next one here; SyncStock sends every value
		// that differs from what the channel acknowledged in any case.
		if skus != nil {
			st.add(skus)
		}
		st.running = false
		st.mu.Unlock()
		return 0, err
	}
	defer release()
	total := 0
	for {
		var (
			all   bool
			batch []string
		)
		if !st.all && len(st.skus) == 0 && skus != nil && increasing(skus) {
			// Nothing else queued: push these as they are (Affected hands them over sorted and
			// unique), rather than through the queue's map.
			batch, skus = skus, nil
		} else {
			if skus != nil {
				st.add(skus)
				skus = nil
			}
			all, batch = st.take()
		}
		st.mu.Unlock()
		if all {
			batch = nil
		}
		n, err := e.pushOnce(ctx, m, c, batch)
		total += n
		st.mu.Lock()
		if err != nil || !st.due() {
			st.running = false
			st.mu.Unlock()
			return total, err
		}
		st.mu.Unlock()
		// Another round: the lease must outlast it.
		err = e.renew(ctx, part)
		st.mu.Lock()
		if err != nil {
			st.running = false
			st.mu.Unlock()
			return total, err
		}
	}
}

// increasing reports whether skus are sorted without repeats, as the queue would hand them out.
func increasing(skus []string) bool {
	for i := 1; i < len(skus); i++ {
		if skus[i-1] >= skus[i] {
			return false
		}
	}
	return true
}

// pushState is the push queue of one channel.
type pushState struct {
	mu      sync.Mutex
	running bool
	all     bool
	skus    map[string]bool
}

// add queues channel SKUs; nil means every SKU.
func (p *pushState) add(skus []string) {
	if skus == nil {
		p.all = true
		return
	}
	if p.skus == nil {
		p.skus = map[string]bool{}
	}
	for _, s := range skus {
		p.skus[s] = true
	}
}

func (p *pushState) due() bool { return p.all || len(p.skus) > 0 }

// take empties the queue.
func (p *pushState) take() (bool, []string) {
	all, out := p.all, make([]string, 0, len(p.skus))
	for s := range p.skus {
		out = append(out, s)
	}
	p.all, p.skus = false, nil
	// In SKU order, not the map's: the updates a queue becomes, and how they split into the
	// target's batches, must not vary from run to run (the simulator replays a seed).
	slices.Sort(out)
	return all, out
}

// pushOnce plans and sends one round of values.
func (e *Engine) pushOnce(ctx context.Context, m *merchant, c *Channel, skus []string) (int, error) {
	m.stock.Lock()
	if err := e.loadPool(ctx, m); err != nil {
		m.stock.Unlock()
		return 0, err
	}
	acked, err := e.ackedFor(ctx, m, c.ID)
	if err != nil {
		m.stock.Unlock()
		return 0, err
	}
	compare := false
	if ct, ok := c.Target.(connector.ComparingTarget); ok {
		compare = ct.ComparesStock()
	}
	// PlanChanges computes only what differs from the ledger, in SKU order, without building
	// the whole plan: a full sync of a large catalogue stays cheap.
	changes := m.pool.PlanChanges(c.ID, skus, func(sku string) (int, bool) { a, ok := acked[sku]; return a.Available, ok && a.Known() })
	updates := make([]connector.StockUpdate, len(changes))
	for i, ch := range changes {
		updates[i] = connector.StockUpdate{SKU: ch.SKU, Available: ch.Available, Key: writeKey(acked[ch.SKU], ch.Available)}
		if compare && ch.HadPrevious {
			prev := ch.Previous
			updates[i].Compare = &prev
		}
	}
	m.stock.Unlock()
	pushed, conflicts, err := e.send(ctx, m, c, updates)
	if err != nil || len(conflicts) == 0 {
		return pushed, err
	}
	n, err := e.replan(ctx, m, c, conflicts)
	return pushed + n, err
}

// replan handles compare-and-set conflicts: the channel changed a value itself, usually because
// it sold units whose orders are not imported yet. The engine reads the channel's value and sets
// the plan, but never more than the channel shows after its own sales, comparing against it.
// Without a way to read back, the engine forgets what it believed, and the next push sets the plan.
func (e *Engine) replan(ctx context.Context, m *merchant, c *Channel, conflicts []connector.StockUpdate) (int, error) {
	for _, u := range conflicts {
		emit(e, StockConflict{Merchant: m.cfg.ID, Channel: c.ID, SKU: u.SKU})
	}
	reader, ok := c.Target.(connector.StockReader)
	if !ok {
		for _, u := range conflicts {
			e.forgetAcked(m, c.ID, u.SKU)
		}
		return 0, nil
	}
	skus := make([]string, len(conflicts))
	for i, u := range conflicts {
		skus[i] = u.SKU
	}
	shown, err := reader.ReadStock(ctx, skus)
	if err != nil {
		return 0, e.channelErr(ctx, m, c.ID, err)
	}
	var retry []connector.StockUpdate
	for _, u := range conflicts {
		cur, ok := shown[u.SKU]
		if !ok {
			e.forgetAcked(m, c.ID, u.SKU)
			continue
		}
		v := u.Available
		if u.Compare != nil && cur < *u.Compare {
			v = min(v, cur) // the channel sold since the engine's last push
		}
		if v == cur {
			if err := e.recordAcked(ctx, m, c.ID, map[string]StockAck{u.SKU: {Available: cur}}); err != nil {
				return 0, err
			}
			continue
		}
		// A new write: the refused one was answered, so its key is spent.
		retry = append(retry, connector.StockUpdate{SKU: u.SKU, Available: v, Compare: &cur, Key: newWriteKey()})
	}
	n, again, err := e.send(ctx, m, c, retry)
	for _, u := range again {
		e.forgetAcked(m, c.ID, u.SKU) // changed again under us: the next run starts afresh
	}
	return n, err
}

// unknownStock is recorded as acknowledged for a SKU whose write the channel refused. It equals
// no plan, so the next push sets the SKU again, with a new key and without comparing against a
// value the channel may no longer show.
const unknownStock = -1

// writeKey returns the key of a write of value for a SKU of which the ledger holds prev: the key
// of the write under way when this is that very write sent again (its answer was lost, or a
// crash came first), and a new key for any other.
func writeKey(prev StockAck, value int) string {
	if prev.Write != "" && prev.Available == value {
		return prev.Write
	}
	return newWriteKey()
}

// newWriteKey returns a key no write had before.
func newWriteKey() string { return "tobira-stock-" + rand.Text() }

// send pushes updates in batches of at most the target's limit and records what it
// acknowledged. It returns the count acknowledged and the updates refused by compare-and-set.
//
// Each batch's writes are recorded with their keys before the call: a call whose answer is
// lost, or a crash before its answer is recorded, may leave the channel showing the new values
// while the ledger holds the old ones, and a plan that returns to those would never be pushed.
// The next push sends such a write again with its key (writeKey), so the platform applies it at
// most once even if the channel sold units since. A write the channel answered, either way, is
// done: its key is never sent again.
func (e *Engine) send(ctx context.Context, m *merchant, c *Channel, updates []connector.StockUpdate) (int, []connector.StockUpdate, error) {
	var conflicts []connector.StockUpdate
	limit := max(c.Target.BatchLimit(), 1)
	pushed := 0
	// One map serves every batch: the Store and the cache copy what they record from it.
	vals := make(map[string]StockAck, min(limit, len(updates)))
	for len(updates) > 0 {
		batch := updates[:min(limit, len(updates))]
		updates = updates[len(batch):]
		clear(vals)
		for _, u := range batch {
			vals[u.SKU] = StockAck{Available: u.Available, Write: u.Key}
		}
		if err := e.recordAcked(ctx, m, c.ID, vals); err != nil {
			return pushed, conflicts, err
		}
		results, err := c.Target.SetStock(ctx, batch)
		if err != nil {
			return pushed, conflicts, e.channelErr(ctx, m, c.ID, err)
		}
		clear(vals)
		acked := 0
		for i, r := range results {
			if i >= len(batch) || r.SKU != batch[i].SKU {
				continue // a result we cannot pair with an update leaves its write under way
			}
			if r.Err == nil {
				vals[r.SKU] = StockAck{Available: batch[i].Available}
				acked++
				continue
			}
			vals[r.SKU] = StockAck{Available: unknownStock}
			switch {
			case errors.Is(r.Err, connector.ErrConflict):
				conflicts = append(conflicts, batch[i])
			case connector.Classify(r.Err) == connector.Permanent:
				if err := e.quarantine(ctx, Quarantined{Kind: "stock", Merchant: m.cfg.ID, Source: c.ID, ItemID: r.SKU, Reason: r.Err.Error()}); err != nil {
					return pushed, conflicts, err
				}
			}
		}
		if len(vals) > 0 {
			if err := e.recordAcked(ctx, m, c.ID, vals); err != nil {
				return pushed, conflicts, err
			}
		}
		if acked > 0 {
			pushed += acked
			emit(e, StockPushed{Merchant: m.cfg.ID, Channel: c.ID, Count: acked})
		}
	}
	return pushed, conflicts, nil
}

// recordAcked records what the ledger knows of a channel's values (acknowledged or shown, writes
// under way with their keys, or unknownStock): in the Store, then in the engine's cache of it.
func (e *Engine) recordAcked(ctx context.Context, m *merchant, channel string, values map[string]StockAck) error {
	if err := e.store.PutAcked(ctx, m.cfg.ID, channel, values); err != nil {
		return err
	}
	m.noteAcked(channel, values)
	return nil
}

// noteAcked records acknowledged values in the cache. A pool rebuilt meanwhile (SyncStock
// reloads it while webhooks push) has no cache for the channel yet: the values are in the Store,
// where ackedFor will read them, so there is nothing to update.
func (m *merchant) noteAcked(channel string, values map[string]StockAck) {
	m.stock.Lock()
	defer m.stock.Unlock()
	if a := m.acked[channel]; a != nil {
		for sku, v := range values {
			a[sku] = v
		}
	}
}

// forgetAcked drops what the engine believed a channel holds after a compare-and-set conflict,
// so the next push reads or overrides from the channel's own value rather than a stale one.
func (e *Engine) forgetAcked(m *merchant, channel, sku string) {
	m.stock.Lock()
	defer m.stock.Unlock()
	delete(m.acked[channel], sku)
}

// ackedFor returns the cached acknowledged values of a channel. Callers hold m.stock.
func (e *Engine) ackedFor(ctx context.Context, m *merchant, channel string) (map[string]StockAck, error) {
	if a, ok := m.acked[channel]; ok {
		return a, nil
	}
	a, err := e.store.Acked(ctx, m.cfg.ID, channel)
	if err != nil {
		return nil, err
	}
	m.acked[channel] = a
	return a, nil
}

// Available returns what a channel may sell of one of its SKUs now.
func (e *Engine) Available(ctx context.Context, merchantID, channel, sku string) (int, error) {
	m, err := e.merchant(merchantID)
	if err != nil {
		return 0, err
	}
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return 0, err
	}
	return m.pool.Available(channel, sku)
}

// Drift is a SKU whose value on a channel differs from the engine's plan.
type Drift struct {
	SKU     string
	Channel int // what the channel shows
	Planned int // what the engine computes it may sell
}

// ErrCannotRead: the channel's StockTarget cannot read stock back (no connector.StockReader).
var ErrCannotRead = errors.New("tobira/sync: channel cannot read stock back")

// Reconcile reads a channel's stock back and reports every SKU whose value differs from the plan,
// for example after a merchant edited stock by hand on the channel. With repair, it sets the
// planned values (compare-and-set from the channel's own value where the target offers it).
func (e *Engine) Reconcile(ctx context.Context, merchantID, channel string, repair bool) ([]Drift, error) {
	m, c, err := e.channel(merchantID, channel)
	if err != nil {
		return nil, err
	}
	reader, ok := c.Target.(connector.StockReader)
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrCannotRead, merchantID, channel)
	}
	m.stock.Lock()
	if err := e.loadPool(ctx, m); err != nil {
		m.stock.Unlock()
		return nil, err
	}
	plan := m.pool.Plan(channel)
	m.stock.Unlock()
	skus := make([]string, 0, len(plan))
	for s := range plan {
		skus = append(skus, s)
	}
	slices.Sort(skus)
	var drift []Drift
	for len(skus) > 0 {
		batch := skus[:min(len(skus), max(c.Target.BatchLimit(), 1))]
		skus = skus[len(batch):]
		shown, err := reader.ReadStock(ctx, batch)
		if err != nil {
			return drift, e.channelErr(ctx, m, channel, err)
		}
		for _, s := range batch {
			if v, ok := shown[s]; !ok || v != plan[s] {
				drift = append(drift, Drift{SKU: s, Channel: v, Planned: plan[s]})
			}
		}
	}
	if !repair || len(drift) == 0 {
		return drift, nil
	}
	// What the channel shows becomes what the engine believes it acknowledged, so the push below
	// sends the planned value, compared against the channel's own.
	shown := make(map[string]StockAck, len(drift))
	fix := make([]string, len(drift))
	for i, d := range drift {
		shown[d.SKU], fix[i] = StockAck{Available: d.Channel}, d.SKU
	}
	if err := e.recordAcked(ctx, m, channel, shown); err != nil {
		return drift, err
	}
	_, err = e.push(ctx, m, c, fix)
	return drift, err
}

// Explain returns the breakdown behind the number a channel shows for one of its SKUs: on hand
// and its AsOf, each reservation with its order, buffer, share, cap and bundle components.
// Explanation.String answers a merchant's "why does Rakuten show 3?".
func (e *Engine) Explain(ctx context.Context, merchantID, channel, sku string) (inventory.Explanation, error) {
	m, err := e.merchant(merchantID)
	if err != nil {
		return inventory.Explanation{}, err
	}
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return inventory.Explanation{}, err
	}
	return m.pool.Explain(channel, sku)
}
