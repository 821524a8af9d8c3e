package sync_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// The order benchmarks share one workload: 1,000 SKUs, orders of two lines placed on a shop in
// batches of 1,000 a minute (17 orders/s), listed in pages of 250 with a 10 s overlap, so each
// run also re-reads a sixth of the previous batch, as production polling does.
const (
	benchSKUs  = 1000
	benchBatch = 1000
	benchPage  = 250
)

var benchAddr = order.Address{Name: "山田 太郎", PostalCode: "150-0001", Prefecture: "東京都", Line1: "渋谷区神宮前1-1-1"}

// placeBatch places orders first to first+n-1 on shop.
func placeBatch(shop *memory.Channel, first, n int) {
	for id := first; id < first+n; id++ {
		shop.Place(order.Order{ID: strconv.Itoa(id), Status: order.StatusOpen, ShipTo: benchAddr, Lines: []order.Line{
			{ID: "1", SKU: "SKU-" + strconv.Itoa(id%benchSKUs), Quantity: 1, UnitPrice: order.Yen(1000)},
			{ID: "2", SKU: "SKU-" + strconv.Itoa((id*7+3)%benchSKUs), Quantity: 2, UnitPrice: order.Yen(500)},
		}})
	}
}

// benchDoubles returns the benchmarks' clock, shop, mall and warehouse.
func benchDoubles() (*tobirasync.ManualClock, *memory.Channel, *memory.Channel, *memory.Warehouse) {
	clock := tobirasync.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	return clock, &memory.Channel{Now: clock.Now, PageSize: benchPage}, &memory.Channel{Now: clock.Now, PageSize: benchPage},
		&memory.Warehouse{Now: clock.Now}
}

