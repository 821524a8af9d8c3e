package shipbob_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
)

// TestShipbobShipmentsNoGap ships an old order while a pass is under way, on a page the pass
// has already read: this pass may miss it, the next one, which starts before this one began,
// must list it.
func TestShipbobShipmentsNoGap(t *testing.T) {
	r := newRig(t, nil) // pages of 5
	ctx := context.Background()
	for i := range 7 {
		r.fake.Place(fmt.Sprintf("r%d", i), shipbobtest.Line{SKU: "TEA-01", Quantity: 1})
	}
	for i := 1; i < 7; i++ {
		if err := r.fake.Ship(fmt.Sprintf("r%d", i), "UPS", fmt.Sprintf("1Z%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	p, err := r.client.ListShipments(ctx, "")
	if err != nil || !p.More {
		t.Fatalf("first page: more %v, %v", p != nil && p.More, err)
	}
	for _, s := range p.Shipments {
		seen[s.RequestKey] = true
	}
	// r0, the oldest order, ships now: it sorts before everything the pass has read.
	if err := r.fake.Ship("r0", "UPS", "1Z000"); err != nil {
		t.Fatal(err)
	}
	cur := p.Next
	for p.More {
		if p, err = r.client.ListShipments(ctx, cur); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Shipments {
			seen[s.RequestKey] = true
		}
		cur = p.Next
	}
	// The next pass, from the cursor the last page returned.
	var again []string
	for more := true; more; {
		p, err := r.client.ListShipments(ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Shipments {
			seen[s.RequestKey] = true
			again = append(again, s.RequestKey)
		}
		cur, more = p.Next, p.More
	}
	for i := range 7 {
		if !seen[fmt.Sprintf("r%d", i)] {
			t.Errorf("shipment of r%d never listed (next pass listed %v)", i, again)
		}
	}
	if _, err := r.client.ListShipments(ctx, connector.Cursor("garbage")); err == nil {
		t.Errorf("a cursor the client never made was accepted")
	}
}

// TestShipbobLabeledIsShipped proves a shipment with its label (LabeledCreated, tracking) is
// listed before it turns Completed, and once only per pass after it does.
func TestShipbobLabeledIsShipped(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	r.fake.Place("r1", shipbobtest.Line{SKU: "TEA-01", Quantity: 1})
	if err := r.fake.Label("r1", "USPS", "9400999"); err != nil {
		t.Fatal(err)
	}
	p, err := r.client.ListShipments(ctx, "")
	if err != nil || len(p.Shipments) != 1 || p.Shipments[0].Parcels[0].TrackingNumber != "9400999" {
		t.Fatalf("a labeled shipment listed as %+v, %v", p, err)
	}
	if err := r.fake.Ship("r1", "", ""); err != nil {
		t.Fatal(err)
	}
	p2, err := r.client.ListShipments(ctx, p.Next)
	if err != nil || len(p2.Shipments) != 1 || p2.Shipments[0].ID != p.Shipments[0].ID {
		t.Fatalf("after shipping: %+v, %v; want the same shipment ID again (the engine dedupes)", p2, err)
	}
}

// TestShipbobMarkTrackingUploaded proves the sync flag reaches ShipBob and its filter.
func TestShipbobMarkTrackingUploaded(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	r.fake.Place("r1", shipbobtest.Line{SKU: "TEA-01", Quantity: 1})
	if err := r.fake.Ship("r1", "USPS", "9400"); err != nil {
		t.Fatal(err)
	}
	p, err := r.client.ListShipments(ctx, "")
	if err != nil || len(p.Shipments) != 1 {
		t.Fatalf("%+v %v", p, err)
	}
	for range 2 {
		if err := r.client.MarkTrackingUploaded(ctx, []string{p.Shipments[0].ID}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.client.MarkTrackingUploaded(ctx, []string{"999"}); !errors.Is(err, connector.ErrPermanent) || !strings.Contains(err.Error(), "999") {
		t.Errorf("an unknown shipment: %v", err)
	}
	if err := r.client.MarkTrackingUploaded(ctx, []string{"abc"}); !errors.Is(err, connector.ErrPermanent) {
		t.Errorf("a malformed ID: %v", err)
	}
}
