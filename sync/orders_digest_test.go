package sync_test

import (
	"context"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// readCounting is memstore noting the order IDs whose records the engine reads whole in batches.
type readCounting struct {
	*memstore.Store
	mu   gosync.Mutex
	read []string
}

func (s *readCounting) GetOrders(ctx context.Context, keys []ledger.OrderKey) (map[ledger.OrderKey]*ledger.OrderRecord, error) {
	s.mu.Lock()
	for _, k := range keys {
		s.read = append(s.read, k.OrderID)
	}
	s.mu.Unlock()
	return s.Store.GetOrders(ctx, keys)
}

func (s *readCounting) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.read
	s.read = nil
	slices.Sort(out)
	return out
}

// TestOrdersPageReadsDigests: on a store with digests, a page decides new orders and orders
// listed again unchanged without reading a record whole, and reads whole only the records of
// orders that changed.
func TestOrdersPageReadsDigests(t *testing.T) {
	r := newRig(t, "shop")
	store := &readCounting{Store: memstore.New()}
	r.store = store
	r.restart()
	for _, id := range []string{"o1", "o2", "o3"} {
		r.place("shop", newOrder(id, "TEA", 1))
	}
	res := r.syncOrders("shop")
	require.Equal(t, 3, res.New)
	require.Empty(t, store.take(), "a page of new orders reads no record")

	r.clock.Advance(time.Second) // within the overlap: the page is listed again
	res = r.syncOrders("shop")
	require.Equal(t, 3, res.Unchanged)
	require.Empty(t, store.take(), "a page listed again unchanged reads no record")

	r.chans["shop"].Change("o2", func(o *order.Order) { o.Lines[0].Quantity = 2 })
	r.clock.Advance(2 * time.Second)
	res = r.syncOrders("shop")
	require.Equal(t, 1, res.Changed)
	require.Equal(t, []string{"o2"}, store.take(), "only the changed order's record is read whole")
	req, ok := r.requestFor("wh", "shop", "o2")
	require.True(t, ok)
	require.Equal(t, 2, req.Order.Lines[0].Quantity, "the change reached the warehouse")
}
