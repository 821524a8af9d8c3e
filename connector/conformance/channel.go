package conformance

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// ShipmentSinkHarness creates a ShipmentSink and a way to act on and observe its platform.
type ShipmentSinkHarness interface {
	// New returns a sink over a new, empty platform, and its seeder; called once per check.
	New(t testing.TB) (connector.ShipmentSink, ShipmentSinkSeeder)
	// Features says what the platform does not promise.
	Features() ShipmentSinkFeatures
}

// ShipmentSinkSeeder places orders on the platform and observes the shipments recorded there.
type ShipmentSinkSeeder interface {
	// PlaceOrder places an open order with these lines and returns it as the channel's
	// OrderSource would list it, with its Refs, ready to be confirmed.
	PlaceOrder(ctx context.Context, lines []order.Line) (order.Order, error)
	// Fulfillments returns the shipments the platform shows for the order, one per effect the
	// sink had (a Shopify fulfillment, a Rakuten parcel record).
	Fulfillments(ctx context.Context, orderID string) ([]Fulfillment, error)
}

// Fulfillment is one shipment as a channel's platform shows it.
type Fulfillment struct {
	TrackingNumbers []string
}

// ShipmentSinkFeatures says what a shipment sink's platform does not promise. Whether it takes
// partial shipments is the sink's own connector.PartialShipper.
type ShipmentSinkFeatures struct {
	// Throttles says the seeder implements Throttler.
	Throttles bool
	// Stalls says the seeder implements Staller.
	Stalls bool
}

// TestShipmentSink runs the ShipmentSink suite. It takes a testing.TB, so a test can
// run it under a recorder.
func TestShipmentSink(t testing.TB, h ShipmentSinkHarness) {
	t.Helper()
	k := &sinkChecks{h: h, f: h.Features()}
	runChecks(t, []checkCase{
		{"Confirm", "a confirmed shipment shows on the platform once, with its tracking number", k.confirm},
		{"Idempotent", "a shipment confirmed twice with the same ID has one effect", k.twice},
		{"SameIDTwoOrders", "shipments of two orders under the same ID (each warehouse numbers its own) are two effects", k.sameID},
		{"Partial", "two partial shipments of one order are two effects, and repeating either adds none", k.partial},
		{"UnknownOrder", "confirming a shipment of an order the platform does not know is a permanent error", k.unknown},
		{"LostAnswer", "a confirmation whose answer is lost to a timeout is connector.ErrOutcomeUnknown, and sending it again has one effect", k.lostAnswer},
		{"Context", "ConfirmShipment on a cancelled context returns an error promptly", k.context},
		{"Throttled", "a throttled ConfirmShipment is a *connector.RateLimitError with its wait, after exactly one request", k.throttled},
	})
}

type sinkChecks struct {
	h ShipmentSinkHarness
	f ShipmentSinkFeatures
}

func confirmation(o order.Order, id string, lines []order.Line, complete bool) connector.ShipmentConfirmation {
	s := shipment.Shipment{ID: id, RequestKey: "req-" + o.ID, OrderID: o.ID,
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: tracking(o.ID + "/" + id)}},
		At:      time.Now().UTC().Truncate(time.Second)}
	for _, l := range lines {
		s.Lines = append(s.Lines, shipment.Line{LineID: l.ID, SKU: l.SKU, Quantity: l.Open()})
	}
	return connector.ShipmentConfirmation{Order: o, Shipment: s, Complete: complete, IdempotencyKey: "ship-" + id}
}

// tracking derives a distinct, Yamato-shaped tracking number (12 digits) from a shipment.
func tracking(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("4%011d", h.Sum64()%100000000000)
}

func (k *sinkChecks) placed(c *suite.Check, s ShipmentSinkSeeder) order.Order {
	c.Helper()
	o, err := s.PlaceOrder(c.Context(), sampleLines(1))
	if err != nil {
		c.Fatalf("seeding: PlaceOrder: %v", err)
	}
	return o
}

