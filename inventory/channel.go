package inventory

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// MaxQuantity bounds every quantity the pool takes in; larger ones count as MaxQuantity. It is far
// beyond any real stock and keeps sums of quantities from overflowing.
const MaxQuantity = 1 << 40

// Item is a quantity of one SKU: a line of a reservation, or a component of a channel SKU.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// Policy is what a channel may sell out of the stock the pool computes for one of its SKUs.
type Policy struct {
	// Buffer is safety stock (安全在庫) held back from the channel, in the channel SKU's units.
	// Negative counts as zero.
	Buffer int `json:"buffer,omitempty"`
	// Share is the percentage (1..100) of what remains after the buffer that the channel may sell.
	// Zero (and anything outside 1..100) counts as 100, so the zero Policy sells everything.
	Share int `json:"share,omitempty"`
	// Max caps what the channel is told; zero (or negative) means no cap.
	Max int `json:"max,omitempty"`
}

// Validate reports values that the pool would silently reinterpret: a negative Buffer or Max, or a
// Share outside 0..100. It returns an error matching ErrInvalidPolicy.
func (p Policy) Validate() error {
	var errs []error
	if p.Buffer < 0 {
		errs = append(errs, fmt.Errorf("%w: buffer %d is negative", ErrInvalidPolicy, p.Buffer))
	}
	if p.Share < 0 || p.Share > 100 {
		errs = append(errs, fmt.Errorf("%w: share %d is not a percentage 0..100", ErrInvalidPolicy, p.Share))
	}
	if p.Max < 0 {
		errs = append(errs, fmt.Errorf("%w: max %d is negative", ErrInvalidPolicy, p.Max))
	}
	return errors.Join(errs...)
}

// normalize brings every field into the range the computation assumes, as documented on Policy.
func (p Policy) normalize() Policy {
	p.Buffer = clampQty(p.Buffer)
	if p.Share <= 0 || p.Share > 100 {
		p.Share = 100
	}
	if p.Max < 0 {
		p.Max = 0
	}
	return p
}

// apply turns a channel SKU's stock into what the channel may sell. p must be normalized.
func (p Policy) apply(stock int) int {
	a := stock - p.Buffer
	if a <= 0 {
		return 0
	}
	// Split the multiplication so that even MaxQuantity×100 cannot overflow.
	a = a/100*p.Share + a%100*p.Share/100
	if p.Max > 0 && a > p.Max {
		a = p.Max
	}
	return a
}

// Channel describes one sales channel of the merchant: how its SKUs map to warehouse SKUs and what
// share of the stock it may sell.
type Channel struct {
	// Policy applies to every SKU of the channel without an override.
	Policy Policy `json:"policy"`
	// Overrides replace Policy for single channel SKUs.
	Overrides map[string]Policy `json:"overrides,omitempty"`
	// SKUs maps each channel SKU to its warehouse components and their quantities: a single sold
	// under another name is one component of quantity 1, a bundle (セット商品) several. When SKUs is
	// nil the channel uses warehouse SKUs as they are; an empty, non-nil map knows no SKU at all.
	// Components with an empty SKU or a non-positive quantity are dropped, repeated components are
	// added up, and a channel SKU left without components is unknown.
	SKUs map[string][]Item `json:"skus,omitempty"`
}

