package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
)

// budgetSource is an order source that answers only a few listings between two calls of
// refill, then reports a rate limit, as a platform with a tight hourly budget does.
type budgetSource struct {
	connector.OrderSource
	left int
}

func (s *budgetSource) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if s.left == 0 {
		return nil, &connector.RateLimitError{Reason: "budget spent"}
	}
	s.left--
	return s.OrderSource.ListOrders(ctx, req)
}

// TestOrdersTightBudgetMovesOn: a channel whose budget allows two listings a run, behind a week
// of empty windows, still reaches its order: the empty windows a run lists before the budget
// runs out are not listed again.
func TestOrdersTightBudgetMovesOn(t *testing.T) {
	r := newRig(t, "shop")
	src := &budgetSource{OrderSource: r.chans["shop"]}
	r.channel("shop").Source = src
	r.apply()
	r.place("shop", newOrder("o1", "TEA", 1))
	for run := 0; run < 6 && r.whs["wh"].Submissions() == 0; run++ {
		src.left = 2
		r.clock.Advance(time.Second)
		_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
		require.ErrorIs(t, err, connector.ErrTemporary, "run %d ends on the rate limit", run)
	}
	require.Equal(t, 1, r.whs["wh"].Submissions(), "seven daily windows at two listings a run take four runs")
}
