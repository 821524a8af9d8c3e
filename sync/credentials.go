// Credentials: channels and warehouses stopped when they refuse the engine's credentials, and
// the host told ahead of time when a credential lapses.

package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// channelErr classifies a channel's error: credentials refused stop the channel.
func (e *Engine) channelErr(ctx context.Context, m *merchant, id string, err error) error {
	if connector.Classify(err) == connector.Unauthorized {
		e.stop(ctx, m, id, err)
		return fmt.Errorf("%w: %w", ErrStopped, err)
	}
	return err
}

func (m *merchant) stoppedErr(id string) error {
	if why, ok := m.stopped.Load(id); ok {
		return fmt.Errorf("%w: %s/%s: %s", ErrStopped, m.cfg.ID, id, why)
	}
	return nil
}

// checkCredential tells the host, once per expiry time, that the credential of a channel or
// warehouse (whichever of its connectors knows) lapses within Options.CredentialWarning, so that
// it is renewed before calls fail and the channel stops.
func (e *Engine) checkCredential(m *merchant, id string, conns ...any) {
	for _, c := range conns {
		ce, ok := c.(connector.CredentialExpirer)
		if !ok {
			continue
		}
		at := ce.CredentialExpiry()
		if at.IsZero() || e.opt.Clock.Now().Add(e.opt.CredentialWarning).Before(at) {
			return
		}
		if prev, loaded := m.warned.Swap(id, at); loaded && prev.(time.Time).Equal(at) {
			return
		}
		e.opt.Logger.Warn("tobira: credential expiring", attrMerchant, m.cfg.ID, e.side(m, id), id, attrFlow, "credentials", "expires_at", at)
		emit(e, CredentialExpiring{Merchant: m.cfg.ID, Channel: id, ExpiresAt: at})
		return
	}
}

// stop marks a channel or warehouse stopped after it refused credentials.
func (e *Engine) stop(ctx context.Context, m *merchant, id string, err error) {
	if _, loaded := m.stopped.LoadOrStore(id, err.Error()); !loaded {
		e.opt.Logger.ErrorContext(ctx, "tobira: stopped: credentials refused", attrMerchant, m.cfg.ID, e.side(m, id), id, attrFlow, "credentials", "err", err.Error())
		emit(e, ChannelStopped{Merchant: m.cfg.ID, Channel: id, Reason: err.Error()})
	}
}
