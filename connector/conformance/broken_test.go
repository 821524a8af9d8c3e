package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
)

// expect runs a suite on a recorder and asserts it failed exactly the checks in catch.
func expect(t *testing.T, run func(testing.TB), catch ...string) {
	t.Helper()
	r := suite.NewRecorder(t)
	run(r)
	for _, name := range catch {
		if !r.FailedIn(name) {
			t.Errorf("the suite did not fail check %s", name)
		}
	}
	for _, f := range r.Failures() {
		path, _, _ := strings.Cut(f, ": ")
		if !slices.ContainsFunc(catch, func(n string) bool { return strings.Contains(path, n) }) {
			t.Errorf("unexpected failure: %s", f)
		}
	}
}

// ---- broken order sources ----

// skipsLast drops the last order of every page but the last: the classic off-by-one that
// loses one order per page.
type skipsLast struct{ *memChannel }

func (s skipsLast) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	p, err := s.ch.ListOrders(ctx, req)
	if err == nil && p.Next != "" && len(p.Orders) > 0 {
		p.Orders = p.Orders[:len(p.Orders)-1]
	}
	return p, err
}

// retriesThrottle hides a rate limit by calling again: the engine's pacing never hears of it.
type retriesThrottle struct{ *memChannel }

func (s retriesThrottle) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	p, err := s.ch.ListOrders(ctx, req)
	if _, limited := connector.RetryAfter(err); limited {
		return s.ch.ListOrders(ctx, req)
	}
	return p, err
}

// ignoresContext calls the platform with a context of its own.
type ignoresContext struct{ *memChannel }

func (s ignoresContext) ListOrders(_ context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	return s.ch.ListOrders(context.Background(), req)
}

// staleRead answers from a copy taken at the first call, so changes never show.
type staleRead struct {
	*memChannel
	once  gosync.Once
	cache map[string]connector.OrderPage
}

func (s *staleRead) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	p, err := s.ch.ListOrders(ctx, req)
	if err != nil {
		return nil, err
	}
	s.once.Do(func() { s.cache = map[string]connector.OrderPage{} })
	for i, o := range p.Orders {
		if old, ok := s.cache[o.ID]; ok {
			p.Orders[i] = old.Orders[0]
		} else {
			s.cache[o.ID] = connector.OrderPage{Orders: p.Orders[i : i+1 : i+1]}
		}
	}
	return p, nil
}

func TestOrderSourceSuiteCatches(t *testing.T) {
	f := OrderSourceFeatures{PageSize: 3, Throttles: true}
	suiteOf := func(wrap func(*memChannel) connector.OrderSource) func(testing.TB) {
		return func(t testing.TB) { TestOrderSource(t, orderHarness{wrap: wrap, f: f}) }
	}
	t.Run("correct", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.OrderSource { return s.ch }))
	})
	t.Run("skips the last order of a page", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.OrderSource { return skipsLast{s} }), "Paging")
	})
	t.Run("retries a throttled call", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.OrderSource { return retriesThrottle{s} }), "Throttled")
	})
	t.Run("ignores its context", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.OrderSource { return ignoresContext{s} }), "Context")
	})
	t.Run("never shows changes", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.OrderSource { return &staleRead{memChannel: s} }), "Changed", "Cancelled")
	})
}

// ---- broken shipment sinks ----

// doubleApplies creates a new fulfillment on every call, as a sink that POSTs without checking
// what the platform already has does.
type doubleApplies struct {
	*memChannel
	mu gosync.Mutex
	n  int
}

func (s *doubleApplies) ConfirmShipment(ctx context.Context, c connector.ShipmentConfirmation) error {
	s.mu.Lock()
	s.n++
	c.Shipment.ID = fmt.Sprint(c.Shipment.ID, "#", s.n)
	s.mu.Unlock()
	return s.ch.ConfirmShipment(ctx, c)
}

// unknownIsTemporary reports a missing order as a temporary failure, so the engine would
// retry it forever.
type unknownIsTemporary struct{ *memChannel }

func (s unknownIsTemporary) ConfirmShipment(ctx context.Context, c connector.ShipmentConfirmation) error {
	err := s.ch.ConfirmShipment(ctx, c)
	if errors.Is(err, connector.ErrNotFound) {
		return fmt.Errorf("%w: 404", connector.ErrTemporary)
	}
	return err
}

// idsAcrossOrders remembers shipment IDs channel-wide, as a sink that keys its idempotency on
// the shipment ID alone does: the second order's S1 is taken for a repeat of the first's.
type idsAcrossOrders struct {
	*memChannel
	mu   gosync.Mutex
	seen map[string]bool
}

