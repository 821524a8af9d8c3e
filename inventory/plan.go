package inventory

import (
	"slices"
	"sort"
	"strings"
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
	for i := range cs.list {
		e := &cs.list[i]
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
	sortChanges(out)
	return out
}

func sortChanges(c []Change) {
	slices.SortFunc(c, func(a, b Change) int { return strings.Compare(a.SKU, b.SKU) })
}

// PlanChanges computes the given channel SKUs (all planned ones when skus is nil) and returns, in
// the order of skus (ordered by SKU when nil), those whose value differs from what acked reports.
// acked looks up the value the channel last acknowledged, so the engine can read its stock ledger
// without building a map; nil means nothing was acknowledged. SKUs without a number (unknown, or
// no level yet) are left out. It gives the same answer as Diff(Plan(channel), acked) without
// building the plan, which makes it the cheaper way to sync a whole catalogue.
func (p *Pool) PlanChanges(channel string, skus []string, acked func(sku string) (int, bool)) []Change {
	var out []Change
	if skus != nil {
		out = make([]Change, 0, len(skus))
	}
	add := func(sku string, n int) {
		var prev int
		var had bool
		if acked != nil {
			prev, had = acked(sku)
		}
		if !had || prev != n {
			out = append(out, Change{SKU: sku, Available: n, Previous: prev, HadPrevious: had})
		}
	}
	if skus != nil {
		for _, sku := range skus {
			if n, err := p.Available(channel, sku); err == nil {
				add(sku, n)
			}
		}
		return out
	}
	cs, ok := p.channels[channel]
	switch {
	case !ok:
	case cs.identity:
		for i := range p.whs {
			if w := &p.whs[i]; w.has {
				pol, _ := cs.policyFor(w.name)
				add(w.name, pol.apply(w.free()))
			}
		}
		sortChanges(out)
	default:
		for i := range cs.list {
			e := &cs.list[i]
			if n, ok, _ := p.stock(e.comps); ok {
				add(e.name, e.policy.apply(n))
			}
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
	var whs []int32       // looked up once for all mapped channels
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
			if whs == nil {
				whs = make([]int32, 0, len(warehouseSKUs))
				for _, sku := range warehouseSKUs {
					if wh, ok := p.index[sku]; ok {
						whs = append(whs, wh)
					}
				}
			}
			for _, wh := range whs {
				if int(wh)+1 < len(cs.revStart) {
					list = append(list, cs.revNames[cs.revStart[wh]:cs.revStart[wh+1]]...)
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

// AffectedPlan returns, for each channel, the new availability of every channel SKU that depends
// on any of the given warehouse SKUs and has a number: the part of each channel's Plan that they
// affect. It answers what Affected followed by Available answers, in one pass that reaches the
// channel SKUs through the reverse index instead of looking each up by name, which is what an
// order's fan-out to every channel needs. Channels with nothing to report are absent.
func (p *Pool) AffectedPlan(warehouseSKUs []string) map[string]map[string]int {
	if len(warehouseSKUs) == 0 || len(p.channels) == 0 {
		return nil
	}
	whs := make([]int32, 0, len(warehouseSKUs))
	for _, sku := range warehouseSKUs {
		if wh, ok := p.index[sku]; ok {
			whs = append(whs, wh)
		}
	}
	var out map[string]map[string]int
	for name, cs := range p.channels {
		var plan map[string]int
		set := func(sku string, n int) {
			if plan == nil {
				plan = make(map[string]int)
			}
			plan[sku] = n
		}
		for _, wh := range whs {
			if cs.identity {
				if w := &p.whs[wh]; w.has {
					pol, _ := cs.policyFor(w.name)
					set(w.name, pol.apply(w.free()))
				}
				continue
			}
			if int(wh)+1 >= len(cs.revStart) {
				continue
			}
			for _, i := range cs.revIndex[cs.revStart[wh]:cs.revStart[wh+1]] {
				e := &cs.list[i]
				if n, ok, _ := p.stock(e.comps); ok {
					set(e.name, e.policy.apply(n))
				}
			}
		}
		if plan != nil {
			if out == nil {
				out = make(map[string]map[string]int, len(p.channels))
			}
			out[name] = plan
		}
	}
	return out
}

func nonEmpty(s []string) []string {
	out := make([]string, 0, len(s))
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
