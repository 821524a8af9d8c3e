package inventory_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/inventory"
)

// world is the physical truth the pool only hears about late and out of order: what the
// warehouse really holds, which orders exist, what has physically shipped.
type world struct {
	t        *testing.T
	rng      *rand.Rand
	skus     []string
	phys     map[string]int
	orders   map[string]*worldOrder
	keys     []string
	reports  []worldShipment   // physical shipments the pool has not been told of
	snaps    []inventory.Level // snapshots taken but not delivered
	now      int
	pool     *inventory.Pool
	channels map[string]inventory.Channel
	plans    map[string]map[string]int
}

type worldOrder struct {
	key        string
	qty        map[string]int
	shipped    map[string]int
	reported   []inventory.ShippedItem // shipments the pool has been told of
	cancelled  bool
	unreported int
}

type worldShipment struct {
	key, sku string
	qty, at  int
}

// outstanding is what orders still need from the warehouse, per SKU: ordered, not cancelled, not
// shipped.
func (w *world) outstanding() map[string]int {
	out := map[string]int{}
	for _, o := range w.orders {
		if !o.cancelled {
			for s, q := range o.qty {
				out[s] += max(0, q-o.shipped[s])
			}
		}
	}
	return out
}

func propertyChannels(skus []string) map[string]inventory.Channel {
	renamed := map[string][]inventory.Item{
		"b-set1": {{SKU: skus[0], Quantity: 1}, {SKU: skus[1], Quantity: 2}},
		"b-set2": {{SKU: skus[2], Quantity: 1}, {SKU: skus[3], Quantity: 1}, {SKU: skus[4], Quantity: 3}},
	}
	for _, s := range skus {
		renamed["b-"+s] = []inventory.Item{{SKU: s, Quantity: 1}}
	}
	return map[string]inventory.Channel{
		"A": {Policy: inventory.Policy{Buffer: 1}},
		"B": {Policy: inventory.Policy{Share: 60}, SKUs: renamed},
		"C": {Overrides: map[string]inventory.Policy{skus[0]: {Max: 2}, skus[1]: {Buffer: 3, Share: 50}}},
		"D": {Policy: inventory.Policy{Buffer: 2, Max: 5}, SKUs: map[string][]inventory.Item{
			"d-set": {{SKU: skus[1], Quantity: 2}, {SKU: skus[5], Quantity: 1}},
			"d-one": {{SKU: skus[5], Quantity: 1}},
		}},
	}
}

func newWorld(t *testing.T, seed uint64) *world {
	w := &world{
		t:      t,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		skus:   []string{"S0", "S1", "S2", "S3", "S4", "S5"},
		phys:   map[string]int{},
		orders: map[string]*worldOrder{},
		pool:   inventory.NewPool(),
	}
	w.channels = propertyChannels(w.skus)
	for name, c := range w.channels {
		w.pool.SetChannel(name, c)
	}
	for _, s := range w.skus {
		w.phys[s] = w.rng.IntN(12)
		w.snaps = append(w.snaps, inventory.Level{SKU: s, OnHand: w.phys[s], AsOf: at(0)})
	}
	w.plans = w.allPlans()
	return w
}

func (w *world) allPlans() map[string]map[string]int {
	out := map[string]map[string]int{}
	for name := range w.channels {
		out[name] = w.pool.Plan(name)
	}
	return out
}

func (w *world) channelSKUs(name string) []string {
	if c := w.channels[name]; c.SKUs != nil {
		var out []string
		for s := range c.SKUs {
			out = append(out, s)
		}
		return out
	}
	return w.skus
}

func (w *world) policy(name, sku string) inventory.Policy {
	c := w.channels[name]
	if p, ok := c.Overrides[sku]; ok {
		return p
	}
	return c.Policy
}

// truth is the most a channel SKU may honestly show: the fewest units the physical stock left
// after outstanding orders allows, minus the buffer (invariant 4).
func (w *world) truth(channel, sku string, out map[string]int) int {
	comps, err := w.pool.Resolve(channel, sku)
	if err != nil {
		w.t.Fatal(err)
	}
	n := -1
	for _, c := range comps {
		u := max(0, w.phys[c.SKU]-out[c.SKU]) / c.Quantity
		if n < 0 || u < n {
			n = u
		}
	}
	return max(0, n-w.policy(channel, sku).Buffer)
}

