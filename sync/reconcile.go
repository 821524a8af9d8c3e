// Looking at stock from the host's side: what a channel may sell, why (Explain), and where a
// channel shows something else (Reconcile).

package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

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

// ErrNoStockReader: the channel's StockTarget cannot read stock back (no connector.StockReader).
var ErrNoStockReader = errors.New("tobira/sync: channel cannot read stock back")

// Reconcile reads a channel's stock back and reports every SKU whose value differs from the plan,
// for example after a merchant edited stock by hand on the channel. With repair, it sets the
// planned values (compare-and-set from the channel's own value where the target offers it).
func (e *Engine) Reconcile(ctx context.Context, merchantID, channel string, repair bool) ([]Drift, error) {
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	m, c, err := e.channel(merchantID, channel)
	if err != nil {
		return nil, err
	}
	reader, ok := c.Target.(connector.StockReader)
	if !ok {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoStockReader, merchantID, channel)
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
	shown := make(map[string]ledger.StockAck, len(drift))
	fix := make([]string, len(drift))
	for i, d := range drift {
		shown[d.SKU], fix[i] = ledger.StockAck{Available: d.Channel}, d.SKU
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
