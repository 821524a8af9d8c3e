package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// RequestState is where a request stands inside the memory warehouse.
type RequestState string

// Request states of the memory warehouse.
const (
	Received  RequestState = "received"
	Picked    RequestState = "picked"
	Shipped   RequestState = "shipped"
	Cancelled RequestState = "cancelled"
)

// Request is a fulfillment request as the memory warehouse holds it.
type Request struct {
	connector.FulfillmentRequest
	State RequestState
	// Changes counts accepted changes and partial cancellations.
	Changes int
	// shipped counts shipped units per line.
	shipped map[string]int
}

// Warehouse is an in-memory warehouse: it implements connector.Fulfiller,
// connector.ShipmentSource and connector.StockSource. A test picks and ships requests by hand;
// a change or cancellation is refused once a request is picked. It is safe for concurrent use.
type Warehouse struct {
	// Faults injects failures into every call.
	Faults
	// Now is the warehouse's clock; nil means time.Now.
	Now func() time.Time
	// PageSize bounds shipment and stock pages; 0 means 100.
	PageSize int

	mu        gosync.Mutex
	requests  map[string]*Request
	order     []string // request keys in arrival order
	tombs     map[string]bool
	answers   map[string]connector.Answer // idempotency key -> answer given
	submits   int
	shipments []shipment.Shipment
	levels    []inventory.Level // append-only change log; the cursor is an index
	onHand    map[string]int
}

var (
	_ connector.Fulfiller      = (*Warehouse)(nil)
	_ connector.ShipmentSource = (*Warehouse)(nil)
	_ connector.StockSource    = (*Warehouse)(nil)
)

func (w *Warehouse) init() {
	if w.requests == nil {
		w.requests = map[string]*Request{}
		w.tombs = map[string]bool{}
		w.answers = map[string]connector.Answer{}
		w.onHand = map[string]int{}
	}
}

func (w *Warehouse) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Warehouse) pageSize() int {
	if w.PageSize > 0 {
		return w.PageSize
	}
	return 100
}

// Submit implements connector.Fulfiller. A key already submitted, or cancelled before it arrived,
// has no further effect.
func (w *Warehouse) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.before("Submit"); err != nil {
		return err
	}
	if r.Key == "" {
		return fmt.Errorf("memory: Submit: empty key: %w", connector.ErrPermanent)
	}
	if err := r.Order.Validate(); err != nil {
		return fmt.Errorf("memory: Submit %s: %w: %w", r.Key, connector.ErrPermanent, err)
	}
	w.mu.Lock()
	w.init()
	if _, ok := w.requests[r.Key]; !ok && (len(w.tombs) == 0 || !w.tombs[r.Key]) {
		r.Order.Lines = slices.Clone(r.Order.Lines)
		w.requests[r.Key] = &Request{FulfillmentRequest: r, State: Received}
		w.order = append(w.order, r.Key)
		w.submits++
	}
	w.mu.Unlock()
	return w.after("Submit")
}

// answerOnce runs decide for the first call with an idempotency key and hands every later call
// with that key the same answer, as a warehouse that records its answers does. decide runs with
// w.mu held; an error it returns is not recorded, so the call can be repeated.
func (w *Warehouse) answerOnce(ctx context.Context, op, key string, decide func() (connector.Answer, error)) (connector.Answer, error) {
	if err := ctx.Err(); err != nil {
		return connector.Answer{}, err
	}
	if err := w.before(op); err != nil {
		return connector.Answer{}, err
	}
	w.mu.Lock()
	w.init()
	a, seen := w.answers[key]
	if !seen {
		var err error
		if a, err = decide(); err != nil {
			w.mu.Unlock()
			return connector.Answer{}, err
		}
		w.answers[key] = a
	}
	w.mu.Unlock()
	return a, w.after(op)
}

// Change implements connector.Fulfiller: accepted while the request is only received.
func (w *Warehouse) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	return w.answerOnce(ctx, "Change", r.IdempotencyKey, func() (connector.Answer, error) {
		req := w.requests[r.Key]
		switch {
		case req == nil:
			return connector.Answer{}, fmt.Errorf("memory: Change %s: %w", r.Key, connector.ErrNotFound)
		case req.State != Received:
			return connector.Answer{Reason: refusal(req.State)}, nil
		}
		req.Order = r.Order
		req.Order.Lines = slices.Clone(r.Order.Lines)
		req.Changes++
		return connector.Answer{Accepted: true}, nil
	})
}

func refusal(s RequestState) string {
	switch s {
	case Picked:
		return connector.RefusedPicked
	case Shipped:
		return connector.RefusedShipped
	}
	return string(s)
}

// Cancel implements connector.Fulfiller. Cancelling a key never submitted is accepted and keeps a
// late Submit of that key from taking effect.
func (w *Warehouse) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	return w.answerOnce(ctx, "Cancel", r.IdempotencyKey, func() (connector.Answer, error) {
		req := w.requests[r.Key]
		switch {
		case req == nil:
			if r.Lines == nil {
				w.tombs[r.Key] = true
			}
			return connector.Answer{Accepted: true}, nil
		case req.State == Cancelled:
			return connector.Answer{Accepted: true}, nil
		case req.State != Received:
			return connector.Answer{Reason: refusal(req.State)}, nil
		case r.Lines == nil:
			req.State = Cancelled
			return connector.Answer{Accepted: true}, nil
		}
		lines := slices.Clone(req.Order.Lines)
		for _, c := range r.Lines {
			for i := range lines {
				if lines[i].ID == c.LineID {
					lines[i].Cancelled = min(lines[i].Quantity, lines[i].Cancelled+c.Quantity)
				}
			}
		}
		req.Order.Lines = lines
		req.Changes++
		if openUnits(lines) == 0 {
			req.State = Cancelled
		}
		return connector.Answer{Accepted: true}, nil
	})
}

