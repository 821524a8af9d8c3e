package base

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// Token is a BASE OAuth token pair. It holds secrets: its String and LogValue print only the
// expiry times.
type Token struct {
	AccessToken  string
	RefreshToken string
	// Expiry is when the access token stops working (one hour after it was issued).
	Expiry time.Time
	// RefreshExpiry is when the refresh token stops working (30 days after it was issued);
	// zero when unknown.
	RefreshExpiry time.Time
}

// String prints the expiry times, never the tokens.
func (t Token) String() string {
	return fmt.Sprintf("base.Token(access until %s, refresh until %s)", t.Expiry.Format(time.RFC3339), t.RefreshExpiry.Format(time.RFC3339))
}

// LogValue implements slog.LogValuer and keeps the tokens out of logs.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.Time("refresh_expiry", t.RefreshExpiry))
}

// CredentialKind says what a CredentialEvent reports.
type CredentialKind int

// The credential events.
const (
	// CredentialRefreshed: the access token was refreshed and BASE answered a new pair; the
	// host must persist Token, since the old refresh token no longer works.
	CredentialRefreshed CredentialKind = iota + 1
	// CredentialExpiring: the refresh token lapses at Token.RefreshExpiry, within
	// Config.RefreshWarn; after that the shop must authorize the app again.
	CredentialExpiring
	// CredentialRevoked: BASE refused the refresh token (revoked, expired, or the app's
	// credentials are wrong); Err matches connector.ErrUnauthorized.
	CredentialRevoked
)

// String names the kind for logs.
func (k CredentialKind) String() string {
	switch k {
	case CredentialRefreshed:
		return "refreshed"
	case CredentialExpiring:
		return "expiring"
	case CredentialRevoked:
		return "revoked"
	}
	return "unknown"
}

// CredentialEvent is what Config.OnCredential receives.
type CredentialEvent struct {
	Kind  CredentialKind
	Shop  string
	Token Token
	Err   error
}

// tokens holds the shop's token pair and refreshes it, once for all the calls that need it.
type tokens struct {
	c *Client

	mu       sync.Mutex
	tok      Token
	inflight chan struct{} // closed when the refresh under way ends
	lastErr  error         // the last refresh's error, for the calls that waited for it
	warned   time.Time     // when CredentialExpiring was last sent
}

func newTokens(c *Client) *tokens { return &tokens{c: c, tok: c.cfg.Token} }

func (t *tokens) current() Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tok
}

