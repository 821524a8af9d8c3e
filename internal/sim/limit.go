package sim

import (
	"math"
	"time"
)

// Limit is a platform's published rate limit for one API: a token bucket (Rate tokens per
// second, at most Burst), or a fixed window (PerWindow calls per Window, counted from the
// window's start on the clock, as BASE resets its counters at minute 00).
type Limit struct {
	Name      string
	Rate      float64
	Burst     float64
	Window    time.Duration
	PerWindow int
}

// bucket tracks one Limit in virtual time. The platform keeps one to answer throttles; the
// client keeps another to pace its calls (the HTTP layer's rate.Limiter in DESIGN.md).
type bucket struct {
	lim    Limit
	tokens float64
	last   time.Time
	// used counts calls per window start, for fixed windows; the client books future windows.
	used map[time.Time]int
}

func newBucket(l Limit, now time.Time) *bucket {
	return &bucket{lim: l, tokens: l.Burst, last: now, used: map[time.Time]int{}}
}

func (b *bucket) refill(now time.Time) {
	if b.lim.Window > 0 {
		cur := b.window(now)
		for w := range b.used {
			if w.Before(cur) {
				delete(b.used, w)
			}
		}
		return
	}
	if now.After(b.last) {
		b.tokens = math.Min(b.lim.Burst, b.tokens+now.Sub(b.last).Seconds()*b.lim.Rate)
		b.last = now
	}
}

// take consumes cost if the bucket holds it now, as the platform decides.
func (b *bucket) take(now time.Time, cost float64) bool {
	b.refill(now)
	if b.lim.Window > 0 {
		w := b.window(now)
		if b.used[w]+int(cost) > b.lim.PerWindow {
			return false
		}
		b.used[w] += int(cost)
		return true
	}
	// A hair of tolerance: pacing computes the same instant the platform checks, and float
	// rounding must not turn an on-time call into a throttle.
	if b.tokens+1e-9 < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// reserve books cost and returns how long the caller must wait before calling, as
// rate.Limiter.Reserve does: later callers queue behind earlier ones.
func (b *bucket) reserve(now time.Time, cost float64) time.Duration {
	b.refill(now)
	if b.lim.Window > 0 {
		// Calls beyond this window's allowance go to the first window with room.
		w := b.window(now)
		for b.used[w]+int(cost) > b.lim.PerWindow {
			w = w.Add(b.lim.Window)
		}
		b.used[w] += int(cost)
		if w.After(now) {
			return w.Sub(now)
		}
		return 0
	}
	b.tokens -= cost
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(math.Ceil(-b.tokens / b.lim.Rate * float64(time.Second)))
}

// budget is how many calls (or cost units) the limit allows over d.
func (l Limit) budget(d time.Duration) float64 {
	if l.Window > 0 {
		return float64(l.PerWindow) * math.Ceil(d.Seconds()/l.Window.Seconds())
	}
	return l.Burst + l.Rate*d.Seconds()
}

// window returns the start of the fixed window holding now, aligned on the clock.
func (b *bucket) window(now time.Time) time.Time { return now.Truncate(b.lim.Window) }
