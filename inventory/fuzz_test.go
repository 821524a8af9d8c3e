package inventory_test

import (
	"reflect"
	"testing"

	"github.com/tobira-commerce/tobira/inventory"
)

// FuzzInventory feeds arbitrary operations with arbitrary quantities, times and names (negative,
// huge, empty, repeated) and checks that nothing panics, nothing goes negative, and a rebuilt pool
// agrees with the original.
func FuzzInventory(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{1, 200, 7, 3, 0, 255, 2, 2, 2, 5, 128, 9, 3, 3, 1, 0, 0, 0, 4, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(int8(b))
		}
		skus := []string{"", "A", "B", "C"}
		sku := func() string { return skus[(next()&0xff)%len(skus)] }
		qty := func() int {
			switch q := next(); q {
			case 127:
				return 1 << 62
			case -128:
				return -1 << 62
			default:
				return q
			}
		}
		keys := []string{"", "k1", "k2"}
		p := new(inventory.Pool)
		p.SetChannel("id", inventory.Channel{Policy: inventory.Policy{Buffer: qty(), Share: qty(), Max: qty()}})
		p.SetChannel("map", inventory.Channel{
			Overrides: map[string]inventory.Policy{"x": {Buffer: qty(), Share: qty(), Max: qty()}},
			SKUs: map[string][]inventory.Item{
				"x": {{SKU: sku(), Quantity: qty()}, {SKU: sku(), Quantity: qty()}},
				"y": {{SKU: sku(), Quantity: qty()}},
			}})
		for len(data) > 0 {
			switch next() & 7 {
			case 0, 1:
				p.SetLevels(inventory.Level{SKU: sku(), OnHand: qty(), AsOf: at(next())})
			case 2, 3:
				p.Reserve(inventory.Reservation{Key: keys[(next()&0xff)%3], Items: []inventory.Item{
					{SKU: sku(), Quantity: qty()}, {SKU: sku(), Quantity: qty()}}})
			case 4:
				p.Shipped(keys[(next()&0xff)%3], []inventory.Item{{SKU: sku(), Quantity: qty()}}, at(next()))
			case 5:
				p.Release(keys[(next()&0xff)%3])
			case 6:
				p.Affected([]string{sku(), sku()})
			case 7:
				for _, ch := range []string{"id", "map", "none"} {
					for _, s := range []string{"x", "y", "A", ""} {
						n, err := p.Available(ch, s)
						if n < 0 || (err != nil && n != 0) {
							t.Fatalf("Available(%q, %q) = %d, %v", ch, s, n, err)
						}
						_, _ = p.Explain(ch, s)
						_, _ = p.Resolve(ch, s)
					}
				}
			}
		}
		q := new(inventory.Pool)
		for _, r := range p.Reservations() {
			for _, it := range r.Items {
				if it.Quantity <= 0 || it.Quantity > inventory.MaxQuantity {
					t.Fatalf("reservation %q holds %d", r.Key, it.Quantity)
				}
			}
			q.Reserve(r)
		}
		q.SetLevels(p.Levels()...)
		if !reflect.DeepEqual(p.Reservations(), q.Reservations()) {
			t.Fatalf("rebuilt pool holds %v, want %v", q.Reservations(), p.Reservations())
		}
		q.SetChannel("id", inventory.Channel{}) // the same on both, whatever the fuzzer chose
		p.SetChannel("id", inventory.Channel{})
		plan := p.Plan("id")
		for sku, n := range plan {
			if n < 0 {
				t.Fatalf("%s = %d", sku, n)
			}
		}
		if !reflect.DeepEqual(plan, q.Plan("id")) {
			t.Fatalf("rebuilt pool plans %v, want %v", q.Plan("id"), plan)
		}
	})
}
