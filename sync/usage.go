// Usage and cost: what each channel's and warehouse's platform calls spent, against the budget
// the platform allows, and the host told before a cap is exceeded.

package sync

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// ChannelUsage is what the connectors of one channel or warehouse spent on their platform, per
// credential and operation (connector.UsageReporter).
type ChannelUsage struct {
	// Channel is the channel or warehouse ID.
	Channel string
	// Warehouse is true for a warehouse.
	Warehouse bool
	// Usage holds one entry per credential the connectors use, each with its operations, budgets
	// and cap forecasts.
	Usage []connector.Usage
}

// Total returns the counts of every credential and operation of the channel.
func (c ChannelUsage) Total() connector.Counts {
	var t connector.Counts
	for _, u := range c.Usage {
		t.Add(u.Counts)
	}
	return t
}

// UsageForecast: at the current rate, a channel's or warehouse's calls will exceed one of its
// platform's caps (an hourly or daily quota) before the cap's window ends, or already have. Cap
// says when (CapUsage.ExceedsAt); the host slows the channel's flows, or asks the platform for
// more, before then. It is reported once per cap window and configuration, when a flow of the
// channel runs.
type UsageForecast struct {
	Merchant string
	// Channel is the channel or warehouse ID.
	Channel string
	// Key is the credential (a shop, a seller ID) the cap applies to.
	Key string
	Cap connector.CapUsage
}

// Kind implements Event.
func (UsageForecast) Kind() string { return "usage.forecast" }

// Usage returns what each channel and warehouse of a merchant spent on its platform, as of the
// engine's clock, for those whose connectors count their calls (connector.UsageReporter; the
// reference connectors do). Counts run from when each connector was made.
func (e *Engine) Usage(merchantID string) ([]ChannelUsage, error) {
	m, err := e.merchant(merchantID)
	if err != nil {
		return nil, err
	}
	now := e.opt.Clock.Now()
	var out []ChannelUsage
	for _, c := range m.cfg.Channels {
		if u := usageOf(now, c.Source, c.Sink, c.Target); len(u) > 0 {
			out = append(out, ChannelUsage{Channel: c.ID, Usage: u})
		}
	}
	for _, w := range m.cfg.Warehouses {
		if u := usageOf(now, w.Fulfiller, w.Shipments, w.Stock); len(u) > 0 {
			out = append(out, ChannelUsage{Channel: w.ID, Warehouse: true, Usage: u})
		}
	}
	return out, nil
}

// usageOf reads the usage of the distinct reporters among conns (one client often plays every
// role of a channel).
func usageOf(now time.Time, conns ...any) []connector.Usage {
	var seen []connector.UsageReporter
	var out []connector.Usage
	for _, c := range conns {
		r, ok := c.(connector.UsageReporter)
		if !ok || (reflect.TypeOf(r).Comparable() && slices.Contains(seen, r)) {
			continue
		}
		seen = append(seen, r)
		out = append(out, r.Usage(now)...)
	}
	return out
}

// usageWarned keys the start of the cap window last reported, in the merchant's warned map
// beside the credential expiries (whose keys are plain IDs): one entry per cap, however long the
// engine runs.
type usageWarned struct {
	channel, key string
	window       time.Duration
	limit        int64
}

// checkUsage tells the host, once per cap window, that a channel's or warehouse's calls are on
// course to exceed a cap of its platform.
func (e *Engine) checkUsage(m *merchant, id string, conns ...any) {
	var now time.Time
	for _, c := range conns {
		if _, ok := c.(connector.UsageReporter); !ok {
			continue
		}
		if now.IsZero() {
			now = e.opt.Clock.Now()
		}
		for _, u := range usageOf(now, conns...) {
			for _, cu := range u.Caps {
				if !cu.Exceeds() {
					continue
				}
				k := usageWarned{channel: id, key: u.Key, window: cu.Cap.Window, limit: cu.Cap.Limit}
				if prev, loaded := m.warned.Swap(k, cu.Start); loaded && prev.(time.Time).Equal(cu.Start) {
					continue
				}
				e.opt.Logger.Warn("tobira: usage forecast to exceed a cap", "merchant", m.cfg.ID, "channel", id,
					"window", cu.Cap.Window.String(), "limit", cu.Cap.Limit, "used", cu.Used, "forecast", cu.Forecast,
					"exceeds_at", cu.ExceedsAt)
				emit(e, UsageForecast{Merchant: m.cfg.ID, Channel: id, Key: u.Key, Cap: cu})
			}
		}
		return
	}
}

// String describes the forecast for logs and consoles.
func (f UsageForecast) String() string {
	return fmt.Sprintf("%s/%s: %d of %d calls per %s used, %d forecast by %s", f.Merchant, f.Channel,
		f.Cap.Used, f.Cap.Cap.Limit, f.Cap.Cap.Window, f.Cap.Forecast, f.Cap.End.Format(time.RFC3339))
}
