package openlogi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// TestOpenlogiUsageThroughEngine: a warehouse's calls are counted per operation, with no
// shipment identifier in the names, and the host reads them through Engine.Usage.
func TestOpenlogiUsageThroughEngine(t *testing.T) {
	clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
	r := newRig(t, openlogitest.Options{Now: clock.Now}, func(c *openlogi.Config) { c.Clock = clock })
	ch := &memory.Channel{Now: clock.Now}
	engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock})
	if err := engine.PutMerchant(tobirasync.Merchant{ID: "m", Channels: []tobirasync.Channel{{ID: "shop", Source: ch}},
		Warehouses: []tobirasync.Warehouse{{ID: "openlogi", Fulfiller: r.client, Shipments: r.client}}}); err != nil {
		t.Fatal(err)
	}
	ch.Place(sampleOrder("1001"))
	clock.Advance(time.Minute)
	if _, err := engine.SyncOrders(context.Background(), "m", "shop"); err != nil {
		t.Fatal(err)
	}
	usage, err := engine.Usage("m")
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 1 || usage[0].Channel != "openlogi" || !usage[0].Warehouse || len(usage[0].Usage) != 1 {
		t.Fatalf("Usage = %+v, want the warehouse's one account", usage)
	}
	u := usage[0].Usage[0]
	if u.Key != r.fake.AccountID() || u.Calls == 0 || u.Calls != int64(r.fake.Stats().Requests) {
		t.Errorf("usage %q: %d calls; the fake saw %d", u.Key, u.Calls, r.fake.Stats().Requests)
	}
	var posts int64
	for _, o := range u.Operations {
		if strings.Contains(o.Name, "1001") || strings.Contains(o.Name, r.fake.AccountID()) {
			t.Errorf("operation %q names an order or account", o.Name)
		}
		if strings.HasPrefix(o.Name, "POST /shipments") {
			posts += o.Calls
		}
		if o.Budget.Rate != 60000.0/60 || o.Budget.Unit != "calls" {
			t.Errorf("%s budget = %+v, want the configured 1000 calls/s", o.Name, o.Budget)
		}
	}
	if posts == 0 {
		t.Errorf("no shipment submitted in %+v", u.Operations)
	}
}
