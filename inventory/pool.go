package inventory

import (
	"slices"
	"sort"
	"time"
)

// Reservation holds stock for an order (or any sale) the warehouse has not yet counted. It holds
// Items and Shipped together: the quantities still to ship, and those shipped but not yet
// included in a level.
type Reservation struct {
	// Key identifies the order; reserving the same key again replaces the reservation.
	Key string `json:"key"`
	// Channel is where the sale came from. It is shown by Explain and does not change the math:
	// a reservation lowers every channel alike.
	Channel string `json:"channel,omitempty"`
	// Items are the quantities of each warehouse SKU the order still takes from the warehouse,
	// not counting what has shipped.
	Items []Item `json:"items"`
	// Shipped are the order's shipments, each held until a level for its SKU with AsOf at or after
	// its time arrives. The pool drops the ones a level already includes, so a caller may pass
	// every shipment of the order each time.
	Shipped []ShippedItem `json:"shipped,omitempty"`
}

// ShippedItem is a quantity of one warehouse SKU that left the warehouse at a moment.
type ShippedItem struct {
	SKU      string    `json:"sku"`
	Quantity int       `json:"quantity"`
	At       time.Time `json:"at"`
}

// Pool is one merchant's stock, shared by all of the merchant's channels. The zero Pool is empty
// and ready to use. A Pool is not safe for concurrent use: the engine serialises the calls for a
// merchant, and other callers must do the same.
type Pool struct {
	index    map[string]int32
	whs      []warehouseSKU
	res      map[string]*reservation
	pending  map[int32][]*reservation // reservations with shipments of that SKU not yet counted
	channels map[string]*channelState
	// stamp and epoch de-duplicate the SKUs of one SetLevels call without allocating.
	stamp []uint32
	epoch uint32
}

// warehouseSKU is everything the pool knows of one warehouse SKU.
type warehouseSKU struct {
	name     string
	onHand   int
	reserved int // outstanding quantity over all reservations
	asOf     time.Time
	has      bool // a level has arrived
}

// free is what the warehouse holds that no reservation claims, or -1 while there is no level.
func (w *warehouseSKU) free() int {
	if !w.has {
		return -1
	}
	return max(0, w.onHand-w.reserved)
}

type reservation struct {
	key, channel string
	items        []resItem  // still to ship
	ships        []shipment // shipped, not yet included in a level
	// buf holds the items of most orders, so a reservation is one allocation.
	buf [2]resItem
	// note is the caller's (AppendReserveNote).
	note string
}

type resItem struct {
	wh  int32
	qty int
}

type shipment struct {
	wh  int32
	qty int
	at  time.Time
}

func (r *reservation) item(wh int32) *resItem {
	for i := range r.items {
		if r.items[i].wh == wh {
			return &r.items[i]
		}
	}
	return nil
}

// held is what r holds of wh.
func (r *reservation) held(wh int32) int {
	n := 0
	if it := r.item(wh); it != nil {
		n = it.qty
	}
	for _, s := range r.ships {
		if s.wh == wh {
			n += s.qty
		}
	}
	return n
}

// done reports whether the reservation holds nothing any more, so the pool can forget it.
func (r *reservation) done() bool {
	return len(r.items) == 0 && len(r.ships) == 0
}

// counted reports whether the level held for wh already includes a shipment made at at.
func (p *Pool) counted(wh int32, at time.Time) bool {
	w := &p.whs[wh]
	return w.has && !at.After(w.asOf)
}

// NewPool returns an empty pool. It is the same as new(Pool).
func NewPool() *Pool {
	p := &Pool{}
	p.init()
	return p
}

func (p *Pool) init() {
	if p.index == nil {
		p.index = make(map[string]int32)
		p.res = make(map[string]*reservation)
		p.pending = make(map[int32][]*reservation)
		p.channels = make(map[string]*channelState)
	}
}

func (p *Pool) intern(sku string) int32 {
	if i, ok := p.index[sku]; ok {
		return i
	}
	i := int32(len(p.whs))
	p.whs = append(p.whs, warehouseSKU{name: sku})
	p.index[sku] = i
	return i
}

