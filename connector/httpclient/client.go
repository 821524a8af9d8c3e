package httpclient

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
)

// Defaults used when the corresponding Config field is zero.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodyBytes = 8 << 20
	DefaultRetryMax     = 3
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
)

// IdempotencyKeyHeader is the header Do sets from Request.IdempotencyKey unless the request names
// another one (Stripe and many platforms use this name).
const IdempotencyKeyHeader = "Idempotency-Key"

// ThrottleFunc reads a platform's own throttle signal from a response whose body has been read
// (at most Config.MaxBodyBytes). It reports whether the response is a throttle answer and, if the
// platform said, how long to wait. Shopify answers 200 with a THROTTLED GraphQL error; SP-API
// states its rate in a header.
type ThrottleFunc func(resp *http.Response, body []byte) (wait time.Duration, throttled bool)

// Config configures a Client. The zero value works: no rate limit, the default timeout, cap and
// retries, no logging.
type Config struct {
	// Rate and Burst size the limiter each credential (Request.Key) gets, from the platform's
	// published limits. Rate 0 means unlimited.
	Rate  rate.Limit
	Burst int
	// Timeout bounds each attempt (connection, headers and body). Default DefaultTimeout.
	Timeout time.Duration
	// MaxBodyBytes caps every response body; a longer one fails with ErrBodyTooLarge.
	MaxBodyBytes int64
	// RetryMax is how many times a retryable attempt is repeated; negative disables retries.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between attempts; a wait the
	// platform asks for (Retry-After, Throttle) longer than RetryWaitMax is not waited for here:
	// the call returns a *connector.RateLimitError and the engine waits.
	RetryWaitMin, RetryWaitMax time.Duration
	// RetryThrottled makes 429 and throttle answers retried here (within RetryWaitMax). By
	// default they are returned at once as *connector.RateLimitError, so the caller that paces
	// itself sees exactly one upstream call per throttle.
	RetryThrottled bool
	// Throttle recognizes a platform-specific throttle signal; nil means status 429 only.
	Throttle ThrottleFunc
	// Logger receives debug records of attempts and retries, redacted; nil logs nothing.
	Logger *slog.Logger
	// Transport sends the requests; nil uses a pooled transport of its own.
	Transport http.RoundTripper

	// Caps are the platform's fixed-window limits on each credential's calls (BASE: 5,000 an
	// hour), which the Meter forecasts at the current rate. Rate and Burst, the published
	// sustained limits, are the Meter's budget for every operation until the platform states
	// another (Budget).
	Caps []connector.Cap
	// Budget reads the budget a platform states in its answers (Shopify's cost extension,
	// SP-API's x-amzn-RateLimit-Limit); nil means only the published limits are known.
	Budget BudgetFunc
	// Now is the Meter's clock; nil means time.Now.
	Now func() time.Time
}

// Client sends requests with rate limiting, retries and error mapping. It is safe for concurrent
// use; share one per platform so connections and limiters are shared.
type Client struct {
	cfg      Config
	rc       *retryablehttp.Client
	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	meter    *Meter
}

// Request is one HTTP call.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Key names the credential the call is made with (a shop domain, a seller ID): calls with the
	// same Key share one rate limiter, kept as long as the Client. It is an identifier, never the
	// secret itself.
	Key string
	// IdempotencyKey, when set, is sent in IdempotencyKeyHeader (unless Header already carries
	// it) and makes a non-GET request retryable: the platform applies it once.
	IdempotencyKey string
	// Safe marks a non-GET request as free of side effects (a GraphQL query), so it is retried
	// like a GET.
	Safe bool
	// BeforeAttempt, when set, is called before every attempt (0 first, then each retry), after
	// the rate limiter: a platform's own pacing, such as Shopify's cost bucket, waits here so
	// that retries are paced like first attempts. An error ends the call with that error.
	BeforeAttempt func(ctx context.Context, attempt int) error
	// Operation names what the call does (a GraphQL operation name, "getOrders") for the Meter,
	// which counts calls per Key and Operation; empty means the method. It must not carry
	// identifiers of orders or people.
	Operation string
	// Budget is the operation's published budget, for platforms whose limits differ by operation
	// (SP-API's usage plans); its zero value takes Config's Rate and Burst. What the platform
	// states in its answers (Config.Budget) overrides it.
	Budget connector.Budget
}

