package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

func sampleQuarantine(merchant, item string, i int) ledger.QuarantineEntry {
	return ledger.QuarantineEntry{
		ID: "order/" + merchant + "/shop/" + item, Kind: "order", Merchant: merchant, Source: "shop", ItemID: item,
		Reason: "lines[0].sku: is empty", Payload: []byte(`{"id":"` + item + `","lines":[]}`), At: t0.Add(timeStep(i)),
	}
}

func quarantineIDs(qs []ledger.QuarantineEntry) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.ItemID + "@" + q.Merchant
	}
	return out
}

func quarantine(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	a := sampleQuarantine("m1", "A", 0)
	payload := a.Payload
	must(c, "PutQuarantine", s.PutQuarantine(ctx, a))
	payload[2] = 'X' // the caller's buffer is its own; the store must have copied it
	must(c, "PutQuarantine", s.PutQuarantine(ctx, sampleQuarantine("m2", "B", 1)))
	must(c, "PutQuarantine", s.PutQuarantine(ctx, sampleQuarantine("m1", "C", 2)))

	list := func(m string) []ledger.QuarantineEntry {
		qs, err := s.ListQuarantine(ctx, m)
		must(c, "ListQuarantine", err)
		return qs
	}
	if got := quarantineIDs(list("m1")); !slices.Equal(got, []string{"A@m1", "C@m1"}) {
		c.Errorf("ListQuarantine(m1) = %v, want [A@m1 C@m1]", got)
	}
	if got := quarantineIDs(list("")); !slices.Equal(got, []string{"A@m1", "B@m2", "C@m1"}) {
		c.Errorf("ListQuarantine(\"\") = %v, want every merchant's, oldest first: [A@m1 B@m2 C@m1]", got)
	}
	got := list("m1")
	want := sampleQuarantine("m1", "A", 0)
	if len(got) > 0 {
		got[0].At = got[0].At.UTC()
		if !reflect.DeepEqual(got[0], want) {
			c.Errorf("ListQuarantine returned\n\t%+v\nwant\n\t%+v", got[0], want)
		}
		got[0].Payload[2] = 'Y'
		if again := list("m1"); len(again) > 0 && !bytes.Equal(again[0].Payload, want.Payload) {
			c.Errorf("changing a listed payload changed the store: %s", again[0].Payload)
		}
	}
	// Replacing by ID keeps one item with the new content.
	b2 := sampleQuarantine("m2", "B", 3)
	b2.Reason = "changed and still broken"
	must(c, "PutQuarantine replace", s.PutQuarantine(ctx, b2))
	if qs := list("m2"); len(qs) != 1 || qs[0].Reason != b2.Reason {
		c.Errorf("after replacing B ListQuarantine(m2) = %+v, want one item with reason %q", qs, b2.Reason)
	}
	must(c, "DeleteQuarantine", s.DeleteQuarantine(ctx, a.ID))
	must(c, "DeleteQuarantine of a missing ID", s.DeleteQuarantine(ctx, "never"))
	if got := quarantineIDs(list("m1")); !slices.Equal(got, []string{"C@m1"}) {
		c.Errorf("after delete ListQuarantine(m1) = %v, want [C@m1]", got)
	}
}

func acquire(c *suite.Check, s ledger.Store, name, owner string, at time.Time, ttl time.Duration) bool {
	c.Helper()
	ok, err := s.AcquireLease(c.Context(), name, owner, at, ttl)
	must(c, "AcquireLease", err)
	return ok
}

func leaseExpiry(c *suite.Check, h Harness) {
	s := h.New(c.TB)
	ttl := 10 * time.Second
	if !acquire(c, s, "m1/shop/orders", "r1", t0, ttl) {
		c.Fatalf("r1 could not take a free lease")
	}
	if acquire(c, s, "m1/shop/orders", "r2", t0.Add(5*time.Second), ttl) {
		c.Errorf("r2 took a lease r1 holds until %s at %s", t0.Add(ttl), t0.Add(5*time.Second))
	}
	if !acquire(c, s, "m1/shop/stock", "r2", t0.Add(5*time.Second), ttl) {
		c.Errorf("r2 could not take another, free lease: leases of different names must not exclude each other")
	}
	if !acquire(c, s, "m1/shop/orders", "r2", t0.Add(ttl+time.Second), ttl) {
		c.Fatalf("r2 could not take over r1's lease after it expired")
	}
	if acquire(c, s, "m1/shop/orders", "r1", t0.Add(ttl+2*time.Second), ttl) {
		c.Errorf("r1 took back its expired lease while r2 holds it")
	}
}

func leaseRenewal(c *suite.Check, h Harness) {
	s := h.New(c.TB)
	ttl := 10 * time.Second
	if !acquire(c, s, "l", "r1", t0, ttl) {
		c.Fatalf("r1 could not take a free lease")
	}
	if !acquire(c, s, "l", "r1", t0.Add(8*time.Second), ttl) {
		c.Fatalf("r1 could not renew the lease it holds")
	}
	if acquire(c, s, "l", "r2", t0.Add(12*time.Second), ttl) {
		c.Errorf("r2 took the lease at %s; r1 renewed it until %s", t0.Add(12*time.Second), t0.Add(18*time.Second))
	}
	if !acquire(c, s, "l", "r2", t0.Add(19*time.Second), ttl) {
		c.Errorf("r2 could not take the lease after the renewed one expired")
	}
}

func leaseRelease(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	ttl := time.Minute
	if !acquire(c, s, "l", "r1", t0, ttl) {
		c.Fatalf("r1 could not take a free lease")
	}
	must(c, "ReleaseLease by another owner", s.ReleaseLease(ctx, "l", "r2"))
	if acquire(c, s, "l", "r3", t0.Add(time.Second), ttl) {
		c.Errorf("r3 took the lease after r2, who never held it, released it")
	}
	must(c, "ReleaseLease", s.ReleaseLease(ctx, "l", "r1"))
	if !acquire(c, s, "l", "r3", t0.Add(2*time.Second), ttl) {
		c.Errorf("r3 could not take the lease r1 released")
	}
	must(c, "ReleaseLease of a free lease", s.ReleaseLease(ctx, "free", "r1"))
}

func leaseRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	for r := range rounds {
		name := fmt.Sprint("lease-", r)
		at := t0.Add(time.Duration(r) * time.Hour)
		holders := race(c, h.Concurrency, func(i int) error {
			ok, err := s.AcquireLease(ctx, name, fmt.Sprint("r", i), at, time.Minute)
			if err == nil && !ok {
				return ledger.ErrConflict // counted as a loss
			}
			return err
		})
		if holders != 1 {
			c.Fatalf("round %d: %d of %d replicas acquired the same free lease, want exactly 1", r, holders, h.Concurrency)
		}
	}
}
