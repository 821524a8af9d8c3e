package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
)

// An order changed several times is listed once, at its latest update time, whether its earlier
// places in the listing were sorted away or are still held as superseded entries.
func TestListingShowsEachOrderOnceAtItsLatestUpdate(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ch := &memory.Channel{Now: func() time.Time { return now }, PageSize: 2}
	for _, id := range []string{"a", "b", "c", "d"} {
		ch.Place(order.Order{ID: id, Status: order.StatusOpen, Lines: []order.Line{{ID: "1", SKU: "TEA", Quantity: 1}}})
		now = now.Add(time.Second)
	}
	for range 3 {
		ch.Change("b", func(o *order.Order) { o.Lines[0].Quantity++ })
		now = now.Add(time.Second)
	}
	ch.Cancel("a")
	now = now.Add(time.Second)

	var ids []string
	req := connector.ListOrdersRequest{From: time.Time{}, To: now}
	for {
		p, err := ch.ListOrders(context.Background(), req)
		require.NoError(t, err)
		for _, o := range p.Orders {
			ids = append(ids, o.ID)
		}
		if p.Next == "" {
			break
		}
		req.Page = p.Next
	}
	require.Equal(t, []string{"c", "d", "b", "a"}, ids)

	o, _ := ch.Order("b")
	p, err := ch.ListOrders(context.Background(), connector.ListOrdersRequest{From: o.UpdatedAt.Add(-time.Second), To: now})
	require.NoError(t, err)
	require.Len(t, p.Orders, 2, "b's latest update and a's cancellation, not b's earlier updates")
	require.Equal(t, 4, p.Orders[0].Lines[0].Quantity)
}
