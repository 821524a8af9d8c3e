package inventory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/inventory"
)

var t0 = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func avail(t *testing.T, p *inventory.Pool, channel, sku string) int {
	t.Helper()
	n, err := p.Available(channel, sku)
	require.NoError(t, err, "%s %s", channel, sku)
	return n
}

func TestInventorySaleOnOneChannelLowersTheOthers(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("shopify", inventory.Channel{})
	p.SetChannel("rakuten", inventory.Channel{Policy: inventory.Policy{Buffer: 1},
		SKUs: map[string][]inventory.Item{"rk-tee": {{SKU: "TEE", Quantity: 1}}}})
	p.SetChannel("yahoo", inventory.Channel{SKUs: map[string][]inventory.Item{
		"y-tee": {{SKU: "TEE", Quantity: 1}}, "y-mug": {{SKU: "MUG", Quantity: 1}}}})
	p.SetChannel("amazon", inventory.Channel{Policy: inventory.Policy{Share: 50}})
	p.SetLevels(inventory.Level{SKU: "TEE", OnHand: 10, AsOf: at(0)}, inventory.Level{SKU: "MUG", OnHand: 4, AsOf: at(0)})

	changed := p.Reserve(inventory.Reservation{Key: "shopify:1001", Channel: "shopify",
		Items: []inventory.Item{{SKU: "TEE", Quantity: 3}}})
	require.Equal(t, []string{"TEE"}, changed)

	affected := p.Affected(changed)
	assert.Equal(t, map[string][]string{
		"shopify": {"TEE"}, "rakuten": {"rk-tee"}, "yahoo": {"y-tee"}, "amazon": {"TEE"},
	}, affected)
	want := map[string]int{"shopify": 7, "rakuten": 6, "yahoo": 7, "amazon": 3}
	for channel, skus := range affected {
		for _, sku := range skus {
			assert.Equal(t, want[channel], avail(t, p, channel, sku), channel)
		}
	}
	assert.Equal(t, 4, avail(t, p, "yahoo", "y-mug"), "other SKUs are untouched")
	assert.Equal(t, map[string]map[string]int{
		"shopify": {"TEE": 7}, "rakuten": {"rk-tee": 6}, "yahoo": {"y-tee": 7}, "amazon": {"TEE": 3},
	}, p.AffectedPlan(changed), "AffectedPlan gives the same in one call")
}

func TestInventoryBundlesAndSharedComponents(t *testing.T) {
	p := new(inventory.Pool) // the zero Pool works
	p.SetChannel("shop", inventory.Channel{SKUs: map[string][]inventory.Item{
		"tee":      {{SKU: "TEE", Quantity: 1}},
		"mug":      {{SKU: "MUG", Quantity: 1}},
		"gift-set": {{SKU: "TEE", Quantity: 1}, {SKU: "MUG", Quantity: 2}},
		"mug-pair": {{SKU: "MUG", Quantity: 1}, {SKU: "MUG", Quantity: 1}}, // repeated components add up
	}})
	p.SetLevels(inventory.Level{SKU: "TEE", OnHand: 5, AsOf: at(0)}, inventory.Level{SKU: "MUG", OnHand: 7, AsOf: at(0)})
	assert.Equal(t, map[string]int{"tee": 5, "mug": 7, "gift-set": 3, "mug-pair": 3}, p.Plan("shop"))

	items, err := p.Resolve("shop", "mug-pair")
	require.NoError(t, err)
	assert.Equal(t, []inventory.Item{{SKU: "MUG", Quantity: 2}}, items)

	// Selling two gift sets holds 2 TEE and 4 MUG: singles sharing a component drop too.
	changed := p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "TEE", Quantity: 2}, {SKU: "MUG", Quantity: 4}}})
	assert.Equal(t, []string{"MUG", "TEE"}, changed)
	assert.Equal(t, map[string][]string{"shop": {"gift-set", "mug", "mug-pair", "tee"}}, p.Affected(changed))
	assert.Equal(t, map[string]int{"tee": 3, "mug": 3, "gift-set": 1, "mug-pair": 1}, p.Plan("shop"))

	// Selling a single mug lowers the bundles that contain it, and only those.
	changed = p.Reserve(inventory.Reservation{Key: "o2", Items: []inventory.Item{{SKU: "MUG", Quantity: 1}}})
	assert.Equal(t, map[string][]string{"shop": {"gift-set", "mug", "mug-pair"}}, p.Affected(changed))
	assert.Equal(t, map[string]int{"tee": 3, "mug": 2, "gift-set": 1, "mug-pair": 1}, p.Plan("shop"))
	p.Reserve(inventory.Reservation{Key: "o3", Items: []inventory.Item{{SKU: "MUG", Quantity: 1}}})
	assert.Equal(t, map[string]int{"tee": 3, "mug": 1, "gift-set": 0, "mug-pair": 0}, p.Plan("shop"))

	// Cancelling gives it back at once.
	p.Release("o1")
	assert.Equal(t, map[string]int{"tee": 5, "mug": 5, "gift-set": 2, "mug-pair": 2}, p.Plan("shop"))
}

