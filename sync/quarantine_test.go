package sync_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// TestQuarantineStaysUntilRetried: an order the warehouse refused for good is quarantined, and
// listed again unchanged (the overlap, the gap sweep, a duplicate webhook) it is not sent again
// and stays quarantined; it goes once the host retries it, and a second refused order goes once
// the channel sends a new version of it.
func TestQuarantineStaysUntilRetried(t *testing.T) {
	r := newRig(t, "shop")
	wh := r.whs["wh"]
	r.place("shop", newOrder("o1", "TEA", 1))
	wh.FailNext(1, connector.ErrPermanent)
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.Quarantined, "the run counts what it quarantined")
	require.Zero(t, res.Delivered)
	require.Zero(t, wh.Submissions())

	// The overlap lists it again at once, the gap sweep an hour later, and a webhook repeats it.
	for range 3 {
		res = r.syncOrders("shop")
		require.Zero(t, res.Quarantined+res.Delivered+res.Changed, "%+v", res)
	}
	r.clock.Advance(2 * time.Hour)
	r.syncOrders("shop")
	o, _ := r.chans["shop"].Order("o1")
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", o))
	require.Zero(t, wh.Submissions(), "a refused order is not sent again unchanged")
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, q, 1, "it stays quarantined")
	require.Contains(t, q[0].Reason, "warehouse wh refused")
	require.Equal(t, ledger.StateQuarantined, r.ledger("shop", "o1").State)
	require.Empty(t, eventsOf[tobirasync.QuarantineLifted](r))
	require.Len(t, eventsOf[tobirasync.ItemQuarantined](r), 1)
	err = r.eng.IngestOrderStrict(r.ctx, "m1", "shop", o)
	require.ErrorIs(t, err, tobirasync.ErrQuarantined, "a host that asks is told the order is stuck")

	// The host retries it: it goes, once, and leaves quarantine.
	require.NoError(t, r.eng.Retry(r.ctx, q[0].ID))
	require.Equal(t, 1, wh.Submissions())
	q, _ = r.eng.ListQuarantine(r.ctx, "m1")
	require.Empty(t, q)
	require.Equal(t, []tobirasync.QuarantineLifted{{Item: "order:" + okey("shop", "o1").String(), Key: okey("shop", "o1"), Reason: tobirasync.LiftedRetried}},
		eventsOf[tobirasync.QuarantineLifted](r))
	r.syncOrders("shop")
	require.Equal(t, 1, wh.Submissions())

	// A second refused order leaves quarantine when the channel sends a new version of it.
	r.place("shop", newOrder("o2", "TEA", 1))
	wh.FailNext(1, connector.ErrPermanent)
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.Quarantined)
	r.syncOrders("shop")
	require.Equal(t, 1, wh.Submissions())
	r.chans["shop"].Change("o2", func(o *order.Order) { o.Lines[0].Quantity = 2 })
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.Changed)
	require.Equal(t, 2, wh.Submissions())
	q, _ = r.eng.ListQuarantine(r.ctx, "m1")
	require.Empty(t, q)
	lifted := eventsOf[tobirasync.QuarantineLifted](r)
	require.Len(t, lifted, 2)
	require.Equal(t, tobirasync.LiftedNewVersion, lifted[1].Reason)
	require.Equal(t, ledger.StateSent, r.ledger("shop", "o2").State)
}

// TestIngestOrderInvalidOrder: a webhook handler gets nil for an invalid order (it is parked, and
// the platform must not redeliver it), and IngestOrderStrict an error wrapping ErrQuarantined.
func TestIngestOrderInvalidOrder(t *testing.T) {
	r := newRig(t, "shop")
	bad := newOrder("o1", "TEA", 1)
	bad.Lines[0].Quantity = -1
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", bad))
	err := r.eng.IngestOrderStrict(r.ctx, "m1", "shop", bad)
	require.ErrorIs(t, err, tobirasync.ErrQuarantined)
	require.Contains(t, err.Error(), "quantity")
	require.True(t, errors.Is(err, tobirasync.ErrQuarantined))
	require.NoError(t, r.eng.IngestOrderStrict(r.ctx, "m1", "shop", newOrder("o2", "TEA", 1)))
	q, _ := r.eng.ListQuarantine(r.ctx, "m1")
	require.Len(t, q, 1)
	require.NotContains(t, q[0].Reason, "cancelled", "a negative quantity is one error")
}

