// Package conformance is the suite every connector runs: one call proves that an implementation
// of a connector interface keeps the contract the engine relies on, as Go CDK's drivertest does
// for its drivers.
//
// Each suite takes a harness the connector's author writes: it creates the connector against a
// platform (for reference connectors, their fake server) and a seeder that acts on the platform
// as its users would (place an order, change it, ship a request) and observes the effects the
// connector had (how many fulfillments a shipment created). A Features struct declares what the
// platform does not promise; each check it turns off is skipped with the reason.
//
//	func TestConformance(t *testing.T) {
//		conformance.TestOrderSource(t, harness{})
//	}
//
// A channel connector that plays every channel role runs the three channel suites with one
// harness and one call, TestChannel.
//
// Every check is a subtest named after what it covers ("Paging", "Resume", ...), so one can be
// run alone with go test -run; a failure begins with the sentence the check proves.
//
// # What the suites prove
//
//   - Listings (OrderSource, ShipmentSource, StockSource) page through more than one page with
//     nothing missed or repeated, and resuming from any cursor they returned leaves no gap.
//   - Writes (ShipmentSink, Fulfiller) have one effect per idempotency key, however often they
//     are repeated; a warehouse's refusal is an Answer, not an error; a write whose answer was
//     lost to a timeout is connector.ErrOutcomeUnknown, never a plain temporary error.
//   - StockTarget respects its BatchLimit and, where it compares, reports connector.ErrConflict;
//     a value set again after another (5 → 4 → 5 → 4) is applied every time, each write being
//     new by its connector.StockUpdate.Key, also around a write whose answer was lost.
//   - Every call returns promptly with an error on a cancelled context, and a throttled call is
//     a *connector.RateLimitError with its wait, after exactly one request (no hidden retries).
package conformance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
)

// Throttler is implemented by seeders whose platform can be made to throttle. A harness whose
// Features set Throttles must return a seeder that implements it.
type Throttler interface {
	// ThrottleNext makes the platform refuse its next request as throttled, with the signal it
	// uses (HTTP 429 with Retry-After, a THROTTLED body), asking the caller to wait wait.
	ThrottleNext(wait time.Duration)
	// Requests returns how many requests the platform has received so far, refused ones included.
	Requests() int
}

// Staller is implemented by seeders whose platform can lose an answer. A harness whose Features
// set Stalls must return a seeder that implements it.
type Staller interface {
	// StallNext makes the platform apply its next write and then hold the answer back until the
	// request is abandoned, as a platform whose response is lost to a timeout does.
	StallNext()
}

// stallTimeout is how long the suite waits for a stalled write before abandoning it.
const stallTimeout = 100 * time.Millisecond

// checkStalled proves that a write abandoned after it landed is reported as
// connector.ErrOutcomeUnknown, promptly, and that sending it again has no second effect, as
// effects counts them (nil when the platform shows no count, as for absolute stock values).
func checkStalled(c *suite.Check, enabled bool, seeder any, call func(ctx context.Context) error, effects func() int) {
	c.Helper()
	if !enabled {
		c.Skip("Features.Stalls is false: the harness cannot make the platform hold an answer back")
	}
	st, ok := seeder.(Staller)
	if !ok {
		c.Fatalf("Features.Stalls is true but the seeder (%T) does not implement conformance.Staller", seeder)
	}
	st.StallNext()
	ctx, cancel := context.WithTimeout(c.Context(), stallTimeout)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	if d := time.Since(start); d > stallTimeout+promptly {
		c.Errorf("the stalled write returned after %s; it must give up when its context ends", d)
	}
	switch {
	case err == nil:
		c.Errorf("a write whose answer never came returned no error")
	case !errors.Is(err, connector.ErrOutcomeUnknown):
		c.Errorf("a write that timed out after it was sent returned %v; want an error matching connector.ErrOutcomeUnknown (see connector.WriteFailed), since it may have landed", err)
	}
	if err := call(c.Context()); err != nil {
		c.Fatalf("sending the write again after the unknown outcome: %v", err)
	}
	if effects == nil {
		return
	}
	if n := effects(); n != 1 {
		c.Errorf("after a lost answer and a resend with the same key the platform shows %d effects, want 1", n)
	}
}

// promptly is how long a call on a cancelled context may take: long enough for a loaded CI
// machine, far shorter than any timeout or backoff a connector could hide.
const promptly = 2 * time.Second

// throttleWait is the wait the suite asks the platform to signal; a connector that sleeps it
// instead of returning is caught by the clock.
const throttleWait = 3 * time.Second

// checkCancelled proves that call, given a cancelled context, returns an error promptly.
func checkCancelled(c *suite.Check, call func(ctx context.Context) error) {
	c.Helper()
	ctx, cancel := context.WithCancel(c.Context())
	cancel()
	start := time.Now()
	err := call(ctx)
	if d := time.Since(start); d > promptly {
		c.Errorf("the call took %s on a cancelled context", d)
	}
	switch {
	case err == nil:
		c.Errorf("the call returned no error on a cancelled context")
	case !errors.Is(err, context.Canceled):
		// Allowed: an HTTP client may report the cancellation its own way. Worth knowing, though:
		// the engine tells shutdown from failure with errors.Is(err, context.Canceled).
		c.Logf("note: the error does not wrap context.Canceled: %v", err)
	}
}