func TestInventoryPolicyOrderOfOperations(t *testing.T) {
	tests := []struct {
		name   string
		onHand int
		qty    int
		policy inventory.Policy
		want   int
	}{
		{"everything by default", 10, 1, inventory.Policy{}, 10},
		{"buffer subtracted", 10, 1, inventory.Policy{Buffer: 3}, 7},
		{"buffer larger than stock floors at zero", 2, 1, inventory.Policy{Buffer: 3}, 0},
		{"share rounds down", 10, 1, inventory.Policy{Share: 33}, 3},
		{"share applies after buffer", 10, 1, inventory.Policy{Buffer: 2, Share: 50}, 4},
		{"share of one rounds to zero", 1, 1, inventory.Policy{Share: 99}, 0},
		{"cap", 10, 1, inventory.Policy{Max: 4}, 4},
		{"cap above result does nothing", 3, 1, inventory.Policy{Max: 4}, 3},
		{"cap after share", 100, 1, inventory.Policy{Share: 50, Max: 40}, 40},
		{"bundle rounds down before buffer", 7, 2, inventory.Policy{Buffer: 1}, 2},
		{"buffer counts bundles", 20, 3, inventory.Policy{Buffer: 2, Share: 50}, 2},
		{"share over 100 counts as 100", 10, 1, inventory.Policy{Share: 150}, 10},
		{"negative buffer counts as zero", 10, 1, inventory.Policy{Buffer: -5}, 10},
		{"negative cap means none", 10, 1, inventory.Policy{Max: -1}, 10},
		{"huge stock does not overflow", inventory.MaxQuantity * 4, 1, inventory.Policy{Share: 99}, inventory.MaxQuantity * 99 / 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := inventory.NewPool()
			p.SetChannel("c", inventory.Channel{Policy: tt.policy,
				SKUs: map[string][]inventory.Item{"x": {{SKU: "W", Quantity: tt.qty}}}})
			p.SetLevels(inventory.Level{SKU: "W", OnHand: tt.onHand, AsOf: at(0)})
			assert.Equal(t, tt.want, avail(t, p, "c", "x"))
		})
	}
}

func TestInventoryOverridesReplaceChannelPolicy(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("id", inventory.Channel{Policy: inventory.Policy{Buffer: 2},
		Overrides: map[string]inventory.Policy{"A": {Max: 3}}})
	p.SetChannel("mapped", inventory.Channel{Policy: inventory.Policy{Buffer: 2},
		Overrides: map[string]inventory.Policy{"a": {Share: 50}},
		SKUs:      map[string][]inventory.Item{"a": {{SKU: "A", Quantity: 1}}, "b": {{SKU: "B", Quantity: 1}}}})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(0)}, inventory.Level{SKU: "B", OnHand: 10, AsOf: at(0)})
	assert.Equal(t, map[string]int{"A": 3, "B": 8}, p.Plan("id"), "the override has no buffer")
	assert.Equal(t, map[string]int{"a": 5, "b": 8}, p.Plan("mapped"))
}

