// Stock pushes: one push per channel at a time (queue and lease), planning what differs from
// what the channel acknowledged, and sending it with a write identity recorded before the call.

package sync

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

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
	pushes := func(ctx context.Context) []func() {
		var fns []func()
		for _, c := range m.cfg.Channels {
			if skus := affected[c.ID]; len(skus) > 0 && c.Target != nil && !c.Paused {
				fns = append(fns, func() {
					if _, err := e.push(ctx, m, &c, skus); err != nil {
						e.opt.Logger.WarnContext(ctx, "tobira: stock push failed; retried at the next SyncStock", attrMerchant, m.cfg.ID, attrChannel, c.ID, attrFlow, "push", "err", err.Error())
					}
				})
			}
		}
		return fns
	}
	if f, ok := ctx.Value(fanoutKey{}).(*fanout); ok {
		// Under Run, the fan-out goes on by itself: the flow that sold the units (and that
		// channel's next poll) must not wait for the slowest channel of the merchant. Run
		// waits for it before returning.
		fctx, done, err := e.begin(f.ctx)
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer done()
			e.opt.Parallel(pushes(fctx)...)
		}()
		return
	}
	e.opt.Parallel(pushes(ctx)...)
}

// fanoutKey marks the context of a flow Run started: its stock fan-out runs detached (fanout).
type fanoutKey struct{}

// fanout is where Run's detached stock pushes run: Run's own context, and its wait group.
type fanout struct {
	ctx context.Context
	wg  *sync.WaitGroup
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
	part := "push/" + ledger.JoinKey(m.cfg.ID, c.ID)
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
		u := connector.StockUpdate{SKU: ch.SKU, Available: ch.Available}
		if compare && ch.HadPrevious {
			prev := ch.Previous
			u.Compare = &prev
		}
		updates[i] = identify(acked[ch.SKU], u)
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
			if err := e.recordAcked(ctx, m, c.ID, map[string]ledger.StockAck{u.SKU: {Available: cur}}); err != nil {
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

// identify gives u, a write for a SKU of which the ledger holds prev, its identity: when u sets
// the value of the write under way, it is that very write sent again (its answer was lost, or a
// crash came first), with its key and exactly as it was first sent; any other write is new.
func identify(prev ledger.StockAck, u connector.StockUpdate) connector.StockUpdate {
	if prev.Write != "" && prev.Available == u.Available {
		u.Key, u.Compare = prev.Write, prev.Compare
		return u
	}
	u.Key = newWriteKey()
	return u
}

// newWriteKey returns a key no write had before.
func newWriteKey() string { return "tobira-stock-" + rand.Text() }

// send pushes updates in batches of at most the target's limit and records what it
// acknowledged. It returns the count acknowledged and the updates refused by compare-and-set.
//
// Each batch's writes are recorded with their keys before the call: a call whose answer is
// lost, or a crash before its answer is recorded, may leave the channel showing the new values
// while the ledger holds the old ones, and a plan that returns to those would never be pushed.
// The next push sends such a write again with its key (identify), so the platform applies it at
// most once even if the channel sold units since. A write the channel answered, either way, is
// done: its key is never sent again.
func (e *Engine) send(ctx context.Context, m *merchant, c *Channel, updates []connector.StockUpdate) (int, []connector.StockUpdate, error) {
	var conflicts []connector.StockUpdate
	limit := max(c.Target.BatchLimit(), 1)
	pushed := 0
	// One map serves every batch: the Store and the cache copy what they record from it.
	vals := make(map[string]ledger.StockAck, min(limit, len(updates)))
	for len(updates) > 0 {
		batch := updates[:min(limit, len(updates))]
		updates = updates[len(batch):]
		clear(vals)
		for _, u := range batch {
			vals[u.SKU] = ledger.StockAck{Available: u.Available, Write: u.Key, Compare: u.Compare}
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
				vals[r.SKU] = ledger.StockAck{Available: batch[i].Available}
				acked++
				continue
			}
			vals[r.SKU] = ledger.StockAck{Available: unknownStock}
			switch {
			case errors.Is(r.Err, connector.ErrConflict):
				conflicts = append(conflicts, batch[i])
			case connector.Classify(r.Err) == connector.Permanent:
				if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "stock", Merchant: m.cfg.ID, Source: c.ID, ItemID: r.SKU, Reason: r.Err.Error()}); err != nil {
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
func (e *Engine) recordAcked(ctx context.Context, m *merchant, channel string, values map[string]ledger.StockAck) error {
	if err := e.store.PutAcked(ctx, m.cfg.ID, channel, values); err != nil {
		return err
	}
	m.noteAcked(channel, values)
	return nil
}

// noteAcked records acknowledged values in the cache. A pool rebuilt meanwhile (SyncStock
// reloads it while webhooks push) has no cache for the channel yet: the values are in the Store,
// where ackedFor will read them, so there is nothing to update.
func (m *merchant) noteAcked(channel string, values map[string]ledger.StockAck) {
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
func (e *Engine) ackedFor(ctx context.Context, m *merchant, channel string) (map[string]ledger.StockAck, error) {
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