func clampQty(q int) int {
	return min(max(q, 0), MaxQuantity)
}

// changes collects the warehouse SKUs touched by one call and reports those whose free stock
// moved.
type changes struct {
	wh     []int32
	before []int
}

// newChanges returns a changes that fills the given buffers first: callers pass arrays on their
// stack, which hold the few SKUs of one order without allocating.
func newChanges(wh []int32, before []int) changes {
	return changes{wh: wh[:0], before: before[:0]}
}

// touch returns c with wh noted. It works on a copy and returns it, rather than through a
// pointer, so that the buffers newChanges was given can stay on the caller's stack.
func (c changes) touch(p *Pool, wh int32) changes {
	if slices.Contains(c.wh, wh) {
		return c
	}
	c.wh = append(c.wh, wh)
	c.before = append(c.before, p.whs[wh].free())
	return c
}

func (c *changes) result(p *Pool) []string {
	return c.appendResult(nil, p)
}

// appendResult appends the result to out, the appended SKUs in ascending order.
func (c *changes) appendResult(out []string, p *Pool) []string {
	n := len(out)
	for i, wh := range c.wh {
		if p.whs[wh].free() != c.before[i] {
			out = append(out, p.whs[wh].name)
		}
	}
	sort.Strings(out[n:])
	return out
}

// SetLevels records what the warehouse holds and returns, in ascending order, the warehouse SKUs
// whose free stock (on hand − reserved) changed, including those that had no level before. A level
// older than the one held for its SKU is ignored; one of the same age replaces it. A level releases
// every shipment of its SKU made at or before its AsOf, since the warehouse's figure already
// counts it.
func (p *Pool) SetLevels(levels ...Level) (changed []string) {
	p.init()
	type before struct {
		wh   int32
		free int
	}
	// A full snapshot touches 100,000 SKUs, too many for the linear de-duplication of changes:
	// a SKU counts as seen in this call when its stamp equals the call's epoch.
	p.epoch++
	if p.epoch == 0 { // wrapped: old stamps could collide
		clear(p.stamp)
		p.epoch = 1
	}
	touched := make([]before, 0, len(levels))
	for _, lv := range levels {
		if lv.SKU == "" {
			continue
		}
		wh := p.intern(lv.SKU)
		w := &p.whs[wh]
		if w.has && lv.AsOf.Before(w.asOf) {
			continue
		}
		if int(wh) >= len(p.stamp) {
			p.stamp = append(p.stamp, make([]uint32, len(p.whs)-len(p.stamp))...)
		}
		if p.stamp[wh] != p.epoch {
			p.stamp[wh] = p.epoch
			touched = append(touched, before{wh, w.free()})
		}
		w.onHand, w.asOf, w.has = clampQty(lv.OnHand), lv.AsOf, true
		p.countShipments(wh)
	}
	for _, t := range touched {
		if p.whs[t.wh].free() != t.free {
			changed = append(changed, p.whs[t.wh].name)
		}
	}
	if !sort.StringsAreSorted(changed) { // snapshots often come sorted already
		sort.Strings(changed)
	}
	return changed
}

// countShipments releases the shipments of wh that the level now held includes.
func (p *Pool) countShipments(wh int32) {
	list := p.pending[wh]
	if len(list) == 0 {
		return
	}
	w := &p.whs[wh]
	keep := list[:0]
	for _, r := range list {
		uncounted := false
		ships := r.ships[:0]
		for _, s := range r.ships {
			switch {
			case s.wh != wh:
			case s.at.After(w.asOf):
				uncounted = true
			default:
				w.reserved -= s.qty
				continue
			}
			ships = append(ships, s)
		}
		clear(r.ships[len(ships):])
		r.ships = ships
		if uncounted {
			keep = append(keep, r)
		} else if r.done() {
			delete(p.res, r.key)
		}
	}
	clear(list[len(keep):])
	if len(keep) == 0 {
		delete(p.pending, wh)
	} else {
		p.pending[wh] = keep
	}
}

