package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// Channel is an in-memory sales channel: it implements connector.OrderSource,
// connector.ShipmentSink and connector.StockTarget, and lets a test place, change and cancel
// orders. It is safe for concurrent use.
type Channel struct {
	// Faults injects failures into every call.
	Faults
	// Now is the channel's clock; nil means time.Now. Orders get UpdatedAt from it.
	Now func() time.Time
	// PageSize is how many orders a page holds; 0 means 50.
	PageSize int
	// Limit is the StockTarget batch limit; 0 means 100.
	Limit int
	// NoPartial makes the channel unable to express partial shipments (SupportsPartialShipments).
	NoPartial bool
	// CompareStock makes SetStock honour StockUpdate.Compare.
	CompareStock bool

	mu gosync.Mutex
	// orders holds each order by pointer (the map grows without copying whole orders). A stored
	// order, and the Lines array it holds, is never written again: an edit stores a new copy
	// with its own lines, so ListOrders can hand out the lines it holds.
	orders    map[string]*order.Order
	index     []pos // orders by (UpdatedAt, ID), with superseded entries; rebuilt when stale
	stale     bool
	garbage   int // superseded entries in index
	confirmed map[ShipmentRef]connector.ShipmentConfirmation
	log       []connector.ShipmentConfirmation // distinct confirmations, in order
	effects   int                              // distinct confirmations
	stock     map[string]int
	stockSets int
	// writes remembers each keyed stock write and its answer, as platforms that take
	// idempotency keys do, for the newest keptWrites keys (writeKeys, oldest first).
	writes    map[string]keyedWrite
	writeKeys []string
	calls     map[string]int
}

// keptWrites is how many stock write keys a Channel remembers: platforms keep keys for a
// retention window, not forever.
const keptWrites = 100_000

// keyedWrite is a stock write the channel answered under its key.
type keyedWrite struct {
	update connector.StockUpdate
	err    error
}

// same reports whether u repeats the write w remembers, as platforms compare a repeated key's
// parameters.
func (w keyedWrite) same(u connector.StockUpdate) bool {
	a, b := w.update.Compare, u.Compare
	return w.update.SKU == u.SKU && w.update.Available == u.Available && (a == nil) == (b == nil) && (a == nil || *a == *b)
}

var (
	_ connector.OrderSource     = (*Channel)(nil)
	_ connector.ShipmentSink    = (*Channel)(nil)
	_ connector.StockTarget     = (*Channel)(nil)
	_ connector.StockReader     = (*Channel)(nil)
	_ connector.PartialShipper  = (*Channel)(nil)
	_ connector.ComparingTarget = (*Channel)(nil)
)

func (c *Channel) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Channel) init() {
	if c.orders == nil {
		c.orders = map[string]*order.Order{}
		c.confirmed = map[ShipmentRef]connector.ShipmentConfirmation{}
		c.stock = map[string]int{}
		c.calls = map[string]int{}
	}
}

// pos is an order's place in the listing order, with the order stored there (nil in positions
// only searched for). An update appends the order's new place and leaves the old entry, pointing
// at a version no longer stored, for ListOrders to skip.
type pos struct {
	t  time.Time
	id string
	o  *order.Order
}

func (p pos) less(q pos) bool { return p.t.Before(q.t) || (p.t.Equal(q.t) && p.id < q.id) }

func comparePos(a, b pos) int {
	if a.less(b) {
		return -1
	} else if b.less(a) {
		return 1
	}
	return 0
}

// put stores o and keeps the index. An order placed or updated now sorts last, so appending
// keeps the index sorted (an update leaves its old entry behind, skipped by ListOrders until a
// rebuild); anything else marks it stale, to be sorted again.
func (c *Channel) put(o order.Order) {
	old, existed := c.orders[o.ID]
	c.orders[o.ID] = &o
	p := pos{o.UpdatedAt, o.ID, &o}
	switch {
	case existed && old.UpdatedAt.Equal(o.UpdatedAt):
		// Same place in the listing: point the entry at the new version.
		if !c.stale {
			c.repoint(p)
		}
	case c.stale:
	case len(c.index) == 0 || c.index[len(c.index)-1].less(p):
		c.index = append(c.index, p)
		if existed {
			c.garbage++
		}
	default:
		c.stale = true
	}
}

// current reports whether an index entry is the order's place now, not a superseded one.
func (c *Channel) current(p pos) bool { return c.orders[p.id] == p.o }

// repoint makes the index entry at p's place point at p's order.
func (c *Channel) repoint(p pos) {
	i, ok := slices.BinarySearchFunc(c.index, p, comparePos)
	if ok {
		c.index[i].o = p.o
		return
	}
	c.stale = true
}

