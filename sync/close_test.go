package sync_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// gateSource stops the first listing of a window's second page until the gate opens, or, with
// ignoreGate, until its context ends: a run caught in the middle.
type gateSource struct {
	connector.OrderSource
	reached, gate chan struct{}
	once          *atomic.Bool
	ignoreGate    bool
}

func (s gateSource) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if req.Page != "" && s.once.CompareAndSwap(false, true) {
		close(s.reached)
		if s.ignoreGate {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		<-s.gate
	}
	return s.OrderSource.ListOrders(ctx, req)
}

// TestCloseReleasesLeases runs two replicas on one store. One is closed in the middle of a run:
// the other is kept out while the run is in flight (the lease), and takes the channel over as soon
// as Close returns, at the same instant of the clock, not LeaseTTL later; the closed replica
// refuses new work. Every order reaches the warehouse once. With an abandoning Close (its context
// ends before the run), the same holds.
func TestCloseReleasesLeases(t *testing.T) {
	for _, abandon := range []bool{false, true} {
		t.Run(fmt.Sprintf("abandon=%v", abandon), func(t *testing.T) {
			r := newRig(t, "shop")
			r.whs["wh"].SetOnHand("TEA", 100)
			src := gateSource{OrderSource: r.chans["shop"], reached: make(chan struct{}), gate: make(chan struct{}), once: new(atomic.Bool), ignoreGate: abandon}
			r.channel("shop").Source = src
			r.apply()
			other := tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Settle: time.Second, Overlap: time.Minute,
				PageLimit: 3, Owner: "replica-2", Observer: tobirasync.ObserverFunc(r.observe)})
			require.NoError(t, other.PutMerchant(r.m))
			const n = 10
			for i := range n {
				r.place("shop", newOrder(fmt.Sprintf("o%d", i), "TEA", 1))
			}

			runErr := make(chan error, 1)
			go func() {
				_, err := r.eng.SyncOrders(r.ctx, "m1", "shop")
				runErr <- err
			}()
			<-src.reached
			_, err := other.SyncOrders(r.ctx, "m1", "shop")
			require.ErrorIs(t, err, tobirasync.ErrBusy, "the run in flight holds the lease")

			closeCtx, cancel := context.WithCancel(r.ctx)
			defer cancel()
			closed := make(chan error, 1)
			start := time.Now()
			go func() { closed <- r.eng.Close(closeCtx) }()
			// Closing refuses new work at once.
			require.Eventually(t, func() bool {
				return errors.Is(r.eng.Retry(r.ctx, "none"), tobirasync.ErrClosed)
			}, time.Second, time.Millisecond)
			_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
			require.ErrorIs(t, err, tobirasync.ErrClosed)
			require.ErrorIs(t, r.eng.IngestOrder(r.ctx, "m1", "shop", newOrder("late", "TEA", 1)), tobirasync.ErrClosed)
			select {
			case <-closed:
				t.Fatal("Close returned with a run in flight")
			case <-time.After(20 * time.Millisecond):
			}
			if abandon {
				cancel() // Close's deadline: the run in flight is abandoned
			} else {
				close(src.gate) // the run goes on, and stops at its next safe point
			}
			err = <-closed
			if abandon {
				require.ErrorIs(t, err, context.Canceled)
			} else {
				require.NoError(t, err)
			}
			require.Error(t, <-runErr, "the run in flight stopped early")

			// The other replica takes over at once: no clock advance, no LeaseTTL wait.
			r.eng = other
			res, err := other.SyncOrders(r.ctx, "m1", "shop")
			require.NoError(t, err)
			require.Less(t, time.Since(start), time.Second)
			require.Equal(t, n, r.whs["wh"].Submissions(), "%+v", res)
			r.catchUp()
			requireExact(t, r, n)
		})
	}
}

// TestRunReturnsWhenClosed: Run returns nil once the engine is closed, with its flows done.
func TestRunReturnsWhenClosed(t *testing.T) {
	r := newRig(t, "shop")
	eng := tobirasync.New(r.store, tobirasync.Options{OrdersEvery: 10 * time.Millisecond, ShipmentsEvery: 10 * time.Millisecond, StockEvery: 10 * time.Millisecond})
	require.NoError(t, eng.PutMerchant(r.m))
	done := make(chan error, 1)
	go func() { done <- eng.Run(context.Background()) }()
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, eng.Close(context.Background()))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Second):
		t.Fatal("Run did not return after Close")
	}
	_, err := eng.SyncStock(context.Background(), "m1")
	require.ErrorIs(t, err, tobirasync.ErrClosed)
}
