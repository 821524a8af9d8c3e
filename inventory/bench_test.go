package inventory_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tobira-commerce/tobira/inventory"
)

const (
	benchSKUs     = 100_000
	benchChannels = 5
)

type catalogue struct {
	pool     *inventory.Pool
	skus     []string
	channels []string
	acked    map[string]map[string]int
	levels   []inventory.Level
}

// newCatalogue builds a merchant with 100,000 warehouse SKUs and 5 channels, each selling every
// SKU under its own name plus bundles of 2-3 components (10% of the channel's SKUs), with 10,000
// open orders and an acknowledged ledger that differs from the plan on one SKU in ten.
func newCatalogue(tb testing.TB) *catalogue {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	c := &catalogue{pool: inventory.NewPool(), acked: map[string]map[string]int{}}
	for i := range benchSKUs {
		sku := fmt.Sprintf("W%06d", i)
		c.skus = append(c.skus, sku)
		c.levels = append(c.levels, inventory.Level{SKU: sku, OnHand: rng.IntN(60), AsOf: t0})
	}
	c.pool.SetLevels(c.levels...)
	policies := []inventory.Policy{{}, {Buffer: 2}, {Share: 50}, {Buffer: 1, Share: 80, Max: 20}, {Max: 10}}
	bundles := benchSKUs / 9 // 100,000 singles + 11,111 bundles: 10% of the channel's SKUs
	for ch := range benchChannels {
		name := fmt.Sprintf("channel-%d", ch)
		c.channels = append(c.channels, name)
		skus := make(map[string][]inventory.Item, benchSKUs+bundles)
		for _, s := range c.skus {
			skus[name+"-"+s] = []inventory.Item{{SKU: s, Quantity: 1}}
		}
		for b := range bundles {
			var items []inventory.Item
			for range 2 + rng.IntN(2) {
				items = append(items, inventory.Item{SKU: c.skus[rng.IntN(benchSKUs)], Quantity: 1 + rng.IntN(2)})
			}
			skus[fmt.Sprintf("%s-set%05d", name, b)] = items
		}
		overrides := map[string]inventory.Policy{}
		for range 1000 {
			overrides[name+"-"+c.skus[rng.IntN(benchSKUs)]] = inventory.Policy{Buffer: 5}
		}
		c.pool.SetChannel(name, inventory.Channel{Policy: policies[ch], Overrides: overrides, SKUs: skus})
	}
	for i := range 10_000 {
		var items []inventory.Item
		for range 1 + rng.IntN(3) {
			items = append(items, inventory.Item{SKU: c.skus[rng.IntN(benchSKUs)], Quantity: 1 + rng.IntN(2)})
		}
		c.pool.Reserve(inventory.Reservation{Key: fmt.Sprintf("open-%d", i), Channel: "channel-0", Items: items})
	}
	for _, ch := range c.channels {
		acked := c.pool.Plan(ch)
		i := 0
		for sku := range acked {
			if i%10 == 0 {
				acked[sku]++
			}
			i++
		}
		c.acked[ch] = acked
	}
	return c
}

// BenchmarkPlan computes every channel's plan over the 100,000-SKU catalogue and diffs it against
// what the channel acknowledged, both through Plan and Diff (two maps) and through PlanChanges
// (no plan map).
func BenchmarkPlan(b *testing.B) {
	c := newCatalogue(b)
	b.Run("Plan+Diff", func(b *testing.B) {
		b.ReportAllocs()
		changes := 0
		for b.Loop() {
			changes = 0
			for _, ch := range c.channels {
				changes += len(inventory.Diff(c.pool.Plan(ch), c.acked[ch]))
			}
		}
		b.ReportMetric(float64(changes), "changes/op")
	})
	b.Run("PlanChanges", func(b *testing.B) {
		b.ReportAllocs()
		changes := 0
		for b.Loop() {
			changes = 0
			for _, ch := range c.channels {
				acked := c.acked[ch]
				changes += len(c.pool.PlanChanges(ch, nil, func(sku string) (int, bool) {
					n, ok := acked[sku]
					return n, ok
				}))
			}
		}
		b.ReportMetric(float64(changes), "changes/op")
	})
}

// BenchmarkFanOut reserves one order of 3 lines on the catalogue, finds the channel SKUs it
// affects and computes their new values on all 5 channels: through Affected and Available, and
// through AffectedPlan.
func BenchmarkFanOut(b *testing.B) {
	c := newCatalogue(b)
	rng := rand.New(rand.NewPCG(3, 4))
	orders := make([]inventory.Reservation, 1024)
	for i := range orders {
		orders[i] = inventory.Reservation{Key: fmt.Sprintf("fan-%d", i), Channel: "channel-1"}
		for range 3 {
			orders[i].Items = append(orders[i].Items, inventory.Item{SKU: c.skus[rng.IntN(benchSKUs)], Quantity: 1})
		}
	}
	i := 0
	// next alternates between reserving and cancelling each order so the pool does not drain.
	next := func() []string {
		o := orders[i%len(orders)]
		i++
		if (i/len(orders))%2 == 0 {
			return c.pool.Reserve(o)
		}
		return c.pool.Release(o.Key)
	}
	b.Run("Affected+Available", func(b *testing.B) {
		b.ReportAllocs()
		values := 0
		for b.Loop() {
			values = 0
			for ch, skus := range c.pool.Affected(next()) {
				for _, sku := range skus {
					if _, err := c.pool.Available(ch, sku); err != nil {
						b.Fatal(err)
					}
					values++
				}
			}
		}
		b.ReportMetric(float64(values), "values/op")
	})
	b.Run("AffectedPlan", func(b *testing.B) {
		b.ReportAllocs()
		values := 0
		for b.Loop() {
			values = 0
			for _, plan := range c.pool.AffectedPlan(next()) {
				values += len(plan)
			}
		}
		b.ReportMetric(float64(values), "values/op")
	})
}

// BenchmarkSetLevels applies a full 100,000-SKU snapshot.
func BenchmarkSetLevels(b *testing.B) {
	c := newCatalogue(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		n++
		for i := range c.levels {
			c.levels[i].AsOf = at(n)
			c.levels[i].OnHand = (c.levels[i].OnHand + 1) % 60
		}
		c.pool.SetLevels(c.levels...)
	}
}
