package sync_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// settledDay places four orders and settles two of them: s1 shipped and confirmed, s2
// cancelled; s3 and s4 are at the warehouse.
func settledDay(r *rig) {
	r.t.Helper()
	r.whs["wh"].SetOnHand("TEA", 50)
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		r.place("shop", newOrder(id, "TEA", 1))
	}
	r.syncOrders("shop")
	r.ship("wh", "shop", "s1")
	r.syncShipments()
	r.chans["shop"].Cancel("s2")
	r.syncOrders("shop")
}

func TestCompactSettledOrders(t *testing.T) {
	r := newRig(t, "shop")
	settledDay(r)
	require.Equal(t, ledger.StateShipped, r.ledger("shop", "s1").State)
	require.Equal(t, ledger.StateCancelled, r.ledger("shop", "s2").State)

	n, err := r.eng.Compact(r.ctx, "m1", 30*24*time.Hour)
	require.NoError(t, err)
	require.Zero(t, n, "nothing settled for 30 days yet")

	r.clock.Advance(31 * 24 * time.Hour)
	n, err = r.eng.Compact(r.ctx, "m1", 30*24*time.Hour)
	require.NoError(t, err)
	require.Equal(t, 2, n, "s1 shipped and confirmed, s2 cancelled")
	for _, id := range []string{"s1", "s2"} {
		_, err := r.eng.Order(r.ctx, ledger.OrderKey{Merchant: "m1", Channel: "shop", OrderID: id})
		require.ErrorIs(t, err, ledger.ErrNotFound, id)
	}
	require.Equal(t, ledger.StateSent, r.ledger("shop", "s3").State, "open work stays")
	submissions := r.whs["wh"].Submissions()

	// The channel lists the settled orders again: a status change after shipping, a cancelled
	// order touched, and a push of the shipped one as first seen.
	r.chans["shop"].Change("s1", func(o *order.Order) { o.Status, o.ChannelStatus = order.StatusClosed, "発送済み" })
	r.chans["shop"].Change("s2", func(o *order.Order) { o.ChannelStatus = "キャンセル確定" })
	res := r.syncOrders("shop")
	require.Zero(t, res.New, "a compacted order is never new")
	require.Zero(t, res.Quarantined)
	s1, _ := r.chans["shop"].Order("s1")
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "shop", s1))
	require.Equal(t, submissions, r.whs["wh"].Submissions(), "nothing imported twice")
	q, err := r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Empty(t, q)

	// A real change after settlement is quarantined, never imported as new.
	r.chans["shop"].Change("s1", func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" })
	r.chans["shop"].Change("s2", func(o *order.Order) { o.Status = order.StatusOpen })
	res = r.syncOrders("shop")
	require.Equal(t, 2, res.Quarantined)
	require.Zero(t, res.New)
	require.Equal(t, submissions, r.whs["wh"].Submissions())
	q, err = r.eng.ListQuarantine(r.ctx, "m1")
	require.NoError(t, err)
	require.Len(t, q, 2)
	for _, e := range q {
		require.Contains(t, e.Reason, "compacted", e.ItemID)
	}
	s2, _ := r.chans["shop"].Order("s2")
	err = r.eng.IngestOrderStrict(r.ctx, "m1", "shop", s2)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "compacted"), err.Error())
	require.Equal(t, submissions, r.whs["wh"].Submissions())
}

func TestCompactUnsupported(t *testing.T) {
	r := newRig(t, "shop")
	r.store = struct{ ledger.Store }{r.store}
	r.restart()
	_, err := r.eng.Compact(r.ctx, "m1", time.Hour)
	require.True(t, errors.Is(err, errors.ErrUnsupported), "%v", err)
}
