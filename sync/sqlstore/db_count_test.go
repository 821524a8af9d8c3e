package sqlstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tobira-commerce/tobira/inventory"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

// countingStore counts the writes and reads an engine makes, to tell store cost from engine cost.
type countingStore struct {
	ledger.Store
	getOrder, putOrder, pending, cursor, lease, reserve, acked atomic.Int64
	putShipment, pendingShipments                              atomic.Int64
	// Batch calls; the records they carry count in getOrder and putOrder.
	getOrders, putOrders, putReservations, putReserving atomic.Int64
}

func (c *countingStore) GetOrder(ctx context.Context, k ledger.OrderKey) (*ledger.OrderRecord, error) {
	c.getOrder.Add(1)
	return c.Store.GetOrder(ctx, k)
}

func (c *countingStore) PutOrder(ctx context.Context, r *ledger.OrderRecord) error {
	c.putOrder.Add(1)
	return c.Store.PutOrder(ctx, r)
}

// GetOrders and PutOrders pass the store's batch capability through, counted per record, so that
// the engine takes the same path as on the bare store.
func (c *countingStore) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	c.getOrders.Add(1)
	c.getOrder.Add(int64(len(keys)))
	return c.Store.(ledger.BatchOrderLedger).GetOrders(ctx, keys)
}

func (c *countingStore) PutOrders(ctx context.Context, recs []*ledger.OrderRecord) []error {
	c.putOrders.Add(1)
	c.putOrder.Add(int64(len(recs)))
	return c.Store.(ledger.BatchOrderLedger).PutOrders(ctx, recs)
}

func (c *countingStore) PendingOrders(ctx context.Context, m, ch string, n int) ([]*ledger.OrderRecord, error) {
	c.pending.Add(1)
	return c.Store.PendingOrders(ctx, m, ch, n)
}

func (c *countingStore) PutCursor(ctx context.Context, name, v string, ver int64) (int64, error) {
	c.cursor.Add(1)
	return c.Store.PutCursor(ctx, name, v, ver)
}

func (c *countingStore) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	c.lease.Add(1)
	return c.Store.AcquireLease(ctx, name, owner, now, ttl)
}

func (c *countingStore) PutReservation(ctx context.Context, m string, r inventory.Reservation) error {
	c.reserve.Add(1)
	return c.Store.PutReservation(ctx, m, r)
}

func (c *countingStore) PutAcked(ctx context.Context, m, ch string, v map[string]ledger.StockAck) error {
	c.acked.Add(1)
	return c.Store.PutAcked(ctx, m, ch, v)
}

func (c *countingStore) PutShipment(ctx context.Context, r *ledger.ShipmentRecord) error {
	c.putShipment.Add(1)
	return c.Store.PutShipment(ctx, r)
}

func (c *countingStore) PendingShipments(ctx context.Context, m string, n int) ([]*ledger.ShipmentRecord, error) {
	c.pendingShipments.Add(1)
	return c.Store.PendingShipments(ctx, m, n)
}

func (c *countingStore) PutReservations(ctx context.Context, m string, rs []inventory.Reservation) error {
	c.putReservations.Add(1)
	c.reserve.Add(int64(len(rs)))
	return c.Store.(ledger.BatchReservations).PutReservations(ctx, m, rs)
}

func (c *countingStore) DeleteReservation(ctx context.Context, m, key string) error {
	c.reserve.Add(1)
	return c.Store.DeleteReservation(ctx, m, key)
}

func (c *countingStore) String() string {
	return fmt.Sprintf("GetOrder %d PutOrder %d PendingOrders %d PutReservation/Delete %d PutAcked %d PutShipment %d PendingShipments %d PutCursor %d AcquireLease %d",
		c.getOrder.Load(), c.putOrder.Load(), c.pending.Load(), c.reserve.Load(), c.acked.Load(), c.putShipment.Load(), c.pendingShipments.Load(), c.cursor.Load(), c.lease.Load())
}

// PutOrdersReserving passes the store's capability through like PutOrders, its records and
// reservation changes counted with the others.
func (c *countingStore) PutOrdersReserving(ctx context.Context, recs []*ledger.OrderRecord, rs []ledger.ReservationChange) []error {
	c.putReserving.Add(1)
	c.putOrder.Add(int64(len(recs)))
	for _, r := range rs {
		if r.Delete != "" || r.Put.Key != "" {
			c.reserve.Add(1)
		}
	}
	return c.Store.(ledger.ReservingOrderLedger).PutOrdersReserving(ctx, recs, rs)
}
