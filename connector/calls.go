package connector

import (
	"context"
	"time"
)

// Call is one call to a platform as its connector's HTTP layer reports it to a CallObserver:
// what it was (the credential and the operation), how it ended and what it cost, with every
// attempt (retries included) counted in. It names no order or person: Key is a credential's
// identifier (a shop domain, a seller ID), Operation a name such as "getOrders".
type Call struct {
	// Key is the credential the call was made with; Operation what it did.
	Key, Operation string
	// Start is when the call began (before its first attempt waited for the rate limiter);
	// Duration how long it took, every attempt and wait included.
	Start    time.Time
	Duration time.Duration
	// Status is the HTTP status of the last answer; 0 when none came (a transport failure, a
	// cancelled context).
	Status int
	// Attempts counts the requests that went out (1 plus the retries); 0 when none did.
	Attempts int
	// Throttled is true when an answer was a throttle (429 or the platform's own signal).
	Throttled bool
	// BytesSent and BytesReceived count the request and response bodies of every attempt.
	BytesSent, BytesReceived int64
	// Err is how the call failed, nil when it succeeded.
	Err error
}

// CallObserver receives the platform calls made with a context that carries it
// (WithCallObserver): connector/httpclient reports every Client.Do to it, and the engine puts
// its Options.Telemetry in the context of each flow run when it implements CallObserver.
// ObserveCall is called once per call, after it ended, on the caller's goroutine, with the
// caller's context; it must return quickly and be safe for concurrent use. Third parties may
// implement it; Call may gain fields.
type CallObserver interface {
	ObserveCall(ctx context.Context, c Call)
}

type callObserverKey struct{}

// WithCallObserver returns a context carrying o, to which the calls made with it are reported.
// A nil o removes the observer ctx carries.
func WithCallObserver(ctx context.Context, o CallObserver) context.Context {
	return context.WithValue(ctx, callObserverKey{}, o)
}

// CallObserverFrom returns the CallObserver ctx carries, or nil.
func CallObserverFrom(ctx context.Context) CallObserver {
	o, _ := ctx.Value(callObserverKey{}).(CallObserver)
	return o
}
