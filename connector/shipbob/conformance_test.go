package shipbob_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
	"github.com/tobira-commerce/tobira/order"
)

// seeder moves the fake warehouse along for the conformance suites.
type seeder struct {
	*rig
	mu sync.Mutex
	n  int
}

func (s *seeder) ThrottleNext(wait time.Duration) { s.fake.ThrottleNext(wait) }
func (s *seeder) Requests() int                   { return s.fake.Requests() }
func (s *seeder) StallNext()                      { s.fake.StallNext() }

func (s *seeder) Request(_ context.Context, key string) (conformance.HeldRequest, error) {
	h := s.fake.Held(shipbob.ReferenceID(key))
	held := conformance.HeldRequest{Copies: h.Copies, Cancelled: h.Status == "Cancelled"}
	held.Order.ShipTo.Line1 = h.Address1
	held.Order.ShipTo.City = h.City
	for i, l := range h.Lines {
		held.Order.Lines = append(held.Order.Lines, order.Line{ID: fmt.Sprint(i + 1), SKU: l.SKU, Quantity: l.Quantity})
	}
	return held, nil
}

func (s *seeder) Pick(_ context.Context, key string) error {
	return s.fake.Pick(shipbob.ReferenceID(key))
}

func (s *seeder) Ship(_ context.Context, key string) error {
	return s.fake.Ship(shipbob.ReferenceID(key), "USPS", "9400"+key)
}

type fulfillerHarness struct{}

func (fulfillerHarness) New(t testing.TB) (connector.Fulfiller, conformance.WarehouseSeeder) {
	r := newRig(t, nil)
	return r.client, &seeder{rig: r}
}

func (fulfillerHarness) Features() conformance.FulfillerFeatures {
	return conformance.FulfillerFeatures{PartialCancel: false, Throttles: true, Stalls: true}
}

// shipSeeder ships orders placed directly in the fake.
type shipSeeder struct{ *seeder }

func (s shipSeeder) Ship(context.Context) (string, error) {
	s.mu.Lock()
	s.n++
	ref := fmt.Sprintf("ref-%03d", s.n)
	s.mu.Unlock()
	s.fake.Place(ref, shipbobtest.Line{SKU: "TEA-01", Quantity: 2})
	if err := s.fake.Ship(ref, "FedEx", "7749"+ref); err != nil {
		return "", err
	}
	return fmt.Sprint(s.fake.Held(ref).ShipmentID), nil
}

type shipHarness struct{}

func (shipHarness) New(t testing.TB) (connector.ShipmentSource, conformance.ShipmentSeeder) {
	r := newRig(t, nil)
	return r.client, shipSeeder{&seeder{rig: r}}
}

func (shipHarness) Features() conformance.ShipmentSourceFeatures {
	return conformance.ShipmentSourceFeatures{PageSize: 5, Throttles: true}
}

type stockSeeder struct{ *seeder }

func (s stockSeeder) SetOnHand(_ context.Context, sku string, n int) error {
	s.fake.SetOnHand(sku, n)
	return nil
}

type stockHarness struct{}

func (stockHarness) New(t testing.TB) (connector.StockSource, conformance.StockSourceSeeder) {
	r := newRig(t, nil)
	return r.client, stockSeeder{&seeder{rig: r}}
}

func (stockHarness) Features() conformance.StockSourceFeatures {
	return conformance.StockSourceFeatures{PageSize: 5, Throttles: true}
}

func TestConformance(t *testing.T) {
	t.Run("Fulfiller", func(t *testing.T) { conformance.TestFulfiller(t, fulfillerHarness{}) })
	t.Run("ShipmentSource", func(t *testing.T) { conformance.TestShipmentSource(t, shipHarness{}) })
	t.Run("StockSource", func(t *testing.T) { conformance.TestStockSource(t, stockHarness{}) })
}
