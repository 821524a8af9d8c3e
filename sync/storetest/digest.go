package storetest

import (
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// digesterOf returns the store's OrderDigester, skipping the check when it has none: the
// capability is optional, and the engine reads whole records without it.
func digesterOf(c *suite.Check, s ledger.Store) ledger.OrderDigester {
	od, ok := s.(ledger.OrderDigester)
	if !ok {
		c.Skip("the store does not implement ledger.OrderDigester (optional)")
	}
	return od
}

func digestsAgree(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	od := digesterOf(c, s)
	// Records in every state, pending and not (a store may keep the two apart), with and without
	// what the digest carries, one updated after its insert, one of another merchant.
	var keys []ledger.OrderKey
	states := []ledger.OrderState{ledger.StateRecorded, ledger.StateHeld, ledger.StateSent, ledger.StateShipped,
		ledger.StateCancelled, ledger.StateQuarantined, ledger.StateNotRouted}
	for i, st := range states {
		for _, pending := range []bool{true, false} {
			rec := sampleOrder("m1", "shop", string(st)+map[bool]string{true: "-p", false: "-q"}[pending])
			rec.State, rec.Pending = st, pending
			switch i % 3 {
			case 1:
				rec.Parked = ""
				o := *rec.Order
				o.ChannelStatus, o.Status, o.UpdatedAt = "", order.StatusCancelled, time.Time{}
				rec.Order = &o
			case 2:
				o := *rec.Order
				o.UpdatedAt = t0.Add(time.Duration(i) * time.Millisecond).In(time.FixedZone("JST", 9*60*60))
				rec.Order = &o
			}
			must(c, "PutOrder", s.PutOrder(ctx, rec))
			keys = append(keys, rec.Key)
		}
	}
	updated := sampleOrder("m1", "shop", "updated")
	updated.Pending = false
	must(c, "PutOrder", s.PutOrder(ctx, updated))
	updated.Fingerprint, updated.Parked, updated.State = "another", "", ledger.StateSent
	must(c, "PutOrder", s.PutOrder(ctx, updated))
	other := sampleOrder("m2", "shop", "updated")
	other.Fingerprint = "of-m2"
	must(c, "PutOrder", s.PutOrder(ctx, other))
	keys = append(keys, updated.Key, other.Key)
	missing := []ledger.OrderKey{{Merchant: "m1", Channel: "shop", OrderID: "none"}, {Merchant: "m1", Channel: "mall", OrderID: "updated"}}

	all := append(append([]ledger.OrderKey{}, missing...), keys...)
	got, err := od.OrderDigests(ctx, all)
	must(c, "OrderDigests", err)
	if len(got) != len(all) {
		c.Fatalf("OrderDigests of %d keys returned %d digests, want one per key", len(all), len(got))
	}
	for i, k := range all {
		want := ledger.OrderDigest{} // a key without a record
		if i >= len(missing) {
			rec, err := s.GetOrder(ctx, k)
			must(c, "GetOrder", err)
			want = ledger.DigestOf(rec)
		}
		g := got[i]
		// Times are compared as instants: a store may hand them back in another location.
		if g.Version != want.Version || g.Fingerprint != want.Fingerprint || g.Parked != want.Parked ||
			g.HasOrder != want.HasOrder || !g.UpdatedAt.Equal(want.UpdatedAt) || g.Status != want.Status || g.ChannelStatus != want.ChannelStatus {
			c.Errorf("OrderDigests(%s) = %+v, want %+v (the record's digest, or the zero one without a record)", k, g, want)
		}
	}
	none, err := od.OrderDigests(ctx, missing)
	must(c, "OrderDigests", err)
	if none != nil && (len(none) != len(missing) || slices.ContainsFunc(none, func(d ledger.OrderDigest) bool { return d != ledger.OrderDigest{} })) {
		c.Errorf("OrderDigests of keys without records = %+v, want nil or zero digests, one per key", none)
	}
}