func TestInventoryPolicyValidate(t *testing.T) {
	require.NoError(t, inventory.Policy{}.Validate())
	require.NoError(t, inventory.Policy{Buffer: 1, Share: 100, Max: 5}.Validate())
	for _, p := range []inventory.Policy{{Buffer: -1}, {Share: 101}, {Share: -1}, {Max: -1}} {
		assert.ErrorIs(t, p.Validate(), inventory.ErrInvalidPolicy, "%+v", p)
	}
	c := inventory.Channel{
		Overrides: map[string]inventory.Policy{"x": {Share: 200}},
		SKUs:      map[string][]inventory.Item{"x": {{SKU: "A", Quantity: 0}}, "y": {{SKU: "A", Quantity: 1}}},
	}
	err := c.Validate()
	require.ErrorIs(t, err, inventory.ErrInvalidPolicy)
	assert.Contains(t, err.Error(), `override for "x"`)
	assert.Contains(t, err.Error(), `channel SKU "x" has no components`)
	require.NoError(t, inventory.Channel{SKUs: map[string][]inventory.Item{"y": {{SKU: "A", Quantity: 1}}}}.Validate())
}

func TestInventoryShipmentsWaitForALevelThatCountsThem(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("c", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "A", Quantity: 4}}})
	require.Equal(t, 6, avail(t, p, "c", "A"))

	// Partial shipment at minute 10: still held, the level from minute 0 counts the goods.
	assert.Empty(t, p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 3}}, at(10)))
	assert.Equal(t, 6, avail(t, p, "c", "A"))

	// A snapshot from minute 5 (before the shipment) arrives late: 10 on hand, shipment not counted.
	assert.Empty(t, p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(5)}))
	assert.Equal(t, 6, avail(t, p, "c", "A"))

	// The snapshot from minute 12 counts the 3 shipped: 7 on hand, 1 still reserved, free stock
	// unchanged, so nothing to report.
	assert.Empty(t, p.SetLevels(inventory.Level{SKU: "A", OnHand: 7, AsOf: at(12)}))
	assert.Equal(t, 6, avail(t, p, "c", "A"))

	// An older snapshot arriving after it is ignored.
	assert.Empty(t, p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(8)}))
	assert.Equal(t, []inventory.Level{{SKU: "A", OnHand: 7, AsOf: at(12)}}, p.Levels())

	// The rest shipped at minute 11 is reported after the minute-12 level: released at once.
	assert.Equal(t, []string{"A"}, p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 5}}, at(11)))
	assert.Equal(t, 7, avail(t, p, "c", "A"))
	assert.Empty(t, p.Reservations(), "a fully shipped and counted order is forgotten")

	// Unknown keys change nothing.
	assert.Empty(t, p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 1}}, at(13)))
	assert.Empty(t, p.Release("nope"))
}

func TestInventoryReleaseKeepsShippedGoodsHeld(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("c", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "A", Quantity: 5}}})
	p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 2}}, at(1))
	assert.Equal(t, []string{"A"}, p.Release("o1"))
	assert.Equal(t, 8, avail(t, p, "c", "A"), "the 2 shipped stay held until counted")
	assert.Equal(t, []inventory.Reservation{{Key: "o1", Items: []inventory.Item{},
		Shipped: []inventory.ShippedItem{{SKU: "A", Quantity: 2, At: at(1)}}}}, p.Reservations())
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 8, AsOf: at(2)})
	assert.Equal(t, 8, avail(t, p, "c", "A"))
	assert.Empty(t, p.Reservations())
}

