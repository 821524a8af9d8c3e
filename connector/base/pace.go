package base

import (
	"context"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// pacer keeps the client within BASE's hourly and daily call limits: it counts the calls of the
// current clock hour and Japanese day and makes a call that would exceed them wait for the
// next one. An hour (or day) BASE declared spent is treated as spent whatever the count says.
type pacer struct {
	clock                Clock
	hourly, daily, stock int
	maxWait              time.Duration

	mu         sync.Mutex
	hour       time.Time // start of the counted hour
	day        time.Time // start of the counted Japanese day
	hourCalls  int
	stockCalls int
	dayCalls   int
	spentHour  time.Time // the hour BASE answered hour_api_limit in
	spentDay   time.Time
}

// nextHour returns the start of the hour after now; BASE's counters reset at minute 00.
func nextHour(now time.Time) time.Time { return now.Truncate(time.Hour).Add(time.Hour) }

// dayStart returns the start of now's day in Japan.
func dayStart(now time.Time) time.Time {
	j := now.In(JST)
	return time.Date(j.Year(), j.Month(), j.Day(), 0, 0, 0, 0, JST)
}

func nextDay(now time.Time) time.Time { return dayStart(now).AddDate(0, 0, 1) }

func (p *pacer) roll(now time.Time) {
	if h := now.Truncate(time.Hour); !h.Equal(p.hour) {
		p.hour, p.hourCalls, p.stockCalls = h, 0, 0
	}
	if d := dayStart(now); !d.Equal(p.day) {
		p.day, p.dayCalls = d, 0
	}
}

// acquire counts one call, waiting on the clock for the next hour or day when the budget is
// spent. With maxWait set, a longer wait is returned as a *connector.RateLimitError instead.
func (p *pacer) acquire(ctx context.Context, stock bool) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		now := p.clock.Now()
		p.roll(now)
		var until time.Time
		reason := "hour_api_limit"
		switch {
		case p.dayCalls >= p.daily || p.spentDay.Equal(p.day):
			until, reason = nextDay(now), "day_api_limit"
		case p.hourCalls >= p.hourly || p.spentHour.Equal(p.hour) || (stock && p.stockCalls >= p.stock):
			until = nextHour(now)
		default:
			p.hourCalls++
			p.dayCalls++
			if stock {
				p.stockCalls++
			}
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		wait := until.Sub(now)
		if p.maxWait > 0 && wait > p.maxWait {
			return &connector.RateLimitError{Wait: wait, Reason: reason}
		}
		if err := p.clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// exhausted records that BASE refused a call for its hourly (or daily) limit and returns the
// wait until the limit resets.
func (p *pacer) exhausted(day bool) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	p.roll(now)
	if day {
		p.spentDay = p.day
		return nextDay(now).Sub(now)
	}
	p.spentHour = p.hour
	return nextHour(now).Sub(now)
}

// note counts a call that is sent whatever the budget says (a retry the HTTP layer makes).
func (p *pacer) note(stock bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roll(p.clock.Now())
	p.hourCalls++
	p.dayCalls++
	if stock {
		p.stockCalls++
	}
}
