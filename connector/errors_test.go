package connector_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
)

func TestClassify(t *testing.T) {
	require.Equal(t, connector.Unauthorized, connector.Classify(fmt.Errorf("shop: %w", connector.ErrUnauthorized)))
	require.Equal(t, connector.Permanent, connector.Classify(fmt.Errorf("bad sku: %w", connector.ErrPermanent)))
	require.Equal(t, connector.Permanent, connector.Classify(connector.ErrNotFound))
	require.Equal(t, connector.Retryable, connector.Classify(errors.New("connection reset")))
	rl := fmt.Errorf("list: %w", &connector.RateLimitError{Wait: 3 * time.Second, Reason: "429"})
	require.Equal(t, connector.Retryable, connector.Classify(rl))
	require.ErrorIs(t, rl, connector.ErrTemporary)
	wait, ok := connector.RetryAfter(rl)
	require.True(t, ok)
	require.Equal(t, 3*time.Second, wait)
	_, ok = connector.RetryAfter(connector.ErrTemporary)
	require.False(t, ok)
}

func TestWriteFailedMarksTimeoutsOutcomeUnknown(t *testing.T) {
	err := connector.WriteFailed(fmt.Errorf("post: %w", context.DeadlineExceeded))
	require.ErrorIs(t, err, connector.ErrOutcomeUnknown)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, connector.WriteFailed(connector.ErrPermanent), connector.ErrOutcomeUnknown)
}
