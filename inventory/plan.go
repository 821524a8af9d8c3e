package inventory

import (
	"sort"
)

// stock is a channel SKU's stock before policy: the fewest units its components allow. ok is false
// when some component has no level; missing names it.
func (p *Pool) stock(comps []component) (n int, ok bool, missing int32) {
	n = MaxQuantity
	for _, c := range comps {
		w := &p.whs[c.wh]
		if !w.has {
			return 0, false, c.wh
		}
		n = min(n, max(0, w.onHand-w.reserved)/c.qty)
	}
	return n, true, -1
}

// Available returns what the channel may sell of channelSKU now. The error is a *SKUError matching
// ErrUnknownChannel, ErrUnknownSKU or ErrNoLevel; with an error the number is 0 and means nothing.
func (p *Pool) Available(channel, channelSKU string) (int, error) {
	cs, ok := p.channels[channel]
	if !ok {
		return 0, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownChannel}
	}
	if cs.identity {
		wh, ok := p.index[channelSKU]
		if !ok || !p.whs[wh].has {
			return 0, &SKUError{Channel: channel, SKU: channelSKU, Component: channelSKU, Err: ErrNoLevel}
		}
		pol, _ := cs.policyFor(channelSKU)
		return pol.apply(p.whs[wh].free()), nil
	}
	e, ok := cs.skus[channelSKU]
	if !ok {
		return 0, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownSKU}
	}
	n, ok, missing := p.stock(e.comps)
	if !ok {
		return 0, &SKUError{Channel: channel, SKU: channelSKU, Component: p.whs[missing].name, Err: ErrNoLevel}
	}
	return e.policy.apply(n), nil
}

// Plan returns what the channel may sell of every channel SKU that has a number: in a channel with
// an explicit map, every mapped SKU whose components all have levels; otherwise every warehouse SKU
// with a level. An unknown channel gives nil.
func (p *Pool) Plan(channel string) map[string]int {
	cs, ok := p.channels[channel]
	if !ok {
		return nil
	}
	if cs.identity {
		plan := make(map[string]int, len(p.whs))
		for i := range p.whs {
			w := &p.whs[i]
			if !w.has {
				continue
			}
			pol, _ := cs.policyFor(w.name)
			plan[w.name] = pol.apply(w.free())
		}
		return plan
	}
	plan := make(map[string]int, len(cs.list))
	for _, e := range cs.list {
		if n, ok, _ := p.stock(e.comps); ok {
			plan[e.name] = e.policy.apply(n)
		}
	}
	return plan
}

// Change is a channel SKU whose planned availability differs from what the channel last
// acknowledged.
type Change struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
	// Previous is the acknowledged value; it means nothing unless HadPrevious.
	Previous    int  `json:"previous"`
	HadPrevious bool `json:"had_previous"`
}

// Diff returns, ordered by SKU, the entries of plan that acked does not hold with the same value.
// SKUs only in acked are not returned: a SKU that dropped out of the plan has no number, and
// telling the channel zero for it would be a guess.
func Diff(plan, acked map[string]int) []Change {
	var out []Change
	for sku, n := range plan {
		prev, had := acked[sku]
		if had && prev == n {
			continue
		}
		out = append(out, Change{SKU: sku, Available: n, Previous: prev, HadPrevious: had})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// PlanChanges computes the given channel SKUs (all planned ones when skus is nil) and returns, in
// the order of skus (ordered by SKU when nil), those whose value differs from what acked reports.
// acked looks up the value the channel last acknowledged, so the engine can read its stock ledger
// without building a map. SKUs without a number (unknown, or no level yet) are left out.
func (p *Pool) PlanChanges(channel string, skus []string, acked func(sku string) (int, bool)) []Change {
	var out []Change
	add := func(sku string, n int) {
		var prev int
		var had bool
		if acked != nil {
			prev, had = acked(sku)
		}
		if had && prev == n {
			return
		}
		out = append(out, Change{SKU: sku, Available: n, Previous: prev, HadPrevious: had})
	}
	if skus == nil {
		plan := p.Plan(channel)
		for _, sku := range sortedKeys(plan) {
			add(sku, plan[sku])
		}
		return out
	}
	for _, sku := range skus {
		if n, err := p.Available(channel, sku); err == nil {
			add(sku, n)
		}
	}
	return out
}

// Affected returns, for each channel, the channel SKUs (ordered, without repeats) whose
// availability depends on any of the given warehouse SKUs. Pass it what SetLevels, Reserve,
// Release or Shipped returned to find what to recompute and push. Channels with nothing affected
// are absent. A channel without an explicit map lists the warehouse SKUs themselves.
func (p *Pool) Affected(warehouseSKUs []string) map[string][]string {
	if len(warehouseSKUs) == 0 || len(p.channels) == 0 {
		return nil
	}
	var out map[string][]string
	var identity []string // built once; each identity channel gets its own copy
	for name, cs := range p.channels {
		var list []string
		if cs.identity {
			if identity == nil {
				identity = uniqueSorted(nonEmpty(warehouseSKUs))
			}
			if len(identity) > 0 {
				list = append(make([]string, 0, len(identity)), identity...)
			}
		} else {
			for _, sku := range warehouseSKUs {
				wh, ok := p.index[sku]
				if !ok {
					continue
				}
				for _, e := range cs.rev[wh] {
					list = append(list, e.name)
				}
			}
			list = uniqueSorted(list)
		}
		if len(list) > 0 {
			if out == nil {
				out = make(map[string][]string, len(p.channels))
			}
			out[name] = list
		}
	}
	return out
}

func nonEmpty(s []string) []string {
	out := s[:0:0]
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func uniqueSorted(s []string) []string {
	if len(s) < 2 {
		return s
	}
	sort.Strings(s)
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}
