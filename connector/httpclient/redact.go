package httpclient

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
)

// Redacted replaces what Redact removes.
const Redacted = "[REDACTED]"

var (
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// Phone numbers: runs of 9 or more digits, possibly split by spaces, dots, dashes or
	// parentheses and led by +. IDs in URLs are shorter or not split, but we redact long digit
	// runs too: a log loses an ID rather than leak a phone number.
	rePhone = regexp.MustCompile(`\+?\(?\d[\d\-. ()]{7,}\d`)
	// Bearer tokens and Shopify access tokens (shpat_, shpca_, shppa_, shpss_).
	reToken = regexp.MustCompile(`(?i)(bearer\s+[A-Za-z0-9._~+/\-]+=*|shp(at|ca|pa|ss|ua)_[A-Za-z0-9]+)`)
	// key=value pairs whose key names a secret, in query strings and messages.
	reSecretParam = regexp.MustCompile(`(?i)((?:access_?token|token|secret|password|api_?key|signature|authorization|hmac)["']?\s*[=:]\s*["']?)[^&\s"',;]+`)
)

// Redact removes tokens, secrets in key=value form, email addresses and phone numbers from s.
// It is applied to everything this package logs and to error texts it did not compose itself.
func Redact(s string) string {
	s = reToken.ReplaceAllString(s, Redacted)
	s = reSecretParam.ReplaceAllString(s, "${1}"+Redacted)
	s = reEmail.ReplaceAllString(s, Redacted)
	s = rePhone.ReplaceAllString(s, Redacted)
	return s
}

// sensitiveKey reports whether a log attribute or header name holds a secret or personal data.
func sensitiveKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"token", "secret", "password", "authorization", "cookie", "api_key", "apikey",
		"hmac", "signature", "email", "phone", "address", "name"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// RedactURL returns u without its query string and user info, for messages and logs.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return Redacted
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// Logger adapts l to go-retryablehttp's LeveledLogger, redacting every value on the way: values
// of keys that name secrets or personal data are replaced, URLs lose their query string, and
// strings pass through Redact. A nil l discards everything.
func Logger(l *slog.Logger) retryablehttp.LeveledLogger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &leveled{l: l}
}

type leveled struct{ l *slog.Logger }

func (a *leveled) log(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		attrs = append(attrs, slog.String(k, redactValue(k, kv[i+1])))
	}
	a.l.LogAttrs(ctx, level, Redact(msg), attrs...)
}

func redactValue(k string, v any) string {
	if sensitiveKey(k) {
		return Redacted
	}
	var s string
	switch x := v.(type) {
	case *url.URL:
		if x == nil {
			return ""
		}
		s = x.Scheme + "://" + x.Host + x.Path
	case error:
		s = x.Error()
	default:
		s = fmt.Sprint(v)
	}
	if strings.Contains(s, "://") {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
	}
	return Redact(s)
}

func (a *leveled) Error(msg string, kv ...any) { a.log(slog.LevelError, msg, kv) }
func (a *leveled) Info(msg string, kv ...any)  { a.log(slog.LevelInfo, msg, kv) }
func (a *leveled) Debug(msg string, kv ...any) { a.log(slog.LevelDebug, msg, kv) }
func (a *leveled) Warn(msg string, kv ...any)  { a.log(slog.LevelWarn, msg, kv) }
