package sqlstore_test

import (
	"fmt"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// testOrder is a valid order with two lines, as the memory warehouse requires.
func testOrder(id string, i int) order.Order {
	return order.Order{
		ID:     id,
		Status: order.StatusOpen,
		Lines: []order.Line{
			{ID: "1", SKU: fmt.Sprintf("SKU-%d", i%50), Quantity: 1 + i%3, UnitPrice: order.Yen(1200)},
			{ID: "2", SKU: "MATCHA-30G", Quantity: 1, UnitPrice: order.Yen(2400)},
		},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
	}
}

// shop is one merchant with channels named c00, c01, … and one warehouse "wh".
type shop struct {
	chans []*memory.Channel
	wh    *memory.Warehouse
}

func (s *shop) merchant(id string) tobirasync.Merchant {
	m := tobirasync.Merchant{ID: id,
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: s.wh, Shipments: s.wh, Stock: s.wh}}}
	for i, c := range s.chans {
		m.Channels = append(m.Channels, tobirasync.Channel{ID: chanID(i), Source: c, Sink: c, Target: c})
	}
	return m
}

func chanID(i int) string { return fmt.Sprintf("c%02d", i) }

// perOrder counts the warehouse's requests by channel order.
func perOrder(wh *memory.Warehouse) map[string]int {
	out := map[string]int{}
	for _, r := range wh.Requests() {
		out[r.Channel+"/"+r.Order.ID]++
	}
	return out
}
