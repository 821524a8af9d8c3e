// A merchant's configuration: its channels and warehouses, routing, hold, listing and shipment
// policies, and their validation.

package sync

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
)

// Merchant is one tenant: its channel accounts, the warehouses that ship for it, how its order
// lines are routed, and its stock pool. Everything the engine records belongs to one merchant.
type Merchant struct {
	ID         string
	Channels   []Channel
	Warehouses []Warehouse
	Routing    Routing
}

// Channel is one channel account (a Shopify shop, a Rakuten store) of a merchant. Any of Source,
// Sink and Target may be nil when the channel does not take part in that flow.
type Channel struct {
	// ID names the account; it is unique within the merchant and part of every key.
	ID     string
	Source connector.OrderSource
	Sink   connector.ShipmentSink
	Target connector.StockTarget
	// Stock is the channel's stock policy and SKU map.
	Stock inventory.Channel
	// Hold says which orders wait before they are sent.
	Hold HoldPolicy
	// Listing tunes how the channel's orders are listed; its zero value takes Options'.
	Listing ListingPolicy
	// Shipments says when to tell the channel about shipments.
	Shipments ShipmentMode
	// Paused stops every flow of the channel without forgetting where it was.
	Paused bool
}

// ListingPolicy tunes how one channel's orders are listed, for platforms whose indexing lag or listing
// budget differ from most: Amazon restores one getOrders call a minute, so a host polling it that
// often has nothing left for an hourly sweep of the last day and sweeps it less often. Zero fields
// take the engine's Options of the same name.
type ListingPolicy struct {
	Settle, Overlap, SweepEvery, SweepSpan time.Duration
}

// or fills p's zero fields from o.
func (p ListingPolicy) or(o *Options) ListingPolicy {
	orDefault(&p.Settle, o.Settle)
	orDefault(&p.Overlap, o.Overlap)
	orDefault(&p.SweepEvery, o.SweepEvery)
	orDefault(&p.SweepSpan, o.SweepSpan)
	return p
}

// HoldPolicy decides which orders are not yet ready to ship.
type HoldPolicy struct {
	// Statuses are channel statuses (Order.ChannelStatus) that hold an order, such as Rakuten's
	// 100 (注文確認待ち) or "pending_review".
	Statuses []string
	// SendPending sends orders in order.StatusPending; by default they are held (unpaid).
	SendPending bool
	// DeliveryBeyond holds an order whose requested delivery date is further ahead than this
	// (the warehouse would ship it too early); 0 disables the rule. It is judged in Asia/Tokyo.
	DeliveryBeyond time.Duration
}

// ShipmentMode says when a channel is told about shipments.
type ShipmentMode int

// Shipment modes.
const (
	// ShipEach confirms each shipment as it happens (the default).
	ShipEach ShipmentMode = iota
	// ShipWhenComplete waits until every line shipped and confirms once, with every parcel: for
	// marketplaces that mark the whole order shipped on the first notice. Sinks that cannot
	// express partial shipments get this mode whatever is set.
	ShipWhenComplete
)

// Warehouse is a fulfillment location serving the merchant. Fulfiller is required; Shipments and
// Stock may be nil when the host reports them with RecordShipment and SetOnHand instead.
type Warehouse struct {
	ID        string
	Fulfiller connector.Fulfiller
	Shipments connector.ShipmentSource
	Stock     connector.StockSource
}

// Destinations other than a warehouse ID.
const (
	// RouteMerchant: the merchant ships the line from its own shelf.
	RouteMerchant = "merchant"
	// RouteIgnore: nothing to ship (digital goods, services, fees).
	RouteIgnore = "ignore"
	// RouteDropshipPrefix: "dropship:<supplier>" ships straight from a supplier or factory.
	RouteDropshipPrefix = "dropship:"
)

// Routing says where each line is fulfilled: a warehouse ID, RouteMerchant, RouteIgnore or
// "dropship:<supplier>". The most specific rule wins: channel and SKU, then SKU, then the
// channel's default, then Default, then the merchant's first warehouse.
type Routing struct {
	Default string
	SKU     map[string]string
	// Channel maps a channel ID to its rules: SKU to destination, with "*" as the channel default.
	Channel map[string]map[string]string
}

