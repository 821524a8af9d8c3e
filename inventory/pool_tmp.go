package inventory

import (
	"errors"
	"fmt"
)

// Placeholder pool until the real one lands; same API, naive implementation.

var (
	ErrUnknownSKU     = errors.New("inventory: unknown SKU")
	ErrUnknownChannel = errors.New("inventory: unknown channel")
)

type Policy struct{ Buffer, Share, Max int }

type Channel struct {
	Policy    Policy
	Overrides map[string]Policy
	SKUs      map[string][]Item
}

type Pool struct {
	levels   map[string]Level
	res      map[string]Reservation
	channels map[string]Channel
}

func NewPool() *Pool {
	return &Pool{levels: map[string]Level{}, res: map[string]Reservation{}, channels: map[string]Channel{}}
}

func (p *Pool) SetLevels(levels ...Level) []string {
	var out []string
	for _, l := range levels {
		if old, ok := p.levels[l.SKU]; ok && old.AsOf.After(l.AsOf) {
			continue
		}
		p.levels[l.SKU] = l
		out = append(out, l.SKU)
		for k, r := range p.res {
			var keep []ShippedItem
			for _, s := range r.Shipped {
				if s.SKU == l.SKU && !s.At.After(l.AsOf) {
					continue
				}
				keep = append(keep, s)
			}
			r.Shipped = keep
			p.res[k] = r
		}
	}
	return out
}

func skus(items []Item) []string {
	var out []string
	for _, i := range items {
		out = append(out, i.SKU)
	}
	return out
}

func (p *Pool) Reserve(r Reservation) []string {
	old := p.res[r.Key]
	var keep []ShippedItem
	for _, s := range r.Shipped {
		if l, ok := p.levels[s.SKU]; ok && !l.AsOf.Before(s.At) {
			continue
		}
		keep = append(keep, s)
	}
	r.Shipped = keep
	p.res[r.Key] = r
	return append(append(skus(old.Items), skus(r.Items)...), append(shippedSKUs(old.Shipped), shippedSKUs(r.Shipped)...)...)
}

func (p *Pool) Release(key string) []string {
	old := p.res[key]
	delete(p.res, key)
	return append(skus(old.Items), shippedSKUs(old.Shipped)...)
}

func shippedSKUs(s []ShippedItem) []string {
	var out []string
	for _, i := range s {
		out = append(out, i.SKU)
	}
	return out
}

func (p *Pool) SetChannel(name string, c Channel) { p.channels[name] = c }

func (p *Pool) Resolve(channel, sku string) ([]Item, error) {
	c, ok := p.channels[channel]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownChannel, channel)
	}
	if c.SKUs == nil {
		return []Item{{SKU: sku, Quantity: 1}}, nil
	}
	items, ok := c.SKUs[sku]
	if !ok {
		return nil, fmt.Errorf("%w: %s on %s", ErrUnknownSKU, sku, channel)
	}
	return items, nil
}

func (p *Pool) Available(channel, sku string) (int, error) {
	items, err := p.Resolve(channel, sku)
	if err != nil {
		return 0, err
	}
	best := -1
	for _, it := range items {
		l, ok := p.levels[it.SKU]
		if !ok {
			return 0, fmt.Errorf("%w: no level for %s", ErrUnknownSKU, it.SKU)
		}
		free := l.OnHand
		for _, r := range p.res {
			for _, ri := range r.Items {
				if ri.SKU == it.SKU {
					free -= ri.Quantity
				}
			}
			for _, ri := range r.Shipped {
				if ri.SKU == it.SKU {
					free -= ri.Quantity
				}
			}
		}
		if n := free / it.Quantity; best < 0 || n < best {
			best = n
		}
	}
	c := p.channels[channel]
	pol := c.Policy
	if o, ok := c.Overrides[sku]; ok {
		pol = o
	}
	best -= pol.Buffer
	if pol.Share > 0 {
		best = best * pol.Share / 100
	}
	if pol.Max > 0 && best > pol.Max {
		best = pol.Max
	}
	return max(best, 0), nil
}

func (p *Pool) Affected(wskus []string) map[string][]string {
	out := map[string][]string{}
	set := map[string]bool{}
	for _, s := range wskus {
		set[s] = true
	}
	for name, c := range p.channels {
		if c.SKUs == nil {
			for s := range set {
				if _, ok := p.levels[s]; ok {
					out[name] = append(out[name], s)
				}
			}
			continue
		}
		for cs, items := range c.SKUs {
			for _, it := range items {
				if set[it.SKU] {
					out[name] = append(out[name], cs)
					break
				}
			}
		}
	}
	return out
}

func (p *Pool) Plan(channel string) map[string]int {
	out := map[string]int{}
	c := p.channels[channel]
	if c.SKUs == nil {
		for s := range p.levels {
			if v, err := p.Available(channel, s); err == nil {
				out[s] = v
			}
		}
		return out
	}
	for s := range c.SKUs {
		if v, err := p.Available(channel, s); err == nil {
			out[s] = v
		}
	}
	return out
}

func (p *Pool) Reservations() []Reservation {
	var out []Reservation
	for _, r := range p.res {
		out = append(out, r)
	}
	return out
}
