package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

func shipmentRoundTrip(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	if got, err := s.GetShipment(ctx, "m1/wh-1/nope"); !errors.Is(err, ledger.ErrNotFound) {
		c.Errorf("GetShipment of a missing ID = %v, %v; want an error matching sync.ErrNotFound", got, err)
	}
	want := sampleShipment("m1", "S1")
	rec := want.Clone()
	must(c, "PutShipment", s.PutShipment(ctx, rec))
	if rec.Version == 0 {
		c.Fatalf("PutShipment left Version 0; it must set the new version on rec")
	}
	want.Version = rec.Version
	got, err := s.GetShipment(ctx, want.ID)
	must(c, "GetShipment", err)
	if !reflect.DeepEqual(utcShipment(got), want) {
		c.Errorf("GetShipment returned\n\t%+v\nwant\n\t%+v", utcShipment(got), want)
	}
}

func shipmentCAS(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec := sampleShipment("m1", "S1")
	must(c, "PutShipment", s.PutShipment(ctx, rec))
	if err := s.PutShipment(ctx, sampleShipment("m1", "S1")); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("second insert of a shipment = %v, want ErrConflict", err)
	}
	stale := rec.Clone()
	rec.State = ledger.ShipmentConfirmed
	must(c, "PutShipment update", s.PutShipment(ctx, rec))
	stale.State = ledger.ShipmentQuarantined
	if err := s.PutShipment(ctx, stale); !errors.Is(err, ledger.ErrConflict) {
		c.Errorf("PutShipment with a stale version = %v, want ErrConflict", err)
	}
	got, err := s.GetShipment(ctx, rec.ID)
	must(c, "GetShipment", err)
	if got.State != ledger.ShipmentConfirmed || got.Version != rec.Version {
		c.Errorf("after a refused stale write GetShipment = %s v%d, want %s v%d", got.State, got.Version, ledger.ShipmentConfirmed, rec.Version)
	}
}

func shipmentRace(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	for r := range rounds {
		id := fmt.Sprint("S", r)
		if wins := race(c, h.Concurrency, func(i int) error {
			return s.PutShipment(ctx, sampleShipment("m1", id))
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d inserts of shipment %s succeeded, want exactly 1", r, wins, h.Concurrency, id)
		}
		cur, err := s.GetShipment(ctx, sampleShipment("m1", id).ID)
		must(c, "GetShipment", err)
		if wins := race(c, h.Concurrency, func(i int) error {
			mine := cur.Clone()
			mine.Reason = fmt.Sprint("writer ", i)
			return s.PutShipment(ctx, mine)
		}); wins != 1 {
			c.Fatalf("round %d: %d of %d updates of version %d succeeded, want exactly 1", r, wins, h.Concurrency, cur.Version)
		}
	}
}

func shipmentCopies(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	rec := sampleShipment("m1", "S1")
	must(c, "PutShipment", s.PutShipment(ctx, rec))
	want := rec.Clone()
	scribble := func(r *ledger.ShipmentRecord) {
		r.State = ledger.ShipmentConfirmed
		r.Shipment.Lines[0].Quantity = 99
		r.Shipment.Parcels[0].TrackingNumber = "changed"
	}
	scribble(rec)
	got, err := s.GetShipment(ctx, want.ID)
	must(c, "GetShipment", err)
	if !reflect.DeepEqual(utcShipment(got), want) {
		c.Fatalf("changing the record after PutShipment changed the store: got\n\t%+v\nwant\n\t%+v", utcShipment(got), want)
	}
	scribble(got)
	pend, err := s.PendingShipments(ctx, "m1", 10)
	must(c, "PendingShipments", err)
	if len(pend) == 1 {
		scribble(pend[0])
	}
	again, err := s.GetShipment(ctx, want.ID)
	must(c, "GetShipment", err)
	if !reflect.DeepEqual(utcShipment(again), want) {
		c.Errorf("changing records GetShipment and PendingShipments returned changed the store: got\n\t%+v\nwant\n\t%+v", utcShipment(again), want)
	}
}

func shipmentIDs(recs []*ledger.ShipmentRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Shipment.ID
	}
	return out
}