// checkThrottled proves that a throttled call returns a *connector.RateLimitError with a wait,
// after exactly one request and without sleeping.
func checkThrottled(c *suite.Check, enabled bool, seeder any, call func(ctx context.Context) error) {
	c.Helper()
	if !enabled {
		c.Skip("Features.Throttles is false: the harness cannot make the platform throttle")
	}
	th, ok := seeder.(Throttler)
	if !ok {
		c.Fatalf("Features.Throttles is true but the seeder (%T) does not implement conformance.Throttler", seeder)
	}
	before := th.Requests()
	th.ThrottleNext(throttleWait)
	start := time.Now()
	err := call(c.Context())
	elapsed := time.Since(start)
	var rl *connector.RateLimitError
	switch {
	case err == nil:
		c.Errorf("a throttled call returned no error")
	case !errors.As(err, &rl):
		c.Errorf("a throttled call returned %v (%T), want an error wrapping *connector.RateLimitError", err, err)
	case rl.Wait <= 0:
		c.Errorf("the RateLimitError carries Wait = %s; the platform said %s", rl.Wait, throttleWait)
	}
	if err != nil && connector.Classify(err) != connector.Retryable {
		c.Errorf("connector.Classify(%v) = %v, want Retryable", err, connector.Classify(err))
	}
	if n := th.Requests() - before; n != 1 {
		c.Errorf("the throttled call made %d requests, want exactly 1: connectors do not retry, the engine does", n)
	}
	if elapsed >= throttleWait {
		c.Errorf("the throttled call took %s: it waited instead of returning the wait to the engine", elapsed)
	}
}

// checkCursor proves a cursor can be kept in a text column: valid UTF-8 of modest size.
func checkCursor(c *suite.Check, cur connector.Cursor) {
	c.Helper()
	if !utf8.ValidString(string(cur)) {
		c.Errorf("cursor %q is not valid UTF-8; stores keep cursors as text", cur)
	}
	if len(cur) > maxCursor {
		c.Errorf("cursor is %d bytes, more than %d; stores keep cursors in a bounded column", len(cur), maxCursor)
	}
}

// maxCursor bounds a cursor's size; platform page tokens are far smaller.
const maxCursor = 8 << 10

// sampleOrder returns a valid order a warehouse accepts: two lines, a Japanese address.
func sampleOrder(id string) order.Order {
	return order.Order{
		ID: id, Number: "#" + id, Status: order.StatusOpen,
		PlacedAt: time.Now().UTC().Truncate(time.Second), UpdatedAt: time.Now().UTC().Truncate(time.Second),
		Lines: []order.Line{
			{ID: id + "-1", SKU: "TEA-01", Name: "煎茶", Quantity: 3, UnitPrice: order.Yen(1200)},
			{ID: id + "-2", SKU: "CUP-02", Name: "湯呑", Quantity: 1, UnitPrice: order.Yen(2500)},
		},
		ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "150-0001",
			Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Slot: order.Slot1416},
	}
}

// sampleLines returns the lines of the i-th seeded order, distinct per order so that a source
// mixing up orders' lines is caught.
func sampleLines(i int) []order.Line {
	return []order.Line{
		{ID: "1", SKU: fmt.Sprintf("SKU-%03d", i), Name: "品物", Quantity: 1 + i%3, UnitPrice: order.Yen(1000)},
		{ID: "2", SKU: "GIFT-BOX", Name: "ギフト箱", Quantity: 1, UnitPrice: order.Yen(300)},
	}
}

// sameLines reports whether got lists the same SKUs and quantities as want, in any order.
func sameLines(got, want []order.Line) bool {
	key := func(ls []order.Line) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = fmt.Sprintf("%s×%d", l.SKU, l.Open())
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(got), key(want))
}

func linesString(ls []order.Line) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s×%d", l.SKU, l.Open())
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// missing returns the members of want not in got, sorted.
func missing(want []string, got map[string]int) []string {
	var out []string
	for _, id := range want {
		if got[id] == 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// maxPages stops a listing that never ends.
const maxPages = 1000

// checkCase is one check of a suite: its subtest name, the sentence it proves, and the check.
type checkCase struct {
	name, proves string
	f            func(*suite.Check)
}

// requirePageSize stops a listing suite whose harness left its Features' PageSize unset: the
// suite sizes the data it seeds from it.
func requirePageSize(t testing.TB, features string, n int) {
	t.Helper()
	if n <= 0 {
		t.Fatalf("conformance: %s.PageSize must be set", features)
	}
}

// runChecks runs a suite's checks in order, each as a subtest carrying its sentence.
func runChecks(t testing.TB, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		suite.Run(t, c.name, c.proves, c.f)
	}
}
