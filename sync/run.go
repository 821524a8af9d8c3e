// Run: the flows on a schedule, for hosts that do not bring their own.

package sync

import (
	"context"
	"sync"
	"time"
)

// Run drives every flow of every merchant on Options' intervals until ctx ends, for hosts without
// a scheduler of their own. Merchants added, changed or removed while it runs are picked up at
// the next tick. A failing or throttled flow is logged and tried again at its next interval; it
// never stops the others. The stock pushes a flow triggers go on without it, so a channel that
// answers slowly holds back no other channel's orders. Run returns ctx's error, or nil once the
// engine is closed (Close), in both cases after the flows and pushes it started have returned.
func (e *Engine) Run(ctx context.Context) error {
	tick := min(e.opt.OrdersEvery, e.opt.ShipmentsEvery, e.opt.StockEvery) / 2
	tick = max(tick, 10*time.Millisecond)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		next    = map[string]time.Time{}
		running = map[string]bool{}
	)
	defer wg.Wait()
	// Stock pushes a flow triggers go on without it (pushAffected), so a channel that answers
	// slowly holds back neither the flow that sold the units nor that channel's next poll.
	ctx = context.WithValue(ctx, fanoutKey{}, &fanout{ctx: ctx, wg: &wg})
	// now is read once per pass: a partition started at one pass is due again exactly every
	// later, so it is never left for a third pass because this pass reached it earlier than the
	// one before did (a poll a tick late, half an interval, for hundreds of merchants).
	var now time.Time
	start := func(part string, every time.Duration, flow func(context.Context) error) {
		mu.Lock()
		defer mu.Unlock()
		if running[part] || now.Before(next[part]) {
			return
		}
		running[part], next[part] = true, now.Add(every)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = flow(ctx) // each flow logs its outcome; a failure is tried again at its next interval
			mu.Lock()
			running[part] = false
			mu.Unlock()
		}()
	}
	for {
		now = e.opt.Clock.Now()
		for _, id := range e.Merchants() {
			m, err := e.merchant(id)
			if err != nil {
				continue
			}
			for _, c := range m.cfg.Channels {
				c := c
				start("orders/"+id+"/"+c.ID, e.opt.OrdersEvery, func(ctx context.Context) error {
					_, err := e.SyncOrders(ctx, id, c.ID)
					return err
				})
			}
			for _, w := range m.cfg.Warehouses {
				w := w
				start("shipments/"+id+"/"+w.ID, e.opt.ShipmentsEvery, func(ctx context.Context) error {
					_, err := e.SyncShipments(ctx, id, w.ID)
					return err
				})
			}
			start("stock/"+id, e.opt.StockEvery, func(ctx context.Context) error {
				_, err := e.SyncStock(ctx, id)
				return err
			})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-e.shut.closed:
			return nil
		case <-e.opt.Clock.After(tick):
		}
	}
}