// Place adds an order as a buyer would, stamping PlacedAt (if unset) and UpdatedAt with the
// channel's clock. It returns the order as stored.
func (c *Channel) Place(o order.Order) order.Order {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	now := c.now()
	if o.PlacedAt.IsZero() {
		o.PlacedAt = now
	}
	if o.Status == "" {
		o.Status = order.StatusOpen
	}
	o.UpdatedAt = now
	o.Lines = slices.Clone(o.Lines)
	c.put(o)
	// The caller's copy must not share lines with the channel's, or editing it edits the shop.
	o.Lines = slices.Clone(o.Lines)
	return o
}

// Change edits an order as a buyer or the shop would and stamps UpdatedAt. It reports whether
// the order exists.
func (c *Channel) Change(id string, edit func(o *order.Order)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	stored, ok := c.orders[id]
	if !ok {
		return false
	}
	o := *stored
	o.Lines = slices.Clone(o.Lines)
	edit(&o)
	o.UpdatedAt = c.now()
	c.put(o)
	return true
}

// Cancel cancels a whole order.
func (c *Channel) Cancel(id string) bool {
	return c.Change(id, func(o *order.Order) { o.Status = order.StatusCancelled })
}

// Order returns an order as the channel holds it.
func (c *Channel) Order(id string) (order.Order, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stored, ok := c.orders[id]
	if !ok {
		return order.Order{}, false
	}
	o := *stored
	o.Lines = slices.Clone(o.Lines)
	return o, true
}

// Orders returns every order, sorted by ID.
func (c *Channel) Orders() []order.Order {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]order.Order, 0, len(c.orders))
	for _, stored := range c.orders {
		o := *stored
		o.Lines = slices.Clone(o.Lines)
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b order.Order) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// ListOrders implements connector.OrderSource. Orders are listed by (UpdatedAt, ID); the page
// cursor is the last position handed out, so orders updated meanwhile move past the cursor and
// are listed in a later window, never skipped.
func (c *Channel) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.before("ListOrders"); err != nil {
		return nil, err
	}
	afterT, afterID, err := parsePos(req.Page)
	if err != nil {
		return nil, fmt.Errorf("memory: ListOrders: %w: %v", connector.ErrPermanent, err)
	}
	size := req.Limit
	if size <= 0 || (c.PageSize > 0 && size > c.PageSize) {
		size = c.PageSize
	}
	if size <= 0 {
		size = 50
	}
	c.mu.Lock()
	c.init()
	c.calls["ListOrders"]++
	if c.stale || c.garbage > len(c.index)/2 {
		c.index, c.garbage = c.index[:0], 0
		for _, o := range c.orders {
			c.index = append(c.index, pos{o.UpdatedAt, o.ID, o})
		}
		slices.SortFunc(c.index, comparePos)
		c.stale = false
	}
	start := pos{req.From, "", nil}
	if req.Page != "" && !(pos{afterT, afterID, nil}).less(start) {
		start = pos{afterT, afterID + "\x00", nil}
	}
	i, _ := slices.BinarySearchFunc(c.index, start, comparePos)
	match := make([]order.Order, 0, min(size+1, len(c.index)-i))
	for ; i < len(c.index) && c.index[i].t.Before(req.To) && len(match) <= size; i++ {
		if c.garbage > 0 && !c.current(c.index[i]) {
			continue
		}
		// The lines are shared, not copied: the channel never writes into them again, and
		// callers of an OrderSource do not either (connector.OrderPage).
		match = append(match, *c.index[i].o)
	}
	c.mu.Unlock()
	page := &connector.OrderPage{}
	if len(match) > size {
		match = match[:size]
		last := match[size-1]
		page.Next = connector.Cursor(strconv.FormatInt(last.UpdatedAt.UnixNano(), 10) + ":" + last.ID)
	}
	page.Orders = match
	if c.repeat() {
		page.Next = req.Page
		if page.Next == "" && len(match) > 0 {
			// A repeated first page must still be fetched again: hand out a cursor before it.
			first := match[0]
			page.Next = connector.Cursor(strconv.FormatInt(first.UpdatedAt.UnixNano()-1, 10) + ":")
		}
	}
	return page, nil
}

func parsePos(p connector.Cursor) (time.Time, string, error) {
	if p == "" {
		return time.Time{}, "", nil
	}
	ns, id, ok := strings.Cut(string(p), ":")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil {
		return time.Time{}, "", fmt.Errorf("malformed page cursor")
	}
	return time.Unix(0, n).UTC(), id, nil
}

// ShipmentRef names a shipment confirmed on a channel: its order and the shipment's ID. Each
// warehouse numbers its own shipments, so two orders' shipments may carry the same ID.
type ShipmentRef struct {
	OrderID, ShipmentID string
}