func (k *sinkChecks) fulfillments(c *suite.Check, s ShipmentSinkSeeder, id string) []Fulfillment {
	c.Helper()
	fs, err := s.Fulfillments(c.Context(), id)
	if err != nil {
		c.Fatalf("observing: Fulfillments: %v", err)
	}
	return fs
}

func (k *sinkChecks) confirm(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	conf := confirmation(o, "S1", o.Lines, true)
	if err := sink.ConfirmShipment(c.Context(), conf); err != nil {
		c.Fatalf("ConfirmShipment: %v", err)
	}
	fs := k.fulfillments(c, s, o.ID)
	if len(fs) != 1 {
		c.Fatalf("the platform shows %d shipments, want 1", len(fs))
	}
	if want := conf.Shipment.Parcels[0].TrackingNumber; !slices.Contains(fs[0].TrackingNumbers, want) {
		c.Errorf("the platform shows tracking numbers %v, want %s among them", fs[0].TrackingNumbers, want)
	}
}

func (k *sinkChecks) twice(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	conf := confirmation(o, "S1", o.Lines, true)
	for i := range 3 {
		if err := sink.ConfirmShipment(c.Context(), conf); err != nil {
			c.Fatalf("ConfirmShipment, call %d: %v; a repeated confirmation succeeds without effect", i+1, err)
		}
	}
	if fs := k.fulfillments(c, s, o.ID); len(fs) != 1 {
		c.Errorf("after confirming shipment S1 three times the platform shows %d shipments, want 1", len(fs))
	}
}

func (k *sinkChecks) sameID(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	orders := []order.Order{k.placed(c, s), k.placed(c, s)}
	for _, o := range orders {
		if err := sink.ConfirmShipment(c.Context(), confirmation(o, "S1", o.Lines, true)); err != nil {
			c.Fatalf("ConfirmShipment(S1 of order %s): %v", o.ID, err)
		}
	}
	for _, o := range orders {
		if fs := k.fulfillments(c, s, o.ID); len(fs) != 1 {
			c.Errorf("after confirming shipment S1 of two orders, order %s shows %d shipments, want 1", o.ID, len(fs))
		}
	}
}

func (k *sinkChecks) partial(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	if p, ok := sink.(connector.PartialShipper); ok && !p.SupportsPartialShipments() {
		c.Skip("the sink's SupportsPartialShipments is false")
	}
	o := k.placed(c, s)
	if len(o.Lines) < 2 {
		c.Fatalf("PlaceOrder returned %d lines, placed 2", len(o.Lines))
	}
	first := confirmation(o, "S1", o.Lines[:1], false)
	second := confirmation(o, "S2", o.Lines[1:], true)
	for _, conf := range []connector.ShipmentConfirmation{first, second, first} {
		if err := sink.ConfirmShipment(c.Context(), conf); err != nil {
			c.Fatalf("ConfirmShipment(%s): %v", conf.Shipment.ID, err)
		}
	}
	if fs := k.fulfillments(c, s, o.ID); len(fs) != 2 {
		c.Errorf("after two partial shipments (the first sent twice) the platform shows %d shipments, want 2", len(fs))
	}
}

func (k *sinkChecks) unknown(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	o.ID += "-never-placed"
	err := sink.ConfirmShipment(c.Context(), confirmation(o, "S1", o.Lines, true))
	if err == nil {
		c.Fatalf("confirming a shipment of an unknown order succeeded")
	}
	if connector.Classify(err) != connector.Permanent {
		c.Errorf("got %v, classified %v; want ErrNotFound or ErrPermanent, so the engine quarantines instead of retrying forever", err, connector.Classify(err))
	}
}

func (k *sinkChecks) lostAnswer(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	conf := confirmation(o, "S1", o.Lines, true)
	checkStalled(c, k.f.Stalls, s, func(ctx context.Context) error { return sink.ConfirmShipment(ctx, conf) },
		func() int { return len(k.fulfillments(c, s, o.ID)) })
}

