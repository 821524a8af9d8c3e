package storetest

import (
	"context"
	"reflect"
	"time"

	"github.com/tobira-commerce/tobira/internal/suite"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

func cancelledContext(c *suite.Check, h Harness) {
	s := h.New(c.TB)
	ctx, cancel := context.WithCancel(c.Context())
	cancel()
	if _, _, err := s.GetCursor(ctx, "cur"); err == nil {
		c.Errorf("GetCursor with a cancelled context returned no error")
	}
	if err := s.PutOrder(ctx, sampleOrder("m1", "shop", "1001")); err == nil {
		c.Errorf("PutOrder with a cancelled context returned no error")
	}
}

func reopen(c *suite.Check, h Harness) {
	if h.Reopen == nil {
		c.Skip("Harness.Reopen is nil: the store does not persist, so there is nothing to reopen")
	}
	s, ctx := h.New(c.TB), c.Context()
	ver, err := s.PutCursor(ctx, "cur", opaqueCursor, 0)
	must(c, "PutCursor", err)
	ord := sampleOrder("m1", "shop", "1001")
	must(c, "PutOrder", s.PutOrder(ctx, ord))
	shp := sampleShipment("m1", "S1")
	must(c, "PutShipment", s.PutShipment(ctx, shp))
	must(c, "PutLevels", s.PutLevels(ctx, "m1", []inventory.Level{{SKU: "A", OnHand: 3, AsOf: t0}}))
	res := inventory.Reservation{Key: "m1/shop/1001", Channel: "shop", Items: []inventory.Item{{SKU: "A", Quantity: 1}}}
	must(c, "PutReservation", s.PutReservation(ctx, "m1", res))
	must(c, "PutAcked", s.PutAcked(ctx, "m1", "shop", map[string]ledger.StockAck{"A": {Available: 2, Write: "k-2"}}))
	q := sampleQuarantine("m1", "Q", 0)
	must(c, "PutQuarantine", s.PutQuarantine(ctx, q))
	if !acquire(c, s, "lease", "r1", t0, time.Hour) {
		c.Fatalf("r1 could not take a free lease")
	}

	s = h.Reopen(c.TB, s)

	if v, got, err := s.GetCursor(ctx, "cur"); err != nil || v != opaqueCursor || got != ver {
		c.Errorf("after reopen GetCursor = %.30q…, %d, %v; want the value and version %d", v, got, err, ver)
	}
	if _, err := s.PutCursor(ctx, "cur", "next", ver); err != nil {
		c.Errorf("after reopen PutCursor with the version read before = %v; versions must carry on", err)
	}
	if got, err := s.GetOrder(ctx, ord.Key); err != nil || !reflect.DeepEqual(utcOrder(got), ord) {
		c.Errorf("after reopen GetOrder = %+v, %v; want %+v", got, err, ord)
	}
	if p, err := s.PendingOrders(ctx, "m1", "shop", 10); err != nil || len(p) != 1 {
		c.Errorf("after reopen PendingOrders = %d records, %v; want 1", len(p), err)
	}
	ord.State = ledger.StateSent
	if err := s.PutOrder(ctx, ord); err != nil {
		c.Errorf("after reopen PutOrder with the version read before = %v", err)
	}
	if got, err := s.GetShipment(ctx, shp.ID); err != nil || !reflect.DeepEqual(utcShipment(got), shp) {
		c.Errorf("after reopen GetShipment = %+v, %v; want %+v", got, err, shp)
	}
	if p, err := s.PendingShipments(ctx, "m1", 10); err != nil || len(p) != 1 {
		c.Errorf("after reopen PendingShipments = %d records, %v; want 1", len(p), err)
	}
	if ls, err := s.Levels(ctx, "m1"); err != nil || len(ls) != 1 || ls[0].OnHand != 3 || !ls[0].AsOf.Equal(t0) {
		c.Errorf("after reopen Levels = %+v, %v; want A=3 as of %s", ls, err, t0)
	}
	if rs, err := s.Reservations(ctx, "m1"); err != nil || len(rs) != 1 || !reflect.DeepEqual(rs[0], res) {
		c.Errorf("after reopen Reservations = %+v, %v; want %+v", rs, err, res)
	}
	if a, err := s.Acked(ctx, "m1", "shop"); err != nil || !reflect.DeepEqual(a, map[string]ledger.StockAck{"A": {Available: 2, Write: "k-2"}}) {
		c.Errorf("after reopen Acked = %v, %v; want A: 2 under write k-2", a, err)
	}
	if qs, err := s.ListQuarantine(ctx, "m1"); err != nil || len(qs) != 1 || qs[0].ID != q.ID || string(qs[0].Payload) != string(q.Payload) {
		c.Errorf("after reopen ListQuarantine = %+v, %v; want %s", qs, err, q.ID)
	}
	if acquire(c, s, "lease", "r2", t0.Add(time.Minute), time.Hour) {
		c.Errorf("after reopen r2 took the lease r1 holds for an hour")
	}
}