// ConfirmShipment implements connector.ShipmentSink, idempotent on the order and the shipment ID.
func (c *Channel) ConfirmShipment(ctx context.Context, s connector.ShipmentConfirmation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.before("ConfirmShipment"); err != nil {
		return err
	}
	c.mu.Lock()
	c.init()
	c.calls["ConfirmShipment"]++
	if _, ok := c.orders[s.Order.ID]; !ok {
		c.mu.Unlock()
		return fmt.Errorf("memory: ConfirmShipment: order %s: %w", s.Order.ID, connector.ErrNotFound)
	}
	ref := ShipmentRef{OrderID: s.Order.ID, ShipmentID: s.Shipment.ID}
	if _, dup := c.confirmed[ref]; !dup {
		c.confirmed[ref] = s
		c.log = append(c.log, s)
		c.effects++
		if s.Complete {
			o := *c.orders[s.Order.ID]
			if o.Status != order.StatusCancelled {
				o.Status = order.StatusClosed
				o.ChannelStatus = "shipped"
				o.UpdatedAt = c.now()
				c.put(o)
			}
		}
	}
	c.mu.Unlock()
	return c.after("ConfirmShipment")
}

// SupportsPartialShipments implements connector.PartialShipper.
func (c *Channel) SupportsPartialShipments() bool { return !c.NoPartial }

// Confirmations returns the shipments confirmed.
func (c *Channel) Confirmations() map[ShipmentRef]connector.ShipmentConfirmation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.confirmed)
}

// ConfirmationLog returns every distinct confirmation, in the order the channel received them.
func (c *Channel) ConfirmationLog() []connector.ShipmentConfirmation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.log)
}

// BatchLimit implements connector.StockTarget.
func (c *Channel) BatchLimit() int {
	if c.Limit > 0 {
		return c.Limit
	}
	return 100
}

// ComparesStock implements connector.ComparingTarget.
func (c *Channel) ComparesStock() bool { return c.CompareStock }

// SetStock implements connector.StockTarget. An update whose Key the channel has seen gets that
// write's first answer and changes nothing, as on a platform that takes idempotency keys.
func (c *Channel) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(updates) > c.BatchLimit() {
		return nil, fmt.Errorf("memory: SetStock: %d updates exceed the limit of %d: %w", len(updates), c.BatchLimit(), connector.ErrPermanent)
	}
	if err := c.before("SetStock"); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.init()
	c.calls["SetStock"]++
	res := make([]connector.StockResult, len(updates))
	for i, u := range updates {
		res[i].SKU = u.SKU
		if w, ok := c.writes[u.Key]; ok && u.Key != "" {
			res[i].Err = w.err // a write seen before: its first answer, and no second effect
			if !w.same(u) {
				res[i].Err = fmt.Errorf("memory: SetStock %s: key %s was used for another write: %w", u.SKU, u.Key, connector.ErrPermanent)
			}
			continue
		}
		switch {
		case u.Available < 0:
			res[i].Err = fmt.Errorf("memory: SetStock %s: negative quantity: %w", u.SKU, connector.ErrPermanent)
		case c.CompareStock && u.Compare != nil && *u.Compare != c.stock[u.SKU]:
			res[i].Err = fmt.Errorf("memory: SetStock %s: %w", u.SKU, connector.ErrConflict)
		default:
			c.stock[u.SKU] = u.Available
			c.stockSets++
		}
		if u.Key != "" {
			c.rememberWrite(keyedWrite{update: u, err: res[i].Err})
		}
	}
	c.mu.Unlock()
	if err := c.after("SetStock"); err != nil {
		return nil, err
	}
	return res, nil
}

// rememberWrite keeps the answer to a keyed write, forgetting the oldest beyond keptWrites.
// Callers hold c.mu.
func (c *Channel) rememberWrite(w keyedWrite) {
	key := w.update.Key
	if c.writes == nil {
		c.writes = map[string]keyedWrite{}
	}
	if len(c.writeKeys) >= keptWrites {
		delete(c.writes, c.writeKeys[0])
		c.writeKeys = c.writeKeys[1:]
	}
	c.writes[key] = w
	c.writeKeys = append(c.writeKeys, key)
}

// ReadStock implements connector.StockReader.
func (c *Channel) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.before("ReadStock"); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	out := make(map[string]int, len(skus))
	for _, s := range skus {
		if v, ok := c.stock[s]; ok {
			out[s] = v
		}
	}
	return out, nil
}

// Stock returns what the channel shows for a SKU, as a buyer would see it.
func (c *Channel) Stock(sku string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.stock[sku]
	return v, ok
}

// SetStockByHand changes a SKU's stock as a merchant editing it on the channel would.
func (c *Channel) SetStockByHand(sku string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.stock[sku] = n
}

// Calls returns how many calls of each operation the channel served.
func (c *Channel) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// StockWrites returns how many SKU values SetStock wrote.
func (c *Channel) StockWrites() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stockSets
}

// Backdate sets an order's UpdatedAt to t, as a platform that indexes an update late shows it:
// the order appears in a window the engine may already have listed.
func (c *Channel) Backdate(id string, t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	stored, ok := c.orders[id]
	if ok {
		o := *stored
		o.UpdatedAt = t.UTC()
		c.put(o)
	}
	return ok
}
