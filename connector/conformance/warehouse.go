package conformance

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
)

// FulfillerHarness creates a Fulfiller and a way to observe and advance its warehouse.
type FulfillerHarness interface {
	// New returns a fulfiller over a new, empty warehouse, and its seeder; called once per check.
	New(t testing.TB) (connector.Fulfiller, WarehouseSeeder)
	// Features says what the warehouse does not promise.
	Features() FulfillerFeatures
}

// WarehouseSeeder observes the requests a warehouse holds and moves them along as its staff do.
type WarehouseSeeder interface {
	// Request returns what the warehouse holds for a request key.
	Request(ctx context.Context, key string) (HeldRequest, error)
	// Pick marks the request picked, so that changes and cancellations are refused from now on.
	// It returns an error matching errors.ErrUnsupported when the warehouse has no such step.
	Pick(ctx context.Context, key string) error
	// Ship ships the whole request.
	Ship(ctx context.Context, key string) error
}

// HeldRequest is what a warehouse holds for one request key.
type HeldRequest struct {
	// Copies is how many fulfillment requests the warehouse created for the key: 0 when it has
	// none, 1 when the fulfiller is idempotent.
	Copies int
	// Cancelled says the request is cancelled.
	Cancelled bool
	// Order is the content the warehouse holds: lines (with open quantities) and address.
	Order order.Order
}

// FulfillerFeatures says what a fulfiller's warehouse does not promise.
type FulfillerFeatures struct {
	// PartialCancel says Cancel takes Lines, cancelling some quantities only.
	PartialCancel bool
	// Throttles says the seeder implements Throttler.
	Throttles bool
	// Stalls says the seeder implements Staller.
	Stalls bool
}

// TestFulfiller runs the Fulfiller suite. It takes a testing.TB, so a test can
// run it under a recorder.
func TestFulfiller(t testing.TB, h FulfillerHarness) {
	t.Helper()
	k := &fulfillerChecks{h: h, f: h.Features()}
	runChecks(t, []checkCase{
		{"Submit", "a submitted request reaches the warehouse with its lines", k.submit},
		{"SubmitIdempotent", "a submit repeated with the same key, in turn or at once, creates one fulfillment request", k.submitTwice},
		{"ChangeIdempotent", "a change repeated with the same idempotency key has one effect: it does not undo a later change", k.changeTwice},
		{"CancelIdempotent", "a cancellation repeated with the same idempotency key has one effect", k.cancelTwice},
		{"RefusedPicked", "a change or cancellation after the warehouse picked is an Answer{Accepted: false} with a reason, not an error", k.refusedPicked},
		{"RefusedShipped", "a change or cancellation after the warehouse shipped is an Answer{Accepted: false} with a reason, not an error", k.refusedShipped},
		{"CancelBeforeSubmit", "cancelling a key never submitted is accepted, and a later Submit of that key has no effect", k.cancelFirst},
		{"ChangeUnknown", "changing a key never submitted is a permanent error", k.changeUnknown},
		{"LostAnswer", "a submit whose answer is lost to a timeout is connector.ErrOutcomeUnknown, and submitting again creates one request", k.lostAnswer},
		{"Context", "Submit on a cancelled context returns an error promptly", k.context},
		{"Throttled", "a throttled Submit is a *connector.RateLimitError with its wait, after exactly one request", k.throttled},
	})
}

type fulfillerChecks struct {
	h FulfillerHarness
	f FulfillerFeatures
}

func request(key string) connector.FulfillmentRequest {
	return connector.FulfillmentRequest{Key: key, Merchant: "m1", Channel: "shop", Order: sampleOrder("1001-" + key)}
}

func (k *fulfillerChecks) held(c *suite.Check, s WarehouseSeeder, key string) HeldRequest {
	c.Helper()
	h, err := s.Request(c.Context(), key)
	if err != nil {
		c.Fatalf("observing: Request(%s): %v", key, err)
	}
	return h
}

func (k *fulfillerChecks) submitted(c *suite.Check, f connector.Fulfiller, key string) connector.FulfillmentRequest {
	c.Helper()
	r := request(key)
	if err := f.Submit(c.Context(), r); err != nil {
		c.Fatalf("Submit(%s): %v", key, err)
	}
	return r
}

