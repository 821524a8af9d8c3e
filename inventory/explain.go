package inventory

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Explanation is the breakdown behind one channel SKU's number, for a merchant asking "why does
// this channel show 3?".
type Explanation struct {
	Channel string
	SKU     string
	// Components are the warehouse SKUs the channel SKU is made of, in the order the channel's
	// map lists them.
	Components []ComponentExplanation
	// Known is false when some component has no level yet; the SKU then has no number and is left
	// out of plans, and Stock, AfterBuffer, AfterShare and Available are zero.
	Known bool
	// Stock is the fewest units the components allow, before the policy.
	Stock int
	// Policy is the policy applied, with zero fields read as documented (Share 0 shows as 100).
	Policy Policy
	// Override is true when Policy is a per-SKU override rather than the channel's policy.
	Override bool
	// AfterBuffer is Stock minus the buffer, floored at zero.
	AfterBuffer int
	// AfterShare is AfterBuffer times the share, rounded down.
	AfterShare int
	// Available is AfterShare capped by Policy.Max: what the channel is told.
	Available int
}

// ComponentExplanation is one warehouse SKU of a channel SKU and what limits it.
type ComponentExplanation struct {
	SKU string
	// Quantity is how many of this SKU one unit of the channel SKU needs.
	Quantity int
	// HasLevel is false while the warehouse has not reported this SKU; OnHand and AsOf are then
	// zero.
	HasLevel bool
	OnHand   int
	AsOf     time.Time
	// Reservations are the orders holding this SKU, ordered by key.
	Reservations []ReservationLine
	// Reserved is the sum held by Reservations.
	Reserved int
	// Free is OnHand − Reserved, floored at zero.
	Free int
	// Available is Free / Quantity, rounded down: the units of the channel SKU this component
	// allows.
	Available int
}

// ReservationLine is what one reservation holds of one warehouse SKU.
type ReservationLine struct {
	Key     string
	Channel string
	// Quantity is what the reservation still holds of the SKU, shipped or not.
	Quantity int
	// Shipped lists the shipments of the SKU that are still held because no level has counted
	// them yet, in the order they were recorded.
	Shipped []ShippedItem
}

// Explain returns the breakdown behind Available(channel, channelSKU). The error, a *SKUError, is
// for an unknown channel or SKU only: a SKU without a level is explained with Known false.
func (p *Pool) Explain(channel, channelSKU string) (Explanation, error) {
	ex := Explanation{Channel: channel, SKU: channelSKU}
	cs, ok := p.channels[channel]
	if !ok {
		return ex, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownChannel}
	}
	var comps []component
	if cs.identity {
		if channelSKU == "" {
			return ex, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownSKU}
		}
		ex.Policy, ex.Override = cs.policyFor(channelSKU)
		if wh, ok := p.index[channelSKU]; ok {
			comps = []component{{wh: wh, qty: 1}}
		} else {
			ex.Components = []ComponentExplanation{{SKU: channelSKU, Quantity: 1}}
		}
	} else {
		e, ok := cs.skus[channelSKU]
		if !ok {
			return ex, &SKUError{Channel: channel, SKU: channelSKU, Err: ErrUnknownSKU}
		}
		comps, ex.Policy, ex.Override = e.comps, e.policy, e.override
	}
	ex.Known = len(comps) > 0
	ex.Stock = MaxQuantity
	for _, c := range comps {
		w := &p.whs[c.wh]
		ce := ComponentExplanation{SKU: w.name, Quantity: c.qty, HasLevel: w.has}
		if w.has {
			ce.OnHand, ce.AsOf = w.onHand, w.asOf
		} else {
			ex.Known = false
		}
		ce.Reservations = p.holders(c.wh)
		for _, h := range ce.Reservations {
			ce.Reserved += h.Quantity
		}
		ce.Free = max(0, ce.OnHand-ce.Reserved)
		ce.Available = ce.Free / c.qty
		ex.Stock = min(ex.Stock, ce.Available)
		ex.Components = append(ex.Components, ce)
	}
	if !ex.Known {
		ex.Stock = 0
		return ex, nil
	}
	ex.AfterBuffer = max(0, ex.Stock-ex.Policy.Buffer)
	ex.AfterShare = ex.AfterBuffer/100*ex.Policy.Share + ex.AfterBuffer%100*ex.Policy.Share/100
	ex.Available = ex.Policy.apply(ex.Stock)
	return ex, nil
}

