package conformance

import (
	"context"
	"fmt"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
)

// ShipmentSourceHarness creates a ShipmentSource and a way to make its warehouse ship.
type ShipmentSourceHarness interface {
	// New returns a source over a new, empty warehouse, and its seeder; called once per check.
	New(t testing.TB) (connector.ShipmentSource, ShipmentSeeder)
	// Features says what the warehouse does not promise.
	Features() ShipmentSourceFeatures
}

// ShipmentSeeder makes the warehouse ship.
type ShipmentSeeder interface {
	// Ship makes the warehouse ship a new request (receiving it first if it must) and returns
	// the shipment's ID as ListShipments reports it.
	Ship(ctx context.Context) (id string, err error)
}

// ShipmentSourceFeatures says what a shipment source's warehouse does not promise.
type ShipmentSourceFeatures struct {
	// PageSize is the most shipments one page holds; the suite ships more than twice as many.
	// Required.
	PageSize int
	// Throttles says the seeder implements Throttler.
	Throttles bool
}

// TestShipmentSource runs the ShipmentSource suite. It takes a testing.TB, so a test can
// run it under a recorder.
func TestShipmentSource(t testing.TB, h ShipmentSourceHarness) {
	t.Helper()
	f := h.Features()
	requirePageSize(t, "ShipmentSourceFeatures", f.PageSize)
	k := &shipSourceChecks{h: h, f: f}
	runChecks(t, []checkCase{
		{"Paging", "listing from the start page by page returns every shipment exactly once, each valid, with a Next on every page", k.paging},
		{"Resume", "resuming from any cursor the source returned lists every shipment after it, later ones included: no gap", k.resume},
		{"Context", "ListShipments on a cancelled context returns an error promptly", k.context},
		{"Throttled", "a throttled ListShipments is a *connector.RateLimitError with its wait, after exactly one request", k.throttled},
	})
}

type shipSourceChecks struct {
	h ShipmentSourceHarness
	f ShipmentSourceFeatures
}

type shipmentPage struct {
	ids  []string
	next connector.Cursor
}

func ship(c *suite.Check, s ShipmentSeeder, n int) []string {
	c.Helper()
	var ids []string
	for range n {
		id, err := s.Ship(c.Context())
		if err != nil {
			c.Fatalf("seeding: Ship: %v", err)
		}
		ids = append(ids, id)
	}
	return ids
}

// listShipments lists from cur until the source says there is no more.
func listShipments(c *suite.Check, src connector.ShipmentSource, cur connector.Cursor) []shipmentPage {
	c.Helper()
	var pages []shipmentPage
	for range maxPages {
		p, err := src.ListShipments(c.Context(), cur)
		if err != nil {
			c.Fatalf("ListShipments(%q): %v", cur, err)
		}
		if p == nil {
			c.Fatalf("ListShipments returned a nil page and no error")
		}
		sp := shipmentPage{next: p.Next}
		for _, s := range p.Shipments {
			sp.ids = append(sp.ids, s.ID)
			if err := s.Validate(); err != nil {
				c.Errorf("shipment %s does not validate: %v; broken ones belong in Rejects", s.ID, err)
			}
		}
		pages = append(pages, sp)
		if p.Next == "" {
			c.Fatalf("ListShipments(%q) returned no Next; the engine resumes from it, so every page has one", cur)
		}
		checkCursor(c, p.Next)
		if !p.More {
			return pages
		}
		cur = p.Next
	}
	c.Fatalf("the listing did not end after %d pages", maxPages)
	return nil
}

func shipmentCounts(pages []shipmentPage) map[string]int {
	n := map[string]int{}
	for _, p := range pages {
		for _, id := range p.ids {
			n[id]++
		}
	}
	return n
}

func (k *shipSourceChecks) paging(c *suite.Check) {
	src, s := k.h.New(c.TB)
	ids := ship(c, s, 2*k.f.PageSize+1)
	pages := listShipments(c, src, "")
	if len(pages) < 2 {
		c.Errorf("%d shipments came in one page, more than PageSize %d", len(ids), k.f.PageSize)
	}
	n := shipmentCounts(pages)
	if m := missing(ids, n); len(m) > 0 {
		c.Errorf("shipments missed: %v", m)
	}
	for id, k := range n {
		if k > 1 {
			c.Errorf("shipment %s listed %d times in one pass", id, k)
		}
	}
}

