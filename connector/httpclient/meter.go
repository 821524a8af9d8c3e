package httpclient

import (
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// BudgetFunc reads the budget a platform states in an answer whose body has been read:
// Shopify's extensions.cost (cost points, restore rate, what the bucket holds, what the query
// cost), SP-API's x-amzn-RateLimit-Limit. It returns the budget, what this call was charged
// (0 when the platform does not say) and whether the answer stated anything. Zero fields of the
// budget keep what was known before.
type BudgetFunc func(resp *http.Response, body []byte) (b connector.Budget, cost float64, ok bool)

// Meter counts a Client's calls per credential (Request.Key) and operation (Request.Operation):
// calls, retries, throttle answers, errors, bytes and the cost the platform reports, with the
// budget each operation has and each credential's caps (Config.Caps) forecast at the current
// rate. Every Client has one (Client.Meter). It is safe for concurrent use. Counts live as long
// as the Client; a meter holds about a kilobyte per credential and operation.
type Meter struct {
	now       func() time.Time
	published connector.Budget
	caps      []connector.Cap

	mu   sync.Mutex
	keys map[string]*keyMeter
}

type keyMeter struct {
	since time.Time
	total rateRing
	ops   map[string]*opMeter
	// windows holds, for each cap, the start of its current window and the calls in it.
	windows []capWindow
}

type capWindow struct {
	start time.Time
	used  int64
}

type opMeter struct {
	counts connector.Counts
	budget connector.Budget
	ring   rateRing
}

// rateRing counts calls per minute over the last hour and the current minute.
type rateRing struct {
	first  time.Time
	minute [61]int64 // the Unix minute each slot counts
	calls  [61]int64
}

func (r *rateRing) add(t time.Time) {
	if r.first.IsZero() {
		r.first = t
	}
	m := t.Unix() / 60
	i := int(m % 61)
	if i < 0 {
		i += 61
	}
	if r.minute[i] != m {
		r.minute[i], r.calls[i] = m, 0
	}
	r.calls[i]++
}

// rate is calls per second since the start of the minute an hour ago, or since the first call
// when that is later, but over at least minRateSpan: a first run's catch-up is not a storm.
func (r *rateRing) rate(now time.Time) float64 {
	if r.first.IsZero() {
		return 0
	}
	m := now.Unix() / 60
	var n int64
	for i := range r.minute {
		if r.minute[i] >= m-60 && r.minute[i] <= m {
			n += r.calls[i]
		}
	}
	span := min(now.Sub(time.Unix((m-60)*60, 0)), now.Sub(r.first))
	span = max(span, minRateSpan)
	return float64(n) / span.Seconds()
}

// minRateSpan is the shortest span a rate is measured over.
const minRateSpan = 10 * time.Minute

func newMeter(cfg Config) *Meter {
	m := &Meter{now: cfg.Now, caps: slices.Clone(cfg.Caps), keys: map[string]*keyMeter{}}
	if m.now == nil {
		m.now = time.Now
	}
	m.published.Unit = "calls"
	if cfg.Rate > 0 && cfg.Rate < 1e12 {
		m.published.Rate = float64(cfg.Rate)
		m.published.Burst = float64(max(cfg.Burst, 1))
	}
	return m
}

// attempt is one request sent: what the meter records of it.
type attempt struct {
	key, op   string
	published connector.Budget
	retry     bool
	sent      int64
	received  int64
	throttled bool
	failed    bool
	budget    connector.Budget
	cost      float64
	stated    bool
}

func (m *Meter) record(a attempt) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.keys[a.key]
	if k == nil {
		k = &keyMeter{since: now, ops: map[string]*opMeter{}, windows: make([]capWindow, len(m.caps))}
		m.keys[a.key] = k
	}
	o := k.ops[a.op]
	if o == nil {
		o = &opMeter{budget: m.published}
		if a.published != (connector.Budget{}) {
			o.budget = a.published
			if o.budget.Unit == "" {
				o.budget.Unit = "calls"
			}
		}
		k.ops[a.op] = o
	}
	k.total.add(now)
	o.ring.add(now)
	for i, c := range m.caps {
		w := &k.windows[i]
		if s := c.Start(now); !s.Equal(w.start) {
			w.start, w.used = s, 0
		}
		w.used++
	}
	c := &o.counts
	c.Calls++
	if a.retry {
		c.Retries++
	}
	switch {
	case a.throttled:
		c.Throttled++
	case a.failed:
		c.Errors++
	}
	c.BytesSent += a.sent
	c.BytesReceived += a.received
	c.Cost += a.cost
	if a.stated {
		mergeBudget(&o.budget, a.budget, now)
	}
}

func mergeBudget(b *connector.Budget, s connector.Budget, now time.Time) {
	if s.Unit != "" {
		b.Unit = s.Unit
	}
	if s.Rate > 0 {
		b.Rate = s.Rate
	}
	if s.Burst > 0 {
		b.Burst = s.Burst
	}
	b.Available = s.Available
	b.AsOf = s.AsOf
	if b.AsOf.IsZero() {
		b.AsOf = now
	}
}

// Keys returns the credentials the meter has counted calls for, sorted.
func (m *Meter) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.keys))
	for k := range m.keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Usage returns what the credential key spent, as of now, and false when it made no call yet.
// Each cap of Config.Caps comes with its current window and forecast.
func (m *Meter) Usage(now time.Time, key string) (connector.Usage, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.keys[key]
	if k == nil {
		return connector.Usage{Key: key}, false
	}
	u := connector.Usage{Key: key, Since: k.since, Rate: k.total.rate(now), Operations: make([]connector.OperationUsage, 0, len(k.ops))}
	for name, o := range k.ops {
		u.Counts.Add(o.counts)
		u.Operations = append(u.Operations, connector.OperationUsage{Name: name, Counts: o.counts, Rate: o.ring.rate(now), Budget: o.budget})
	}
	sort.Slice(u.Operations, func(i, j int) bool { return u.Operations[i].Name < u.Operations[j].Name })
	for i, c := range m.caps {
		u.Caps = append(u.Caps, forecast(c, k.windows[i], u.Rate, now))
	}
	return u, true
}

// forecast projects a cap's current window at rate calls per second.
func forecast(c connector.Cap, w capWindow, rate float64, now time.Time) connector.CapUsage {
	start := c.Start(now)
	end := start.Add(c.Window)
	if c.Location != nil && c.Window == 24*time.Hour {
		end = start.AddDate(0, 0, 1)
	}
	cu := connector.CapUsage{Cap: c, Start: start, End: end}
	if w.start.Equal(start) {
		cu.Used = w.used
	}
	left := end.Sub(now).Seconds()
	cu.Forecast = cu.Used + int64(rate*left)
	switch {
	case cu.Used >= c.Limit:
		cu.ExceedsAt = now
	case rate > 0:
		at := now.Add(time.Duration(float64(c.Limit-cu.Used) / rate * float64(time.Second)))
		if at.Before(end) {
			cu.ExceedsAt = at
		}
	}
	return cu
}
