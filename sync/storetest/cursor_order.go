package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// opaqueCursor is what a connector may hand out: long, non-ASCII, full of separators.
var opaqueCursor = "eyJsYXN0X2lkIjo5fQ==|2026-04-01T09:30:00Z|注文/1001?x=1&y=%2F;" + strings.Repeat("z", 1000)

func cursorRoundTrip(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	v, ver, err := s.GetCursor(ctx, "m/shop/orders")
	if err != nil || v != "" || ver != 0 {
		c.Fatalf("GetCursor of a new name = %q, %d, %v; want \"\", 0, nil", v, ver, err)
	}
	ver1, err := s.PutCursor(ctx, "m/shop/orders", opaqueCursor, 0)
	must(c, "PutCursor", err)
	if ver1 == 0 {
		c.Errorf("PutCursor returned version 0; a written cursor needs a version other than 0")
	}
	v, ver, err = s.GetCursor(ctx, "m/shop/orders")
	if err != nil || v != opaqueCursor || ver != ver1 {
		c.Errorf("GetCursor = %.40q…, %d, %v; want the value written, version %d", v, ver, err, ver1)
	}
	ver2, err := s.PutCursor(ctx, "m/shop/orders", "", ver1)
	must(c, "PutCursor back to \"\"", err)
	if ver2 == ver1 || ver2 == 0 {
		c.Errorf("PutCursor returned version %d after %d; a write must change the version", ver2, ver1)
	}
	if v, _, _ := s.GetCursor(ctx, "m/shop/orders"); v != "" {
		c.Errorf("GetCursor = %q after writing \"\"", v)
	}
	if v, ver, _ := s.GetCursor(ctx, "m/shop/shipments"); v != "" || ver != 0 {
		c.Errorf("another cursor name reads %q, %d; names must not share values", v, ver)
	}
}

func cursorCAS(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	if _, err := s.PutCursor(ctx, "cur", "a", 7); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("PutCursor of an unwritten cursor with version 7 = %v, want ErrConflict", err)
	}
	ver, err := s.PutCursor(ctx, "cur", "a", 0)
	must(c, "PutCursor", err)
	if _, err := s.PutCursor(ctx, "cur", "b", 0); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("second insert with version 0 = %v, want ErrConflict", err)
	}
	if _, err := s.PutCursor(ctx, "cur", "c", ver+1); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("PutCursor with a version never returned = %v, want ErrConflict", err)
	}
	if v, got, _ := s.GetCursor(ctx, "cur"); v != "a" || got != ver {
		c.Errorf("after refused writes GetCursor = %q, %d; want \"a\", %d", v, got, ver)
	}
}

func cursorRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	for r := range rounds {
		name := fmt.Sprintf("cur-%d", r)
		if wins := race(c, h.Concurrency, func(i int) error {
			_, err := s.PutCursor(ctx, name, fmt.Sprint("v", i), 0)
			return err
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d inserts of a new cursor succeeded, want exactly 1", r, wins, h.Concurrency)
		}
		_, ver, err := s.GetCursor(ctx, name)
		must(c, "GetCursor", err)
		if wins := race(c, h.Concurrency, func(i int) error {
			_, err := s.PutCursor(ctx, name, fmt.Sprint("w", i), ver)
			return err
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d updates with version %d succeeded, want exactly 1", r, wins, h.Concurrency, ver)
		}
	}
}

func orderRoundTrip(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	want := sampleOrder("m1", "shop", "1001")
	rec := want.Clone()
	must(c, "PutOrder", s.PutOrder(ctx, rec))
	if rec.Version == 0 {
		c.Fatalf("PutOrder left Version 0; it must set the new version on rec")
	}
	want.Version = rec.Version
	got, err := s.GetOrder(ctx, want.Key)
	must(c, "GetOrder", err)
	if !reflect.DeepEqual(utcOrder(got), want) {
		c.Errorf("GetOrder returned\n\t%+v\nwant\n\t%+v", utcOrder(got), want)
	}
	// An update must round-trip too, including fields going back to their zero value.
	o := *rec.Order
	o.Gift = nil
	rec.State, rec.Pending, rec.Order, rec.HoldReason, rec.ManualHold = ledger.StateSent, false, &o, "", false
	rec.Requests[0].State = ledger.RequestCancelled
	want = rec.Clone()
	must(c, "PutOrder update", s.PutOrder(ctx, rec))
	want.Version = rec.Version
	got, err = s.GetOrder(ctx, want.Key)
	must(c, "GetOrder", err)
	if !reflect.DeepEqual(utcOrder(got), want) {
		c.Errorf("after an update GetOrder returned\n\t%+v\nwant\n\t%+v", utcOrder(got), want)
	}
}

func orderNotFound(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec, err := s.GetOrder(ctx, ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "nope"})
	if !errors.Is(err, ledger.ErrNotFound) {
		c.Errorf("GetOrder of a missing key = %v, %v; want an error matching sync.ErrNotFound", rec, err)
	}
}