func (r *Routing) route(channel, sku, fallback string) string {
	if rules, ok := r.Channel[channel]; ok {
		if d, ok := rules[sku]; ok {
			return d
		}
	}
	if d, ok := r.SKU[sku]; ok {
		return d
	}
	if d, ok := r.Channel[channel]["*"]; ok {
		return d
	}
	if r.Default != "" {
		return r.Default
	}
	return fallback
}

// Validate reports configuration mistakes: missing IDs, duplicates, routes to unknown warehouses.
func (m *Merchant) Validate() error {
	var errs []error
	if m.ID == "" {
		errs = append(errs, errors.New("merchant: empty ID"))
	}
	wh := map[string]bool{}
	for _, w := range m.Warehouses {
		switch {
		case w.ID == "" || wh[w.ID]:
			errs = append(errs, fmt.Errorf("merchant %s: warehouse ID %q empty or repeated", m.ID, w.ID))
		case w.Fulfiller == nil:
			errs = append(errs, fmt.Errorf("merchant %s: warehouse %s has no Fulfiller", m.ID, w.ID))
		case isSpecialRoute(w.ID):
			errs = append(errs, fmt.Errorf("merchant %s: warehouse ID %q is a reserved destination", m.ID, w.ID))
		}
		wh[w.ID] = true
	}
	ch := map[string]bool{}
	for _, c := range m.Channels {
		if c.ID == "" || ch[c.ID] {
			errs = append(errs, fmt.Errorf("merchant %s: channel ID %q empty or repeated", m.ID, c.ID))
		}
		ch[c.ID] = true
	}
	check := func(where, d string) {
		if !isSpecialRoute(d) && !wh[d] {
			errs = append(errs, fmt.Errorf("merchant %s: routing %s: unknown destination %q", m.ID, where, d))
		}
	}
	if m.Routing.Default != "" {
		check("default", m.Routing.Default)
	}
	for sku, d := range m.Routing.SKU {
		check("sku "+sku, d)
	}
	for c, rules := range m.Routing.Channel {
		for sku, d := range rules {
			check("channel "+c+" sku "+sku, d)
		}
	}
	return errors.Join(errs...)
}

func isSpecialRoute(d string) bool {
	return d == RouteMerchant || d == RouteIgnore || (strings.HasPrefix(d, RouteDropshipPrefix) && len(d) > len(RouteDropshipPrefix))
}

// dest is where a line of the SKU ordered on the channel goes. It is what routes groups by, for
// callers that look at one line at a time and need no grouping (nor its map).
func (m *Merchant) dest(channel, sku string) string {
	fallback := ""
	if len(m.Warehouses) > 0 {
		fallback = m.Warehouses[0].ID
	}
	if d := m.Routing.route(channel, sku, fallback); d != "" {
		return d
	}
	return RouteMerchant
}

// route is the lines of an order going to one destination.
type route struct {
	dest  string
	lines []order.Line
}

// routeSet is an order's lines split by destination, ordered by destination.
type routeSet []route

// lines returns the lines going to d, or nil.
func (rs routeSet) lines(d string) []order.Line {
	for _, r := range rs {
		if r.dest == d {
			return r.lines
		}
	}
	return nil
}

// routes splits an order's lines by destination, keeping lines whose units were all cancelled so
// that a cancellation still reaches the warehouse that holds them. It appends to buf, so a caller
// can keep the usual one or two destinations on its stack; callers only read the result.
func (m *Merchant) routes(channel string, o *order.Order, buf routeSet) routeSet {
	dest := func(sku string) string { return m.dest(channel, sku) }
	// Most orders go to one place: share the order's lines instead of copying them.
	first, one := "", true
	for i, l := range o.Lines {
		if d := dest(l.SKU); i == 0 {
			first = d
		} else if d != first {
			one = false
			break
		}
	}
	out := buf[:0]
	if one {
		if len(o.Lines) == 0 {
			return out
		}
		return append(out, route{first, o.Lines})
	}
	for _, l := range o.Lines {
		d := dest(l.SKU)
		i, found := slices.BinarySearchFunc(out, d, func(r route, d string) int { return strings.Compare(r.dest, d) })
		if !found {
			out = slices.Insert(out, i, route{dest: d})
		}
		out[i].lines = append(out[i].lines, l)
	}
	return out
}