func TestInventoryReserveReplaces(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("c", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(0)}, inventory.Level{SKU: "B", OnHand: 10, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "A", Quantity: 2}, {SKU: "A", Quantity: 1}}})
	assert.Equal(t, 7, avail(t, p, "c", "A"), "lines of the same SKU add up")

	// The order changes: A goes, B comes.
	assert.Equal(t, []string{"A", "B"}, p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 2}}}))
	assert.Equal(t, 10, avail(t, p, "c", "A"))
	assert.Equal(t, 8, avail(t, p, "c", "B"))
	// Same again: nothing changes.
	assert.Empty(t, p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 2}}}))

	// One B ships at minute 5; the engine re-reserves the order from its own record: one B still to
	// ship and the shipment, which stays held until a level includes it.
	assert.Empty(t, p.Shipped("o1", []inventory.Item{{SKU: "B", Quantity: 1}}, at(5)))
	r := inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 1}},
		Shipped: []inventory.ShippedItem{{SKU: "B", Quantity: 1, At: at(5)}}}
	assert.Equal(t, []inventory.Reservation{r}, p.Reservations())
	assert.Empty(t, p.Reserve(r))
	assert.Equal(t, 8, avail(t, p, "c", "B"))

	// The rest is cut from the order: the shipped one stays held.
	assert.Equal(t, []string{"B"}, p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 0}, {SKU: "", Quantity: 3}},
		Shipped: r.Shipped}))
	assert.Equal(t, 9, avail(t, p, "c", "B"))
	p.SetLevels(inventory.Level{SKU: "B", OnHand: 9, AsOf: at(6)})
	assert.Equal(t, 9, avail(t, p, "c", "B"))
	assert.Empty(t, p.Reservations())

	// Passing every shipment of an order is safe: those a level already includes are dropped.
	p.Reserve(inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 2}}, Shipped: r.Shipped})
	assert.Equal(t, 7, avail(t, p, "c", "B"))
	assert.Equal(t, []inventory.Reservation{{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 2}}}}, p.Reservations())
	p.Release("o1")

	// Non-positive quantities and empty keys are ignored.
	assert.Empty(t, p.Reserve(inventory.Reservation{Key: "", Items: []inventory.Item{{SKU: "A", Quantity: 1}}}))
	assert.Empty(t, p.Reserve(inventory.Reservation{Key: "o2", Items: []inventory.Item{{SKU: "A", Quantity: -4}}}))
	assert.Equal(t, 10, avail(t, p, "c", "A"))
	p.Reserve(inventory.Reservation{Key: "o3", Items: []inventory.Item{{SKU: "A", Quantity: 1}}})
	assert.Empty(t, p.Shipped("o3", []inventory.Item{{SKU: "A", Quantity: -1}, {SKU: "B", Quantity: 1}, {SKU: "Z", Quantity: 1}}, at(7)))
	assert.Nil(t, p.Reservations()[0].Shipped)
}

func TestInventoryHostReportedSale(t *testing.T) {
	// A sale at the shop counter is a reservation under a key the host picks.
	p := inventory.NewPool()
	p.SetChannel("web", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 3, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "pos:0042", Channel: "pos", Items: []inventory.Item{{SKU: "A", Quantity: 1}}})
	p.Shipped("pos:0042", []inventory.Item{{SKU: "A", Quantity: 1}}, at(1))
	assert.Equal(t, 2, avail(t, p, "web", "A"))
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 2, AsOf: at(2)})
	assert.Equal(t, 2, avail(t, p, "web", "A"))
}