func shipmentPending(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	put := func(m, id string, st ledger.ShipmentState, i int) *ledger.ShipmentRecord {
		rec := sampleShipment(m, id)
		rec.State = st
		rec.CreatedAt = t0.Add(timeStep(i))
		must(c, "PutShipment", s.PutShipment(ctx, rec))
		return rec
	}
	a := put("m1", "A", ledger.ShipmentPending, 0)
	put("m1", "W", ledger.ShipmentWaiting, 1)
	put("m1", "B", ledger.ShipmentPending, 2)
	put("m2", "A", ledger.ShipmentPending, 3)
	put("m1", "Q", ledger.ShipmentQuarantined, 4)
	put("m1", "C", ledger.ShipmentPending, 5)
	check := func(limit int, want ...string) {
		c.Helper()
		got, err := s.PendingShipments(ctx, "m1", limit)
		must(c, "PendingShipments", err)
		if ids := shipmentIDs(got); !slices.Equal(ids, want) {
			c.Errorf("PendingShipments(m1, %d) = %v, want %v", limit, ids, want)
		}
	}
	check(10, "A", "B", "C")
	check(2, "A", "B")
	a.State = ledger.ShipmentConfirmed
	must(c, "PutShipment", s.PutShipment(ctx, a))
	check(10, "B", "C")
	if got, err := s.PendingShipments(ctx, "m2", 10); err != nil || !slices.Equal(shipmentIDs(got), []string{"A"}) {
		c.Errorf("PendingShipments(m2) = %v, %v; want [A]: merchant m2's shipment A is not m1's", shipmentIDs(got), err)
	}
}

func levelsOf(c *suite.Check, s ledger.Store, merchant string) map[string]inventory.Level {
	c.Helper()
	ls, err := s.Levels(c.Context(), merchant)
	must(c, "Levels", err)
	out := map[string]inventory.Level{}
	for _, l := range ls {
		if _, dup := out[l.SKU]; dup {
			c.Errorf("Levels(%s) lists SKU %s twice", merchant, l.SKU)
		}
		out[l.SKU] = l
	}
	return out
}

func stockLevels(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	at := func(i int) time.Time { return t0.Add(timeStep(i)) }
	must(c, "PutLevels", s.PutLevels(ctx, "m1", []inventory.Level{{SKU: "A", OnHand: 5, AsOf: at(2)}, {SKU: "B", OnHand: 0, AsOf: at(2)}}))
	must(c, "PutLevels", s.PutLevels(ctx, "m2", []inventory.Level{{SKU: "A", OnHand: 50, AsOf: at(9)}}))
	// An older snapshot arriving late must not overwrite a newer one (invariant 4).
	must(c, "PutLevels", s.PutLevels(ctx, "m1", []inventory.Level{{SKU: "A", OnHand: 3, AsOf: at(1)}, {SKU: "B", OnHand: 7, AsOf: at(3)}}))
	got := levelsOf(c, s, "m1")
	want := map[string]struct {
		n  int
		at time.Time
	}{"A": {5, at(2)}, "B": {7, at(3)}}
	if len(got) != len(want) {
		c.Errorf("Levels(m1) has %d SKUs, want %d: %v", len(got), len(want), got)
	}
	for sku, w := range want {
		if l := got[sku]; l.OnHand != w.n || !l.AsOf.Equal(w.at) {
			c.Errorf("Levels(m1)[%s] = %d as of %s, want %d as of %s", sku, l.OnHand, l.AsOf, w.n, w.at)
		}
	}
	// A level with the same AsOf replaces: the spec keeps the old one only when it is later.
	must(c, "PutLevels", s.PutLevels(ctx, "m1", []inventory.Level{{SKU: "A", OnHand: 4, AsOf: at(2)}}))
	if l := levelsOf(c, s, "m1")["A"]; l.OnHand != 4 {
		c.Errorf("a level with an equal AsOf did not replace: Levels(m1)[A] = %d, want 4", l.OnHand)
	}
	if l := levelsOf(c, s, "m2"); len(l) != 1 || l["A"].OnHand != 50 {
		c.Errorf("Levels(m2) = %v, want only A=50: merchants share no stock", l)
	}
}

