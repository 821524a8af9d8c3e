package inventory_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/inventory"
)

func TestInventoryExplain(t *testing.T) {
	p := inventory.NewPool()
	p.SetChannel("rakuten", inventory.Channel{
		Policy:    inventory.Policy{Buffer: 2},
		Overrides: map[string]inventory.Policy{"tee": {Buffer: 1, Share: 80, Max: 3}},
		SKUs: map[string][]inventory.Item{
			"tee":  {{SKU: "TEE", Quantity: 1}},
			"set":  {{SKU: "TEE", Quantity: 1}, {SKU: "CAP", Quantity: 1}},
			"pair": {{SKU: "TEE", Quantity: 2}},
		},
	})
	p.SetChannel("shop", inventory.Channel{})
	p.SetLevels(inventory.Level{SKU: "TEE", OnHand: 10, AsOf: at(0)})
	p.Reserve(inventory.Reservation{Key: "A-1", Channel: "amazon", Items: []inventory.Item{{SKU: "TEE", Quantity: 2}}})
	p.Reserve(inventory.Reservation{Key: "S-7", Channel: "shop", Items: []inventory.Item{{SKU: "TEE", Quantity: 3}}})
	p.Shipped("S-7", []inventory.Item{{SKU: "TEE", Quantity: 1}}, at(30))

	ex, err := p.Explain("rakuten", "tee")
	require.NoError(t, err)
	assert.Equal(t, inventory.Explanation{
		Channel: "rakuten", SKU: "tee", Known: true,
		Components: []inventory.ComponentExplanation{{
			SKU: "TEE", Quantity: 1, HasLevel: true, OnHand: 10, AsOf: at(0),
			Reservations: []inventory.ReservationLine{
				{Key: "A-1", Channel: "amazon", Quantity: 2},
				{Key: "S-7", Channel: "shop", Quantity: 3,
					Shipped: []inventory.ShippedItem{{SKU: "TEE", Quantity: 1, At: at(30)}}},
			},
			Reserved: 5, Free: 5, Available: 5,
		}},
		Stock: 5, Policy: inventory.Policy{Buffer: 1, Share: 80, Max: 3}, Override: true,
		AfterBuffer: 4, AfterShare: 3, Available: 3,
	}, ex)
	n, err := p.Available("rakuten", "tee")
	require.NoError(t, err)
	assert.Equal(t, n, ex.Available)
	assert.Equal(t, `rakuten shows 3 of tee.
  TEE: warehouse holds 10 as of 2026-11-28 09:00:00 UTC, 5 reserved, 5 free.
    order A-1 (amazon) holds 2.
    order S-7 (shop) holds 3; 1 shipped 2026-11-28 09:30:00 UTC, held until the warehouse's count includes it.
  Safety stock (policy for this SKU) holds back 1: 4 left.
  The channel's share (policy for this SKU) is 80%: 3, rounded down.
`, ex.String())

	ex, err = p.Explain("rakuten", "pair")
	require.NoError(t, err)
	assert.Equal(t, 0, ex.Available)
	assert.Equal(t, 2, ex.Stock)
	assert.Contains(t, ex.String(), "TEE (2 per unit): warehouse holds 10")
	assert.Contains(t, ex.String(), "enough for 2.")
	assert.Contains(t, ex.String(), "Safety stock (channel policy) holds back 2: 0 left.")

	// A cap that bites says so.
	p.SetLevels(inventory.Level{SKU: "TEE", OnHand: 50, AsOf: at(40)})
	ex, err = p.Explain("rakuten", "tee")
	require.NoError(t, err)
	assert.Equal(t, 3, ex.Available)
	assert.Contains(t, ex.String(), "Capped at 3 (policy for this SKU).")
	assert.Contains(t, ex.String(), "order S-7 (shop) holds 2.\n", "the level from minute 40 counted the shipment")

	// No level: explained, not an error.
	ex, err = p.Explain("rakuten", "set")
	require.NoError(t, err)
	assert.False(t, ex.Known)
	assert.Equal(t, `rakuten shows no number for set yet: the warehouse has not reported every component.
  TEE: warehouse holds 50 as of 2026-11-28 09:40:00 UTC, 4 reserved, 46 free.
    order A-1 (amazon) holds 2.
    order S-7 (shop) holds 2.
  CAP: no stock level from the warehouse yet.
`, ex.String())
	ex, err = p.Explain("shop", "never-seen")
	require.NoError(t, err)
	assert.False(t, ex.Known)
	assert.Contains(t, ex.String(), "never-seen: no stock level from the warehouse yet.")
}
