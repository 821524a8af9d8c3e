package yahoo

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// CredentialKind says what a CredentialEvent is about.
type CredentialKind string

// The credential events.
const (
	// CredentialShortLived: the client has no public key, so Yahoo! limits the refresh token to
	// 12 hours; RefreshExpires says when it ends. Sent once, by New. Register a public key
	// (ストアクリエイターPro 設定 → 暗号鍵管理) and set Config.PublicKey to lift the limit.
	CredentialShortLived CredentialKind = "refresh_token_short_lived"
	// CredentialExpiring: the refresh token ends within Config.ExpiryWarning; the merchant must
	// authorise the application again before RefreshExpires. Sent once per refresh token.
	CredentialExpiring CredentialKind = "refresh_token_expiring"
	// CredentialRefreshed: a new access token was issued; AccessToken and AccessExpiry carry it
	// for the host to keep.
	CredentialRefreshed CredentialKind = "access_token_refreshed"
	// CredentialRefused: Yahoo! refused the refresh token (expired or revoked). Calls fail with
	// connector.ErrUnauthorized until the host builds a client with a new grant.
	CredentialRefused CredentialKind = "refresh_refused"
)

// CredentialEvent tells the host about the store's credentials. Its LogValue leaves the token
// out.
type CredentialEvent struct {
	Kind     CredentialKind
	SellerID string
	// RefreshExpires is when the refresh token ends, as far as the client knows.
	RefreshExpires time.Time
	// AccessToken and AccessExpiry are set for CredentialRefreshed.
	AccessToken  string
	AccessExpiry time.Time
}

// LogValue implements slog.LogValuer without the token.
func (e CredentialEvent) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", string(e.Kind)), slog.String("seller", e.SellerID),
		slog.Time("refresh_expires", e.RefreshExpires))
}

// String describes the event without the token.
func (e CredentialEvent) String() string {
	return fmt.Sprintf("yahoo credential %s (seller %s, refresh token until %s)", e.Kind, e.SellerID, e.RefreshExpires.Format(time.RFC3339))
}

// auth keeps the access token fresh: one refresh at a time, shared by every caller waiting.
type auth struct {
	c   *Client
	key *rsa.PublicKey

	mu           sync.Mutex
	access       string
	expiry       time.Time
	refreshEnd   time.Time
	warned       bool
	refreshing   chan struct{} // closed when the refresh under way ends
	refreshErr   error         // that refresh's outcome
	refusedGrant bool
}

// refreshSkew refreshes this long before the access token's end, so a call never leaves with a
// token that dies on the way.
const refreshSkew = time.Minute

