package sim

import (
	"context"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
)

// api is one channel's side of the network: the platform's rate limits, which answer with a
// throttle when exceeded, and the client's pacing, which waits for a token before each call as
// the HTTP layer's rate.Limiter does (DESIGN.md, "The HTTP layer"). Both use the same published
// figures, so a client that paces is never throttled; the platform's count proves it.
type api struct {
	s        *sched
	p        Platform
	platform map[string]*bucket
	pacer    map[string]*bucket
	calls    map[string]float64 // cost spent per limit
	count    int                // calls made
	throttle int                // throttle answers received
}

func newAPI(s *sched, p Platform) *api {
	a := &api{s: s, p: p, platform: map[string]*bucket{}, pacer: map[string]*bucket{}, calls: map[string]float64{}}
	for _, ls := range [][]Limit{p.Orders, p.Stock, p.Ship} {
		for _, l := range ls {
			if a.platform[l.Name] == nil {
				a.platform[l.Name], a.pacer[l.Name] = newBucket(l, s.now()), newBucket(l, s.now())
			}
		}
	}
	return a
}

// call paces, then passes the platform's limits, then spends the round trip. It returns a
// *connector.RateLimitError when the platform throttles.
func (a *api) call(limits []Limit, cost float64) error {
	var wait time.Duration
	for _, l := range limits {
		wait = max(wait, a.pacer[l.Name].reserve(a.s.now(), cost))
	}
	a.s.sleep(wait)
	a.count++
	now := a.s.now()
	for _, l := range limits {
		if !a.platform[l.Name].take(now, cost) {
			a.throttle++
			a.s.sleep(a.p.Latency)
			return &connector.RateLimitError{Wait: time.Second, Reason: l.Name}
		}
		a.calls[l.Name] += cost
	}
	a.s.sleep(a.p.Latency)
	return nil
}

// channel is a memory.Channel seen through the platform's API.
type channel struct {
	*memory.Channel
	api *api
	// heard is told of every order a listing hands out.
	heard func(orderID string)
}

var (
	_ connector.OrderSource     = (*channel)(nil)
	_ connector.ShipmentSink    = (*channel)(nil)
	_ connector.StockTarget     = (*channel)(nil)
	_ connector.ComparingTarget = (*channel)(nil)
	_ connector.StockReader     = (*channel)(nil)
)

func (c *channel) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if err := c.api.call(c.api.p.Orders, c.api.p.ListCost); err != nil {
		return nil, err
	}
	p, err := c.Channel.ListOrders(ctx, req)
	if err == nil && c.heard != nil {
		for i := range p.Orders {
			c.heard(p.Orders[i].ID)
		}
	}
	return p, err
}

func (c *channel) ConfirmShipment(ctx context.Context, s connector.ShipmentConfirmation) error {
	if err := c.api.call(c.api.p.Ship, c.api.p.ShipCost); err != nil {
		return err
	}
	return c.Channel.ConfirmShipment(ctx, s)
}

func (c *channel) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if err := c.api.call(c.api.p.Stock, c.api.p.StockCost); err != nil {
		return nil, err
	}
	return c.Channel.SetStock(ctx, updates)
}

// ReadStock reads back what the platform shows, through the stock API's limits.
func (c *channel) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	if err := c.api.call(c.api.p.Stock, c.api.p.StockCost); err != nil {
		return nil, err
	}
	return c.Channel.ReadStock(ctx, skus)
}

// warehouse is the 3PL's WMS as the engine's host sees it: in the same system (DESIGN.md, "Who
// embeds it"), so its calls cost a short round trip and no rate limit. It records when each
// order first arrived, which is what order-to-warehouse latency measures.
type warehouse struct {
	*memory.Warehouse
	s       *sched
	latency time.Duration
	arrived map[string]time.Time // channel/order ID -> first Submit
	keys    map[string]string    // channel/order ID -> request key
	recvAt  map[string]time.Time // request key -> arrival
	fresh   []string             // request keys arrived since drainNew
	calls   int
}

// drainNew returns the requests that arrived since the last call, in arrival order.
func (w *warehouse) drainNew() []string {
	out := w.fresh
	w.fresh = nil
	return out
}

func (w *warehouse) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	w.calls++
	w.s.sleep(w.latency)
	err := w.Warehouse.Submit(ctx, r)
	if err == nil {
		k := r.Channel + "/" + r.Order.ID
		if _, ok := w.arrived[k]; !ok {
			if _, live := w.Request(r.Key); live {
				w.arrived[k], w.keys[k], w.recvAt[r.Key] = w.s.now(), r.Key, w.s.now()
				w.fresh = append(w.fresh, r.Key)
			}
		}
	}
	return err
}

func (w *warehouse) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	w.calls++
	w.s.sleep(w.latency)
	return w.Warehouse.Change(ctx, r)
}

func (w *warehouse) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	w.calls++
	w.s.sleep(w.latency)
	return w.Warehouse.Cancel(ctx, r)
}

func (w *warehouse) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	w.calls++
	w.s.sleep(w.latency)
	return w.Warehouse.ListShipments(ctx, after)
}

func (w *warehouse) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	w.calls++
	w.s.sleep(w.latency)
	return w.Warehouse.ListStock(ctx, after)
}
