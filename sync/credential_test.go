package sync_test

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// expiringChannel is a memory channel whose credential lapses at a set time, as a Rakuten
// license key or a refresh token does.
type expiringChannel struct {
	*memory.Channel
	mu gosync.Mutex
	at time.Time
}

func (c *expiringChannel) CredentialExpiry() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *expiringChannel) renew(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = at
}

// TestCredentialExpiringEvent: the host hears once, ahead of time, that a channel's credential
// lapses, and again for the next credential once it nears its own end.
func TestCredentialExpiringEvent(t *testing.T) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	var (
		mu     gosync.Mutex
		events []tobirasync.CredentialExpiring
	)
	observer := tobirasync.ObserverFunc(func(ev tobirasync.Event) {
		if ce, ok := ev.(tobirasync.CredentialExpiring); ok {
			mu.Lock()
			events = append(events, ce)
			mu.Unlock()
		}
	})
	seen := func() []tobirasync.CredentialExpiring {
		mu.Lock()
		defer mu.Unlock()
		return append([]tobirasync.CredentialExpiring(nil), events...)
	}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Observer: observer, CredentialWarning: 7 * 24 * time.Hour})
	shop := &expiringChannel{Channel: &memory.Channel{Now: clock.Now}, at: clock.Now().Add(10 * 24 * time.Hour)}
	merchant := tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "mall", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: &memory.Warehouse{}}}}
	require.NoError(t, eng.PutMerchant(merchant))

	_, err := eng.SyncOrders(ctx, "m", "mall")
	require.NoError(t, err)
	require.Empty(t, seen(), "ten days ahead is outside the seven-day warning")

	clock.Advance(4 * 24 * time.Hour)
	for range 3 {
		_, err = eng.SyncOrders(ctx, "m", "mall")
		require.NoError(t, err)
		_, err = eng.SyncStock(ctx, "m")
		require.NoError(t, err)
	}
	first := shop.CredentialExpiry()
	require.Equal(t, []tobirasync.CredentialExpiring{{Merchant: "m", Channel: "mall", ExpiresAt: first}}, seen(), "one event, however many flows ran")

	// The host renews the key for 90 days: nothing to say until that one nears its end.
	shop.renew(clock.Now().Add(90 * 24 * time.Hour))
	require.NoError(t, eng.PutMerchant(merchant))
	_, err = eng.SyncOrders(ctx, "m", "mall")
	require.NoError(t, err)
	require.Len(t, seen(), 1)
	clock.Advance(85 * 24 * time.Hour)
	_, err = eng.SyncOrders(ctx, "m", "mall")
	require.NoError(t, err)
	require.Len(t, seen(), 2)
	require.Equal(t, shop.CredentialExpiry(), seen()[1].ExpiresAt)
}

// TestUnconfirmedShipmentsListed: a shipment no channel has confirmed shows once it is older
// than the host's threshold, and leaves the list once the channel takes it.
func TestUnconfirmedShipmentsListed(t *testing.T) {
	ctx := context.Background()
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	shop := &memory.Channel{Now: clock.Now}
	wh := &memory.Warehouse{Now: clock.Now}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock})
	require.NoError(t, eng.PutMerchant(tobirasync.Merchant{ID: "m",
		Channels:   []tobirasync.Channel{{ID: "shop", Source: shop, Sink: shop, Target: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: wh, Shipments: wh, Stock: wh}}}))
	wh.SetOnHand("TEA", 5)
	shop.Place(newOrder("o1", "TEA", 1))
	clock.Advance(time.Minute)
	_, err := eng.SyncOrders(ctx, "m", "shop")
	require.NoError(t, err)
	_, err = wh.Ship(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: "shop", OrderID: "o1"}, "wh"), nil)
	require.NoError(t, err)
	shop.FailNext(100, nil) // the channel is down
	_, _ = eng.SyncShipments(ctx, "m", "wh")

	clock.Advance(30 * time.Minute)
	got, err := eng.UnconfirmedShipments(ctx, "m", time.Hour, 100)
	require.NoError(t, err)
	require.Empty(t, got, "younger than the threshold")
	clock.Advance(time.Hour)
	got, err = eng.UnconfirmedShipments(ctx, "m", time.Hour, 100)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "o1", got[0].Shipment.OrderID)

	shop.FailNext(0, nil)
	_, err = eng.SyncShipments(ctx, "m", "wh")
	require.NoError(t, err)
	got, err = eng.UnconfirmedShipments(ctx, "m", time.Hour, 100)
	require.NoError(t, err)
	require.Empty(t, got, "confirmed")
}
