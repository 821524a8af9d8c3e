// The stock flow: the pool of each merchant loaded from the ledger, warehouse levels read or
// reported, and SyncStock, which pushes every channel's values that differ (push.go).

package sync

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
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
	m.acked = map[string]map[string]ledger.StockAck{}
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
	return m.checkSKUsLocked(channel, o)
}

// skuCheck is checkSKUs' answer for one order.
type skuCheck struct {
	sku string
	err error
}

// checkPageSKUs is checkSKUs for every order of a page under one hold of the stock lock, which
// the merchant's other channels take for their pages too: one acquisition a page, not one an
// order.
func (e *Engine) checkPageSKUs(m *merchant, channel string, orders []order.Order) []skuCheck {
	m.stock.Lock()
	defer m.stock.Unlock()
	out := make([]skuCheck, len(orders))
	for i := range orders {
		out[i].sku, out[i].err = m.checkSKUsLocked(channel, &orders[i])
	}
	return out
}

// checkSKUsLocked is checkSKUs for a caller holding m.stock.
func (m *merchant) checkSKUsLocked(channel string, o *order.Order) (string, error) {
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

// ReportSale records a sale the engine does not import (a shop that is not connected, a phone
// order, a point of sale) so that it counts against every channel at once. key must be unique
// per sale; reporting it again replaces it, and ReportSale with no items withdraws it.
func (e *Engine) ReportSale(ctx context.Context, merchantID, key string, items []inventory.Item) error {
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
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
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
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

// StockRun counts what one SyncStock run did.
type StockRun struct {
	Levels int // levels read from warehouses
	Pushed int // values channels acknowledged
	Failed int // values that failed, to be pushed again
}

// SyncStock reads stock levels from the merchant's warehouses and pushes every channel's values
// that differ from what the channel last acknowledged. Failures of one channel do not stop the
// others; the first error is returned after all were tried.
func (e *Engine) SyncStock(ctx context.Context, merchantID string) (_ StockRun, err error) {
	var res StockRun
	ctx, endRun := e.startRun(ctx, "stock", merchantID, "", "")
	defer endRun(&err, func() []any {
		return []any{"levels", res.Levels, "pushed", res.Pushed, "failed", res.Failed}
	})
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return res, err
	}
	defer done()
	m, err := e.merchant(merchantID)
	if err != nil {
		return res, err
	}
	part := "stock/" + ledger.JoinKey(merchantID)
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
		e.checkCredential(m, c.ID, c.Target)
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

func (e *Engine) pullStock(ctx context.Context, m *merchant, w *Warehouse, res *StockRun) error {
	name := "stock/" + ledger.JoinKey(m.cfg.ID, w.ID)
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
			if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "stock", Merchant: m.cfg.ID, Source: w.ID, ItemID: r.ID, Reason: errString(r.Err)}); err != nil {
				return err
			}
		}
		levels := p.Levels[:0:0]
		for _, l := range p.Levels {
			if l.SKU == "" || l.AsOf.IsZero() {
				if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "stock", Merchant: m.cfg.ID, Source: w.ID, ItemID: l.SKU, Reason: "stock level without SKU or AsOf"}); err != nil {
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