// Reserve holds stock for r and returns, in ascending order, the warehouse SKUs whose free stock
// changed. It replaces any reservation with the same key, items and shipments alike, so a changed
// order re-reserves with what it now takes, and a restart restores Reservations with it. Items are
// added up per SKU; shipments a level already includes are dropped; empty SKUs and non-positive
// quantities are ignored. A reservation that holds nothing is forgotten.
func (p *Pool) Reserve(r Reservation) (changed []string) {
	return p.AppendReserve(nil, r)
}

// AppendReserve is Reserve, appending the SKUs whose free stock changed to dst (those it appends
// in ascending order) and returning the extended slice, for callers that gather the SKUs of many
// reservations.
func (p *Pool) AppendReserve(dst []string, r Reservation) []string {
	return p.AppendReserveNote(dst, r, "")
}

// AppendReserveNote is AppendReserve that also keeps note with the reservation until it is
// replaced, released or forgotten (it holds nothing any more); Note returns it. The engine
// notes there what its store holds of the reservation, so it keeps no map of its own beside
// the pool's.
func (p *Pool) AppendReserveNote(dst []string, r Reservation, note string) []string {
	if r.Key == "" {
		return dst
	}
	p.init()
	nr := &reservation{key: r.Key, channel: r.Channel, note: note}
	nr.items = nr.buf[:0]
	for _, it := range r.Items {
		if it.SKU == "" || it.Quantity <= 0 {
			continue
		}
		wh := p.intern(it.SKU)
		if ri := nr.item(wh); ri != nil {
			ri.qty = clampQty(ri.qty + it.Quantity)
		} else {
			nr.items = append(nr.items, resItem{wh: wh, qty: clampQty(it.Quantity)})
		}
	}
	for _, sh := range r.Shipped {
		if sh.SKU == "" || sh.Quantity <= 0 {
			continue
		}
		wh := p.intern(sh.SKU)
		if !p.counted(wh, sh.At) {
			nr.ships = append(nr.ships, shipment{wh: wh, qty: clampQty(sh.Quantity), at: sh.At})
		}
	}
	var (
		whBuf     [8]int32
		beforeBuf [8]int
	)
	ch := newChanges(whBuf[:], beforeBuf[:])
	if old := p.res[r.Key]; old != nil {
		for _, it := range old.items {
			ch = ch.touch(p, it.wh)
		}
		for _, s := range old.ships {
			ch = ch.touch(p, s.wh)
		}
		p.unlink(old)
	}
	for _, it := range nr.items {
		ch = ch.touch(p, it.wh)
	}
	for _, s := range nr.ships {
		ch = ch.touch(p, s.wh)
	}
	if !nr.done() {
		p.link(nr)
	}
	return ch.appendResult(dst, p)
}

// link adds r's holdings to the pool.
func (p *Pool) link(r *reservation) {
	p.res[r.key] = r
	for _, it := range r.items {
		p.whs[it.wh].reserved += it.qty
	}
	for _, s := range r.ships {
		p.whs[s.wh].reserved += s.qty
		p.pend(s.wh, r)
	}
}

// unlink removes r's holdings from the pool.
func (p *Pool) unlink(r *reservation) {
	delete(p.res, r.key)
	for _, it := range r.items {
		p.whs[it.wh].reserved -= it.qty
	}
	for _, s := range r.ships {
		p.whs[s.wh].reserved -= s.qty
		p.unpend(s.wh, r)
	}
}

func (p *Pool) pend(wh int32, r *reservation) {
	if !slices.Contains(p.pending[wh], r) {
		p.pending[wh] = append(p.pending[wh], r)
	}
}

func (p *Pool) unpend(wh int32, r *reservation) {
	list := p.pending[wh]
	if i := slices.Index(list, r); i >= 0 {
		list = slices.Delete(list, i, i+1)
		if len(list) == 0 {
			delete(p.pending, wh)
		} else {
			p.pending[wh] = list
		}
	}
}

