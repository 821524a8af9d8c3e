package console

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// usageView is what one credential of a channel or warehouse spent, in words, for the overview.
type usageView struct {
	Key    string
	Counts string // "120 calls, 2 throttled, 1 retry, 0 errors"
	Rate   string // "0.04/s over the last hour"
	Budget string // "2 calls/s, burst 40" (distinct budgets of its operations, joined)
	Caps   []capView
}

// capView is one cap's window: what was used and what the current rate leads to.
type capView struct {
	Text string // "3,600/day: 120 used, forecast 900"
	Over bool   // the forecast exceeds the cap, or it is reached
}

// usageViews turns a channel's usage into what the overview shows.
func usageViews(cu tobirasync.ChannelUsage) []usageView {
	out := make([]usageView, 0, len(cu.Usage))
	for _, u := range cu.Usage {
		v := usageView{Key: u.Key, Counts: counts(u.Counts), Rate: rate(u.Rate)}
		// Operations often share one bucket: each distinct bucket once, with the latest
		// statement of what it held.
		var buckets []connector.Budget
		for _, op := range u.Operations {
			b := op.Budget
			if b.Rate <= 0 && b.Burst <= 0 {
				continue
			}
			i := slices.IndexFunc(buckets, func(x connector.Budget) bool { return x.Unit == b.Unit && x.Rate == b.Rate && x.Burst == b.Burst })
			switch {
			case i < 0:
				buckets = append(buckets, b)
			case b.AsOf.After(buckets[i].AsOf):
				buckets[i] = b
			}
		}
		budgets := make([]string, len(buckets))
		for i, b := range buckets {
			budgets[i] = budget(b)
		}
		v.Budget = strings.Join(budgets, "; ")
		for _, c := range u.Caps {
			text := fmt.Sprintf("%s/%s: %s used, forecast %s", thousands(c.Cap.Limit), window(c.Cap.Window),
				thousands(c.Used), thousands(c.Forecast))
			if c.Exceeds() && !c.ExceedsAt.IsZero() {
				text += ", reaches the cap at " + c.ExceedsAt.UTC().Format("15:04Z")
			}
			v.Caps = append(v.Caps, capView{Text: text, Over: c.Exceeds()})
		}
		out = append(out, v)
	}
	return out
}

// counts says what calls did.
func counts(c connector.Counts) string {
	s := plural(c.Calls, "call") + ", " + thousands(c.Throttled) + " throttled, " + plural(c.Errors, "error")
	if c.Retries > 0 {
		s += ", " + thousands(c.Retries) + " retried"
	}
	if c.Cost > 0 {
		s += fmt.Sprintf(", cost %.0f", c.Cost)
	}
	return s
}

// rate prints calls per second.
func rate(r float64) string {
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0f/s", r)
	case r >= 1:
		return fmt.Sprintf("%.1f/s", r)
	}
	return fmt.Sprintf("%.3f/s", r)
}

// plural prints n things.
func plural(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return thousands(n) + " " + thing + "s"
}

// num prints a budget's number: whole, or to three significant digits.
func num(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return thousands(int64(f))
	}
	return strconv.FormatFloat(f, 'g', 3, 64)
}

// budget says what a platform allows.
func budget(b connector.Budget) string {
	unit := b.Unit
	if unit == "" {
		unit = "calls"
	}
	var parts []string
	if b.Rate > 0 {
		parts = append(parts, num(b.Rate)+" "+unit+"/s")
	}
	if b.Burst > 0 {
		parts = append(parts, "burst "+num(b.Burst))
	}
	if !b.AsOf.IsZero() {
		parts = append(parts, num(b.Available)+" available at "+b.AsOf.UTC().Format("15:04:05Z"))
	}
	return strings.Join(parts, ", ")
}

// window names a cap's period.
func window(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case 24 * time.Hour:
		return "day"
	case time.Minute:
		return "minute"
	}
	return d.String()
}

// thousands prints n with thousands separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