func (k *shipSourceChecks) resume(c *suite.Check) {
	src, s := k.h.New(c.TB)
	ship(c, s, 2*k.f.PageSize+1)
	pages := listShipments(c, src, "")
	late := ship(c, s, 2)
	for i, p := range pages {
		var want []string
		for _, q := range pages[i+1:] {
			want = append(want, q.ids...)
		}
		want = append(want, late...)
		got := shipmentCounts(listShipments(c, src, p.next))
		if m := missing(want, got); len(m) > 0 {
			c.Errorf("resuming from the cursor after page %d (%q) missed %v", i, p.next, m)
		}
	}
}

func (k *shipSourceChecks) context(c *suite.Check) {
	src, s := k.h.New(c.TB)
	ship(c, s, 1)
	checkCancelled(c, func(ctx context.Context) error {
		_, err := src.ListShipments(ctx, "")
		return err
	})
}

func (k *shipSourceChecks) throttled(c *suite.Check) {
	src, s := k.h.New(c.TB)
	checkThrottled(c, k.f.Throttles, s, func(ctx context.Context) error {
		_, err := src.ListShipments(ctx, "")
		return err
	})
}

// StockSourceHarness creates a StockSource and a way to change its warehouse's stock.
type StockSourceHarness interface {
	// New returns a source over a new, empty warehouse, and its seeder; called once per check.
	New(t testing.TB) (connector.StockSource, StockSourceSeeder)
	// Features says what the warehouse does not promise.
	Features() StockSourceFeatures
}

// StockSourceSeeder changes the warehouse's stock as a count or a receipt does.
type StockSourceSeeder interface {
	// SetOnHand sets the on-hand quantity of a SKU, creating the SKU if it is new.
	SetOnHand(ctx context.Context, sku string, n int) error
}

// StockSourceFeatures says what a stock source's warehouse does not promise.
type StockSourceFeatures struct {
	// PageSize is the most levels one page holds; the suite seeds more than twice as many SKUs.
	// Required.
	PageSize int
	// Throttles says the seeder implements Throttler.
	Throttles bool
}

// TestStockSource runs the StockSource suite. It takes a testing.TB, so a test can
// run it under a recorder.
func TestStockSource(t testing.TB, h StockSourceHarness) {
	t.Helper()
	f := h.Features()
	requirePageSize(t, "StockSourceFeatures", f.PageSize)
	k := &stockSourceChecks{h: h, f: f}
	runChecks(t, []checkCase{
		{"Snapshot", "listing from the start returns every SKU with its on-hand quantity and the time it was true (AsOf)", k.snapshot},
		{"Changes", "listing from any saved cursor returns every change made after it, the latest last, each with an AsOf no earlier than before", k.changes},
		{"Context", "ListStock on a cancelled context returns an error promptly", k.context},
		{"Throttled", "a throttled ListStock is a *connector.RateLimitError with its wait, after exactly one request", k.throttled},
	})
}

type stockSourceChecks struct {
	h StockSourceHarness
	f StockSourceFeatures
}

type stockPage struct {
	levels []inventory.Level
	next   connector.Cursor
}

func listStock(c *suite.Check, src connector.StockSource, cur connector.Cursor) []stockPage {
	c.Helper()
	var pages []stockPage
	for range maxPages {
		p, err := src.ListStock(c.Context(), cur)
		if err != nil {
			c.Fatalf("ListStock(%q): %v", cur, err)
		}
		if p == nil {
			c.Fatalf("ListStock returned a nil page and no error")
		}
		for _, l := range p.Levels {
			if l.AsOf.IsZero() {
				c.Errorf("the level of %s has no AsOf; reservations are released against it", l.SKU)
			}
		}
		pages = append(pages, stockPage{levels: p.Levels, next: p.Next})
		if p.Next == "" {
			c.Fatalf("ListStock(%q) returned no Next; the engine resumes from it, so every page has one", cur)
		}
		checkCursor(c, p.Next)
		if !p.More {
			return pages
		}
		cur = p.Next
	}
	c.Fatalf("the listing did not end after %d pages", maxPages)
	return nil
}