// BenchmarkSyncOrders measures the order flow end to end in memory: listing, ledger, routing,
// reservation, stock fan-out to two channels and submission to the warehouse. Run it with
// -cpu 1; it reports orders/s. BenchmarkSyncOrdersFloor is what the same workload costs in the
// memory doubles and memstore alone.
func BenchmarkSyncOrders(b *testing.B) {
	ctx := context.Background()
	clock, shop, mall, wh := benchDoubles()
	eng := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, PageLimit: benchPage, Settle: time.Second, Overlap: 10 * time.Second})
	err := eng.PutMerchant(tobirasync.Merchant{ID: "bench",
		Channels: []tobirasync.Channel{
			{ID: "shop", Source: shop, Sink: shop, Target: shop},
			{ID: "mall", Source: mall, Sink: mall, Target: mall},
		},
		Warehouses: []tobirasync.Warehouse{{ID: "wh", Fulfiller: wh, Shipments: wh, Stock: wh}}})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchSKUs {
		wh.SetOnHand("SKU-"+strconv.Itoa(i), 1_000_000)
	}
	if _, err := eng.SyncStock(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBatch {
		b.StopTimer()
		n := min(benchBatch, b.N-done)
		placeBatch(shop, done, n)
		clock.Advance(time.Minute)
		b.StartTimer()
		res, err := eng.SyncOrders(ctx, "bench", "shop")
		if err != nil {
			b.Fatal(err)
		}
		if res.New != n {
			b.Fatalf("imported %d of %d", res.New, n)
		}
	}
	b.StopTimer()
	if wh.Submissions() != b.N {
		b.Fatalf("warehouse holds %d requests for %d orders", wh.Submissions(), b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkSyncOrdersFloor runs BenchmarkSyncOrders' workload through the same doubles and store
// with no engine: per page, only the calls that recording every order before it is sent, and
// every stock push before it is made, cannot do without. It reads the page's record digests (all
// that tells the overlap's orders from new ones, ledger.OrderDigester), computes each order's
// fingerprint and validates it, writes the records with their requests and their reservations
// (one atomic batch, as the store allows), submits every order, writes the outcomes, and pushes
// the page's SKUs to both channels, recording each batch as unknown before the call and
// acknowledged after. No routing, no stock pool, no events, no pending queue.
//
// It is the ceiling BenchmarkSyncOrders cannot pass on the machine it runs on, so the engine's
// own cost is the difference between the two.
func BenchmarkSyncOrdersFloor(b *testing.B) {
	ctx := context.Background()
	clock, shop, mall, wh := benchDoubles()
	store := memstore.New()
	var (
		from   time.Time
		pushed int
	)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += benchBatch {
		b.StopTimer()
		placeBatch(shop, done, min(benchBatch, b.N-done))
		clock.Advance(time.Minute)
		b.StartTimer()
		to := clock.Now()
		for page := connector.Cursor(""); ; {
			p, err := shop.ListOrders(ctx, connector.ListOrdersRequest{From: from, To: to, Page: page, Limit: benchPage})
			if err != nil {
				b.Fatal(err)
			}
			keys := make([]ledger.OrderKey, len(p.Orders))
			for i := range p.Orders {
				keys[i] = ledger.OrderKey{Merchant: "bench", Channel: "shop", OrderID: p.Orders[i].ID}
			}
			have, err := store.OrderDigests(ctx, keys)
			if err != nil {
				b.Fatal(err)
			}
			var (
				recs    = make([]*ledger.OrderRecord, 0, len(p.Orders))
				res     = make([]inventory.Reservation, 0, len(p.Orders))
				touched = map[string]bool{}
			)
			for i := range p.Orders {
				o := &p.Orders[i]
				fp := o.Fingerprint()
				if have != nil && have[i].Fingerprint == fp {
					continue // the overlap's orders
				}
				if err := o.Validate(); err != nil {
					b.Fatal(err)
				}
				lines := make([]connector.LineQuantity, len(o.Lines))
				items := make([]inventory.Item, len(o.Lines))
				for j, l := range o.Lines {
					lines[j] = connector.LineQuantity{LineID: l.ID, SKU: l.SKU, Quantity: l.Quantity}
					items[j] = inventory.Item{SKU: l.SKU, Quantity: l.Quantity}
					touched[l.SKU] = true
				}
				k := keys[i].String()
				recs = append(recs, &ledger.OrderRecord{Key: keys[i], Order: o, Fingerprint: fp, State: ledger.StateRecorded, Pending: true,
					Requests: []ledger.Request{{Target: "wh", Key: k, State: ledger.RequestNew, Lines: lines}}})
				res = append(res, inventory.Reservation{Key: k, Channel: "shop", Items: items})
			}
			if len(recs) > 0 {
				floorDeliver(ctx, b, store, wh, recs, res)
			}
			for _, c := range []*memory.Channel{shop, mall} {
				pushed += floorPush(ctx, b, store, c, touched)
			}
			if p.Next == "" {
				break
			}
			page = p.Next
		}
		from = to.Add(-10 * time.Second)
	}
	b.StopTimer()
	if wh.Submissions() != b.N || pushed == 0 {
		b.Fatalf("warehouse holds %d requests for %d orders; %d values pushed", wh.Submissions(), b.N, pushed)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// floorDeliver records a page's new orders, submits them and records the outcome.
func floorDeliver(ctx context.Context, b *testing.B, store *memstore.Store, wh *memory.Warehouse, recs []*ledger.OrderRecord, res []inventory.Reservation) {
	changes := make([]ledger.ReservationChange, len(res))
	for i := range res {
		changes[i].Put = res[i]
	}
	for _, err := range store.PutOrdersReserving(ctx, recs, changes) {
		if err != nil {
			b.Fatal(err)
		}
	}
	out := make([]*ledger.OrderRecord, len(recs))
	for i, rec := range recs {
		r := rec.Requests[0]
		if err := wh.Submit(ctx, connector.FulfillmentRequest{Key: r.Key, Merchant: "bench", Channel: "shop", Order: *rec.Order}); err != nil {
			b.Fatal(err)
		}
		c := *rec
		r.State = ledger.RequestSent
		c.Requests, c.State, c.Pending = []ledger.Request{r}, ledger.StateSent, false
		out[i] = &c
	}
	for _, err := range store.PutOrders(ctx, out) {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// floorPush pushes a value for each SKU to c in batches of its limit, recording each batch.
func floorPush(ctx context.Context, b *testing.B, store *memstore.Store, c *memory.Channel, skus map[string]bool) int {
	ups := make([]connector.StockUpdate, 0, len(skus))
	for sku := range skus {
		// Each write carries a key of its own, recorded before the call, as the engine's do.
		ups = append(ups, connector.StockUpdate{SKU: sku, Available: 1_000_000, Key: "tobira-stock-" + rand.Text()})
	}
	vals := map[string]ledger.StockAck{}
	pushed := 0
	for len(ups) > 0 {
		batch := ups[:min(c.BatchLimit(), len(ups))]
		ups = ups[len(batch):]
		clear(vals)
		for _, u := range batch {
			vals[u.SKU] = ledger.StockAck{Available: u.Available, Write: u.Key}
		}
		if err := store.PutAcked(ctx, "bench", "shop", vals); err != nil {
			b.Fatal(err)
		}
		results, err := c.SetStock(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range results {
			if r.Err == nil {
				vals[r.SKU] = ledger.StockAck{Available: batch[i].Available}
				pushed++
			}
		}
		if err := store.PutAcked(ctx, "bench", "shop", vals); err != nil {
			b.Fatal(err)
		}
	}
	return pushed
}
