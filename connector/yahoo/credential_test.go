package yahoo_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// TestEngineHearsRefreshTokenEnd: without public-key auth Yahoo! ends the refresh token after
// 12 hours; the client reports when, and the engine tells the host once (CredentialExpiring).
func TestEngineHearsRefreshTokenEnd(t *testing.T) {
	s := newStore(t, false, nil)
	var (
		mu  sync.Mutex
		got []tobirasync.CredentialExpiring
	)
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: s.clock, Observer: tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		if ce, ok := ev.(tobirasync.CredentialExpiring); ok {
			mu.Lock()
			got = append(got, ce)
			mu.Unlock()
		}
	})})
	if err := eng.PutMerchant(tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "yahoo", Source: s.client, Sink: s.client, Target: s.client}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := eng.SyncOrders(context.Background(), "m", "yahoo"); err != nil {
			t.Fatal(err)
		}
	}
	end := s.client.CredentialExpiry()
	if end.IsZero() || end.Sub(s.clock.Now()) > 12*time.Hour {
		t.Fatalf("CredentialExpiry = %s, want within 12 hours of %s", end, s.clock.Now())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !got[0].ExpiresAt.Equal(end) || got[0].Channel != "yahoo" {
		t.Fatalf("events %+v, want one CredentialExpiring for yahoo at %s", got, end)
	}
}