func (k *sinkChecks) context(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	checkCancelled(c, func(ctx context.Context) error {
		return sink.ConfirmShipment(ctx, confirmation(o, "S1", o.Lines, true))
	})
}

func (k *sinkChecks) throttled(c *suite.Check) {
	sink, s := k.h.New(c.TB)
	o := k.placed(c, s)
	checkThrottled(c, k.f.Throttles, s, func(ctx context.Context) error {
		return sink.ConfirmShipment(ctx, confirmation(o, "S1", o.Lines, true))
	})
}

// StockTargetHarness creates a StockTarget and a way to act on and observe its platform.
type StockTargetHarness interface {
	// New returns a target over a new, empty platform, and its seeder; called once per check.
	New(t testing.TB) (connector.StockTarget, StockTargetSeeder)
	// Features says what the platform does and does not promise.
	Features() StockTargetFeatures
}

// StockTargetSeeder creates products on the platform and reads and edits their stock there.
type StockTargetSeeder interface {
	// SKUs creates n products (or variants) on the platform and returns their SKUs.
	SKUs(ctx context.Context, n int) ([]string, error)
	// Stock returns the quantity the platform shows for the SKU (0 when never set).
	Stock(ctx context.Context, sku string) (int, error)
	// SetByHand changes the SKU's quantity on the platform behind the connector's back, as a
	// merchant editing it in the shop's admin does.
	SetByHand(ctx context.Context, sku string, n int) error
}

// StockTargetFeatures says what a stock target does with a batch larger than its limit. Whether
// it compares is its own connector.ComparingTarget.
type StockTargetFeatures struct {
	// SplitsBatches says SetStock takes more than BatchLimit updates by splitting them into
	// several platform calls; otherwise it must refuse such a batch with a permanent error.
	SplitsBatches bool
	// Throttles says the seeder implements Throttler.
	Throttles bool
	// Stalls says the seeder implements Staller for SetStock.
	Stalls bool
}

// maxSample bounds how many SKUs the suite creates, for targets with huge limits (Amazon feeds).
const maxSample = 500

// TestStockTarget runs the StockTarget suite. It takes a testing.TB, so a test can run it under a
// recorder.
func TestStockTarget(t testing.TB, h StockTargetHarness) {
	t.Helper()
	k := &targetChecks{h: h, f: h.Features()}
	runChecks(t, []checkCase{
		{"WithinLimit", "a batch within BatchLimit applies exactly: one result per update, in order, and the platform shows each value", k.within},
		{"OverLimit", "a batch larger than BatchLimit is refused as a whole with a permanent error, or split, as Features says", k.over},
		{"Zero", "zero is a quantity: setting a SKU to 0 shows it sold out", k.zero},
		{"CompareAndSet", "where the target compares, an update whose Compare differs from the platform's value is refused with connector.ErrConflict and changes nothing", k.compare},
		{"Repeats", "a value set again after another (5 → 4 → 5 → 4) is applied each time, whether each write has its own Key or none", k.repeats},
		{"RepeatsAfterLostAnswer", "a write whose answer was lost is connector.ErrOutcomeUnknown, sending it again with its Key is answered, and the values set after it still apply", k.repeatsStalled},
		{"ReadBack", "where the target reads stock back, it reads what the platform shows", k.readBack},
		{"Context", "SetStock on a cancelled context returns an error promptly", k.context},
		{"Throttled", "a throttled SetStock is a *connector.RateLimitError with its wait, after exactly one request", k.throttled},
	})
}

type targetChecks struct {
	h StockTargetHarness
	f StockTargetFeatures
}

func (k *targetChecks) skus(c *suite.Check, s StockTargetSeeder, n int) []string {
	c.Helper()
	skus, err := s.SKUs(c.Context(), n)
	if err != nil {
		c.Fatalf("seeding: SKUs(%d): %v", n, err)
	}
	if len(skus) != n {
		c.Fatalf("seeding: SKUs(%d) returned %d", n, len(skus))
	}
	return skus
}