// holders lists the reservations holding wh. It scans every reservation: Explain answers a person,
// and a per-SKU index would cost every Reserve for the sake of a rare question.
func (p *Pool) holders(wh int32) []ReservationLine {
	var out []ReservationLine
	for _, r := range p.res {
		n := r.held(wh)
		if n == 0 {
			continue
		}
		h := ReservationLine{Key: r.key, Channel: r.channel, Quantity: n}
		for _, s := range r.ships {
			if s.wh == wh {
				h.Shipped = append(h.Shipped, ShippedItem{SKU: p.whs[wh].name, Quantity: s.qty, At: s.at})
			}
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

const timeLayout = "2006-01-02 15:04:05 MST"

// String tells the story behind the number in a few lines of plain text.
func (e Explanation) String() string {
	var b strings.Builder
	if e.Known {
		fmt.Fprintf(&b, "%s shows %d of %s.\n", e.Channel, e.Available, e.SKU)
	} else {
		fmt.Fprintf(&b, "%s shows no number for %s yet: the warehouse has not reported every component.\n",
			e.Channel, e.SKU)
	}
	for _, c := range e.Components {
		per := ""
		if c.Quantity != 1 {
			per = fmt.Sprintf(" (%d per unit)", c.Quantity)
		}
		if !c.HasLevel {
			fmt.Fprintf(&b, "  %s%s: no stock level from the warehouse yet.\n", c.SKU, per)
		} else {
			fmt.Fprintf(&b, "  %s%s: warehouse holds %d as of %s", c.SKU, per, c.OnHand, c.AsOf.Format(timeLayout))
			if c.Reserved > 0 {
				fmt.Fprintf(&b, ", %d reserved, %d free", c.Reserved, c.Free)
			}
			if c.Quantity != 1 {
				fmt.Fprintf(&b, ", enough for %d", c.Available)
			}
			b.WriteString(".\n")
		}
		for _, h := range c.Reservations {
			fmt.Fprintf(&b, "    order %s", h.Key)
			if h.Channel != "" {
				fmt.Fprintf(&b, " (%s)", h.Channel)
			}
			fmt.Fprintf(&b, " holds %d", h.Quantity)
			for _, s := range h.Shipped {
				fmt.Fprintf(&b, "; %d shipped %s, held until the warehouse's count includes it",
					s.Quantity, s.At.Format(timeLayout))
			}
			b.WriteString(".\n")
		}
	}
	if !e.Known {
		return b.String()
	}
	if len(e.Components) > 1 {
		fmt.Fprintf(&b, "  The scarcest component allows %d.\n", e.Stock)
	}
	src := "channel policy"
	if e.Override {
		src = "policy for this SKU"
	}
	if e.Policy.Buffer > 0 {
		fmt.Fprintf(&b, "  Safety stock (%s) holds back %d: %d left.\n", src, e.Policy.Buffer, e.AfterBuffer)
	}
	if e.Policy.Share < 100 {
		fmt.Fprintf(&b, "  The channel's share (%s) is %d%%: %d, rounded down.\n", src, e.Policy.Share, e.AfterShare)
	}
	if e.Policy.Max > 0 && e.AfterShare > e.Policy.Max {
		fmt.Fprintf(&b, "  Capped at %d (%s).\n", e.Policy.Max, src)
	}
	return b.String()
}
