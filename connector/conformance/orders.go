package conformance

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
)

// OrderSourceHarness creates an OrderSource and a way to act on its platform.
type OrderSourceHarness interface {
	// New returns a source over a new, empty platform (shop), and its seeder. It is called once
	// per check; release what it starts with t.Cleanup.
	New(t testing.TB) (connector.OrderSource, OrderSeeder)
	// Features says what the platform does not promise.
	Features() OrderSourceFeatures
}

// OrderSeeder acts on the platform as buyers and shop staff do. Every at is in the past and later
// than the previous one; the platform must stamp the order's update time with it, as a fake
// server with a settable clock does.
type OrderSeeder interface {
	// Place places an open order with these lines (use their SKU, Quantity, Name and UnitPrice;
	// line IDs are the platform's to assign) at time at, and returns the platform's order ID.
	Place(ctx context.Context, at time.Time, lines []order.Line) (id string, err error)
	// Change edits the order at time at in a way a warehouse must hear about (a new address, a
	// changed quantity, another delivery slot): its order.Fingerprint must change.
	Change(ctx context.Context, id string, at time.Time) error
	// Cancel cancels the whole order at time at.
	Cancel(ctx context.Context, id string, at time.Time) error
}

// OrderSourceFeatures says what an order source's platform does not promise.
type OrderSourceFeatures struct {
	// PageSize is the most orders one page holds, with ListOrdersRequest.Limit set to it. The
	// suite seeds more than twice as many, so a window spans several pages. Required.
	PageSize int
	// Throttles says the seeder implements Throttler.
	Throttles bool
}

// TestOrderSource runs the OrderSource suite. It takes a testing.TB, so a test can
// run it under a recorder.
func TestOrderSource(t testing.TB, h OrderSourceHarness) {
	t.Helper()
	f := h.Features()
	requirePageSize(t, "OrderSourceFeatures", f.PageSize)
	o := &orderChecks{h: h, f: f}
	runChecks(t, []checkCase{
		{"Paging", "listing a window page by page returns every order updated in it exactly once, with its lines", o.paging},
		{"Resume", "resuming from any cursor the source returned lists every order after it, new ones included: no gap", o.resume},
		{"CursorString", "a cursor is valid UTF-8 of at most 8 KiB and resumes alike after a round trip through a string", o.cursorString},
		{"EmptyWindow", "a window with no orders lists nothing and ends", o.empty},
		{"Changed", "an order changed after it was listed shows up again, with the change, in a later window", o.changed},
		{"Cancelled", "cancellations are listed: an order cancelled on the platform is listed with StatusCancelled", o.cancelled},
		{"Context", "ListOrders on a cancelled context returns an error promptly", o.context},
		{"Throttled", "a throttled ListOrders is a *connector.RateLimitError with its wait, after exactly one request", o.throttled},
	})
}

type orderChecks struct {
	h OrderSourceHarness
	f OrderSourceFeatures
}

// epoch is the start of the suite's timeline: in the past, as platforms that refuse windows
// reaching "now" (Amazon's two minutes) require, and on a whole second.
func epoch() time.Time { return time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Hour) }

type seeded struct {
	ids   []string
	lines map[string][]order.Line
}

// seed places n orders a second apart from start.
func seed(c *suite.Check, s OrderSeeder, start time.Time, n int) seeded {
	c.Helper()
	out := seeded{lines: map[string][]order.Line{}}
	for i := range n {
		ls := sampleLines(i)
		id, err := s.Place(c.Context(), start.Add(time.Duration(i)*time.Second), ls)
		if err != nil {
			c.Fatalf("seeding: Place: %v", err)
		}
		out.ids = append(out.ids, id)
		out.lines[id] = ls
	}
	return out
}

type orderPage struct {
	ids  []string
	page *connector.OrderPage
}