// step performs one random event and returns its description and the SKUs the pool said changed.
func (w *world) step() (string, []string) {
	w.now++
	r := w.rng
	switch op := r.IntN(100); {
	case op < 20: // a new order on some channel
		key := fmt.Sprintf("o%d", w.now)
		o := &worldOrder{key: key, qty: map[string]int{}, shipped: map[string]int{}}
		var items []inventory.Item
		for range 1 + r.IntN(3) {
			s, q := w.skus[r.IntN(len(w.skus))], 1+r.IntN(3)
			o.qty[s] += q
			items = append(items, inventory.Item{SKU: s, Quantity: q})
		}
		w.orders[key] = o
		w.keys = append(w.keys, key)
		return "reserve " + key, w.pool.Reserve(inventory.Reservation{Key: key, Channel: "A", Items: items})
	case op < 40: // the warehouse ships part of an order
		if len(w.keys) == 0 {
			return "noop", nil
		}
		o := w.orders[w.keys[r.IntN(len(w.keys))]]
		s := w.skus[r.IntN(len(w.skus))]
		left := min(o.qty[s]-o.shipped[s], w.phys[s])
		if o.cancelled || left <= 0 {
			return "noop", nil
		}
		q := 1 + r.IntN(left)
		w.phys[s] -= q
		o.shipped[s] += q
		o.unreported++
		w.reports = append(w.reports, worldShipment{key: o.key, sku: s, qty: q, at: w.now})
		return "physical shipment", nil
	case op < 55: // a shipment report reaches the pool, in any order
		if len(w.reports) == 0 {
			return "noop", nil
		}
		i := r.IntN(len(w.reports))
		sh := w.reports[i]
		w.reports = slices.Delete(w.reports, i, i+1)
		o := w.orders[sh.key]
		o.unreported--
		o.reported = append(o.reported, inventory.ShippedItem{SKU: sh.sku, Quantity: sh.qty, At: at(sh.at)})
		return fmt.Sprintf("shipped %s %s×%d@%d", sh.key, sh.sku, sh.qty, sh.at),
			w.pool.Shipped(sh.key, []inventory.Item{{SKU: sh.sku, Quantity: sh.qty}}, at(sh.at))
	case op < 67: // the warehouse takes a snapshot of some SKUs
		for _, s := range w.skus {
			if r.IntN(2) == 0 {
				w.snaps = append(w.snaps, inventory.Level{SKU: s, OnHand: w.phys[s], AsOf: at(w.now)})
			}
		}
		return "snapshot taken", nil
	case op < 82: // snapshots reach the pool, late and shuffled
		if len(w.snaps) == 0 {
			return "noop", nil
		}
		var batch []inventory.Level
		for range 1 + r.IntN(min(3, len(w.snaps))) {
			i := r.IntN(len(w.snaps))
			batch = append(batch, w.snaps[i])
			w.snaps = slices.Delete(w.snaps, i, i+1)
		}
		return fmt.Sprintf("levels %v", batch), w.pool.SetLevels(batch...)
	case op < 87: // goods arrive
		s := w.skus[r.IntN(len(w.skus))]
		w.phys[s] += 1 + r.IntN(5)
		return "restock " + s, nil
	case op < 93: // cancellation, which the warehouse accepts only while it has reported every shipment
		if len(w.keys) == 0 {
			return "noop", nil
		}
		o := w.orders[w.keys[r.IntN(len(w.keys))]]
		if o.cancelled || o.unreported > 0 {
			return "noop", nil
		}
		o.cancelled = true
		return "release " + o.key, w.pool.Release(o.key)
	case op < 98: // the order changes; the engine re-reserves it from its record, as it does
		if len(w.keys) == 0 {
			return "noop", nil
		}
		o := w.orders[w.keys[r.IntN(len(w.keys))]]
		if o.cancelled || o.unreported > 0 {
			return "noop", nil
		}
		var items []inventory.Item
		for _, s := range w.skus {
			if _, ok := o.qty[s]; ok || r.IntN(6) == 0 {
				o.qty[s] = r.IntN(4)
				items = append(items, inventory.Item{SKU: s, Quantity: o.qty[s] - o.shipped[s]})
			}
		}
		return "change " + o.key, w.pool.Reserve(inventory.Reservation{Key: o.key, Channel: "B", Items: items, Shipped: o.reported})
	default: // the engine restarts and rebuilds the pool from what it persisted
		q := inventory.NewPool()
		for name, c := range w.channels {
			q.SetChannel(name, c)
		}
		levels := w.pool.Levels()
		if r.IntN(2) == 0 {
			q.SetLevels(levels...)
		}
		for _, rv := range w.pool.Reservations() {
			q.Reserve(rv)
		}
		q.SetLevels(levels...)
		require.Equal(w.t, w.pool.Reservations(), q.Reservations())
		require.Equal(w.t, levels, q.Levels())
		w.pool = q
		return "restart", nil
	}
}