func newAuth(c *Client) (*auth, error) {
	a := &auth{c: c, access: c.cfg.AccessToken, expiry: c.cfg.AccessExpiry}
	if a.access != "" && a.expiry.IsZero() {
		a.expiry = c.now().Add(time.Hour) // unknown: trust it until Yahoo! says otherwise
	}
	issued := c.cfg.RefreshIssued
	if issued.IsZero() {
		issued = c.now()
	}
	life := c.cfg.RefreshLife
	if len(c.cfg.PublicKey) > 0 {
		k, err := parsePublicKey(c.cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		a.key = k
	} else {
		life = ShortRefreshLife
	}
	if c.cfg.RefreshToken != "" {
		a.refreshEnd = issued.Add(life)
	}
	return a, nil
}

func (a *auth) emit(e CredentialEvent) {
	e.SellerID = a.c.cfg.SellerID
	level := slog.LevelWarn
	if e.Kind == CredentialRefreshed {
		level = slog.LevelDebug
	}
	a.c.log.Log(context.Background(), level, "yahoo: credentials", "event", e)
	if f := a.c.cfg.OnCredential; f != nil {
		f(e)
	}
}

// announce sends the events due when the client is built.
func (a *auth) announce() {
	if a.key == nil && a.c.cfg.RefreshToken != "" {
		a.emit(CredentialEvent{Kind: CredentialShortLived, RefreshExpires: a.refreshEnd})
	}
	a.mu.Lock()
	e := a.expiringLocked()
	a.mu.Unlock()
	if e != nil {
		a.emit(*e)
	}
}

// expiringLocked returns CredentialExpiring once, when the refresh token nears its end.
func (a *auth) expiringLocked() *CredentialEvent {
	if a.warned || a.refreshEnd.IsZero() || a.c.now().Add(a.c.cfg.ExpiryWarning).Before(a.refreshEnd) {
		return nil
	}
	a.warned = true
	return &CredentialEvent{Kind: CredentialExpiring, RefreshExpires: a.refreshEnd}
}

// token returns a live access token, refreshing it if needed. Concurrent callers share one
// refresh.
func (a *auth) token(ctx context.Context) (string, error) {
	for {
		a.mu.Lock()
		if a.access != "" && a.c.now().Add(refreshSkew).Before(a.expiry) {
			t := a.access
			a.mu.Unlock()
			return t, nil
		}
		if a.refusedGrant {
			a.mu.Unlock()
			return "", fmt.Errorf("refresh token refused: %w", connector.ErrUnauthorized)
		}
		if a.c.cfg.RefreshToken == "" {
			a.mu.Unlock()
			return "", fmt.Errorf("access token expired and no refresh token: %w", connector.ErrUnauthorized)
		}
		if ch := a.refreshing; ch != nil {
			a.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			a.mu.Lock()
			err := a.refreshErr
			a.mu.Unlock()
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				return "", err
			}
			continue // the refresher's context ended: try again with ours
		}
		ch := make(chan struct{})
		a.refreshing = ch
		a.mu.Unlock()

		tok, exp, err := a.refresh(ctx)
		var events []CredentialEvent
		a.mu.Lock()
		a.refreshErr = err
		if err == nil {
			a.access, a.expiry = tok, exp
			events = append(events, CredentialEvent{Kind: CredentialRefreshed, AccessToken: tok, AccessExpiry: exp, RefreshExpires: a.refreshEnd})
			if e := a.expiringLocked(); e != nil {
				events = append(events, *e)
			}
		} else if errors.Is(err, connector.ErrUnauthorized) {
			a.refusedGrant = true
			events = append(events, CredentialEvent{Kind: CredentialRefused, RefreshExpires: a.refreshEnd})
		}
		a.refreshing = nil
		close(ch)
		a.mu.Unlock()
		for _, e := range events {
			a.emit(e)
		}
		if err != nil {
			return "", err
		}
		return tok, nil
	}
}

// invalidate forgets tok if it is still the current token, so the next call refreshes.
func (a *auth) invalidate(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.access == tok {
		a.expiry = time.Time{}
	}
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

func (a *auth) refresh(ctx context.Context) (string, time.Time, error) {
	cfg := a.c.cfg
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cfg.RefreshToken}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=UTF-8"}}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cfg.ClientID+":"+cfg.ClientSecret)))
	if err := a.sign(h); err != nil {
		return "", time.Time{}, err
	}
	start := a.c.now()
	resp, err := a.c.http.Do(ctx, &httpclient.Request{Method: http.MethodPost, URL: cfg.TokenURL, Header: h,
		Body: []byte(form.Encode()), Key: cfg.SellerID + "/token", Safe: true})
	if err != nil {
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests {
			var ans tokenAnswer
			_ = json.Unmarshal(se.Body, &ans)
			return "", time.Time{}, fmt.Errorf("token refresh refused (%s): %w", httpclient.Redact(ans.Error), connector.ErrUnauthorized)
		}
		return "", time.Time{}, fmt.Errorf("token refresh: %w", err)
	}
	var ans tokenAnswer
	if err := httpclient.Decode(resp.Body, &ans, httpclient.DecodeOptions{}); err != nil || ans.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("token refresh: unreadable answer: %w", connector.ErrTemporary)
	}
	life := time.Duration(ans.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	return ans.AccessToken, start.Add(life), nil
}

// sign sets X-sws-signature and X-sws-signature-version when the store has a public key.
func (a *auth) sign(h http.Header) error {
	if a.key == nil {
		return nil
	}
	msg := a.c.cfg.SellerID + ":" + strconv.FormatInt(a.c.now().Unix(), 10)
	enc, err := rsa.EncryptPKCS1v15(rand.Reader, a.key, []byte(msg))
	if err != nil {
		return fmt.Errorf("signing: %w", connector.ErrPermanent)
	}
	h.Set("X-sws-signature", base64.StdEncoding.EncodeToString(enc))
	h.Set("X-sws-signature-version", a.c.cfg.KeyVersion)
	return nil
}

// CredentialExpiry implements connector.CredentialExpirer: when the refresh token ends, as far
// as the client knows, so the engine tells the host (CredentialExpiring) before the merchant must
// authorise the application again.
func (c *Client) CredentialExpiry() time.Time {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.refreshEnd
}