// latest returns the last level listed per SKU.
func latest(pages []stockPage) map[string]inventory.Level {
	out := map[string]inventory.Level{}
	for _, p := range pages {
		for _, l := range p.levels {
			out[l.SKU] = l
		}
	}
	return out
}

func setOnHand(c *suite.Check, s StockSourceSeeder, sku string, n int) {
	c.Helper()
	if err := s.SetOnHand(c.Context(), sku, n); err != nil {
		c.Fatalf("seeding: SetOnHand(%s, %d): %v", sku, n, err)
	}
}

func (k *stockSourceChecks) seedSKUs(c *suite.Check, s StockSourceSeeder) map[string]int {
	c.Helper()
	want := map[string]int{}
	for i := range 2*k.f.PageSize + 1 {
		sku := fmt.Sprintf("SKU-%03d", i)
		want[sku] = (i * 5) % 13
		setOnHand(c, s, sku, want[sku])
	}
	return want
}

func (k *stockSourceChecks) snapshot(c *suite.Check) {
	src, s := k.h.New(c.TB)
	want := k.seedSKUs(c, s)
	got := latest(listStock(c, src, ""))
	for sku, n := range want {
		if l, ok := got[sku]; !ok {
			c.Errorf("SKU %s missing from the listing", sku)
		} else if l.OnHand != n {
			c.Errorf("SKU %s listed with %d on hand, the warehouse holds %d", sku, l.OnHand, n)
		}
	}
}

func (k *stockSourceChecks) changes(c *suite.Check) {
	src, s := k.h.New(c.TB)
	want := k.seedSKUs(c, s)
	first := listStock(c, src, "")
	snap := latest(first)
	cursors := []connector.Cursor{first[len(first)-1].next}
	after := []map[string]bool{{}} // SKUs changed after each cursor was handed out
	// Change more SKUs than a page holds, listing in between so that cursors fall mid-way.
	changed := map[string]int{}
	i := 0
	for sku := range want {
		if i > k.f.PageSize+1 {
			break
		}
		changed[sku] = want[sku] + 10 + i
		if i == 0 {
			changed[sku] = 0 // a stock-out must come through
		}
		setOnHand(c, s, sku, changed[sku])
		for _, a := range after {
			a[sku] = true
		}
		if i == k.f.PageSize/2 {
			for _, p := range listStock(c, src, cursors[len(cursors)-1]) {
				cursors = append(cursors, p.next)
				after = append(after, map[string]bool{})
			}
		}
		i++
	}
	for j, cur := range cursors {
		got := latest(listStock(c, src, cur))
		for sku := range after[j] {
			l, ok := got[sku]
			switch {
			case !ok:
				c.Errorf("SKU %s changed after cursor %d (%q) but was not listed from it", sku, j, cur)
			case l.OnHand != changed[sku]:
				c.Errorf("from cursor %d SKU %s is last listed with %d, changed to %d", j, sku, l.OnHand, changed[sku])
			case l.AsOf.Before(snap[sku].AsOf):
				c.Errorf("SKU %s's change is AsOf %s, before the snapshot's %s", sku, l.AsOf, snap[sku].AsOf)
			}
		}
	}
}

func (k *stockSourceChecks) context(c *suite.Check) {
	src, s := k.h.New(c.TB)
	setOnHand(c, s, "SKU-1", 1)
	checkCancelled(c, func(ctx context.Context) error {
		_, err := src.ListStock(ctx, "")
		return err
	})
}

func (k *stockSourceChecks) throttled(c *suite.Check) {
	src, s := k.h.New(c.TB)
	checkThrottled(c, k.f.Throttles, s, func(ctx context.Context) error {
		_, err := src.ListStock(ctx, "")
		return err
	})
}