// Release cancels the reservation for key and returns, in ascending order, the warehouse SKUs whose
// free stock changed. The unshipped quantities come back at once; shipped ones stay held until a
// level includes them, because they have left the warehouse whatever happened to the order. An
// unknown key changes nothing.
func (p *Pool) Release(key string) []string {
	r, ok := p.res[key]
	if !ok {
		return nil
	}
	var (
		whBuf     [8]int32
		beforeBuf [8]int
	)
	ch := newChanges(whBuf[:], beforeBuf[:])
	for _, it := range r.items {
		ch = ch.touch(p, it.wh)
		p.whs[it.wh].reserved -= it.qty
	}
	r.items, r.note = nil, ""
	if r.done() {
		delete(p.res, key)
	}
	return ch.result(p)
}

// Note returns the note AppendReserveNote kept with the reservation key, or "" if there is
// none. The key is given as bytes, so that looking one up from a buffer allocates nothing.
func (p *Pool) Note(key []byte) string {
	if r := p.res[string(key)]; r != nil {
		return r.note
	}
	return ""
}

// Shipped records that the given quantities of the order key left the warehouse at at, and returns,
// in ascending order, the warehouse SKUs whose free stock changed. The quantities move from the
// reservation's items to its shipments, held until a level for their SKU with AsOf at or after at
// arrives; if one already has, they are released now. Partial shipments add up. Quantities beyond
// what the order still takes of a SKU, SKUs it does not take, non-positive quantities and unknown
// keys are ignored.
func (p *Pool) Shipped(key string, items []Item, at time.Time) []string {
	r, ok := p.res[key]
	if !ok {
		return nil
	}
	var (
		whBuf     [8]int32
		beforeBuf [8]int
	)
	ch := newChanges(whBuf[:], beforeBuf[:])
	for _, it := range items {
		if it.SKU == "" || it.Quantity <= 0 {
			continue
		}
		wh, ok := p.index[it.SKU]
		if !ok {
			continue
		}
		ri := r.item(wh)
		if ri == nil {
			continue
		}
		q := min(clampQty(it.Quantity), ri.qty)
		ri.qty -= q
		if ri.qty == 0 {
			r.items = slices.DeleteFunc(r.items, func(x resItem) bool { return x.qty == 0 })
		}
		if p.counted(wh, at) {
			ch = ch.touch(p, wh)
			p.whs[wh].reserved -= q
		} else {
			r.ships = append(r.ships, shipment{wh: wh, qty: q, at: at})
			p.pend(wh, r)
		}
	}
	if r.done() {
		delete(p.res, key)
	}
	return ch.result(p)
}

// Levels returns every level the pool holds, ordered by SKU.
func (p *Pool) Levels() []Level {
	var out []Level
	for i := range p.whs {
		w := &p.whs[i]
		if w.has {
			out = append(out, Level{SKU: w.name, OnHand: w.onHand, AsOf: w.asOf})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKU < out[j].SKU })
	return out
}

// Reservations returns every reservation the pool holds, ordered by key, with items ordered by SKU
// and shipments in the order they were recorded. Reserving each of them on a new pool (before or
// after SetLevels with Levels) restores the same state.
func (p *Pool) Reservations() []Reservation {
	keys := sortedKeys(p.res)
	out := make([]Reservation, 0, len(keys))
	for _, k := range keys {
		r := p.res[k]
		rv := Reservation{Key: r.key, Channel: r.channel, Items: make([]Item, 0, len(r.items))}
		for _, it := range r.items {
			rv.Items = append(rv.Items, Item{SKU: p.whs[it.wh].name, Quantity: it.qty})
		}
		sort.Slice(rv.Items, func(i, j int) bool { return rv.Items[i].SKU < rv.Items[j].SKU })
		for _, s := range r.ships {
			rv.Shipped = append(rv.Shipped, ShippedItem{SKU: p.whs[s.wh].name, Quantity: s.qty, At: s.at})
		}
		out = append(out, rv)
	}
	return out
}
