// Order lines as warehouses hold them: what a request carries, compared and digested.

package sync

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// replayLines are the lines of the replayed order a request's repeated call carries. A Submit
// carried the content the request noted, whatever the routing is now; a change or cancellation
// the lines routed to the request's warehouse, as they are routed now.
func replayLines(m *merchant, channel string, r *ledger.Request) []order.Line {
	if r.State != ledger.RequestNew {
		return m.cfg.routes(channel, r.Replay, nil).lines(r.Target)
	}
	var out []order.Line
	for _, l := range r.Replay.Lines {
		if slices.ContainsFunc(r.Lines, func(h connector.LineQuantity) bool { return h.LineID == l.ID }) {
			out = append(out, l)
		}
	}
	return out
}

// wantLines is what a request holds of the lines: their open units.
func wantLines(lines []order.Line) []connector.LineQuantity {
	out := make([]connector.LineQuantity, 0, len(lines))
	for _, l := range lines {
		if n := l.Open(); n > 0 {
			out = append(out, connector.LineQuantity{LineID: l.ID, SKU: l.SKU, Quantity: n})
		}
	}
	return out
}

func linesDigest(ls []connector.LineQuantity) string {
	c := slices.Clone(ls)
	slices.SortFunc(c, func(a, b connector.LineQuantity) int { return strings.Compare(a.LineID, b.LineID) })
	var b strings.Builder
	for _, l := range c {
		b.WriteString(l.LineID + "\x00" + l.SKU + "\x00" + strconv.Itoa(l.Quantity) + "\x00")
	}
	return b.String()
}

// sameLines reports whether a and b hold the same quantities of the same lines, in any order, as
// comparing their linesDigest would, without building the digests.
func sameLines(a, b []connector.LineQuantity) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		n := 0
		for _, y := range b {
			if y.LineID == x.LineID {
				if y != x {
					return false
				}
				n++
			}
		}
		if n != 1 {
			return false
		}
	}
	return true
}

// decreases returns what to cancel to go from have to want, if want only lowers quantities.
func decreases(have, want []connector.LineQuantity) ([]connector.LineQuantity, bool) {
	w := map[string]connector.LineQuantity{}
	for _, l := range want {
		w[l.LineID] = l
	}
	var cut []connector.LineQuantity
	for _, h := range have {
		n, ok := w[h.LineID]
		switch {
		case ok && n.SKU != h.SKU:
			return nil, false
		case ok && n.Quantity > h.Quantity:
			return nil, false
		case !ok || n.Quantity < h.Quantity:
			cut = append(cut, connector.LineQuantity{LineID: h.LineID, SKU: h.SKU, Quantity: h.Quantity - n.Quantity})
		}
		delete(w, h.LineID)
	}
	return cut, len(w) == 0
}

// hasOpen reports whether any of the lines still wants units (wantLines is not empty).
func hasOpen(lines []order.Line) bool {
	return slices.ContainsFunc(lines, func(l order.Line) bool { return l.Open() > 0 })
}

// subset is the order with only the given lines: what one warehouse is asked to ship. When they
// are all of the order's lines (most orders go to one warehouse), it shares them: fulfillers do
// not modify a request (connector.Fulfiller), and the engine never writes into a record's lines.
func subset(o *order.Order, lines []order.Line) order.Order {
	c := *o
	if len(lines) != len(o.Lines) || len(lines) == 0 || &lines[0] != &o.Lines[0] {
		c.Lines = slices.Clone(lines)
	}
	return c
}
