// Close: stopping an engine cleanly, so that another replica continues at once.

package sync

import (
	"context"
	"errors"
)

// ErrClosed: the engine is closed (Close) and takes no new work.
var ErrClosed = errors.New("tobira/sync: engine closed")

// closer is the engine's stop: the flows in flight, and what tells them to stop.
type closer struct {
	// closed is closed by Close: new work is refused, Run returns, and a run in flight stops
	// at its next safe point (a page recorded and its cursor saved).
	closed chan struct{}
	// abandon is cancelled when Close's context ends: the flows in flight stop at their next
	// call, as after a crash, which the engine recovers from.
	abandon context.Context
	cancel  context.CancelFunc
}

// begin registers a flow in flight, or refuses it once the engine is closed. The flow runs with
// the returned context, which ends when ctx does or when Close abandons the flows; done must be
// called when it returns.
func (e *Engine) begin(ctx context.Context) (context.Context, func(), error) {
	e.mu.Lock()
	select {
	case <-e.shut.closed:
		e.mu.Unlock()
		return ctx, nil, ErrClosed
	default:
	}
	e.inflight.Add(1)
	e.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(e.shut.abandon, cancel)
	return ctx, func() {
		unhook()
		cancel()
		e.inflight.Done()
	}, nil
}

// closing reports whether Close was called: a long run stops at its next safe point.
func (e *Engine) closing() bool {
	select {
	case <-e.shut.closed:
		return true
	default:
		return false
	}
}

// Close stops the engine for a new deployment or a shutdown. New work is refused with
// ErrClosed at once (flows, pushes, IngestOrder, RecordShipment and the other writes; reads
// still answer) and Run returns. Flows in flight finish what they were doing: a listing stops
// after the page it is on is recorded, and what was recorded is delivered. Each flow releases
// its lease as it returns, so another replica takes the partition over at its next run instead
// of waiting for LeaseTTL.
//
// When ctx ends first, the flows still in flight are abandoned: their calls are cancelled, which
// leaves the ledger as a crash at that point would, and any replica (or this one, restarted)
// converges from it. Close then still waits for them to return, which they do at their next
// call to a connector or the store that observes its context; it returns ctx's error.
//
// Close may be called more than once; later calls wait as the first does.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	select {
	case <-e.shut.closed:
	default:
		close(e.shut.closed)
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	e.shut.cancel()
	<-done
	e.opt.Logger.WarnContext(ctx, "tobira: engine closed; flows in flight abandoned")
	return ctx.Err()
}