func (k *targetChecks) stock(c *suite.Check, s StockTargetSeeder, sku string) int {
	c.Helper()
	n, err := s.Stock(c.Context(), sku)
	if err != nil {
		c.Fatalf("observing: Stock(%s): %v", sku, err)
	}
	return n
}

func (k *targetChecks) set(c *suite.Check, tgt connector.StockTarget, updates ...connector.StockUpdate) []connector.StockResult {
	c.Helper()
	res, err := tgt.SetStock(c.Context(), updates)
	if err != nil {
		c.Fatalf("SetStock(%d updates): %v", len(updates), err)
	}
	if len(res) != len(updates) {
		c.Fatalf("SetStock(%d updates) returned %d results, want one per update", len(updates), len(res))
	}
	return res
}

func (k *targetChecks) within(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	limit := tgt.BatchLimit()
	if limit <= 0 {
		c.Fatalf("BatchLimit() = %d, want at least 1", limit)
	}
	n := min(limit, maxSample)
	skus := k.skus(c, s, n)
	updates := make([]connector.StockUpdate, n)
	for i, sku := range skus {
		updates[i] = connector.StockUpdate{SKU: sku, Available: (i*7 + 3) % 23}
	}
	res := k.set(c, tgt, updates...)
	for i, r := range res {
		if r.SKU != updates[i].SKU {
			c.Errorf("result %d is for SKU %q, update %d was for %q: results must follow the updates' order", i, r.SKU, i, updates[i].SKU)
		}
		if r.Err != nil {
			c.Errorf("update of %s to %d failed: %v", updates[i].SKU, updates[i].Available, r.Err)
		}
	}
	for _, u := range updates {
		if got := k.stock(c, s, u.SKU); got != u.Available {
			c.Errorf("the platform shows %d of %s, set to %d", got, u.SKU, u.Available)
		}
	}
}

func (k *targetChecks) over(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	limit := tgt.BatchLimit()
	if limit+1 > 4*maxSample {
		c.Skipf("BatchLimit %d is too large to exceed cheaply", limit)
	}
	skus := k.skus(c, s, limit+1)
	before := make([]int, len(skus))
	updates := make([]connector.StockUpdate, len(skus))
	for i, sku := range skus {
		before[i] = k.stock(c, s, sku)
		updates[i] = connector.StockUpdate{SKU: sku, Available: before[i] + 1 + i%5}
	}
	res, err := tgt.SetStock(c.Context(), updates)
	if !k.f.SplitsBatches {
		if err == nil {
			c.Fatalf("SetStock of %d updates (BatchLimit %d) succeeded; Features.SplitsBatches is false, so it must be refused", len(updates), limit)
		}
		if connector.Classify(err) != connector.Permanent {
			c.Errorf("an oversized batch failed with %v, classified %v; want a permanent error, retrying cannot help", err, connector.Classify(err))
		}
		for i, sku := range skus {
			if got := k.stock(c, s, sku); got != before[i] {
				c.Errorf("a refused batch changed %s from %d to %d", sku, before[i], got)
			}
		}
		return
	}
	if err != nil {
		c.Fatalf("SetStock of %d updates (BatchLimit %d) failed: %v; Features.SplitsBatches is true", len(updates), limit, err)
	}
	if len(res) != len(updates) {
		c.Fatalf("SetStock returned %d results for %d updates", len(res), len(updates))
	}
	for i, u := range updates {
		if res[i].SKU != u.SKU || res[i].Err != nil {
			c.Errorf("result %d = %s %v, want %s without error", i, res[i].SKU, res[i].Err, u.SKU)
		}
		if got := k.stock(c, s, u.SKU); got != u.Available {
			c.Errorf("the platform shows %d of %s, set to %d", got, u.SKU, u.Available)
		}
	}
}