// Validate checks the policies and the SKU map; every problem it finds matches ErrInvalidPolicy.
// The pool accepts an invalid Channel anyway, reading it as the field comments describe.
func (c Channel) Validate() error {
	var errs []error
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, sku := range sortedKeys(c.Overrides) {
		if err := c.Overrides[sku].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("override for %q: %w", sku, err))
		}
	}
	for _, sku := range sortedKeys(c.SKUs) {
		n := 0
		for _, it := range c.SKUs[sku] {
			if it.SKU == "" || it.Quantity <= 0 {
				errs = append(errs, fmt.Errorf("%w: channel SKU %q has component %q with quantity %d",
					ErrInvalidPolicy, sku, it.SKU, it.Quantity))
				continue
			}
			n++
		}
		if n == 0 {
			errs = append(errs, fmt.Errorf("%w: channel SKU %q has no components", ErrInvalidPolicy, sku))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// component is a warehouse SKU (by its index in the pool) and how many of it one unit needs.
type component struct {
	wh  int32
	qty int
}

// channelSKU is one SKU of a channel with an explicit map, compiled for fast evaluation.
type channelSKU struct {
	name     string
	comps    []component
	policy   Policy
	override bool
}

// channelState is a Channel compiled against the pool's warehouse SKU index.
type channelState struct {
	identity  bool
	policy    Policy
	overrides map[string]Policy // normalized; nil when there are none
	skus      map[string]*channelSKU
	// list holds the channel SKUs ordered by name, so plans come out ordered without a sort, and
	// catalogues whose channel names follow the warehouse's read the stock nearly in sequence.
	list []channelSKU
	// revNames[revStart[wh]:revStart[wh+1]] names the channel SKUs that contain warehouse SKU wh,
	// so that a change to one warehouse SKU finds what it affects without scanning the catalogue.
	// Names rather than positions, and offsets rather than slices, because Affected is bound by
	// cache misses: this costs two per warehouse SKU. Warehouse SKUs interned after the channel
	// was set lie beyond revStart and are in none of its SKUs.
	revStart []int32
	revNames []string
	revIndex []int32 // positions in list, parallel to revNames, for AffectedPlan
}

// policyFor returns the normalized policy for a channel SKU and whether an override applied.
func (c *channelState) policyFor(sku string) (Policy, bool) {
	if c.overrides != nil {
		if p, ok := c.overrides[sku]; ok {
			return p, true
		}
	}
	return c.policy, false
}

// SetChannel adds the channel or replaces its mapping and policy. The pool keeps its own copy, so
// later changes to c's maps do not reach it.
func (p *Pool) SetChannel(channel string, c Channel) {
	p.init()
	cs := &channelState{policy: c.Policy.normalize()}
	if len(c.Overrides) > 0 {
		cs.overrides = make(map[string]Policy, len(c.Overrides))
		for sku, pol := range c.Overrides {
			cs.overrides[sku] = pol.normalize()
		}
	}
	if c.SKUs == nil {
		cs.identity = true
		p.channels[channel] = cs
		return
	}
	// One backing array for all components keeps a 100,000-SKU channel to a few allocations.
	total := 0
	for _, items := range c.SKUs {
		total += len(items)
	}
	backing := make([]component, 0, total)
	cs.list = make([]channelSKU, 0, len(c.SKUs))
	for name, items := range c.SKUs {
		start := len(backing)
		for _, it := range items {
			if it.SKU == "" || it.Quantity <= 0 {
				continue
			}
			wh := p.intern(it.SKU)
			q := clampQty(it.Quantity)
			merged := false
			for i := start; i < len(backing); i++ {
				if backing[i].wh == wh {
					backing[i].qty = clampQty(backing[i].qty + q)
					merged = true
					break
				}
			}
			if !merged {
				backing = append(backing, component{wh: wh, qty: q})
			}
		}
		if len(backing) == start {
			continue
		}
		pol, over := cs.policyFor(name)
		cs.list = append(cs.list, channelSKU{
			name: name, comps: backing[start:len(backing):len(backing)], policy: pol, override: over,
		})
	}
	slices.SortFunc(cs.list, func(a, b channelSKU) int { return strings.Compare(a.name, b.name) })
	cs.skus = make(map[string]*channelSKU, len(cs.list))
	cs.revStart = make([]int32, len(p.whs)+1)
	for i := range cs.list {
		e := &cs.list[i]
		cs.skus[e.name] = e
		for _, c := range e.comps {
			cs.revStart[c.wh+1]++
		}
	}
	for wh := range p.whs {
		cs.revStart[wh+1] += cs.revStart[wh]
	}
	cs.revNames = make([]string, len(backing))
	cs.revIndex = make([]int32, len(backing))
	next := slices.Clone(cs.revStart[:len(p.whs)])
	for i := range cs.list {
		for _, c := range cs.list[i].comps {
			cs.revNames[next[c.wh]] = cs.list[i].name
			cs.revIndex[next[c.wh]] = int32(i)
			next[c.wh]++
		}
	}
	p.channels[channel] = cs
}

// RemoveChannel forgets the channel. Reservations that came from it stay: the stock is still held.
func (p *Pool) RemoveChannel(channel string) {
	delete(p.channels, channel)
}

// Resolve returns the warehouse components of a channel SKU. In a channel without an explicit map
// every SKU resolves to itself with quantity 1. The result is a fresh slice the caller may keep.
func (p *Pool) Resolve(channel, channelSKU string) ([]Item, error) {
	items, err := p.AppendResolve(nil, channel, channelSKU)
	if err == nil && items == nil {
		items = []Item{} // a SKU mapped to no components: empty, as before, not nil
	}
	return items, err
}

// AppendResolve is Resolve appending the components to dst, so that a caller resolving SKU after
// SKU can reuse one buffer. On error it returns dst unchanged.
func (p *Pool) AppendResolve(dst []Item, channel, channelSKU string) ([]Item, error) {
	cs, ok := p.channels[channel]
	if !ok {
		return dst, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownChannel}
	}
	if cs.identity {
		if channelSKU == "" {
			return dst, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownSKU}
		}
		return append(dst, Item{SKU: channelSKU, Quantity: 1}), nil
	}
	e, ok := cs.skus[channelSKU]
	if !ok {
		return dst, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownSKU}
	}
	for _, c := range e.comps {
		dst = append(dst, Item{SKU: p.whs[c.wh].name, Quantity: c.qty})
	}
	return dst, nil
}