func TestInventoryUnknownIsNotZero(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("id", inventory.Channel{})
	p.SetChannel("mapped", inventory.Channel{SKUs: map[string][]inventory.Item{
		"set": {{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1}}, "empty": {{SKU: "A", Quantity: 0}}}})
	p.SetChannel("nothing", inventory.Channel{SKUs: map[string][]inventory.Item{}})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 3, AsOf: at(0)})

	_, err := p.Available("nope", "A")
	require.ErrorIs(t, err, inventory.ErrUnknownChannel)
	assert.Contains(t, err.Error(), `channel "nope" SKU "A"`)
	_, err = p.Resolve("nope", "A")
	require.ErrorIs(t, err, inventory.ErrUnknownChannel)
	_, err = p.Explain("nope", "A")
	require.ErrorIs(t, err, inventory.ErrUnknownChannel)

	for _, sku := range []string{"A", "missing", "empty"} {
		_, err = p.Resolve("mapped", sku)
		require.ErrorIs(t, err, inventory.ErrUnknownSKU, sku)
		var se *inventory.SKUError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, inventory.SKUError{Channel: "mapped", SKU: sku, Err: inventory.ErrUnknownSKU}, *se)
		_, err = p.Available("mapped", sku)
		require.ErrorIs(t, err, inventory.ErrUnknownSKU)
		_, err = p.Explain("mapped", sku)
		require.ErrorIs(t, err, inventory.ErrUnknownSKU)
	}
	_, err = p.Available("nothing", "A")
	require.ErrorIs(t, err, inventory.ErrUnknownSKU)

	// Identity: anything resolves, but no level means no number.
	items, err := p.Resolve("id", "never-seen")
	require.NoError(t, err)
	assert.Equal(t, []inventory.Item{{SKU: "never-seen", Quantity: 1}}, items)
	_, err = p.Available("id", "never-seen")
	require.ErrorIs(t, err, inventory.ErrNoLevel)
	assert.NotErrorIs(t, err, inventory.ErrUnknownSKU)

	// A bundle with a component the warehouse never reported has no number and is not planned.
	_, err = p.Available("mapped", "set")
	require.ErrorIs(t, err, inventory.ErrNoLevel)
	assert.Contains(t, err.Error(), `(component "B")`)
	assert.Empty(t, p.Plan("mapped"))
	assert.Equal(t, map[string]int{"A": 3}, p.Plan("id"), "B is known from a mapping, not from the warehouse")
	assert.Nil(t, p.Plan("nope"))

	// The first level makes it known, and is reported as a change.
	assert.Equal(t, []string{"B"}, p.SetLevels(inventory.Level{SKU: "B", OnHand: 0, AsOf: at(1)}))
	assert.Equal(t, map[string]int{"set": 0}, p.Plan("mapped"))

	p.RemoveChannel("mapped")
	_, err = p.Available("mapped", "set")
	require.ErrorIs(t, err, inventory.ErrUnknownChannel)
}

func TestInventoryDiffAndPlanChanges(t *testing.T) {
	plan := map[string]int{"a": 1, "b": 2, "c": 0}
	acked := map[string]int{"a": 1, "b": 5, "gone": 7}
	assert.Equal(t, []inventory.Change{
		{SKU: "b", Available: 2, Previous: 5, HadPrevious: true},
		{SKU: "c", Available: 0},
	}, inventory.Diff(plan, acked))
	assert.Empty(t, inventory.Diff(plan, plan))

	p := inventory.NewPool()
	p.SetChannel("c", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "a", OnHand: 1, AsOf: at(0)}, inventory.Level{SKU: "b", OnHand: 2, AsOf: at(0)},
		inventory.Level{SKU: "c", OnHand: 0, AsOf: at(0)})
	lookup := func(sku string) (int, bool) { n, ok := acked[sku]; return n, ok }
	assert.Equal(t, inventory.Diff(plan, acked), p.PlanChanges("c", nil, lookup))
	assert.Equal(t, []inventory.Change{{SKU: "b", Available: 2, Previous: 5, HadPrevious: true}},
		p.PlanChanges("c", []string{"b", "a", "unknown"}, lookup))
	assert.Len(t, p.PlanChanges("c", nil, nil), 3)
}

