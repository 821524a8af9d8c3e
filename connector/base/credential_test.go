package base_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/base/basetest"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// TestEngineHearsRefreshTokenLapse: BASE's refresh token lapses 30 days after it was issued;
// the client reports when, and the engine tells the host once it is within the warning period.
func TestEngineHearsRefreshTokenLapse(t *testing.T) {
	e := setup(t, basetest.Options{}, nil)
	clock := tobirasync.NewManualClock(e.clock.Now())
	var (
		mu  sync.Mutex
		got []tobirasync.CredentialExpiring
	)
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, CredentialWarning: 3 * 24 * time.Hour,
		Observer: tobirasync.ObserverFunc(func(ev tobirasync.Event) {
			if ce, ok := ev.(tobirasync.CredentialExpiring); ok {
				mu.Lock()
				got = append(got, ce)
				mu.Unlock()
			}
		})})
	if err := eng.PutMerchant(tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "base", Target: e.client}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}}}); err != nil {
		t.Fatal(err)
	}
	lapse := e.client.CredentialExpiry()
	if lapse.IsZero() {
		t.Fatal("the client does not know when its refresh token lapses")
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	if _, err := eng.SyncStock(context.Background(), "m"); err != nil || count() != 0 {
		t.Fatalf("SyncStock: %v; %d events with the lapse %s away", err, count(), lapse.Sub(clock.Now()))
	}
	clock.Set(lapse.Add(-2 * 24 * time.Hour))
	for range 2 {
		if _, err := eng.SyncStock(context.Background(), "m"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !got[0].ExpiresAt.Equal(lapse) {
		t.Fatalf("events %+v, want one CredentialExpiring at %s", got, lapse)
	}
}