// list lists the window [from, to) from cursor to its end.
func (o *orderChecks) list(c *suite.Check, src connector.OrderSource, from, to time.Time, cur connector.Cursor) []orderPage {
	c.Helper()
	var pages []orderPage
	for range maxPages {
		p, err := src.ListOrders(c.Context(), connector.ListOrdersRequest{From: from, To: to, Page: cur, Limit: o.f.PageSize})
		if err != nil {
			c.Fatalf("ListOrders(%s, %s, page %q): %v", from, to, cur, err)
		}
		if p == nil {
			c.Fatalf("ListOrders returned a nil page and no error")
		}
		op := orderPage{page: p}
		for _, ord := range p.Orders {
			op.ids = append(op.ids, ord.ID)
		}
		pages = append(pages, op)
		if p.Next == "" {
			return pages
		}
		checkCursor(c, p.Next)
		cur = p.Next
	}
	c.Fatalf("the window did not end after %d pages", maxPages)
	return nil
}

func counts(pages []orderPage) map[string]int {
	n := map[string]int{}
	for _, p := range pages {
		for _, id := range p.ids {
			n[id]++
		}
	}
	return n
}

func (o *orderChecks) paging(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	sd := seed(c, s, start, 2*o.f.PageSize+1)
	pages := o.list(c, src, start, start.Add(time.Hour), "")
	if len(pages) < 2 {
		c.Errorf("%d orders came in one page; with PageSize %d they need 3 (is Limit ignored?)", len(sd.ids), o.f.PageSize)
	}
	for i, p := range pages {
		if len(p.ids) > o.f.PageSize {
			c.Errorf("page %d holds %d orders, more than PageSize %d", i, len(p.ids), o.f.PageSize)
		}
	}
	n := counts(pages)
	if m := missing(sd.ids, n); len(m) > 0 {
		c.Errorf("orders missed: %v (of %d seeded, across %d pages)", m, len(sd.ids), len(pages))
	}
	for id, k := range n {
		if k > 1 {
			c.Errorf("order %s listed %d times in one pass over the window", id, k)
		}
	}
	for _, p := range pages {
		for _, ord := range p.page.Orders {
			if want, ok := sd.lines[ord.ID]; ok && !sameLines(ord.Lines, want) {
				c.Errorf("order %s lists lines %s, placed with %s", ord.ID, linesString(ord.Lines), linesString(want))
			}
			if ord.UpdatedAt.IsZero() {
				c.Errorf("order %s has no UpdatedAt", ord.ID)
			}
		}
	}
}

func (o *orderChecks) resume(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	seed(c, s, start, 2*o.f.PageSize+1)
	to := start.Add(time.Hour)
	pages := o.list(c, src, start, to, "")
	// Orders placed after the cursors were handed out, still inside the window, must be found
	// from every one of them.
	late := seed(c, s, start.Add(30*time.Minute), 2)
	for i, p := range pages {
		if p.page.Next == "" {
			continue
		}
		var want []string
		for _, q := range pages[i+1:] {
			want = append(want, q.ids...)
		}
		want = append(want, late.ids...)
		got := counts(o.list(c, src, start, to, p.page.Next))
		if m := missing(want, got); len(m) > 0 {
			c.Errorf("resuming from the cursor after page %d (%q) missed %v", i, p.page.Next, m)
		}
	}
}

func (o *orderChecks) cursorString(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	seed(c, s, start, 2*o.f.PageSize+1)
	to := start.Add(time.Hour)
	first, err := src.ListOrders(c.Context(), connector.ListOrdersRequest{From: start, To: to, Limit: o.f.PageSize})
	if err != nil {
		c.Fatalf("ListOrders: %v", err)
	}
	if first.Next == "" {
		c.Fatalf("the first page has no Next; the window holds more than PageSize orders")
	}
	checkCursor(c, first.Next)
	// The engine keeps the cursor in its store as text, often inside JSON.
	b, err := json.Marshal(string(first.Next))
	if err != nil {
		c.Fatalf("json.Marshal(cursor): %v", err)
	}
	var back string
	if err := json.Unmarshal(b, &back); err != nil {
		c.Fatalf("json.Unmarshal(cursor): %v", err)
	}
	want := counts(o.list(c, src, start, to, first.Next))
	got := counts(o.list(c, src, start, to, connector.Cursor(back)))
	for id := range want {
		if got[id] == 0 {
			c.Errorf("resuming from the cursor after a round trip through a string missed order %s", id)
		}
	}
}