func (s *idsAcrossOrders) ConfirmShipment(ctx context.Context, c connector.ShipmentConfirmation) error {
	s.mu.Lock()
	seen := s.seen[c.Shipment.ID]
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[c.Shipment.ID] = true
	s.mu.Unlock()
	if seen {
		return nil
	}
	return s.ch.ConfirmShipment(ctx, c)
}

func TestShipmentSinkSuiteCatches(t *testing.T) {
	suiteOf := func(wrap func(*memChannel) connector.ShipmentSink) func(testing.TB) {
		return func(t testing.TB) {
			TestShipmentSink(t, sinkHarness{wrap: wrap, f: ShipmentSinkFeatures{Throttles: true}})
		}
	}
	t.Run("correct", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.ShipmentSink { return s.ch }))
	})
	t.Run("double-applies", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.ShipmentSink { return &doubleApplies{memChannel: s} }), "Idempotent", "Partial")
	})
	t.Run("unknown order is temporary", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.ShipmentSink { return unknownIsTemporary{s} }), "UnknownOrder")
	})
	t.Run("shipment IDs remembered across orders", func(t *testing.T) {
		expect(t, suiteOf(func(s *memChannel) connector.ShipmentSink { return &idsAcrossOrders{memChannel: s} }), "SameIDTwoOrders")
	})
}

// ---- broken stock targets ----

// claimsCompare says it compares but its platform ignores Compare.
type claimsCompare struct{ *memChannel }

func (s claimsCompare) SetStock(ctx context.Context, u []connector.StockUpdate) ([]connector.StockResult, error) {
	return s.ch.SetStock(ctx, u)
}
func (s claimsCompare) BatchLimit() int     { return s.ch.BatchLimit() }
func (s claimsCompare) ComparesStock() bool { return true }

// truncates applies the first BatchLimit updates of a larger batch and drops the rest silently.
type truncates struct{ *memChannel }

func (s truncates) SetStock(ctx context.Context, u []connector.StockUpdate) ([]connector.StockResult, error) {
	res, err := s.ch.SetStock(ctx, u[:min(len(u), s.ch.BatchLimit())])
	for _, x := range u[len(res):] {
		res = append(res, connector.StockResult{SKU: x.SKU})
	}
	return res, err
}
func (s truncates) BatchLimit() int { return s.ch.BatchLimit() }

// skipsZero treats 0 as "not set", as code checking `if u.Available != 0` does.
type skipsZero struct{ *memChannel }

func (s skipsZero) SetStock(ctx context.Context, u []connector.StockUpdate) ([]connector.StockResult, error) {
	var send []connector.StockUpdate
	for _, x := range u {
		if x.Available != 0 {
			send = append(send, x)
		}
	}
	if _, err := s.ch.SetStock(ctx, send); err != nil {
		return nil, err
	}
	res := make([]connector.StockResult, len(u))
	for i, x := range u {
		res[i].SKU = x.SKU
	}
	return res, nil
}
func (s skipsZero) BatchLimit() int { return s.ch.BatchLimit() }

// keysByContent derives each write's key from what it sets, as the Shopify connector once did:
// setting a value the SKU had before repeats an old key, and the platform answers from memory.
type keysByContent struct{ *memChannel }

func (s keysByContent) SetStock(ctx context.Context, u []connector.StockUpdate) ([]connector.StockResult, error) {
	keyed := slices.Clone(u)
	for i := range keyed {
		keyed[i].Key = fmt.Sprintf("%s=%d", keyed[i].SKU, keyed[i].Available)
	}
	return s.ch.SetStock(ctx, keyed)
}
func (s keysByContent) BatchLimit() int { return s.ch.BatchLimit() }

func TestStockTargetSuiteCatches(t *testing.T) {
	suiteOf := func(f StockTargetFeatures, wrap func(*memChannel) connector.StockTarget) func(testing.TB) {
		return func(t testing.TB) { TestStockTarget(t, targetHarness{wrap: wrap, f: f}) }
	}
	plain := StockTargetFeatures{Throttles: true}
	t.Run("correct", func(t *testing.T) {
		expect(t, suiteOf(plain, func(s *memChannel) connector.StockTarget { return s.ch }))
	})
	t.Run("claims compare-and-set it lacks", func(t *testing.T) {
		expect(t, suiteOf(plain, func(s *memChannel) connector.StockTarget {
			s.ch.CompareStock = false
			return claimsCompare{s}
		}), "CompareAndSet")
	})
	t.Run("truncates an oversized batch", func(t *testing.T) {
		expect(t, suiteOf(plain, func(s *memChannel) connector.StockTarget { return truncates{s} }), "OverLimit")
	})
	t.Run("says it splits but refuses", func(t *testing.T) {
		expect(t, suiteOf(StockTargetFeatures{SplitsBatches: true, Throttles: true}, func(s *memChannel) connector.StockTarget { return s.ch }), "OverLimit")
	})
	t.Run("skips zero", func(t *testing.T) {
		expect(t, suiteOf(plain, func(s *memChannel) connector.StockTarget { return skipsZero{s} }), "Zero")
	})
	t.Run("keys writes by their content", func(t *testing.T) {
		expect(t, suiteOf(plain, func(s *memChannel) connector.StockTarget { return keysByContent{s} }), "Repeats")
	})
}