func TestInventoryRoundTrip(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("c", inventory.Channel{SKUs: map[string][]inventory.Item{
		"a": {{SKU: "A", Quantity: 1}}, "b": {{SKU: "B", Quantity: 1}}, "ab": {{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 2}}}})
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 20, AsOf: at(0)}, inventory.Level{SKU: "B", OnHand: 20, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "o1", Channel: "c", Items: []inventory.Item{{SKU: "A", Quantity: 5}, {SKU: "B", Quantity: 4}}})
	p.Reserve(inventory.Reservation{Key: "o2", Channel: "x", Items: []inventory.Item{{SKU: "B", Quantity: 3}}})
	p.Reserve(inventory.Reservation{Key: "o3", Channel: "x", Items: []inventory.Item{{SKU: "A", Quantity: 1}}})
	p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 2}, {SKU: "B", Quantity: 4}}, at(3))
	p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 1}}, at(7))
	p.Shipped("o2", []inventory.Item{{SKU: "B", Quantity: 1}}, at(4))
	p.Release("o2")
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 18, AsOf: at(5)}) // counts o1's first A shipment
	p.Release("o3")

	levels, reservations := p.Levels(), p.Reservations()
	require.Len(t, reservations, 2)

	restore := func(levelsFirst bool) *inventory.Pool {
		q := inventory.NewPool()
		q.SetChannel("c", inventory.Channel{SKUs: map[string][]inventory.Item{
			"a": {{SKU: "A", Quantity: 1}}, "b": {{SKU: "B", Quantity: 1}}, "ab": {{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 2}}}})
		if levelsFirst {
			q.SetLevels(levels...)
		}
		for _, r := range reservations {
			q.Reserve(r)
		}
		if !levelsFirst {
			q.SetLevels(levels...)
		}
		return q
	}
	for _, levelsFirst := range []bool{true, false} {
		q := restore(levelsFirst)
		assert.Equal(t, levels, q.Levels())
		assert.Equal(t, reservations, q.Reservations())
		assert.Equal(t, p.Plan("c"), q.Plan("c"))
		// And they keep behaving alike.
		for _, pool := range []*inventory.Pool{p, q} {
			pool.SetLevels(inventory.Level{SKU: "B", OnHand: 15, AsOf: at(8)}, inventory.Level{SKU: "A", OnHand: 17, AsOf: at(8)})
		}
		assert.Equal(t, p.Reservations(), q.Reservations())
		assert.Equal(t, p.Plan("c"), q.Plan("c"))
		p = restore(true) // undo the levels just set, for the next round
	}
}

func TestInventoryZeroPool(t *testing.T) {
	var p inventory.Pool
	assert.Empty(t, p.Release("k"))
	assert.Empty(t, p.Shipped("k", []inventory.Item{{SKU: "A", Quantity: 1}}, at(0)))
	assert.Empty(t, p.Affected([]string{"A"}))
	assert.Nil(t, p.Plan("c"))
	assert.Empty(t, p.PlanChanges("c", nil, nil))
	assert.Empty(t, p.Levels())
	assert.Empty(t, p.Reservations())
	_, err := p.Available("c", "A")
	assert.ErrorIs(t, err, inventory.ErrUnknownChannel)
	_, err = p.Explain("c", "A")
	assert.ErrorIs(t, err, inventory.ErrUnknownChannel)
	p.RemoveChannel("c")
	assert.Equal(t, []string{"A"}, p.SetLevels(inventory.Level{SKU: "A", OnHand: -3, AsOf: at(0)}, inventory.Level{OnHand: 5}))
	assert.Equal(t, []inventory.Level{{SKU: "A", OnHand: 0, AsOf: at(0)}}, p.Levels(), "negative on hand counts as zero")
}

func TestInventoryReserveNote(t *testing.T) {
	p := inventory.NewPool()
	p.SetLevels(inventory.Level{SKU: "A", OnHand: 10, AsOf: at(0)}, inventory.Level{SKU: "B", OnHand: 10, AsOf: at(0)})
	changed := p.AppendReserveNote([]string{"earlier"}, inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "B", Quantity: 1}, {SKU: "A", Quantity: 2}}}, "v1")
	assert.Equal(t, []string{"earlier", "A", "B"}, changed, "the SKUs it changed are appended, in order, after what dst held")
	assert.Equal(t, "v1", p.Note([]byte("o1")), "the note stays with the reservation")
	assert.Equal(t, "", p.Note([]byte("o2")), "no reservation, no note")
	p.AppendReserve(nil, inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "A", Quantity: 1}}})
	assert.Equal(t, "", p.Note([]byte("o1")), "replacing the reservation replaces its note")
	p.AppendReserveNote(nil, inventory.Reservation{Key: "o1", Items: []inventory.Item{{SKU: "A", Quantity: 1}}}, "v2")
	p.Shipped("o1", []inventory.Item{{SKU: "A", Quantity: 1}}, at(1))
	p.Release("o1")
	assert.Equal(t, "", p.Note([]byte("o1")), "a released reservation keeps its shipped units but not its note")
}
