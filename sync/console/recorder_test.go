package console_test

import (
	"testing"
	"time"

	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/console"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

func TestConsoleRecorderKeepsTheLatest(t *testing.T) {
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	rec := console.NewRecorder(console.RecorderOptions{Clock: clock, Keep: 3})
	key := func(id string) ledger.OrderKey { return ledger.OrderKey{Merchant: "tea", Channel: "shop", OrderID: id} }
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		clock.Advance(time.Second)
		rec.Observe(tobirasync.ChangeRefused{Key: key(id), Warehouse: "tokyo", Reason: "picked"})
	}
	got := rec.Refusals("tea")
	if len(got) != 3 || got[0].Key.OrderID != "5" || got[2].Key.OrderID != "3" {
		t.Errorf("refusals kept: %+v, want 5, 4, 3", got)
	}
	if len(rec.Refusals("other")) != 0 {
		t.Errorf("another merchant's refusals listed")
	}
	if ev := rec.Events(key("1")); len(ev) != 0 {
		t.Errorf("an event older than Keep is still there: %+v", ev)
	}
	if ev := rec.Events(key("4")); len(ev) != 1 {
		t.Errorf("events of order 4: %+v", ev)
	}

	// A hold lasts until the order is sent; a stop until the channel works again.
	rec.Observe(tobirasync.OrderHeld{Key: key("9"), Reason: "unpaid"})
	rec.Observe(tobirasync.ChannelStopped{Merchant: "tea", Channel: "shop", Reason: "401"})
	if h := rec.Holds(""); len(h) != 1 || h[0].Reason != "unpaid" {
		t.Errorf("holds: %+v", h)
	}
	if c := rec.Channels("tea"); len(c) != 1 || c[0].Stopped != "401" {
		t.Errorf("channels: %+v", c)
	}
	rec.Observe(tobirasync.OrderSent{Key: key("9"), Warehouse: "tokyo", Request: "r"})
	if h := rec.Holds("tea"); len(h) != 0 {
		t.Errorf("a sent order is still held: %+v", h)
	}
	c := rec.Channels("tea")
	if len(c) != 2 || c[0].Stopped != "" || c[0].LastOrders.IsZero() || c[1].Channel != "tokyo" {
		t.Errorf("channels after a sent order: %+v", c)
	}
}