// ---- broken fulfillers ----

// notIdempotent creates a request on every Submit, as a warehouse API without idempotency keys
// does; its seeder counts them.
type notIdempotent struct {
	*memWarehouse
	mu     gosync.Mutex
	copies map[string]int
}

func (f *notIdempotent) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	f.mu.Lock()
	f.copies[r.Key]++
	f.mu.Unlock()
	return f.w.Submit(ctx, r)
}

func (f *notIdempotent) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	return f.w.Change(ctx, r)
}

func (f *notIdempotent) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	return f.w.Cancel(ctx, r)
}

func (f *notIdempotent) Request(ctx context.Context, key string) (HeldRequest, error) {
	h, err := f.memWarehouse.Request(ctx, key)
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.Copies > 0 {
		h.Copies = f.copies[key]
	}
	return h, err
}

// forgetsKeys drops the idempotency key of changes and cancellations, so a repeat applies again.
type forgetsKeys struct {
	*memWarehouse
	mu gosync.Mutex
	n  int
}

func (f *forgetsKeys) fresh(k string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprint(k, "#", f.n)
}

func (f *forgetsKeys) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	return f.w.Submit(ctx, r)
}

func (f *forgetsKeys) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	r.IdempotencyKey = f.fresh(r.IdempotencyKey)
	return f.w.Change(ctx, r)
}

func (f *forgetsKeys) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	r.IdempotencyKey = f.fresh(r.IdempotencyKey)
	return f.w.Cancel(ctx, r)
}

// refusalIsError turns a refusal into an error, so the engine would retry what will never pass.
type refusalIsError struct{ *memWarehouse }

func (f refusalIsError) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	return f.w.Submit(ctx, r)
}

func (f refusalIsError) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	return refusedErr(f.w.Change(ctx, r))
}

func (f refusalIsError) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	return refusedErr(f.w.Cancel(ctx, r))
}

func refusedErr(a connector.Answer, err error) (connector.Answer, error) {
	if err == nil && !a.Accepted {
		return connector.Answer{}, fmt.Errorf("%w: 409 %s", connector.ErrPermanent, a.Reason)
	}
	return a, err
}

// submitsAfterCancel forgets cancellations of keys it has not seen.
type submitsAfterCancel struct{ *memWarehouse }

func (f submitsAfterCancel) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	return f.w.Submit(ctx, r)
}

func (f submitsAfterCancel) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	return f.w.Change(ctx, r)
}

func (f submitsAfterCancel) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	if held, _ := f.Request(ctx, r.Key); held.Copies == 0 {
		return connector.Answer{Accepted: true}, nil
	}
	return f.w.Cancel(ctx, r)
}

func TestFulfillerSuiteCatches(t *testing.T) {
	suiteOf := func(wrap func(*memWarehouse) (connector.Fulfiller, WarehouseSeeder)) func(testing.TB) {
		return func(t testing.TB) {
			TestFulfiller(t, fulfillerHarness{wrap: wrap, f: FulfillerFeatures{PartialCancel: true, Throttles: true}})
		}
	}
	t.Run("correct", func(t *testing.T) {
		expect(t, suiteOf(func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) { return s.w, s }))
	})
	t.Run("not idempotent", func(t *testing.T) {
		expect(t, suiteOf(func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) {
			f := &notIdempotent{memWarehouse: s, copies: map[string]int{}}
			return f, f
		}), "SubmitIdempotent")
	})
	t.Run("change and cancel ignore their keys", func(t *testing.T) {
		expect(t, suiteOf(func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) { return &forgetsKeys{memWarehouse: s}, s }),
			"ChangeIdempotent", "CancelIdempotent")
	})
	t.Run("refusal is an error", func(t *testing.T) {
		expect(t, suiteOf(func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) { return refusalIsError{s}, s }),
			"RefusedPicked", "RefusedShipped")
	})
	t.Run("submit after cancel takes effect", func(t *testing.T) {
		expect(t, suiteOf(func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) { return submitsAfterCancel{s}, s }),
			"CancelBeforeSubmit")
	})
}

// ---- broken warehouse sources ----

// noFinalCursor returns no cursor on the last page, so the engine starts over or stalls.
type noFinalCursor struct{ *memWarehouse }

