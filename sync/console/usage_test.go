package console_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// meteredChannel is a memory channel whose connector reports what it spent.
type meteredChannel struct {
	*memory.Channel
	usage func(now time.Time) []connector.Usage
}

func (c *meteredChannel) Usage(now time.Time) []connector.Usage { return c.usage(now) }

func TestConsoleOverviewUsage(t *testing.T) {
	r := newRig(t)
	day := connector.Cap{Window: 24 * time.Hour, Limit: 5000}
	hour := connector.Cap{Window: time.Hour, Limit: 1000}
	ch := &meteredChannel{Channel: &memory.Channel{Now: r.clock.Now}, usage: func(now time.Time) []connector.Usage {
		return []connector.Usage{{
			Key:    "coffee.example",
			Counts: connector.Counts{Calls: 1234, Throttled: 7, Retries: 3, Errors: 2},
			Rate:   0.5,
			Since:  now.Add(-time.Hour),
			Caps: []connector.CapUsage{
				{Cap: day, Start: day.Start(now), End: day.Start(now).Add(24 * time.Hour), Used: 1234, Forecast: 8434,
					ExceedsAt: time.Date(2026, 12, 1, 17, 5, 0, 0, time.UTC)},
				{Cap: hour, Start: hour.Start(now), End: hour.Start(now).Add(time.Hour), Used: 30, Forecast: 1830 - 1000},
			},
			Operations: []connector.OperationUsage{
				{Name: "getOrders", Counts: connector.Counts{Calls: 1000}, Budget: connector.Budget{Unit: "calls", Rate: 2, Burst: 40}},
				{Name: "putStock", Counts: connector.Counts{Calls: 234}, Budget: connector.Budget{Unit: "calls", Rate: 2, Burst: 40}},
				// One bucket stated by the platform after two calls: shown once, as last stated.
				{Name: "query", Counts: connector.Counts{Calls: 1}, Budget: connector.Budget{Unit: "cost", Rate: 50, Burst: 1000, Available: 800, AsOf: now.Add(-time.Minute)}},
				{Name: "mutation", Counts: connector.Counts{Calls: 1}, Budget: connector.Budget{Unit: "cost", Rate: 50, Burst: 1000, Available: 854, AsOf: now}},
				{Name: "paced", Counts: connector.Counts{Calls: 1}, Budget: connector.Budget{Unit: "calls", Rate: 1.0 / 6}},
			},
		}}
	}}
	err := r.engine.PutMerchant(tobirasync.Merchant{ID: "coffee",
		Channels:   []tobirasync.Channel{{ID: "beans", Source: ch, Sink: ch, Target: ch}},
		Warehouses: []tobirasync.Warehouse{{ID: "osaka", Fulfiller: &memory.Warehouse{}}}})
	if err != nil {
		t.Fatal(err)
	}
	code, body := r.get("/?q=coffee")
	if code != 200 {
		t.Fatalf("overview: %d", code)
	}
	// The channel's calls, throttles and errors, its budget, and each cap with its forecast;
	// the daily cap, forecast past its limit, is marked.
	must(t, body, "Usage against budget and caps", "beans", "coffee.example", "1,234 calls, 7 throttled, 2 errors, 3 retried", "0.500/s",
		"budget</span> 2 calls/s, burst 40; 50 cost/s, burst 1,000, 854 available at 09:00:00Z; 0.167 calls/s",
		`<span class="stopped">cap 5,000/day: 1,234 used, forecast 8,434, reaches the cap at 17:05Z</span>`,
		`<span class="muted">cap 1,000/hour: 30 used, forecast 830</span>`)
	if n := strings.Count(body, "2 calls/s, burst 40"); n != 1 {
		t.Errorf("the budget shared by two operations is shown %d times, want once", n)
	}
	// The tea merchant's memory connectors count nothing, and its rows say so.
	_, body = r.get("/?q=tea")
	must(t, body, "tokyo", "not counted")
	if strings.Contains(body, "calls,") {
		t.Errorf("tea shows usage it does not have:\n%s", body)
	}
}
