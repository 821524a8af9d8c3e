package otel_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
	"github.com/tobira-commerce/tobira/sync/otel"
)

// A host gives the engine a Telemetry over its OpenTelemetry providers; here, an in-memory
// metric reader and span recorder stand in for its exporters.
func Example() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	spans := tracetest.NewSpanRecorder()
	tel, err := otel.New(otel.Options{
		MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)),
	})
	if err != nil {
		panic(err)
	}

	shop := &memory.Channel{}
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Telemetry: tel})
	if err := eng.PutMerchant(tobirasync.Merchant{ID: "kobe-coffee",
		Channels:   []tobirasync.Channel{{ID: "shopify", Source: shop}},
		Warehouses: []tobirasync.Warehouse{{ID: "openlogi", Fulfiller: &memory.Warehouse{}}}}); err != nil {
		panic(err)
	}
	shop.Place(order.Order{ID: "1001", Status: order.StatusOpen,
		ShipTo: order.Address{Name: "山田 太郎", Phone: "03-1234-5678", PostalCode: "650-0001", Prefecture: "兵庫県", City: "神戸市", Line1: "中央区1-1"},
		Lines:  []order.Line{{ID: "L1", SKU: "BEANS-200G", Quantity: 1, UnitPrice: order.Yen(1800)}}})
	if _, err := eng.SyncOrders(ctx, "kobe-coffee", "shopify"); err != nil {
		panic(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "tobira.flow.runs" {
			dp := sum.DataPoints[0]
			outcome, _ := dp.Attributes.Value(otel.AttrOutcome)
			fmt.Println(m.Name, outcome.String(), dp.Value)
		}
	}
	for _, s := range spans.Ended() {
		set := attribute.NewSet(s.Attributes()...)
		merchant, _ := set.Value(otel.AttrMerchant)
		delivered, _ := set.Value("tobira.count.delivered")
		fmt.Println(s.Name(), merchant.String(), "delivered", delivered.String())
	}
	// Output:
	// tobira.flow.runs ok 1
	// tobira.flow orders kobe-coffee delivered 1
}
