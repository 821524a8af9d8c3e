package base_test

import (
	"context"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/base"
	"github.com/tobira-commerce/tobira/connector/base/basetest"
)

// TestBaseUsage: the client's calls are counted per API path against BASE's hourly and Japanese
// daily caps.
func TestBaseUsage(t *testing.T) {
	e := setup(t, basetest.Options{}, func(c *base.Config) { c.HTTP = nil; c.HourlyBudget = 1000 })
	ctx := context.Background()
	for range 3 {
		if _, err := e.client.ListOrders(ctx, window(e)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
	}
	got := e.client.Usage(e.clock.Now())
	if len(got) != 1 || got[0].Key != "sakura-tea" {
		t.Fatalf("Usage = %+v, want one entry for the shop", got)
	}
	u := got[0]
	var orders int64
	for _, o := range u.Operations {
		if o.Name == "orders" {
			orders = o.Calls
		}
	}
	if orders < 3 || u.Calls < orders {
		t.Errorf("orders calls = %d of %d, want at least 3", orders, u.Calls)
	}
	if len(u.Caps) != 2 {
		t.Fatalf("caps = %+v, want the hour and the day", u.Caps)
	}
	hour, day := u.Caps[0], u.Caps[1]
	if hour.Cap.Limit != 1000 || hour.Used != u.Calls || day.Cap.Limit != base.DailyLimit || day.Used != u.Calls {
		t.Errorf("hour %+v, day %+v: want both counting the %d calls against 1000 and %d", hour, day, u.Calls, base.DailyLimit)
	}
	if want := time.Date(2026, 7, 1, 0, 0, 0, 0, base.JST); !day.Start.Equal(want) {
		t.Errorf("the day starts %v, want midnight in Japan", day.Start)
	}
}
