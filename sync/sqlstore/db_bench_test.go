package sqlstore_test

import (
	"context"
	"fmt"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// BenchmarkSQLStoreSyncOrders measures intake and delivery of new orders by one engine on
// PostgreSQL: b.N orders spread over 8 merchants of 4 channels each, the 32 partitions synced
// concurrently, each order recorded, sent to its warehouse and its outcome recorded. It reports
// orders/s and logs the store calls an order costs.
//
// Every store call is a commit, so on a disk with slow fsync the figure measures the disk; add
// synchronous_commit=off to the DSN (a session setting pgx passes through) to measure the store.
func BenchmarkSQLStoreSyncOrders(b *testing.B) {
	const merchants, channels = 8, 4
	ctx := context.Background()
	db := openEnv(b, "pgx", envPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	db.SetMaxOpenConns(4 * merchants * channels)
	db.SetMaxIdleConns(4 * merchants * channels)
	store := newStore(b, db, sqlstore.Postgres, uniquePrefix())

	clock := tobirasync.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	cs := &countingStore{Store: store}
	eng := tobirasync.New(cs, tobirasync.Options{Clock: clock})
	shops := make([]*shop, merchants)
	for m := range shops {
		shops[m] = &shop{wh: &memory.Warehouse{Now: clock.Now}}
		for range channels {
			shops[m].chans = append(shops[m].chans, &memory.Channel{Now: clock.Now, PageSize: 100})
		}
		if err := eng.PutMerchant(shops[m].merchant(fmt.Sprintf("m%d", m))); err != nil {
			b.Fatal(err)
		}
	}
	for i := range b.N {
		shops[i%merchants].chans[i/merchants%channels].Place(testOrder(fmt.Sprintf("o%d", i), i))
	}
	clock.Advance(time.Hour) // past Settle

	b.ResetTimer()
	start := time.Now()
	var wg gosync.WaitGroup
	for m := range merchants {
		for c := range channels {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := eng.SyncOrders(ctx, fmt.Sprintf("m%d", m), chanID(c)); err != nil {
					b.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	total := 0
	for _, s := range shops {
		total += len(s.wh.Requests())
	}
	if total != b.N {
		b.Fatalf("warehouses hold %d requests, want %d", total, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	per := func(n *atomic.Int64) float64 { return float64(n.Load()) / float64(b.N) }
	b.Logf("store calls per order: GetOrder %.2f PutOrder %.2f PutReservation %.2f PutAcked %.2f (records read and written, batched or not); in all: GetOrders %d PutOrders %d PutOrdersReserving %d PutReservations %d PendingOrders %d PutCursor %d AcquireLease %d",
		per(&cs.getOrder), per(&cs.putOrder), per(&cs.reserve), per(&cs.acked), cs.getOrders.Load(), cs.putOrders.Load(), cs.putReserving.Load(), cs.putReservations.Load(), cs.pending.Load(), cs.cursor.Load(), cs.lease.Load())
}
