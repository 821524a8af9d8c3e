// Reservations: what each recorded order holds of the stock pool, written to the ledger, and
// following the ledger when another writer replaced the order meanwhile.

package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// dueUnits returns, per line routed to a warehouse, how many units the order will ship in all
// (see lineDue).
func dueUnits(m *merchant, rec *ledger.OrderRecord) map[string]int {
	out := make(map[string]int, len(rec.Order.Lines))
	var routes routeSet
	for i := range rec.Order.Lines {
		if n, ok := lineDue(m, rec, &rec.Order.Lines[i], &routes); ok {
			out[rec.Order.Lines[i].ID] = n
		}
	}
	return out
}

// lineDue returns how many units of line l the order will ship in all, or false when no
// warehouse ships the line. Until the warehouse answers a change, the order keeps the larger of
// the old and new quantities reserved, because stock freed early could be sold twice; after a
// refusal, only what the warehouse holds will leave.
//
// routes gathers a destination's lines once per record, and only when a refusal needs them.
func lineDue(m *merchant, rec *ledger.OrderRecord, l *order.Line, routes *routeSet) (int, bool) {
	cancelled := rec.Order.Status == order.StatusCancelled
	d := m.cfg.dest(rec.Key.Channel, l.SKU)
	if m.warehouses[d] == nil {
		return 0, false
	}
	held, final := 0, false
	if i := slices.IndexFunc(rec.Requests, func(r ledger.Request) bool { return r.Target == d }); i >= 0 {
		r := &rec.Requests[i]
		if r.State != ledger.RequestCancelled {
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
func shippedUnits(rec *ledger.OrderRecord, id string) int {
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
func (m *merchant) computeReservation(pool *inventory.Pool, rec *ledger.OrderRecord) {
	sc := &m.scratch
	sc.key = rec.Key.Append(sc.key[:0])
	sc.items, sc.shipped = sc.items[:0], sc.shipped[:0]
	if rec.State != ledger.StateQuarantined {
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
func (e *Engine) followLedger(ctx context.Context, m *merchant, recs []*ledger.OrderRecord) ([]string, error) {
	var touched []string
	for attempt := 0; len(recs) > 0 && attempt < 3; attempt++ {
		stored, err := e.ledgerOf(ctx, recs)
		if err != nil {
			return touched, err
		}
		var moved []*ledger.OrderRecord
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
func (e *Engine) ledgerOf(ctx context.Context, recs []*ledger.OrderRecord) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	if bl, ok := e.store.(ledger.BatchOrderLedger); ok && len(recs) > 1 {
		keys := make([]ledger.OrderKey, len(recs))
		for i, rec := range recs {
			keys[i] = rec.Key
		}
		return getOrders(ctx, bl, keys)
	}
	out := make(map[ledger.OrderKey]*ledger.OrderRecord, len(recs))
	for _, rec := range recs {
		cur, err := e.getOrder(ctx, rec.Key)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out[rec.Key] = cur
	}
	return out, nil
}

// reserveWritten is reserve for a record just written, followed by followLedger.
func (e *Engine) reserveWritten(ctx context.Context, m *merchant, rec *ledger.OrderRecord) ([]string, error) {
	skus, err := e.reserve(ctx, m, rec)
	if err != nil {
		return skus, err
	}
	more, err := e.followLedger(ctx, m, []*ledger.OrderRecord{rec})
	return append(skus, more...), err
}

// reserve brings the order's reservation in line with its record and returns the warehouse SKUs
// whose availability may have changed.
func (e *Engine) reserve(ctx context.Context, m *merchant, rec *ledger.OrderRecord) ([]string, error) {
	m.stock.Lock()
	defer m.stock.Unlock()
	if err := e.loadPool(ctx, m); err != nil {
		return nil, err
	}
	m.awaitKeys([]*ledger.OrderRecord{rec})
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
func (e *Engine) reserveAll(ctx context.Context, m *merchant, recs []*ledger.OrderRecord, fresh []bool) ([]string, error) {
	br, ok := e.store.(ledger.BatchReservations)
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
	m.awaitKeys(recs)
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

// writeReserving is PutOrders, reserveAll and followLedger in one call on a store that writes
// each record with its reservation atomically: the reservations are computed as reserveAll does
// (fresh likewise), sent with the records, and noted in the pool for the records written only. A
// record refused by its compare-and-set changed no reservation, so whoever replaced it wrote
// its own with it, and nothing is left to check. It returns PutOrders' results and the warehouse
// SKUs whose availability may have changed; an error means the call was not made.
//
// The write runs without m.stock, the reservations it changes marked as being written
// (awaitKeys).
func (e *Engine) writeReserving(ctx context.Context, rl ledger.ReservingOrderLedger, m *merchant, recs []*ledger.OrderRecord, fresh []bool) ([]string, []error, error) {
	m.stock.Lock()
	if err := e.loadPool(ctx, m); err != nil {
		m.stock.Unlock()
		return nil, nil, err
	}
	m.awaitKeys(recs)
	var (
		changes []ledger.ReservationChange
		digests []string
		slab    []inventory.Item
	)
	for i, rec := range recs {
		m.computeReservation(m.pool, rec)
		if !(fresh != nil && fresh[i] && len(m.scratch.digest) > 0) && m.unchanged() {
			continue
		}
		if changes == nil {
			changes, digests = make([]ledger.ReservationChange, len(recs)), make([]string, len(recs))
		}
		if len(m.scratch.digest) == 0 {
			r, _ := m.reservationOf(rec.Key.Channel)
			changes[i].Delete = r.Key
			continue
		}
		if slab == nil {
			slab = make([]inventory.Item, 0, 2*len(recs))
		}
		r, digest, more := m.appendReservationOf(rec.Key.Channel, slab)
		slab = more
		changes[i].Put, digests[i] = r, digest
	}
	// Only the reservations this write changes are marked: one it leaves alone stays as the
	// pool noted it, whoever computes it meanwhile.
	mark := func(d int) {
		for i := range changes {
			k := changes[i].Delete
			if k == "" {
				k = changes[i].Put.Key
			}
			if k == "" {
				continue
			}
			if m.writing[k] += d; m.writing[k] <= 0 {
				delete(m.writing, k)
			}
		}
	}
	if changes != nil && m.writing == nil {
		m.writing = make(map[string]int)
	}
	mark(1)
	m.stock.Unlock()

	errs := rl.PutOrdersReserving(ctx, recs, changes)

	m.stock.Lock()
	defer m.stock.Unlock()
	mark(-1)
	if changes != nil && m.written.L != nil {
		m.written.Broadcast()
	}
	if len(errs) != len(recs) {
		return nil, nil, fmt.Errorf("tobira/sync: PutOrdersReserving answered %d results for %d records", len(errs), len(recs))
	}
	var skus []string
	for i := range changes {
		switch c := &changes[i]; {
		case errs[i] != nil:
		case c.Delete != "":
			skus = append(skus, m.pool.Release(c.Delete)...)
		case c.Put.Key != "":
			skus = m.pool.AppendReserveNote(skus, c.Put, digests[i])
		}
	}
	return skus, errs, nil
}

// awaitKeys waits, holding m.stock (which the wait gives up meanwhile), until no write of the
// reservations of recs is under way without the lock. writeReserving computes reservations
// under m.stock but writes them without it, so that the merchant's other channels need not wait
// for its database; the pool learns them once the write returns. Whoever computes one of those
// reservations meanwhile would compare it with the pool's note of the version before, and could
// take a changed reservation for unchanged (or note an older one over a newer): so it waits for
// that write. Reservations of other orders go on.
func (m *merchant) awaitKeys(recs []*ledger.OrderRecord) {
	if len(m.writing) == 0 {
		return
	}
	if m.written.L == nil {
		m.written.L = &m.stock
	}
	var b []byte
	for busy := true; busy; {
		busy = false
		for _, rec := range recs {
			b = rec.Key.Append(b[:0])
			if m.writing[string(b)] > 0 {
				busy = true
				break
			}
		}
		if busy {
			m.written.Wait()
		}
	}
}
