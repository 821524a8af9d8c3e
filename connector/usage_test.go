package connector_test

import (
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

func TestUsageMerge(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	u := connector.Usage{Key: "k", Counts: connector.Counts{Calls: 3, BytesReceived: 30}, Rate: 1, Since: t0.Add(time.Hour),
		Operations: []connector.OperationUsage{{Name: "searchOrder", Counts: connector.Counts{Calls: 3, BytesReceived: 30}, Rate: 1}}}
	u.Merge(connector.Usage{Key: "k", Counts: connector.Counts{Calls: 2, Throttled: 1}, Rate: 0.5, Since: t0,
		Operations: []connector.OperationUsage{
			{Name: "updateInventory", Counts: connector.Counts{Calls: 1}, Rate: 0.25},
			{Name: "searchOrder", Counts: connector.Counts{Calls: 1, Throttled: 1}, Rate: 0.25},
		}})
	if u.Calls != 5 || u.Throttled != 1 || u.BytesReceived != 30 || u.Rate != 1.5 || !u.Since.Equal(t0) {
		t.Errorf("merged totals = %+v", u)
	}
	if len(u.Operations) != 2 || u.Operations[0].Name != "searchOrder" || u.Operations[0].Calls != 4 || u.Operations[0].Rate != 1.25 ||
		u.Operations[1].Name != "updateInventory" {
		t.Errorf("merged operations = %+v", u.Operations)
	}
}

func TestCapUsageExceeds(t *testing.T) {
	c := connector.Cap{Window: time.Hour, Limit: 100}
	for _, tc := range []struct {
		used, forecast int64
		want           bool
	}{{10, 90, false}, {10, 100, false}, {10, 101, true}, {100, 100, true}} {
		if got := (connector.CapUsage{Cap: c, Used: tc.used, Forecast: tc.forecast}).Exceeds(); got != tc.want {
			t.Errorf("used %d forecast %d: Exceeds = %v", tc.used, tc.forecast, got)
		}
	}
}