// TestHeldAndUnsentOrdersAreListed: a merchant's held orders and the orders waiting for a
// warehouse that is down are listed across its channels, with the age of the oldest unsent one.
func TestHeldAndUnsentOrdersAreListed(t *testing.T) {
	r := newRig(t, "shop", "mall")
	pending := newOrder("h1", "TEA", 1)
	pending.Status = order.StatusPending // unpaid: held by the default policy
	r.place("shop", pending)
	r.syncOrders("shop")
	held, err := r.eng.HeldOrders(r.ctx, "m1", ledger.OrderKey{}, 10)
	require.NoError(t, err)
	require.Len(t, held, 1)
	require.Equal(t, "h1", held[0].Key.OrderID)
	require.Contains(t, held[0].HoldReason, "pending")

	// The warehouse is down: the mall's order waits, and its age grows.
	r.place("mall", newOrder("u1", "TEA", 1))
	r.whs["wh"].FailNext(100, nil)
	_, err = r.eng.SyncOrders(r.ctx, "m1", "mall")
	require.Error(t, err)
	r.clock.Advance(10 * time.Minute)
	unsent, err := r.eng.UnsentOrders(r.ctx, "m1", 10)
	require.NoError(t, err)
	require.Len(t, unsent.Orders, 1)
	require.Equal(t, "u1", unsent.Orders[0].Key.OrderID)
	require.GreaterOrEqual(t, unsent.Oldest, 10*time.Minute)

	// Once it is back and the shop takes payment, nothing waits.
	r.whs["wh"].FailNext(0, nil)
	r.chans["shop"].Change("h1", func(o *order.Order) { o.Status = order.StatusOpen })
	r.syncOrders("mall")
	r.syncOrders("shop")
	unsent, err = r.eng.UnsentOrders(r.ctx, "m1", 10)
	require.NoError(t, err)
	require.Empty(t, unsent.Orders)
	require.Zero(t, unsent.Oldest)
	held, err = r.eng.HeldOrders(r.ctx, "m1", ledger.OrderKey{}, 10)
	require.NoError(t, err)
	require.Empty(t, held)
}

// TestQuarantinedVersionOfASentOrder: a broken new version of an order already sent is parked
// once (listed again, it is no news: no second event, nothing counted), the order stays as it was
// at the warehouse, a retry parks it again while it is still broken, and a fixed version lifts it
// and goes as a change.
func TestQuarantinedVersionOfASentOrder(t *testing.T) {
	r := newRig(t, "shop")
	r.place("shop", newOrder("o1", "TEA", 1))
	r.syncOrders("shop")
	r.chans["shop"].Change("o1", func(o *order.Order) { o.ShipTo.PostalCode = "1500001" })
	res := r.syncOrders("shop")
	require.Equal(t, 1, res.Quarantined)
	for range 2 {
		res = r.syncOrders("shop")
		require.Zero(t, res.Quarantined, "%+v", res)
	}
	r.clock.Advance(2 * time.Hour) // the gap sweep lists it again too
	r.syncOrders("shop")
	require.Len(t, eventsOf[tobirasync.ItemQuarantined](r), 1)
	require.Equal(t, ledger.StateSent, r.ledger("shop", "o1").State)

	q, _ := r.eng.ListQuarantine(r.ctx, "m1")
	require.Len(t, q, 1)
	require.NoError(t, r.eng.Retry(r.ctx, q[0].ID))
	q, _ = r.eng.ListQuarantine(r.ctx, "m1")
	require.Len(t, q, 1, "still broken: parked again")
	require.Len(t, eventsOf[tobirasync.ItemQuarantined](r), 2)

	r.chans["shop"].Change("o1", func(o *order.Order) { o.ShipTo.PostalCode = "150-0002" })
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.Changed)
	q, _ = r.eng.ListQuarantine(r.ctx, "m1")
	require.Empty(t, q, "the fixed version lifts the entry")
	require.Equal(t, []tobirasync.QuarantineLifted{{Item: q0ID("o1"), Key: okey("shop", "o1"), Reason: tobirasync.LiftedNewVersion}},
		eventsOf[tobirasync.QuarantineLifted](r))
	require.Len(t, eventsOf[tobirasync.OrderChanged](r), 1)
	require.Equal(t, 1, r.whs["wh"].Submissions())
}

func q0ID(id string) string { return "order:" + okey("shop", id).String() }