func (w *world) check(what string, changed []string) {
	// Plain comparisons: testify's helpers cost more than the pool itself in this hot loop.
	t := w.t
	plans := w.allPlans()
	affected := w.pool.Affected(changed)
	out := w.outstanding()
	for channel := range w.channels {
		for _, sku := range w.channelSKUs(channel) {
			n, err := w.pool.Available(channel, sku)
			if err != nil {
				if _, planned := plans[channel][sku]; !errors.Is(err, inventory.ErrNoLevel) || planned {
					t.Fatalf("%s: %s/%s: %v, planned %v", what, channel, sku, err, planned)
				}
				continue
			}
			if plans[channel][sku] != n {
				t.Fatalf("%s: plan and Available disagree on %s/%s: %d, %d", what, channel, sku, plans[channel][sku], n)
			}
			if limit := w.truth(channel, sku, out); n > limit {
				t.Fatalf("%s: invariant 4 broken for %s/%s at minute %d: shows %d, at most %d",
					what, channel, sku, w.now, n, limit)
			}
			if prev, ok := w.plans[channel][sku]; (!ok || prev != n) && !slices.Contains(affected[channel], sku) {
				t.Fatalf("%s: %s/%s changed from %d to %d unannounced", what, channel, sku, prev, n)
			}
		}
	}
	// AffectedPlan is Affected followed by Available, in one pass.
	ap := w.pool.AffectedPlan(changed)
	for channel, skus := range affected {
		numbered := 0
		for _, sku := range skus {
			n, err := w.pool.Available(channel, sku)
			if err != nil {
				continue
			}
			numbered++
			if got, ok := ap[channel][sku]; !ok || got != n {
				t.Fatalf("%s: AffectedPlan gives %s/%s = %d (%v), Available %d", what, channel, sku, got, ok, n)
			}
		}
		if len(ap[channel]) != numbered {
			t.Fatalf("%s: AffectedPlan for %s has %v, Affected %v", what, channel, ap[channel], skus)
		}
	}
	if len(ap) > len(affected) {
		t.Fatalf("%s: AffectedPlan has channels %v beyond Affected %v", what, ap, affected)
	}
	w.plans = plans
}

// settle delivers every report and a fresh full snapshot: the pool must then agree exactly with
// the truth, so it never holds stock back forever.
func (w *world) settle() {
	for _, sh := range w.reports {
		w.pool.Shipped(sh.key, []inventory.Item{{SKU: sh.sku, Quantity: sh.qty}}, at(sh.at))
		w.orders[sh.key].unreported--
	}
	w.reports = nil
	w.now++
	var levels []inventory.Level
	for _, s := range w.skus {
		levels = append(levels, inventory.Level{SKU: s, OnHand: w.phys[s], AsOf: at(w.now)})
	}
	w.pool.SetLevels(levels...)
	out := w.outstanding()
	for channel := range w.channels {
		for _, sku := range w.channelSKUs(channel) {
			comps, err := w.pool.Resolve(channel, sku)
			require.NoError(w.t, err)
			n := -1
			for _, c := range comps {
				u := max(0, w.phys[c.SKU]-out[c.SKU]) / c.Quantity
				if n < 0 || u < n {
					n = u
				}
			}
			pol := w.policy(channel, sku)
			want := max(0, n-pol.Buffer)
			if pol.Share > 0 {
				want = want * pol.Share / 100
			}
			if pol.Max > 0 {
				want = min(want, pol.Max)
			}
			require.Equal(w.t, want, avail(w.t, w.pool, channel, sku), "settled %s/%s", channel, sku)
		}
	}
	held := map[string]int{}
	for _, rv := range w.pool.Reservations() {
		for _, it := range rv.Items {
			held[it.SKU] += it.Quantity
		}
		for _, sh := range rv.Shipped {
			held[sh.SKU] += sh.Quantity
		}
	}
	for _, s := range w.skus {
		require.Equal(w.t, out[s], held[s], "settled reservations of %s", s)
	}
}

// TestInventoryNeverOversellsUnderReordering drives random orders, shipments, snapshots (late,
// shuffled, stale), cancellations, changes and restarts, and checks after every event that no
// channel is told more than physical stock − outstanding orders − buffer (invariant 4), that every
// change is announced through Affected, and that once everything is reported the pool agrees with
// the truth exactly.
func TestInventoryNeverOversellsUnderReordering(t *testing.T) {
	seeds, steps := 250, 300
	if testing.Short() {
		seeds = 50
	}
	for seed := range uint64(seeds) {
		w := newWorld(t, seed)
		for range steps {
			what, changed := w.step()
			w.check(fmt.Sprintf("seed %d, %s", seed, what), changed)
		}
		w.settle()
	}
}
