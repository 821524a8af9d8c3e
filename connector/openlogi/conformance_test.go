package openlogi_test

import (
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
)

type fulfillerHarness struct{}

func (fulfillerHarness) New(t testing.TB) (connector.Fulfiller, conformance.WarehouseSeeder) {
	r := newRig(t, openlogitest.Options{}, nil)
	return r, r
}

func (fulfillerHarness) Features() conformance.FulfillerFeatures {
	// Partial cancellations are changes of the items (OPENLOGI has no partial cancel).
	return conformance.FulfillerFeatures{PartialCancel: true, Throttles: true, Stalls: true}
}

type shipmentHarness struct{}

const shipmentPageSize = 10

func (shipmentHarness) New(t testing.TB) (connector.ShipmentSource, conformance.ShipmentSeeder) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.ShipmentPageSize = shipmentPageSize })
	return r.client, shipSeeder{r}
}

func (shipmentHarness) Features() conformance.ShipmentSourceFeatures {
	return conformance.ShipmentSourceFeatures{PageSize: shipmentPageSize, Throttles: true}
}

type stockHarness struct{}

func (stockHarness) New(t testing.TB) (connector.StockSource, conformance.StockSourceSeeder) {
	r := newRig(t, openlogitest.Options{}, nil)
	return r.client, stockSeeder{r}
}

// Features: OPENLOGI has no stock change feed, so a ListStock page is a whole snapshot, read
// 100 items a request. PageSize is that request's size: the suite seeds more SKUs than two
// requests take, so a snapshot spans several requests.
func (stockHarness) Features() conformance.StockSourceFeatures {
	return conformance.StockSourceFeatures{PageSize: 100, Throttles: true}
}

func TestConformance(t *testing.T) {
	t.Run("Fulfiller", func(t *testing.T) { conformance.TestFulfiller(t, fulfillerHarness{}) })
	t.Run("ShipmentSource", func(t *testing.T) { conformance.TestShipmentSource(t, shipmentHarness{}) })
	t.Run("StockSource", func(t *testing.T) { conformance.TestStockSource(t, stockHarness{}) })
}

// requestingHarness runs the Fulfiller suite with modify and cancel requests after picking,
// answered at once by the staff (the harness's Pick makes them refuse).
type requestingHarness struct{ fulfillerHarness }

func (requestingHarness) New(t testing.TB) (connector.Fulfiller, conformance.WarehouseSeeder) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.RequestAfterPicking = true })
	return r, r
}

func TestConformanceRequestAfterPicking(t *testing.T) {
	conformance.TestFulfiller(t, requestingHarness{})
}
