package inventory_test

import (
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
)

// A sale on Shopify lowers Rakuten in the same call, the bundle with it, and Explain says why
// Rakuten shows what it shows.
func Example() {
	asOf := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	p := inventory.NewPool()
	p.SetChannel("shopify", inventory.Channel{}) // warehouse SKUs as they are
	p.SetChannel("rakuten", inventory.Channel{
		Policy: inventory.Policy{Buffer: 1, Share: 50},
		SKUs: map[string][]inventory.Item{
			"tee-red":  {{SKU: "TEE-R", Quantity: 1}},
			"gift-set": {{SKU: "TEE-R", Quantity: 1}, {SKU: "MUG", Quantity: 2}},
		},
	})
	p.SetLevels(
		inventory.Level{SKU: "TEE-R", OnHand: 12, AsOf: asOf},
		inventory.Level{SKU: "MUG", OnHand: 9, AsOf: asOf},
	)

	changed := p.Reserve(inventory.Reservation{
		Key: "shopify:1001", Channel: "shopify",
		Items: []inventory.Item{{SKU: "TEE-R", Quantity: 3}},
	})
	affected := p.Affected(changed)
	for _, channel := range []string{"shopify", "rakuten"} {
		for _, sku := range affected[channel] {
			n, _ := p.Available(channel, sku)
			fmt.Printf("%s %s: %d\n", channel, sku, n)
		}
	}

	ex, _ := p.Explain("rakuten", "gift-set")
	fmt.Print(ex)
	// Output:
	// shopify TEE-R: 9
	// rakuten gift-set: 1
	// rakuten tee-red: 4
	// rakuten shows 1 of gift-set.
	//   TEE-R: warehouse holds 12 as of 2026-11-28 09:00:00 UTC, 3 reserved, 9 free.
	//     order shopify:1001 (shopify) holds 3.
	//   MUG (2 per unit): warehouse holds 9 as of 2026-11-28 09:00:00 UTC, enough for 4.
	//   The scarcest component allows 4.
	//   Safety stock (channel policy) holds back 1: 3 left.
	//   The channel's share (channel policy) is 50%: 1, rounded down.
}