func orderCAS(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec := sampleOrder("m1", "shop", "1001")
	if err := s.PutOrder(ctx, &ledger.OrderRecord{Key: rec.Key, Version: 3}); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("PutOrder of a missing record with Version 3 = %v, want ErrConflict", err)
	}
	must(c, "PutOrder insert", s.PutOrder(ctx, rec))
	v1 := rec.Version
	if err := s.PutOrder(ctx, sampleOrder("m1", "shop", "1001")); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("second insert (Version 0) of an existing order = %v, want ErrConflict", err)
	}
	stale := rec.Clone()
	rec.State = ledger.StateSent
	must(c, "PutOrder update", s.PutOrder(ctx, rec))
	if rec.Version == v1 {
		c.Errorf("PutOrder kept Version %d on update; it must change", v1)
	}
	stale.State = ledger.StateCancelled
	if err := s.PutOrder(ctx, stale); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("PutOrder with the stale version %d = %v, want ErrConflict", stale.Version, err)
	}
	if stale.Version != v1 {
		c.Errorf("a refused PutOrder changed rec.Version from %d to %d", v1, stale.Version)
	}
	got, err := s.GetOrder(ctx, rec.Key)
	must(c, "GetOrder", err)
	if got.State != ledger.StateSent || got.Version != rec.Version {
		c.Errorf("after a refused stale write GetOrder = state %s version %d, want %s version %d",
			got.State, got.Version, ledger.StateSent, rec.Version)
	}
}

func orderInsertRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	for r := range rounds {
		id := fmt.Sprint(2000 + r)
		if wins := race(c, h.Concurrency, func(i int) error {
			rec := sampleOrder("m1", "shop", id)
			rec.HoldReason = fmt.Sprint("writer ", i)
			return s.PutOrder(ctx, rec)
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d inserts of order %s succeeded, want exactly 1", r, wins, h.Concurrency, id)
		}
	}
}

func orderUpdateRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec := sampleOrder("m1", "shop", "1001")
	must(c, "PutOrder", s.PutOrder(ctx, rec))
	for r := range rounds {
		cur, err := s.GetOrder(ctx, rec.Key)
		must(c, "GetOrder", err)
		if wins := race(c, h.Concurrency, func(i int) error {
			mine := cur.Clone()
			mine.HoldReason = fmt.Sprint("writer ", i)
			return s.PutOrder(ctx, mine)
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d updates of version %d succeeded, want exactly 1", r, wins, h.Concurrency, cur.Version)
		}
	}
}

func orderCopies(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec := sampleOrder("m1", "shop", "1001")
	must(c, "PutOrder", s.PutOrder(ctx, rec))
	want := rec.Clone()
	scribble := func(r *ledger.OrderRecord) {
		r.State = ledger.StateCancelled
		// The order itself is never written through (OrderRecord.Order): a new version replaces it.
		r.Order = &order.Order{ID: "changed"}
		// Nor are a request's lines (Request.Lines): a new content replaces them.
		r.Requests[0].Lines = []connector.LineQuantity{{LineID: "L1", SKU: "TEA-01", Quantity: 99}}
		r.Requests[0].State = ledger.RequestNew
		// Entries' Lines maps are never written once appended (see OrderRecord.Clone), so
		// only the slice itself must be a copy.
		r.Shipments[0].ID = "changed"
		r.Shipments = append(r.Shipments, ledger.ShipmentEntry{ID: "added"})
	}
	scribble(rec)
	got, err := s.GetOrder(ctx, want.Key)
	must(c, "GetOrder", err)
	if !reflect.DeepEqual(utcOrder(got), want) {
		c.Fatalf("changing the record after PutOrder changed the store: got\n\t%+v\nwant\n\t%+v", utcOrder(got), want)
	}
	scribble(got)
	again, err := s.GetOrder(ctx, want.Key)
	must(c, "GetOrder", err)
	if !reflect.DeepEqual(utcOrder(again), want) {
		c.Fatalf("changing a record GetOrder returned changed the store: got\n\t%+v\nwant\n\t%+v", utcOrder(again), want)
	}
	pend, err := s.PendingOrders(ctx, "m1", "shop", 10)
	must(c, "PendingOrders", err)
	if len(pend) != 1 {
		c.Fatalf("PendingOrders returned %d records, want 1", len(pend))
	}
	scribble(pend[0])
	again, err = s.GetOrder(ctx, want.Key)
	must(c, "GetOrder", err)
	if !reflect.DeepEqual(utcOrder(again), want) {
		c.Errorf("changing a record PendingOrders returned changed the store: got\n\t%+v\nwant\n\t%+v", utcOrder(again), want)
	}
}