func (k *targetChecks) zero(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	sku := k.skus(c, s, 1)[0]
	k.set(c, tgt, connector.StockUpdate{SKU: sku, Available: 5})
	if r := k.set(c, tgt, connector.StockUpdate{SKU: sku, Available: 0}); r[0].Err != nil {
		c.Fatalf("setting %s to 0 failed: %v", sku, r[0].Err)
	}
	if got := k.stock(c, s, sku); got != 0 {
		c.Errorf("the platform shows %d of %s after it was set to 0: a stock-out never reached the shop", got, sku)
	}
}

func ptr(n int) *int { return &n }

func (k *targetChecks) compare(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	if ct, ok := tgt.(connector.ComparingTarget); !ok || !ct.ComparesStock() {
		c.Skip("the target does not compare: it does not implement connector.ComparingTarget or ComparesStock is false")
	}
	skus := k.skus(c, s, 2)
	a, b := skus[0], skus[1]
	k.set(c, tgt, connector.StockUpdate{SKU: a, Available: 5}, connector.StockUpdate{SKU: b, Available: 5})
	if err := s.SetByHand(c.Context(), a, 7); err != nil {
		c.Fatalf("seeding: SetByHand: %v", err)
	}
	res := k.set(c, tgt,
		connector.StockUpdate{SKU: a, Available: 3, Compare: ptr(5)},
		connector.StockUpdate{SKU: b, Available: 4, Compare: ptr(5)})
	if !errors.Is(res[0].Err, connector.ErrConflict) {
		c.Errorf("an update of %s comparing 5 while the platform holds 7 gave %v, want an error matching connector.ErrConflict", a, res[0].Err)
	}
	if got := k.stock(c, s, a); got != 7 {
		c.Errorf("a refused compare-and-set changed %s to %d; the merchant's 7 must stand", a, got)
	}
	if res[1].Err != nil {
		c.Errorf("an update of %s with a matching Compare failed: %v; one conflict must not fail the batch", b, res[1].Err)
	}
	if got := k.stock(c, s, b); got != 4 {
		c.Errorf("the platform shows %d of %s, set to 4 with a matching Compare", got, b)
	}
	if r := k.set(c, tgt, connector.StockUpdate{SKU: a, Available: 3, Compare: ptr(7)}); r[0].Err != nil {
		c.Errorf("an update comparing the platform's own value failed: %v", r[0].Err)
	}
}

// writeKeys numbers the suite's stock writes, so every write in a run has a key of its own.
var writeKeys atomic.Int64

func newWriteKey() string {
	return fmt.Sprintf("conformance-%d-%d", time.Now().UnixNano(), writeKeys.Add(1))
}

// sequence sets sku to each value in turn, one write each, and checks the platform after each.
func (k *targetChecks) sequence(c *suite.Check, tgt connector.StockTarget, s StockTargetSeeder, sku string, keyed bool, values ...int) {
	c.Helper()
	for _, v := range values {
		u := connector.StockUpdate{SKU: sku, Available: v}
		if keyed {
			u.Key = newWriteKey()
		}
		if r := k.set(c, tgt, u); r[0].Err != nil {
			c.Fatalf("setting %s to %d failed: %v", sku, v, r[0].Err)
		}
		if got := k.stock(c, s, sku); got != v {
			c.Fatalf("after setting %s to %d (sequence %v, keyed %v) the platform shows %d: a write equal to an earlier one was taken for a repetition", sku, v, values, keyed, got)
		}
	}
}

func (k *targetChecks) repeats(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	skus := k.skus(c, s, 2)
	k.sequence(c, tgt, s, skus[0], true, 5, 4, 5, 4)
	k.sequence(c, tgt, s, skus[1], false, 5, 4, 5, 4)
}

func (k *targetChecks) repeatsStalled(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	sku := k.skus(c, s, 1)[0]
	k.sequence(c, tgt, s, sku, true, 5, 4)
	lost := connector.StockUpdate{SKU: sku, Available: 5, Key: newWriteKey()}
	checkStalled(c, k.f.Stalls, s, func(ctx context.Context) error {
		res, err := tgt.SetStock(ctx, []connector.StockUpdate{lost})
		if err == nil && len(res) == 1 {
			err = res[0].Err
		}
		return err
	}, nil)
	if got := k.stock(c, s, sku); got != 5 {
		c.Errorf("after the write of 5 was sent again with its Key the platform shows %d", got)
	}
	k.sequence(c, tgt, s, sku, true, 4, 5)
}