func (k *fulfillerChecks) submit(c *suite.Check) {
	f, s := k.h.New(c.TB)
	r := k.submitted(c, f, "k1")
	h := k.held(c, s, "k1")
	if h.Copies != 1 || h.Cancelled {
		c.Fatalf("the warehouse holds %d requests for k1 (cancelled %v), want 1 live one", h.Copies, h.Cancelled)
	}
	if !sameLines(h.Order.Lines, r.Order.Lines) {
		c.Errorf("the warehouse holds lines %s, submitted %s", linesString(h.Order.Lines), linesString(r.Order.Lines))
	}
}

func (k *fulfillerChecks) submitTwice(c *suite.Check) {
	f, s := k.h.New(c.TB)
	k.submitted(c, f, "k1")
	for i := range 2 {
		if err := f.Submit(c.Context(), request("k1")); err != nil {
			c.Errorf("repeated Submit %d: %v; a repeat succeeds without effect", i+1, err)
		}
	}
	if h := k.held(c, s, "k1"); h.Copies != 1 {
		c.Errorf("after three submits of k1 the warehouse holds %d requests, want 1", h.Copies)
	}
	// Replicas (or a retry racing its original) submit at once.
	var wg gosync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := f.Submit(c.Context(), request("k2")); err != nil {
				c.Errorf("concurrent Submit of k2: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if h := k.held(c, s, "k2"); h.Copies != 1 {
		c.Errorf("after 8 concurrent submits of k2 the warehouse holds %d requests, want 1", h.Copies)
	}
}

func changed(r connector.FulfillmentRequest, line1 string) order.Order {
	o := r.Order
	o.Lines = append([]order.Line(nil), o.Lines...)
	o.ShipTo.Line1 = line1
	return o
}

func (k *fulfillerChecks) answer(c *suite.Check, what string, a connector.Answer, err error) {
	c.Helper()
	if err != nil {
		c.Fatalf("%s: %v", what, err)
	}
	if !a.Accepted {
		c.Fatalf("%s was refused (%q) while the request was only received", what, a.Reason)
	}
}

func (k *fulfillerChecks) changeTwice(c *suite.Check) {
	f, s := k.h.New(c.TB)
	r := k.submitted(c, f, "k1")
	a, err := f.Change(c.Context(), connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/1", Order: changed(r, "神宮前1-1-1")})
	k.answer(c, "the first change", a, err)
	a, err = f.Change(c.Context(), connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/2", Order: changed(r, "神宮前2-2-2")})
	k.answer(c, "the second change", a, err)
	// A retry of the first change arriving late must not put the old address back.
	a, err = f.Change(c.Context(), connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/1", Order: changed(r, "神宮前1-1-1")})
	if err != nil || !a.Accepted {
		c.Errorf("repeating the first change answered %+v, %v; want the answer it gave the first time (accepted)", a, err)
	}
	if h := k.held(c, s, "k1"); h.Order.ShipTo.Line1 != "神宮前2-2-2" {
		c.Errorf("the warehouse ships to %q; repeating change 1 undid change 2 (want %q)", h.Order.ShipTo.Line1, "神宮前2-2-2")
	}
	if h := k.held(c, s, "k1"); h.Copies != 1 {
		c.Errorf("after changes the warehouse holds %d requests for k1, want 1", h.Copies)
	}
}

func openOf(o order.Order, lineID string) int {
	for _, l := range o.Lines {
		if l.ID == lineID {
			return l.Open()
		}
	}
	return -1
}

func (k *fulfillerChecks) cancelTwice(c *suite.Check) {
	f, s := k.h.New(c.TB)
	r := k.submitted(c, f, "k1")
	if k.f.PartialCancel {
		l := r.Order.Lines[0] // 3 units
		part := connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel/1",
			Lines: []connector.LineQuantity{{LineID: l.ID, SKU: l.SKU, Quantity: 1}}, Reason: "buyer reduced"}
		for i := range 2 {
			a, err := f.Cancel(c.Context(), part)
			k.answer(c, fmt.Sprintf("partial cancel, call %d", i+1), a, err)
		}
		if got := openOf(k.held(c, s, "k1").Order, l.ID); got != l.Quantity-1 {
			c.Errorf("after cancelling 1 of %d units twice with one key the warehouse holds %d open, want %d", l.Quantity, got, l.Quantity-1)
		}
	}
	whole := connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel/2", Reason: "buyer cancelled"}
	for i := range 2 {
		a, err := f.Cancel(c.Context(), whole)
		k.answer(c, fmt.Sprintf("cancel, call %d", i+1), a, err)
	}
	if h := k.held(c, s, "k1"); !h.Cancelled || h.Copies != 1 {
		c.Errorf("after cancelling k1 twice the warehouse holds %d requests, cancelled %v; want 1, cancelled", h.Copies, h.Cancelled)
	}
}

func (k *fulfillerChecks) refused(c *suite.Check, f connector.Fulfiller, s WarehouseSeeder, r connector.FulfillmentRequest) {
	c.Helper()
	a, err := f.Change(c.Context(), connector.ChangeRequest{Key: r.Key, IdempotencyKey: r.Key + "/change/late", Order: changed(r, "神宮前9-9-9")})
	if err != nil {
		c.Errorf("a change the warehouse refuses returned the error %v; a refusal is an Answer", err)
	} else if a.Accepted || a.Reason == "" {
		c.Errorf("a change after the warehouse moved on answered %+v, want Accepted false with a reason", a)
	}
	a, err = f.Cancel(c.Context(), connector.CancelRequest{Key: r.Key, IdempotencyKey: r.Key + "/cancel/late"})
	if err != nil {
		c.Errorf("a cancellation the warehouse refuses returned the error %v; a refusal is an Answer", err)
	} else if a.Accepted || a.Reason == "" {
		c.Errorf("a cancellation after the warehouse moved on answered %+v, want Accepted false with a reason", a)
	}
	h := k.held(c, s, r.Key)
	if h.Cancelled || h.Order.ShipTo.Line1 != r.Order.ShipTo.Line1 {
		c.Errorf("a refused change or cancellation took effect: cancelled %v, address line %q", h.Cancelled, h.Order.ShipTo.Line1)
	}
}

func (k *fulfillerChecks) refusedPicked(c *suite.Check) {
	f, s := k.h.New(c.TB)
	r := k.submitted(c, f, "k1")
	if err := s.Pick(c.Context(), "k1"); errors.Is(err, errors.ErrUnsupported) {
		c.Skip("the warehouse has no picked state the harness can reach (Pick: errors.ErrUnsupported)")
	} else if err != nil {
		c.Fatalf("seeding: Pick: %v", err)
	}
	k.refused(c, f, s, r)
}

func (k *fulfillerChecks) refusedShipped(c *suite.Check) {
	f, s := k.h.New(c.TB)
	r := k.submitted(c, f, "k1")
	if err := s.Ship(c.Context(), "k1"); err != nil {
		c.Fatalf("seeding: Ship: %v", err)
	}
	k.refused(c, f, s, r)
}

func (k *fulfillerChecks) cancelFirst(c *suite.Check) {
	f, s := k.h.New(c.TB)
	a, err := f.Cancel(c.Context(), connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel/1", Reason: "cancelled before it was sent"})
	if err != nil || !a.Accepted {
		c.Fatalf("cancelling a key never submitted answered %+v, %v; want accepted: there is nothing to ship", a, err)
	}
	if err := f.Submit(c.Context(), request("k1")); err != nil {
		c.Errorf("a Submit after its cancellation returned %v; it must succeed without effect, or the engine retries it", err)
	}
	if h := k.held(c, s, "k1"); h.Copies > 0 && !h.Cancelled {
		c.Errorf("a Submit arriving after its cancellation created a live request: the warehouse would ship a cancelled order")
	}
}

func (k *fulfillerChecks) changeUnknown(c *suite.Check) {
	f, _ := k.h.New(c.TB)
	_, err := f.Change(c.Context(), connector.ChangeRequest{Key: "never", IdempotencyKey: "never/change/1", Order: request("never").Order})
	if err == nil {
		c.Fatalf("changing a key never submitted succeeded")
	}
	if connector.Classify(err) != connector.Permanent {
		c.Errorf("got %v, classified %v; want ErrNotFound or ErrPermanent", err, connector.Classify(err))
	}
}

func (k *fulfillerChecks) lostAnswer(c *suite.Check) {
	f, s := k.h.New(c.TB)
	checkStalled(c, k.f.Stalls, s, func(ctx context.Context) error { return f.Submit(ctx, request("k1")) },
		func() int { return k.held(c, s, "k1").Copies })
}

func (k *fulfillerChecks) context(c *suite.Check) {
	f, _ := k.h.New(c.TB)
	checkCancelled(c, func(ctx context.Context) error { return f.Submit(ctx, request("k1")) })
}

func (k *fulfillerChecks) throttled(c *suite.Check) {
	f, s := k.h.New(c.TB)
	checkThrottled(c, k.f.Throttles, s, func(ctx context.Context) error { return f.Submit(ctx, request("k1")) })
}