func orderIDs(recs []*ledger.OrderRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key.OrderID
	}
	return out
}

func orderPending(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	put := func(m, ch, id string, pending bool, i int) *ledger.OrderRecord {
		rec := sampleOrder(m, ch, id)
		rec.Pending = pending
		rec.UpdatedAt = t0.Add(timeStep(i))
		must(c, "PutOrder", s.PutOrder(ctx, rec))
		return rec
	}
	a := put("m1", "shop", "A", true, 0)
	put("m1", "shop", "N", false, 1)
	b := put("m1", "shop", "B", true, 2)
	put("m1", "mall", "X", true, 3)
	put("m2", "shop", "Y", true, 4)
	put("m1", "shop", "C", true, 5)

	check := func(limit int, want ...string) {
		c.Helper()
		got, err := s.PendingOrders(ctx, "m1", "shop", limit)
		must(c, "PendingOrders", err)
		if ids := orderIDs(got); !reflect.DeepEqual(ids, want) && !(len(ids) == 0 && len(want) == 0) {
			c.Errorf("PendingOrders(m1, shop, %d) = %v, want %v", limit, ids, want)
		}
	}
	check(10, "A", "B", "C")
	check(2, "A", "B")
	b.Pending = false
	must(c, "PutOrder", s.PutOrder(ctx, b))
	check(10, "A", "C")
	a.Pending, a.State = false, ledger.StateSent
	must(c, "PutOrder", s.PutOrder(ctx, a))
	check(10, "C")
	if got, err := s.PendingOrders(ctx, "m2", "shop", 10); err != nil || !reflect.DeepEqual(orderIDs(got), []string{"Y"}) {
		c.Errorf("PendingOrders(m2, shop) = %v, %v; want [Y]", orderIDs(got), err)
	}
	if got, err := s.PendingOrders(ctx, "m1", "mall", 10); err != nil || !reflect.DeepEqual(orderIDs(got), []string{"X"}) {
		c.Errorf("PendingOrders(m1, mall) = %v, %v; want [X]", orderIDs(got), err)
	}
	if got, err := s.PendingOrders(ctx, "m3", "shop", 10); err != nil || len(got) != 0 {
		c.Errorf("PendingOrders of an unknown merchant = %v, %v; want nothing", orderIDs(got), err)
	}
}

func orderIsolation(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	keys := []ledger.OrderKey{
		{Merchant: "m1", Channel: "shop", OrderID: "1001"},
		{Merchant: "m2", Channel: "shop", OrderID: "1001"},
		{Merchant: "m1", Channel: "mall", OrderID: "1001"},
		// Keys that a store joining parts with "/" would confuse.
		{Merchant: "a/b", Channel: "c", OrderID: "d"},
		{Merchant: "a", Channel: "b/c", OrderID: "d"},
		{Merchant: "a", Channel: "b", OrderID: "c/d"},
	}
	for i, k := range keys {
		rec := sampleOrder(k.Merchant, k.Channel, k.OrderID)
		rec.HoldReason = fmt.Sprint("record ", i)
		if err := s.PutOrder(ctx, rec); err != nil {
			c.Errorf("inserting %+v after %v: %v; distinct keys must not collide", k, keys[:i], err)
		}
	}
	for i, k := range keys {
		got, err := s.GetOrder(ctx, k)
		if err != nil {
			c.Errorf("GetOrder(%+v): %v", k, err)
			continue
		}
		if got.HoldReason != fmt.Sprint("record ", i) || got.Key != k {
			c.Errorf("GetOrder(%+v) returned the record of %+v (%q)", k, got.Key, got.HoldReason)
		}
	}
}