// token returns an access token valid for at least RefreshBefore, refreshing it first if need
// be. Concurrent callers share one refresh.
func (t *tokens) token(ctx context.Context) (string, error) {
	for {
		t.mu.Lock()
		now := t.c.clock.Now()
		if t.tok.AccessToken != "" && !t.tok.Expiry.IsZero() && now.Add(t.c.cfg.RefreshBefore).Before(t.tok.Expiry) {
			access := t.tok.AccessToken
			warn := t.expiringLocked(now)
			t.mu.Unlock()
			if warn != nil {
				t.c.emit(*warn)
			}
			return access, nil
		}
		if t.tok.RefreshToken == "" {
			access := t.tok.AccessToken
			t.mu.Unlock()
			if access != "" && (t.tok.Expiry.IsZero() || now.Before(t.tok.Expiry)) {
				return access, nil // no way to refresh: use it while BASE accepts it
			}
			return "", fmt.Errorf("access token expired and no refresh token: %w", connector.ErrUnauthorized)
		}
		if t.inflight != nil {
			done := t.inflight
			t.mu.Unlock()
			select {
			case <-done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			t.mu.Lock()
			err := t.lastErr
			t.mu.Unlock()
			if err != nil {
				return "", err
			}
			continue
		}
		done := make(chan struct{})
		t.inflight = done
		refresh := t.tok.RefreshToken
		t.mu.Unlock()

		// The refresh is shared by every waiting call: one caller's cancellation must not fail
		// the others, so it runs on a context of its own, bounded by the HTTP timeout.
		tok, err := t.c.refresh(context.WithoutCancel(ctx), refresh)
		t.mu.Lock()
		t.inflight = nil
		t.lastErr = err
		if err == nil {
			t.tok = tok
		}
		close(done)
		t.mu.Unlock()
		if err != nil {
			if connector.Classify(err) == connector.Unauthorized {
				t.c.emit(CredentialEvent{Kind: CredentialRevoked, Shop: t.c.cfg.Shop, Err: err})
			}
			return "", err
		}
		t.c.emit(CredentialEvent{Kind: CredentialRefreshed, Shop: t.c.cfg.Shop, Token: tok})
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
}

// expiringLocked returns the CredentialExpiring event to send, at most once a day.
func (t *tokens) expiringLocked(now time.Time) *CredentialEvent {
	exp := t.tok.RefreshExpiry
	if exp.IsZero() || t.tok.RefreshToken == "" || exp.Sub(now) > t.c.cfg.RefreshWarn {
		return nil
	}
	if !t.warned.IsZero() && now.Sub(t.warned) < 24*time.Hour {
		return nil
	}
	t.warned = now
	return &CredentialEvent{Kind: CredentialExpiring, Shop: t.c.cfg.Shop, Token: t.tok}
}

// invalidate forgets the access token BASE refused, so the next call refreshes; a token
// already replaced is left alone, so many refused calls cause one refresh.
func (t *tokens) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.AccessToken == access && t.tok.RefreshToken != "" {
		t.tok.Expiry = time.Time{}
	}
}

func (c *Client) emit(ev CredentialEvent) {
	switch ev.Kind {
	case CredentialExpiring:
		c.log.Warn("base: refresh token lapses soon; the shop must authorize the app again after", "shop", c.cfg.Shop, "refresh_expiry", ev.Token.RefreshExpiry)
	case CredentialRevoked:
		c.log.Error("base: refresh refused; the shop must authorize the app again", "shop", c.cfg.Shop, "error", httpclient.Redact(ev.Err.Error()))
	}
	if c.cfg.OnCredential != nil {
		c.cfg.OnCredential(ev)
	}
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// refresh exchanges the refresh token for a new pair (POST /1/oauth/token).
func (c *Client) refresh(ctx context.Context, refresh string) (Token, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret},
		"refresh_token": {refresh}, "redirect_uri": {c.cfg.RedirectURI}}
	sent := c.clock.Now()
	resp, err := c.http.Do(ctx, &httpclient.Request{Method: http.MethodPost, URL: c.cfg.BaseURL + "/1/oauth/token", Key: c.cfg.Shop,
		Body: []byte(form.Encode()), Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	var body []byte
	if err == nil {
		body = resp.Body
	} else if se, ok := err.(*httpclient.StatusError); ok {
		body = se.Body
	} else {
		return Token{}, fmt.Errorf("base: oauth/token: %w", err)
	}
	if e, ok := readError(body); ok {
		switch e.Error {
		case "invalid_request", "unauthorized_client", "access_denied", "invalid_grant":
			return Token{}, fmt.Errorf("base: oauth/token: %s: %w", httpclient.Redact(e.Error), connector.ErrUnauthorized)
		}
		return Token{}, fmt.Errorf("base: oauth/token: %s: %w", httpclient.Redact(e.Error), connector.ErrTemporary)
	}
	if err != nil {
		return Token{}, fmt.Errorf("base: oauth/token: %w", err)
	}
	var a tokenAnswer
	if derr := httpclient.Decode(body, &a, httpclient.DecodeOptions{}); derr != nil || a.AccessToken == "" || a.ExpiresIn <= 0 {
		return Token{}, fmt.Errorf("base: oauth/token: unreadable answer: %w", connector.ErrTemporary)
	}
	tok := Token{AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, Expiry: sent.Add(time.Duration(a.ExpiresIn) * time.Second)}
	old := c.auth.current()
	switch {
	case a.RefreshToken == "" || a.RefreshToken == refresh:
		tok.RefreshToken, tok.RefreshExpiry = refresh, old.RefreshExpiry
	default:
		tok.RefreshExpiry = sent.Add(RefreshTokenTTL)
	}
	return tok, nil
}

// CredentialExpiry implements connector.CredentialExpirer: when the refresh token lapses, so the
// engine tells the host (CredentialExpiring) before the shop must authorize the app again.
func (c *Client) CredentialExpiry() time.Time { return c.Token().RefreshExpiry }