func (k *targetChecks) readBack(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	rd, ok := tgt.(connector.StockReader)
	if !ok {
		c.Skip("the target does not implement connector.StockReader")
	}
	skus := k.skus(c, s, 3)
	// One update a call: a target's BatchLimit may be 1.
	k.set(c, tgt, connector.StockUpdate{SKU: skus[0], Available: 4})
	k.set(c, tgt, connector.StockUpdate{SKU: skus[1], Available: 0})
	if err := s.SetByHand(c.Context(), skus[2], 9); err != nil {
		c.Fatalf("seeding: SetByHand: %v", err)
	}
	got, err := rd.ReadStock(c.Context(), skus)
	if err != nil {
		c.Fatalf("ReadStock: %v", err)
	}
	for i, want := range []int{4, 0, 9} {
		if v, ok := got[skus[i]]; !ok || v != want {
			c.Errorf("ReadStock[%s] = %d (present %v), the platform shows %d", skus[i], v, ok, want)
		}
	}
}

func (k *targetChecks) context(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	sku := k.skus(c, s, 1)[0]
	checkCancelled(c, func(ctx context.Context) error {
		_, err := tgt.SetStock(ctx, []connector.StockUpdate{{SKU: sku, Available: 1}})
		return err
	})
}

func (k *targetChecks) throttled(c *suite.Check) {
	tgt, s := k.h.New(c.TB)
	sku := k.skus(c, s, 1)[0]
	checkThrottled(c, k.f.Throttles, s, func(ctx context.Context) error {
		_, err := tgt.SetStock(ctx, []connector.StockUpdate{{SKU: sku, Available: 1}})
		return err
	})
}

// Channel is a connector in every role a sales channel plays.
type Channel interface {
	connector.OrderSource
	connector.ShipmentSink
	connector.StockTarget
}

// ChannelSeeder acts on a channel's platform for every channel suite.
type ChannelSeeder interface {
	OrderSeeder
	ShipmentSinkSeeder
	StockTargetSeeder
}

// ChannelFeatures are what the platform does not promise, suite by suite.
type ChannelFeatures struct {
	Orders    OrderSourceFeatures
	Shipments ShipmentSinkFeatures
	Stock     StockTargetFeatures
}

// ChannelHarness creates a connector in every channel role over a fresh platform, for
// TestChannel.
type ChannelHarness interface {
	New(t testing.TB) (Channel, ChannelSeeder)
	Features() ChannelFeatures
}

// TestChannel runs the OrderSource, ShipmentSink and StockTarget suites, each as a subtest of
// that name, on a connector that plays all three roles: the one call a channel connector's
// conformance test needs.
func TestChannel(t *testing.T, h ChannelHarness) {
	t.Helper()
	f := h.Features()
	t.Run("OrderSource", func(t *testing.T) {
		TestOrderSource(t, roleHarness[connector.OrderSource, OrderSeeder, OrderSourceFeatures]{h, f.Orders})
	})
	t.Run("ShipmentSink", func(t *testing.T) {
		TestShipmentSink(t, roleHarness[connector.ShipmentSink, ShipmentSinkSeeder, ShipmentSinkFeatures]{h, f.Shipments})
	})
	t.Run("StockTarget", func(t *testing.T) {
		TestStockTarget(t, roleHarness[connector.StockTarget, StockTargetSeeder, StockTargetFeatures]{h, f.Stock})
	})
}

// roleHarness is a ChannelHarness seen as one role's harness.
type roleHarness[C, S, F any] struct {
	h ChannelHarness
	f F
}

func (r roleHarness[C, S, F]) New(t testing.TB) (C, S) {
	c, s := r.h.New(t)
	return any(c).(C), any(s).(S)
}

func (r roleHarness[C, S, F]) Features() F { return r.f }
