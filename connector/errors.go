package connector

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// The errors a connector returns, wrapped with %w so callers test them with errors.Is. The
// engine decides what to do from them alone; a connector never retries on its own.
var (
	// ErrUnauthorized: credentials are missing, expired or revoked. Permanent for the channel:
	// the engine stops it and tells the host, and resumes once the host renews the credentials.
	ErrUnauthorized = errors.New("connector: unauthorized")
	// ErrPermanent: the platform refused this request and will refuse it again (invalid input,
	// forbidden, unknown SKU on the platform). The engine quarantines the item.
	ErrPermanent = errors.New("connector: permanent failure")
	// ErrNotFound: the object does not exist on the platform.
	ErrNotFound = errors.New("connector: not found")
	// ErrTemporary: a failure that may pass (5xx, connection reset). Retried later.
	ErrTemporary = errors.New("connector: temporary failure")
	// ErrOutcomeUnknown: a write may or may not have landed (it timed out after being sent). The
	// engine re-sends it with the same idempotency key; it is never treated as "not done".
	ErrOutcomeUnknown = errors.New("connector: outcome unknown")
	// ErrConflict: a compare-and-set write found a value other than the expected one.
	ErrConflict = errors.New("connector: conflict")
)

// RateLimitError says the platform throttled the call, or would have; retry after Wait. It matches
// ErrTemporary with errors.Is.
type RateLimitError struct {
	// Wait is how long to wait before the next call; zero when the platform did not say.
	Wait time.Duration
	// Reason is what the platform signalled ("429", "THROTTLED", "hour_api_limit").
	Reason string
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("connector: rate limited (%s), retry after %s", e.Reason, e.Wait)
}

// Is makes errors.Is(err, ErrTemporary) true for rate limits.
func (e *RateLimitError) Is(target error) bool { return target == ErrTemporary }

// Class is how the engine treats an error.
type Class int

// The classes of Classify.
const (
	// Retryable errors are tried again later; the item stays where it is.
	Retryable Class = iota
	// Permanent errors quarantine the item; the rest of the batch goes on.
	Permanent
	// Unauthorized errors stop the whole channel until the host renews its credentials.
	Unauthorized
)

// Classify tells the engine what an error means. Errors it does not recognise are retryable: with
// idempotency keys, trying again is always safe, and giving up on a transient fault would lose work.
func Classify(err error) Class {
	switch {
	case err == nil:
		return Retryable
	case errors.Is(err, ErrUnauthorized):
		return Unauthorized
	case errors.Is(err, ErrPermanent), errors.Is(err, ErrNotFound):
		return Permanent
	default:
		return Retryable
	}
}

// RetryAfter returns the wait a rate-limit error carries, if err is one.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.Wait, true
	}
	return 0, false
}

// WriteFailed classifies the failure of a write that was sent: a deadline or a broken connection
// after sending means the outcome is unknown, never "did not happen".
func WriteFailed(err error) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: %w", ErrOutcomeUnknown, err)
	}
	return err
}
