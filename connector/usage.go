package connector

import (
	"slices"
	"strings"
	"time"
)

// UsageReporter is implemented by connectors that count their platform calls (the reference
// connectors do, through connector/httpclient's Meter). The engine finds it by type assertion on
// a channel's or warehouse's connectors, reads it for Engine.Usage and warns the host, with its
// UsageForecast event, when a credential is on course to exceed a cap. Third parties may
// implement it; Usage, Counts, Budget, Cap and CapUsage may gain fields.
type UsageReporter interface {
	// Usage returns what each credential the connector uses has spent, with the budget the
	// platform allows and, for each cap, a forecast of the window at the current rate, as of now.
	// It must be cheap and safe for concurrent use.
	Usage(now time.Time) []Usage
}

// Counts are what calls to a platform did. Calls counts every request sent (first attempts and
// retries); each ended as exactly one of a success, a throttle answer (Throttled) or an error
// (Errors: transport failures and non-2xx answers other than throttles).
type Counts struct {
	Calls, Retries, Throttled, Errors int64
	// BytesSent and BytesReceived count request and response bodies.
	BytesSent, BytesReceived int64
	// Cost is what the platform said it charged, in Budget.Unit (Shopify's actual query cost);
	// 0 when it does not say.
	Cost float64
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Calls += o.Calls
	c.Retries += o.Retries
	c.Throttled += o.Throttled
	c.Errors += o.Errors
	c.BytesSent += o.BytesSent
	c.BytesReceived += o.BytesReceived
	c.Cost += o.Cost
}

// Budget is what a platform allows one credential for one operation: a sustained rate and a
// burst (a token or leaky bucket), from the connector's published limits or, when the platform
// states them, from its last answer.
type Budget struct {
	// Unit is what Rate, Burst and Available count: "calls", or a platform's own unit such as
	// Shopify's "cost" points.
	Unit string
	// Rate is the units restored per second; 0 means unknown or unlimited.
	Rate float64
	// Burst is the bucket's size; 0 means unknown.
	Burst float64
	// Available is what the bucket held at AsOf. It is meaningful only when AsOf is set.
	Available float64
	// AsOf is when the platform last stated the budget; zero when it comes from published limits.
	AsOf time.Time
}

// Cap is a fixed-window limit on calls: BASE's 5,000 an hour, a daily quota.
type Cap struct {
	// Window is the cap's period, such as time.Hour or 24*time.Hour. Windows start at multiples
	// of Window since the zero time (on the hour, at midnight UTC); a daily window starts at
	// midnight in Location instead when Location is set (Japanese platforms reset at midnight
	// in Asia/Tokyo).
	Window   time.Duration
	Location *time.Location
	// Limit is how many calls the window allows.
	Limit int64
}

// Start returns the start of the window of c that holds t.
func (c Cap) Start(t time.Time) time.Time {
	if c.Location != nil && c.Window == 24*time.Hour {
		l := t.In(c.Location)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.Location)
	}
	if c.Window <= 0 {
		return t
	}
	return t.Truncate(c.Window)
}

// CapUsage is a cap's current window: what was used and what will be at the current rate.
type CapUsage struct {
	Cap        Cap
	Start, End time.Time
	// Used counts the calls of the window so far.
	Used int64
	// Forecast is Used plus the current rate over what is left of the window.
	Forecast int64
	// ExceedsAt is when, at the current rate, Used reaches Limit; zero when it does not within
	// the window. It is in the past (or now) once the cap is reached.
	ExceedsAt time.Time
}

// Exceeds reports whether the window is forecast to use more than the cap allows (or already
// has used it all).
func (c CapUsage) Exceeds() bool { return c.Forecast > c.Cap.Limit || c.Used >= c.Cap.Limit }

// Usage is what one credential (httpclient's Request.Key: a shop, a seller ID) spent, in total
// and per operation, since Since.
type Usage struct {
	Key string
	// Counts totals the operations.
	Counts
	// Rate is the calls per second of the last hour, or since Since when that is shorter (but
	// over ten minutes at least, so that a first run's catch-up is not taken for the pace).
	Rate  float64
	Since time.Time
	// Caps are the credential's caps, each with its current window, across its operations.
	Caps []CapUsage
	// Operations are the counts per operation, sorted by name.
	Operations []OperationUsage
}

// OperationUsage is what one credential spent on one operation (a GraphQL operation name,
// getOrders).
type OperationUsage struct {
	Name string
	Counts
	// Rate is the calls per second of the last hour, as Usage.Rate.
	Rate float64
	// Budget is what the platform allows this operation.
	Budget Budget
}

// Merge adds o, the usage of the same credential counted elsewhere (a connector with one HTTP
// client per API), to u: counts and rates add up, operations of the same name are summed, caps
// are appended.
func (u *Usage) Merge(o Usage) {
	u.Counts.Add(o.Counts)
	u.Rate += o.Rate
	if u.Since.IsZero() || (!o.Since.IsZero() && o.Since.Before(u.Since)) {
		u.Since = o.Since
	}
	u.Caps = append(u.Caps, o.Caps...)
	for _, op := range o.Operations {
		i := slices.IndexFunc(u.Operations, func(x OperationUsage) bool { return x.Name == op.Name })
		if i < 0 {
			u.Operations = append(u.Operations, op)
			continue
		}
		u.Operations[i].Counts.Add(op.Counts)
		u.Operations[i].Rate += op.Rate
	}
	slices.SortFunc(u.Operations, func(a, b OperationUsage) int { return strings.Compare(a.Name, b.Name) })
}