// orderHeld checks ledger.OrderLister, skipping a store without it (the capability is optional).
func orderHeld(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	ol, ok := s.(ledger.OrderLister)
	if !ok {
		c.Skip("the store does not implement ledger.OrderLister (optional)")
	}
	put := func(m, ch, id string, state ledger.OrderState) *ledger.OrderRecord {
		rec := sampleOrder(m, ch, id)
		rec.State, rec.Pending = state, false
		must(c, "PutOrder", s.PutOrder(ctx, rec))
		return rec
	}
	a := put("m1", "shop", "A", ledger.StateHeld)
	put("m1", "shop", "B", ledger.StateSent)
	put("m1", "mall", "X", ledger.StateHeld)
	put("m1", "shop", "C", ledger.StateHeld)
	put("m2", "shop", "Y", ledger.StateHeld)
	check := func(after ledger.OrderKey, limit int, want ...string) {
		c.Helper()
		got, err := ol.HeldOrders(ctx, "m1", after, limit)
		must(c, "HeldOrders", err)
		if ids := orderIDs(got); !reflect.DeepEqual(ids, want) && !(len(ids) == 0 && len(want) == 0) {
			c.Errorf("HeldOrders(m1, after %v, %d) = %v, want %v", after, limit, ids, want)
		}
	}
	check(ledger.OrderKey{}, 10, "X", "A", "C")
	check(ledger.OrderKey{}, 2, "X", "A")
	check(ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: "A"}, 10, "C")
	check(ledger.OrderKey{Merchant: "m1", Channel: "mall", OrderID: "X"}, 1, "A")
	a.State = ledger.StateSent
	must(c, "PutOrder", s.PutOrder(ctx, a))
	check(ledger.OrderKey{}, 10, "X", "C")
	got, err := ol.HeldOrders(ctx, "m1", ledger.OrderKey{}, 10)
	must(c, "HeldOrders", err)
	if len(got) > 0 && (got[0].Order == nil || got[0].Order.ShipTo.Name != "山田 太郎" || got[0].Version == 0) {
		c.Errorf("HeldOrders returned a record without its order or version: %+v", got[0])
	}
}

// orderHeldByRefs: a record whose connector data holds the text of a held state is not held.
func orderHeldByRefs(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	ol, ok := s.(ledger.OrderLister)
	if !ok {
		c.Skip("the store does not implement ledger.OrderLister (optional)")
	}
	for _, id := range []string{"A", "B", "C"} {
		rec := sampleOrder("m1", "shop", id)
		rec.State = ledger.StateSent
		o := *rec.Order
		o.Refs = map[string]string{"state": "held"}
		rec.Order = &o
		must(c, "PutOrder", s.PutOrder(ctx, rec))
	}
	must(c, "PutOrder", s.PutOrder(ctx, sampleOrder("m1", "shop", "D")))
	got, err := ol.HeldOrders(ctx, "m1", ledger.OrderKey{}, 1)
	must(c, "HeldOrders", err)
	if ids := orderIDs(got); !reflect.DeepEqual(ids, []string{"D"}) {
		c.Errorf("HeldOrders(m1, 1) = %v, want [D]: only the record's own state counts", ids)
	}
}

// orderByNumber: OrdersByNumber finds the orders of one channel whose Number is the one asked,
// exactly (not a prefix, not a number held in connector data, not another channel's).
func orderByNumber(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	ol, ok := s.(ledger.OrderLister)
	if !ok {
		c.Skip("the store does not implement ledger.OrderLister (optional)")
	}
	put := func(ch, id, number string, refs map[string]string) {
		rec := sampleOrder("m1", ch, id)
		o := *rec.Order
		o.Number, o.Refs = number, refs
		rec.Order = &o
		must(c, "PutOrder", s.PutOrder(ctx, rec))
	}
	put("shop", "gid-1", "#1001", nil)
	put("shop", "gid-2", "#10011", nil)
	put("shop", "gid-3", "#2002", map[string]string{"note": `"number":"#1001"`})
	put("mall", "gid-4", "#1001", nil)
	put("shop", "gid-5", `#1001"x`, nil)
	got, err := ol.OrdersByNumber(ctx, "m1", "shop", "#1001", 10)
	must(c, "OrdersByNumber", err)
	if ids := orderIDs(got); !reflect.DeepEqual(ids, []string{"gid-1"}) {
		c.Errorf(`OrdersByNumber(m1, shop, "#1001") = %v, want [gid-1]`, ids)
	}
	got, err = ol.OrdersByNumber(ctx, "m1", "shop", `#1001"x`, 10)
	must(c, "OrdersByNumber", err)
	if ids := orderIDs(got); !reflect.DeepEqual(ids, []string{"gid-5"}) {
		c.Errorf("OrdersByNumber with a quote in the number = %v, want [gid-5]", ids)
	}
	if got, err := ol.OrdersByNumber(ctx, "m2", "shop", "#1001", 10); err != nil || len(got) != 0 {
		c.Errorf("OrdersByNumber of another merchant = %v, %v; want none", orderIDs(got), err)
	}
}
