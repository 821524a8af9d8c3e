package main

import (
	"context"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/internal/sim"
)

// platform is one sales platform's published figures (internal/sim's, from the research), with
// each API's limits resolved to indexes into an account's buckets, shared by every account.
type platform struct {
	sim.Platform
	limits               []sim.Limit // distinct limits, by name
	orders, stock, ships []int       // indexes into limits
}

// newPlatform resolves p's limits. A speed above 1 compresses the platform's time: its rates are
// that many times higher and its windows that many times shorter (a test polling every second
// sees what a host polling every minute sees at speed 60); round trips keep their length.
func newPlatform(p sim.Platform, speed float64) *platform {
	pl := &platform{Platform: p}
	index := func(ls []sim.Limit) []int {
		var out []int
		for _, l := range ls {
			if speed > 1 {
				l.Rate *= speed
				l.Window = time.Duration(float64(l.Window) / speed)
			}
			i := 0
			for i < len(pl.limits) && pl.limits[i].Name != l.Name {
				i++
			}
			if i == len(pl.limits) {
				pl.limits = append(pl.limits, l)
			}
			out = append(out, i)
		}
		return out
	}
	pl.orders, pl.stock, pl.ships = index(p.Orders), index(p.Stock), index(p.Ship)
	return pl
}

// bucket is one rate limit in real time: a token bucket, or a fixed window counted from the
// window's start on the wall clock. The platform keeps one to answer throttles; the client keeps
// another to pace its calls, as the HTTP layer's rate.Limiter does.
type bucket struct {
	mu     gosync.Mutex
	tokens float64
	last   time.Time
	win    time.Time // fixed windows: the window booked last
	used   int
}

func (b *bucket) refill(l *sim.Limit, now time.Time) {
	if l.Window > 0 {
		if w := now.Truncate(l.Window); b.win.Before(w) {
			b.win, b.used = w, 0
		}
		return
	}
	if b.last.IsZero() {
		b.tokens, b.last = l.Burst, now
	}
	if now.After(b.last) {
		b.tokens = min(l.Burst, b.tokens+now.Sub(b.last).Seconds()*l.Rate)
		b.last = now
	}
}

// take consumes cost if the bucket holds it at now, the instant the call was sent, as the
// platform decides.
func (b *bucket) take(l *sim.Limit, now time.Time, cost float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(l, now)
	if l.Window > 0 {
		if b.used+int(cost) > l.PerWindow {
			return false
		}
		b.used += int(cost)
		return true
	}
	// A hair of tolerance: the pacer computed the same instant, and float rounding must not turn
	// an on-time call into a throttle.
	if b.tokens+1e-9 < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// reserve books cost and returns the instant the caller may call, as rate.Limiter.Reserve
// does. The clock is read under the lock, so concurrent callers queue in the order they book.
func (b *bucket) reserve(l *sim.Limit, cost float64) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.refill(l, now)
	if l.Window > 0 {
		for b.used+int(cost) > l.PerWindow {
			b.win, b.used = b.win.Add(l.Window), 0
		}
		b.used += int(cost)
		if b.win.After(now) {
			return b.win
		}
		return now
	}
	b.tokens -= cost
	if b.tokens >= 0 {
		return now
	}
	// Rounded up, so the platform's bucket holds the cost when the call arrives.
	return now.Add(time.Duration(-b.tokens/l.Rate*float64(time.Second)) + time.Microsecond)
}

// account is one channel account: a memory.Channel seen through its platform's API, with the
// platform's round trip and rate limits and the client's pacing.
type account struct {
	*memory.Channel
	p        *platform
	platform []bucket // the platform's view of each limit
	pacer    []bucket // the client's
	// throttled counts the platform's throttle answers; calls every call made.
	throttled *atomic.Int64
	// slow adds to every round trip (a channel having a bad day).
	slow atomic.Int64
}

func newAccount(p *platform, throttled *atomic.Int64) *account {
	return &account{
		Channel:   &memory.Channel{PageSize: p.PageSize, Limit: p.StockBatch, CompareStock: p.CompareStock},
		p:         p,
		platform:  make([]bucket, len(p.limits)),
		pacer:     make([]bucket, len(p.limits)),
		throttled: throttled,
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call paces, then passes the platform's limits, then spends the round trip.
func (a *account) call(ctx context.Context, limits []int, cost float64) error {
	var at time.Time
	for _, i := range limits {
		if t := a.pacer[i].reserve(&a.p.limits[i], cost); t.After(at) {
			at = t
		}
	}
	if err := sleep(ctx, time.Until(at)); err != nil {
		return err
	}
	// The platform sees the call at the instant the client sent it: how late this process's
	// scheduler woke the goroutine is not the network's doing, and a real client's pacer also
	// stamps its reservation, not its wake-up.
	rtt := a.p.Latency + time.Duration(a.slow.Load())
	for _, i := range limits {
		if !a.platform[i].take(&a.p.limits[i], at, cost) {
			a.throttled.Add(1)
			_ = sleep(ctx, rtt)
			return &connector.RateLimitError{Wait: time.Second, Reason: a.p.limits[i].Name}
		}
	}
	return sleep(ctx, rtt)
}

var (
	_ connector.OrderSource     = (*account)(nil)
	_ connector.ShipmentSink    = (*account)(nil)
	_ connector.StockTarget     = (*account)(nil)
	_ connector.ComparingTarget = (*account)(nil)
)

func (a *account) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if err := a.call(ctx, a.p.orders, a.p.ListCost); err != nil {
		return nil, err
	}
	return a.Channel.ListOrders(ctx, req)
}

func (a *account) ConfirmShipment(ctx context.Context, s connector.ShipmentConfirmation) error {
	if err := a.call(ctx, a.p.ships, a.p.ShipCost); err != nil {
		return err
	}
	return a.Channel.ConfirmShipment(ctx, s)
}

func (a *account) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if err := a.call(ctx, a.p.stock, a.p.StockCost); err != nil {
		return nil, err
	}
	return a.Channel.SetStock(ctx, updates)
}

// warehouse is the 3PL's WMS, in the same system as the engine (DESIGN.md, "Who embeds it"): a
// short round trip and no rate limit. It records when each order first arrived.
type warehouse struct {
	*memory.Warehouse
	latency time.Duration
	arrived func(channel, orderID string)
}

func (w *warehouse) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	if err := sleep(ctx, w.latency); err != nil {
		return err
	}
	err := w.Warehouse.Submit(ctx, r)
	if err == nil && w.arrived != nil {
		w.arrived(r.Channel, r.Order.ID)
	}
	return err
}

func (w *warehouse) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	if err := sleep(ctx, w.latency); err != nil {
		return connector.Answer{}, err
	}
	return w.Warehouse.Change(ctx, r)
}

func (w *warehouse) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	if err := sleep(ctx, w.latency); err != nil {
		return connector.Answer{}, err
	}
	return w.Warehouse.Cancel(ctx, r)
}

func (w *warehouse) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	if err := sleep(ctx, w.latency); err != nil {
		return nil, err
	}
	return w.Warehouse.ListShipments(ctx, after)
}

func (w *warehouse) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	if err := sleep(ctx, w.latency); err != nil {
		return nil, err
	}
	return w.Warehouse.ListStock(ctx, after)
}