func openUnits(lines []order.Line) int {
	n := 0
	for _, l := range lines {
		n += l.Open()
	}
	return n
}

// Requests returns every request the warehouse holds, in arrival order.
func (w *Warehouse) Requests() []Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Request, 0, len(w.order))
	for _, k := range w.order {
		r := *w.requests[k]
		r.Order.Lines = slices.Clone(r.Order.Lines)
		r.shipped = nil
		out = append(out, r)
	}
	return out
}

// Request returns one request by key.
func (w *Warehouse) Request(key string) (Request, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.requests[key]
	if !ok {
		return Request{}, false
	}
	c := *r
	c.Order.Lines = slices.Clone(r.Order.Lines)
	c.shipped = nil
	return c, true
}

// Pick marks a request picked: from now on changes and cancellations are refused.
func (w *Warehouse) Pick(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.requests[key]
	if !ok || r.State != Received {
		return fmt.Errorf("memory: Pick %s: no received request", key)
	}
	r.State = Picked
	return nil
}

// Ship ships lines of a request (all remaining units when lines is nil) in the given parcels,
// records a shipment and lowers on-hand stock. It returns the shipment.
func (w *Warehouse) Ship(key string, lines []shipment.Line, parcels ...shipment.Parcel) (shipment.Shipment, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.requests[key]
	if !ok || r.State == Cancelled || r.State == Shipped {
		return shipment.Shipment{}, fmt.Errorf("memory: Ship %s: nothing to ship", key)
	}
	if lines == nil {
		for _, l := range r.Order.Lines {
			if n := l.Open() - r.shipped[l.ID]; n > 0 {
				lines = append(lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: n})
			}
		}
	}
	if len(parcels) == 0 {
		parcels = []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: fmt.Sprintf("4%011d", len(w.shipments)+1)}}
	}
	now := w.now()
	s := shipment.Shipment{
		ID:         "S" + strconv.Itoa(len(w.shipments)+1),
		RequestKey: key, Channel: r.Channel, OrderID: r.Order.ID,
		Lines: slices.Clone(lines), Parcels: slices.Clone(parcels), At: now,
	}
	if r.shipped == nil {
		r.shipped = map[string]int{} // made on the first shipment: most requests wait a while
	}
	for _, l := range lines {
		r.shipped[l.LineID] += l.Quantity
		w.onHand[l.SKU] -= l.Quantity
		w.levels = append(w.levels, inventory.Level{SKU: l.SKU, OnHand: w.onHand[l.SKU], AsOf: now})
	}
	r.State = Picked
	done := true
	for _, l := range r.Order.Lines {
		if r.shipped[l.ID] < l.Open() {
			done = false
		}
	}
	if done {
		r.State = Shipped
	}
	w.shipments = append(w.shipments, s)
	return s, nil
}

// ListShipments implements connector.ShipmentSource; the cursor is the count already listed.
func (w *Warehouse) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := w.before("ListShipments"); err != nil {
		return nil, err
	}
	from, err := parseIndex(after)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	from = min(from, len(w.shipments))
	to := min(from+w.pageSize(), len(w.shipments))
	page := &connector.ShipmentPage{Next: connector.Cursor(strconv.Itoa(to)), More: to < len(w.shipments)}
	for _, s := range w.shipments[from:to] {
		s.Lines, s.Parcels = slices.Clone(s.Lines), slices.Clone(s.Parcels)
		page.Shipments = append(page.Shipments, s)
	}
	if w.repeat() {
		page.Next, page.More = after, true
	}
	return page, nil
}

func parseIndex(c connector.Cursor) (int, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(string(c))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("memory: malformed cursor: %w", connector.ErrPermanent)
	}
	return n, nil
}

// SetOnHand sets what the warehouse holds of a SKU, as a stock count or a receipt would.
func (w *Warehouse) SetOnHand(sku string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	w.onHand[sku] = n
	w.levels = append(w.levels, inventory.Level{SKU: sku, OnHand: n, AsOf: w.now()})
}

// OnHand returns what the warehouse holds of a SKU.
func (w *Warehouse) OnHand(sku string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.onHand[sku]
}

// ListStock implements connector.StockSource. From "" it lists every SKU's current level; from a
// cursor, the levels recorded since, oldest first.
func (w *Warehouse) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := w.before("ListStock"); err != nil {
		return nil, err
	}
	from, err := parseIndex(after)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	log := w.levels
	if after == "" {
		latest := map[string]inventory.Level{}
		for _, l := range log {
			latest[l.SKU] = l
		}
		snap := make([]inventory.Level, 0, len(latest))
		for _, l := range latest {
			snap = append(snap, l)
		}
		slices.SortFunc(snap, func(a, b inventory.Level) int { return cmp.Compare(a.SKU, b.SKU) })
		return &connector.StockPage{Levels: snap, Next: connector.Cursor(strconv.Itoa(len(log)))}, nil
	}
	from = min(from, len(log))
	to := min(from+w.pageSize(), len(log))
	return &connector.StockPage{Levels: slices.Clone(log[from:to]), Next: connector.Cursor(strconv.Itoa(to)), More: to < len(log)}, nil
}

// Submissions returns how many distinct requests were accepted (effects, not calls).
func (w *Warehouse) Submissions() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.submits
}