func (s noFinalCursor) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	p, err := s.w.ListShipments(ctx, after)
	if err == nil && !p.More {
		p.Next = ""
	}
	return p, err
}

// skipsOnResume drops the last shipment of every page it lists, as a source whose cursor
// points one past what it returned does.
type skipsOnResume struct{ *memWarehouse }

func (s skipsOnResume) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	p, err := s.w.ListShipments(ctx, after)
	if err == nil && len(p.Shipments) > 1 {
		p.Shipments = p.Shipments[:len(p.Shipments)-1]
	}
	return p, err
}

// noAsOf drops the time a level was true.
type noAsOf struct{ *memWarehouse }

func (s noAsOf) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	p, err := s.w.ListStock(ctx, after)
	if err == nil {
		for i := range p.Levels {
			p.Levels[i].AsOf = time.Time{}
		}
	}
	return p, err
}

// snapshotOnly ignores the cursor and lists the snapshot again, losing levels beyond one page.
type snapshotOnly struct{ *memWarehouse }

func (s snapshotOnly) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	p, err := s.w.ListStock(ctx, "")
	if err == nil && after != "" {
		p.Levels = p.Levels[:min(len(p.Levels), 1)]
	}
	return p, err
}

func TestWarehouseSourceSuitesCatch(t *testing.T) {
	shipSuite := func(wrap func(*memWarehouse) connector.ShipmentSource) func(testing.TB) {
		return func(t testing.TB) {
			TestShipmentSource(t, shipSourceHarness{wrap: wrap, f: ShipmentSourceFeatures{PageSize: 3, Throttles: true}})
		}
	}
	stockSuite := func(wrap func(*memWarehouse) connector.StockSource) func(testing.TB) {
		return func(t testing.TB) {
			TestStockSource(t, stockSourceHarness{wrap: wrap, f: StockSourceFeatures{PageSize: 3, Throttles: true}})
		}
	}
	t.Run("shipments correct", func(t *testing.T) {
		expect(t, shipSuite(func(s *memWarehouse) connector.ShipmentSource { return s.w }))
	})
	t.Run("shipments without a final cursor", func(t *testing.T) {
		expect(t, shipSuite(func(s *memWarehouse) connector.ShipmentSource { return noFinalCursor{s} }), "Paging", "Resume")
	})
	t.Run("shipments skipped", func(t *testing.T) {
		expect(t, shipSuite(func(s *memWarehouse) connector.ShipmentSource { return skipsOnResume{s} }), "Paging", "Resume")
	})
	t.Run("stock correct", func(t *testing.T) {
		expect(t, stockSuite(func(s *memWarehouse) connector.StockSource { return s.w }))
	})
	t.Run("stock without AsOf", func(t *testing.T) {
		expect(t, stockSuite(func(s *memWarehouse) connector.StockSource { return noAsOf{s} }), "Snapshot", "Changes")
	})
	t.Run("stock ignores its cursor", func(t *testing.T) {
		expect(t, stockSuite(func(s *memWarehouse) connector.StockSource { return snapshotOnly{s} }), "Changes")
	})
}

// lossyWarehouse stands for a warehouse behind a network: StallNext lands the next submit and
// loses its answer. A correct client reports the outcome as unknown; a naive one calls the
// timeout temporary, and the engine would take the request for not sent.
type lossyWarehouse struct {
	*memWarehouse
	naive bool
	mu    gosync.Mutex
	stall bool
}

func (l *lossyWarehouse) StallNext() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stall = true
}

func (l *lossyWarehouse) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	err := l.w.Submit(ctx, r)
	l.mu.Lock()
	stall := l.stall
	l.stall = false
	l.mu.Unlock()
	if err != nil || !stall {
		return err
	}
	<-ctx.Done()
	if l.naive {
		return fmt.Errorf("%w: %w", connector.ErrTemporary, ctx.Err())
	}
	return connector.WriteFailed(ctx.Err())
}

func (l *lossyWarehouse) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	return l.w.Change(ctx, r)
}

func (l *lossyWarehouse) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	return l.w.Cancel(ctx, r)
}

func TestLostAnswerCheck(t *testing.T) {
	suiteOf := func(naive bool) func(testing.TB) {
		return func(t testing.TB) {
			TestFulfiller(t, fulfillerHarness{
				wrap: func(s *memWarehouse) (connector.Fulfiller, WarehouseSeeder) {
					l := &lossyWarehouse{memWarehouse: s, naive: naive}
					return l, l
				},
				f: FulfillerFeatures{PartialCancel: true, Throttles: true, Stalls: true},
			})
		}
	}
	t.Run("outcome unknown", func(t *testing.T) { expect(t, suiteOf(false)) })
	t.Run("timeout called temporary", func(t *testing.T) { expect(t, suiteOf(true), "LostAnswer") })
}