// Response is a successful (2xx, not throttled) response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case cfg.RetryMax == 0:
		cfg.RetryMax = DefaultRetryMax
	case cfg.RetryMax < 0:
		cfg.RetryMax = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	if cfg.Rate <= 0 {
		cfg.Rate = rate.Inf
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	c := &Client{cfg: cfg, limiters: make(map[string]*rate.Limiter), meter: newMeter(cfg)}
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	rc := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: &limitedTransport{c: c, next: base}, Timeout: cfg.Timeout},
		RetryMax:     cfg.RetryMax,
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) {
			// The last answer is mapped by Do, which knows the request; an error without a
			// response is returned as is.
			if resp != nil {
				return resp, nil
			}
			return nil, err
		},
	}
	if cfg.Logger != nil {
		rc.Logger = Logger(cfg.Logger)
	} else {
		rc.Logger = nil
	}
	c.rc = rc
	return c
}

type ctxKey int

const (
	keyCall ctxKey = iota
)

// call is what the retry policy needs to know about the request being tried.
type call struct {
	key       string
	retryable bool // GET, idempotency key, or marked safe
	before    func(context.Context, int) error
	attempt   int  // touched only by the attempts of one call, which run one after another
	sent      bool // an attempt got past the limiter and went out: a write may have landed
	op        string
	published connector.Budget
	bodyLen   int64
	out       bool // the current attempt went out and is not metered yet
	retry     bool // the current attempt repeats an earlier one that went out

	// What Do reports to a connector.CallObserver, summed over the attempts that went out.
	attempts                 int
	status                   int // of the last answer
	throttled                bool
	bytesSent, bytesReceived int64
}

func (c *Client) limiter(key string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.limiters[key]
	if !ok {
		l = rate.NewLimiter(c.cfg.Rate, c.cfg.Burst)
		c.limiters[key] = l
	}
	return l
}

// limitedTransport waits for the credential's limiter before every attempt, so retries are
// paced like first attempts.
type limitedTransport struct {
	c    *Client
	next http.RoundTripper
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if cl, ok := req.Context().Value(keyCall).(*call); ok {
		err := t.c.limiter(cl.key).Wait(req.Context())
		if err == nil && cl.before != nil {
			err = cl.before(req.Context(), cl.attempt)
		}
		cl.attempt++
		if err == nil {
			cl.retry = cl.sent
			cl.sent, cl.out = true, true
		}
		if err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	return t.next.RoundTrip(req)
}

// Do sends r, retrying as the policy allows, and returns the response of a 2xx answer. Any
// other outcome is an error matching the connector error values (see the package doc).
//
// When ctx carries a connector.CallObserver (connector.WithCallObserver; the engine's flows carry
// its Options.Telemetry), Do reports the call to it when it returns: credential, operation, last
// status, attempts, throttling, bytes and duration.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	obs := connector.CallObserverFrom(ctx)
	if obs == nil {
		resp, _, err := c.do(ctx, r)
		return resp, err
	}
	start := time.Now()
	resp, cl, err := c.do(ctx, r)
	rep := connector.Call{Key: r.Key, Operation: r.Operation, Start: start, Duration: time.Since(start), Err: err}
	if rep.Operation == "" {
		rep.Operation = cmp.Or(r.Method, http.MethodGet)
	}
	if cl != nil {
		rep.Status, rep.Attempts, rep.Throttled = cl.status, cl.attempts, cl.throttled
		rep.BytesSent, rep.BytesReceived = cl.bytesSent, cl.bytesReceived
	}
	obs.ObserveCall(ctx, rep)
	return resp, err
}

