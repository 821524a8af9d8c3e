package memory_test

import (
	"context"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
)

// Tests edit the orders they get back to build the next version; that must not edit the shop or
// the warehouse behind the connector's back.
func TestReturnedOrdersAreCopies(t *testing.T) {
	ch := &memory.Channel{}
	placed := ch.Place(order.Order{ID: "1", Lines: []order.Line{{ID: "1", SKU: "A", Quantity: 1}}})
	placed.Lines[0].Quantity = 9
	got, _ := ch.Order("1")
	got.Lines[0].Quantity = 8
	ch.Orders()[0].Lines[0].Quantity = 7
	if o, _ := ch.Order("1"); o.Lines[0].Quantity != 1 {
		t.Errorf("the channel's order has quantity %d after callers edited their copies, want 1", o.Lines[0].Quantity)
	}

	w := &memory.Warehouse{}
	o := order.Order{ID: "1", Status: order.StatusOpen, Lines: []order.Line{{ID: "1", SKU: "A", Quantity: 1}},
		ShipTo: order.Address{Name: "山田 太郎", PostalCode: "150-0001", Line1: "神宮前1-2-3"}}
	if err := w.Submit(context.Background(), connector.FulfillmentRequest{Key: "k", Order: o}); err != nil {
		t.Fatal(err)
	}
	r, _ := w.Request("k")
	r.Order.Lines[0].Quantity = 9
	if r, _ := w.Request("k"); r.Order.Lines[0].Quantity != 1 {
		t.Errorf("the warehouse's request has quantity %d after a caller edited its copy, want 1", r.Order.Lines[0].Quantity)
	}
}