func (o *orderChecks) empty(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	seed(c, s, start, 2)
	from := start.Add(2 * time.Hour)
	pages := o.list(c, src, from, from.Add(time.Hour), "")
	if n := counts(pages); len(n) > 0 {
		c.Errorf("a window with no updates listed %v", n)
	}
}

// find returns the last version of order id listed in pages.
func find(pages []orderPage, id string) (order.Order, bool) {
	var got order.Order
	found := false
	for _, p := range pages {
		for _, ord := range p.page.Orders {
			if ord.ID == id {
				got, found = ord, true
			}
		}
	}
	return got, found
}

func (o *orderChecks) changed(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	sd := seed(c, s, start, 3)
	w1 := o.list(c, src, start, start.Add(time.Hour), "")
	id := sd.ids[1]
	before, ok := find(w1, id)
	if !ok {
		c.Fatalf("order %s was not listed in the window it was placed in", id)
	}
	at := start.Add(2 * time.Hour)
	if err := s.Change(c.Context(), id, at); err != nil {
		c.Fatalf("seeding: Change: %v", err)
	}
	w2 := o.list(c, src, start.Add(time.Hour), start.Add(3*time.Hour), "")
	after, ok := find(w2, id)
	if !ok {
		c.Fatalf("order %s, changed at %s, was not listed in the window [%s, %s)", id, at, start.Add(time.Hour), start.Add(3*time.Hour))
	}
	if after.Fingerprint() == before.Fingerprint() {
		c.Errorf("order %s was listed again without the change: its fingerprint is unchanged", id)
	}
	if after.UpdatedAt.Before(at) {
		c.Errorf("order %s changed at %s is listed with UpdatedAt %s", id, at, after.UpdatedAt)
	}
}

func (o *orderChecks) cancelled(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	sd := seed(c, s, start, 3)
	o.list(c, src, start, start.Add(time.Hour), "")
	at := start.Add(2 * time.Hour)
	listed := sd.ids[0]
	if err := s.Cancel(c.Context(), listed, at); err != nil {
		c.Fatalf("seeding: Cancel: %v", err)
	}
	// An order placed and cancelled between two polls must be listed too: the warehouse may
	// have heard of it by webhook.
	late := seed(c, s, at.Add(time.Second), 1)
	unlisted := late.ids[0]
	if err := s.Cancel(c.Context(), unlisted, at.Add(2*time.Second)); err != nil {
		c.Fatalf("seeding: Cancel: %v", err)
	}
	w2 := o.list(c, src, start.Add(time.Hour), start.Add(3*time.Hour), "")
	for _, id := range []string{listed, unlisted} {
		got, ok := find(w2, id)
		switch {
		case !ok:
			c.Errorf("cancelled order %s was not listed in the window of its cancellation", id)
		case got.Status != order.StatusCancelled:
			c.Errorf("cancelled order %s is listed with status %q, want %q", id, got.Status, order.StatusCancelled)
		}
	}
}

func (o *orderChecks) context(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	seed(c, s, start, 1)
	checkCancelled(c, func(ctx context.Context) error {
		_, err := src.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour), Limit: o.f.PageSize})
		return err
	})
}

func (o *orderChecks) throttled(c *suite.Check) {
	src, s := o.h.New(c.TB)
	start := epoch()
	checkThrottled(c, o.f.Throttles, s, func(ctx context.Context) error {
		_, err := src.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour), Limit: o.f.PageSize})
		return err
	})
}