// do is Do; it also returns the call's record, nil when no request was made.
func (c *Client) do(ctx context.Context, r *Request) (*Response, *call, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("httpclient: bad URL: %w", connector.ErrPermanent)
	}
	where := method + " " + u.Scheme + "://" + u.Host + u.Path
	op := r.Operation
	if op == "" {
		op = method
	}
	cl := &call{key: r.Key, op: op, bodyLen: int64(len(r.Body)), published: r.Budget, before: r.BeforeAttempt,
		retryable: method == http.MethodGet || method == http.MethodHead || r.IdempotencyKey != "" || r.Safe}
	ctx = context.WithValue(ctx, keyCall, cl)
	var body any
	if r.Body != nil {
		body = r.Body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, cl, fmt.Errorf("httpclient: %s: %w", where, connector.ErrPermanent)
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if r.IdempotencyKey != "" && req.Header.Get(IdempotencyKeyHeader) == "" {
		req.Header.Set(IdempotencyKeyHeader, r.IdempotencyKey)
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, cl, c.transportError(ctx, where, method, cl, err)
	}
	defer resp.Body.Close()
	data, rerr := readCapped(resp.Body, c.cfg.MaxBodyBytes)
	if rerr != nil {
		if errors.Is(rerr, ErrBodyTooLarge) {
			return nil, cl, fmt.Errorf("httpclient: %s: %w", where, rerr)
		}
		return nil, cl, c.transportError(ctx, where, method, cl, rerr)
	}
	if wait, throttled := c.throttled(resp, data); throttled {
		return nil, cl, &StatusError{Where: where, Status: resp.StatusCode, Header: resp.Header, Body: data,
			Err: &connector.RateLimitError{Wait: wait, Reason: throttleReason(resp)}}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, cl, nil
	}
	return nil, cl, &StatusError{Where: where, Status: resp.StatusCode, Header: resp.Header, Body: data,
		Err: statusSentinel(resp.StatusCode)}
}

func throttleReason(resp *http.Response) string {
	if resp.StatusCode == http.StatusTooManyRequests {
		return "429"
	}
	return "throttled"
}

// throttled reports whether resp is a throttle answer (429 or the platform's signal) and the wait.
func (c *Client) throttled(resp *http.Response, body []byte) (time.Duration, bool) {
	if c.cfg.Throttle != nil {
		if wait, ok := c.cfg.Throttle(resp, body); ok {
			if wait == 0 {
				wait, _ = RetryAfter(resp.Header, time.Now())
			}
			return wait, true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		wait, _ := RetryAfter(resp.Header, time.Now())
		return wait, true
	}
	return 0, false
}

func statusSentinel(status int) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return connector.ErrUnauthorized
	case status == http.StatusNotFound:
		return connector.ErrNotFound
	case status >= 500:
		return connector.ErrTemporary
	case status == http.StatusRequestTimeout:
		return connector.ErrTemporary
	default:
		return connector.ErrPermanent
	}
}

// transportError maps a failure without a usable response. A write that may have reached the
// platform becomes ErrOutcomeUnknown; the message keeps the method, host and path only.
func (c *Client) transportError(ctx context.Context, where, method string, cl *call, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error's text carries the full URL, query string included
	}
	write := method != http.MethodGet && method != http.MethodHead && cl.sent
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		if write {
			return fmt.Errorf("httpclient: %s: %w", where, connector.WriteFailed(ctxErr))
		}
		return fmt.Errorf("httpclient: %s: %w", where, ctxErr)
	}
	if write {
		if wf := connector.WriteFailed(err); errors.Is(wf, connector.ErrOutcomeUnknown) {
			return fmt.Errorf("httpclient: %s: %w", where, wf)
		}
	}
	return fmt.Errorf("httpclient: %s: %s: %w", where, Redact(err.Error()), connector.ErrTemporary)
}