func stockReservations(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	r1 := inventory.Reservation{Key: "m1/shop/1001", Channel: "shop", Items: []inventory.Item{{SKU: "A", Quantity: 2}}}
	r2 := inventory.Reservation{Key: "m1/shop/1002", Channel: "shop", Items: []inventory.Item{{SKU: "B", Quantity: 1}, {SKU: "A", Quantity: 1}}}
	must(c, "PutReservation", s.PutReservation(ctx, "m1", r1))
	must(c, "PutReservation", s.PutReservation(ctx, "m1", r2))
	must(c, "PutReservation", s.PutReservation(ctx, "m2", r1))
	r1b := r1
	r1b.Items = []inventory.Item{{SKU: "A", Quantity: 1}}
	must(c, "PutReservation replace", s.PutReservation(ctx, "m1", r1b))
	get := func(m string) map[string]inventory.Reservation {
		rs, err := s.Reservations(ctx, m)
		must(c, "Reservations", err)
		out := map[string]inventory.Reservation{}
		for _, r := range rs {
			out[r.Key] = r
		}
		if len(out) != len(rs) {
			c.Errorf("Reservations(%s) lists a key twice", m)
		}
		return out
	}
	if got := get("m1"); !reflect.DeepEqual(got, map[string]inventory.Reservation{r1.Key: r1b, r2.Key: r2}) {
		c.Errorf("Reservations(m1) = %+v, want %+v and %+v", got, r1b, r2)
	}
	must(c, "DeleteReservation", s.DeleteReservation(ctx, "m1", r1.Key))
	must(c, "DeleteReservation of a missing key", s.DeleteReservation(ctx, "m1", "never"))
	if got := get("m1"); !reflect.DeepEqual(got, map[string]inventory.Reservation{r2.Key: r2}) {
		c.Errorf("after delete Reservations(m1) = %+v, want only %s", got, r2.Key)
	}
	if got := get("m2"); !reflect.DeepEqual(got, map[string]inventory.Reservation{r1.Key: r1}) {
		c.Errorf("Reservations(m2) = %+v, want %+v: merchant m1's writes reached m2", got, r1)
	}
}

func stockAcked(c *suite.Check, h Harness) {
	s, ctx := h.New(c.TB), c.Context()
	type ack = ledger.StockAck
	must(c, "PutAcked", s.PutAcked(ctx, "m1", "shop", map[string]ack{"A": {Available: 5}, "B": {Available: 2}, "E": {Available: 4, Write: "k-e1"}}))
	must(c, "PutAcked", s.PutAcked(ctx, "m1", "shop", map[string]ack{"B": {Available: 0}, "C": {Available: 1, Write: "k-c1", Compare: ptr(3)}, "D": {Available: -1}, "E": {Available: 4}}))
	must(c, "PutAcked", s.PutAcked(ctx, "m1", "mall", map[string]ack{"A": {Available: 9, Write: "k-a9"}}))
	must(c, "PutAcked", s.PutAcked(ctx, "m2", "shop", map[string]ack{"A": {Available: 7}}))
	for _, tc := range []struct {
		m, ch string
		want  map[string]ack
	}{
		{"m1", "shop", map[string]ack{"A": {Available: 5}, "B": {Available: 0}, "C": {Available: 1, Write: "k-c1", Compare: ptr(3)}, "D": {Available: -1}, "E": {Available: 4}}},
		{"m1", "mall", map[string]ack{"A": {Available: 9, Write: "k-a9"}}},
		{"m2", "shop", map[string]ack{"A": {Available: 7}}},
		{"m3", "shop", map[string]ack{}},
	} {
		got, err := s.Acked(ctx, tc.m, tc.ch)
		must(c, "Acked", err)
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			c.Errorf("Acked(%s, %s) = %v, want %v", tc.m, tc.ch, got, tc.want)
		}
	}
	got, _ := s.Acked(ctx, "m1", "shop")
	got["A"] = ack{Available: 99}
	*got["C"].Compare = 99
	if again, _ := s.Acked(ctx, "m1", "shop"); again["A"] != (ack{Available: 5}) || *again["C"].Compare != 3 {
		c.Errorf("changing the map Acked returned changed the store (A = %+v, C compares %d)", again["A"], *again["C"].Compare)
	}
}

func ptr(n int) *int { return &n }