// checkRetry is the retry policy: transport errors and 5xx are retried when the request is
// retryable; 429 and throttle answers only with Config.RetryThrottled and a wait we may take
// here; other 4xx never.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	cl, _ := ctx.Value(keyCall).(*call)
	var data []byte
	var rerr error
	if err == nil && resp != nil {
		// Read the body now so the throttle hook and the meter can see it; the bytes are handed
		// on unchanged.
		data, rerr = readCapped(resp.Body, c.cfg.MaxBodyBytes)
		resp.Body.Close()
		resp.Body = &replayBody{Reader: bytes.NewReader(data), err: rerr}
	}
	wait, throttled := time.Duration(0), false
	if err == nil && resp != nil && rerr == nil {
		wait, throttled = c.throttled(resp, data)
	}
	if cl != nil && cl.out {
		cl.out = false
		c.meterAttempt(cl, resp, data, err != nil || rerr != nil, throttled)
	}
	if ctx.Err() != nil {
		return false, nil
	}
	retryable := cl != nil && cl.retryable
	if err != nil {
		return retryable, nil
	}
	if resp == nil || rerr != nil {
		return false, nil
	}
	if throttled {
		return c.cfg.RetryThrottled && retryable && wait <= c.cfg.RetryWaitMax, nil
	}
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
		return retryable, nil
	}
	return false, nil
}

// meterAttempt records one attempt that went out.
func (c *Client) meterAttempt(cl *call, resp *http.Response, body []byte, failed, throttled bool) {
	a := attempt{key: cl.key, op: cl.op, published: cl.published, retry: cl.retry, sent: cl.bodyLen, received: int64(len(body)), throttled: throttled}
	if !throttled && (failed || resp == nil || resp.StatusCode < 200 || resp.StatusCode > 299) {
		a.failed = true
	}
	if resp != nil && !failed && c.cfg.Budget != nil {
		a.budget, a.cost, a.stated = c.cfg.Budget(resp, body)
	}
	c.meter.record(a)
	cl.attempts++
	cl.status = 0
	if resp != nil {
		cl.status = resp.StatusCode
	}
	cl.throttled = cl.throttled || throttled
	cl.bytesSent += a.sent
	cl.bytesReceived += a.received
}

// Meter returns the Client's meter, which counts its calls per credential and operation.
func (c *Client) Meter() *Meter { return c.meter }

// replayBody hands Do the bytes checkRetry read, and the error that cut them short, if any.
type replayBody struct {
	*bytes.Reader
	err error
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.err != nil {
		return n, b.err
	}
	return n, err
}

func (b *replayBody) Close() error { return nil }

// backoff waits what the platform asked for (Retry-After, throttle signal) when it said, and an
// exponential backoff with jitter otherwise.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := RetryAfter(resp.Header, time.Now()); ok {
			return min(wait, maxWait)
		}
		if c.cfg.Throttle != nil {
			if rb, ok := resp.Body.(*replayBody); ok {
				data := rb.bytes()
				if wait, throttled := c.cfg.Throttle(resp, data); throttled && wait > 0 {
					return min(wait, maxWait)
				}
			}
		}
	}
	wait := minWait << min(attempt, 20)
	if wait <= 0 || wait > maxWait {
		wait = maxWait
	}
	// Full jitter on the upper half keeps replicas from retrying in step.
	return wait/2 + rand.N(wait/2+1)
}

func (b *replayBody) bytes() []byte {
	pos, _ := b.Seek(0, io.SeekCurrent)
	buf := make([]byte, b.Size())
	n, _ := b.ReadAt(buf, 0)
	_, _ = b.Seek(pos, io.SeekStart)
	return buf[:n]
}

// RetryAfter parses a Retry-After header (delay in seconds or an HTTP date, relative to now).
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > 1e6 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// ErrBodyTooLarge is returned (wrapping connector.ErrPermanent) for a response body over
// Config.MaxBodyBytes.
var ErrBodyTooLarge = fmt.Errorf("httpclient: response body too large: %w", connector.ErrPermanent)

func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return nil, ErrBodyTooLarge
	}
	return data, nil
}

// StatusError is a non-2xx or throttled answer. Its message names the method, host, path and
// status only; Body and Header are there for the connector to decode the platform's error.
type StatusError struct {
	// Where is "METHOD scheme://host/path", without the query string.
	Where  string
	Status int
	Header http.Header
	Body   []byte
	// Err is the connector error value the status maps to, or a *connector.RateLimitError.
	Err error
}

// Error names the call and the status, never the body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("httpclient: %s: status %d: %v", e.Where, e.Status, e.Err)
}

// Unwrap returns the connector error the status maps to.
func (e *StatusError) Unwrap() error { return e.Err }
