package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// TestReplicas runs three engines, each with its own pool, on one PostgreSQL store, the way a
// host runs replicas: they share 20 channels and a warehouse, faults are injected on both sides,
// and one replica dies half way through. Every order must reach the warehouse exactly once and
// every shipment its channel once (design invariants 2 and 5, across replicas).
func TestReplicas(t *testing.T) {
	// 20 channels in all: 4 merchants of 5, each with its own warehouse, as a 3PL serves them.
	const (
		replicas  = 3
		merchants = 4
		perShop   = 5
		channels  = merchants * perShop
	)
	orders := 10000
	if raceEnabled || testing.Short() {
		// The race detector slows the engine about tenfold; a tenth of the orders still
		// exercises every path (faults, the killed replica, retried shipments).
		orders = 1000
	}
	prefix := uniquePrefix()
	pools := make([]*sqlstoreHandle, replicas)
	for i := range pools {
		db := openPostgresNoSync(t)
		db.SetMaxOpenConns(channels + 4)
		db.SetMaxIdleConns(channels + 4)
		s, err := sqlstore.New(db, sqlstore.Options{Dialect: sqlstore.Postgres, TablePrefix: prefix, AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		pools[i] = &sqlstoreHandle{s}
		if i == 0 {
			dropTables(t, db, s)
		}
	}

	shops := make([]*shop, merchants)
	var chans []*memory.Channel // by global index: order i goes to chans[i%channels]
	for m := range shops {
		shops[m] = &shop{wh: &memory.Warehouse{PageSize: 100}}
		for range perShop {
			c := &memory.Channel{PageSize: 100}
			shops[m].chans = append(shops[m].chans, c)
			chans = append(chans, c)
		}
	}
	// chanName is the key the warehouse gives a channel order: the channel ID within its merchant.
	chanName := func(i int) string { return chanID(i % channels % perShop) }
	merchantOf := func(i int) int { return i % channels / perShop }

	// The replicas: Run with short intervals; replica 0 is killed midway. Each run drains its
	// partition, so a longer interval only saves idle lease and cursor round trips.
	ctx, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	var running gosync.WaitGroup
	cancels := make([]context.CancelFunc, replicas)
	counters := make([]*countingStore, replicas)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	defer func() {
		if t.Failed() {
			t.Logf("engine warnings (last 30):\n%s", logs.tail(30))
		}
	}()
	for i := range replicas {
		counters[i] = &countingStore{Store: pools[i].Store}
		eng := tobirasync.New(counters[i], tobirasync.Options{
			Owner: fmt.Sprintf("replica-%d", i), LeaseTTL: 2 * time.Second,
			// A short overlap keeps re-reads cheap; a page the channel repeats ends its window,
			// and the frequent sweep then picks up the rest of that window.
			Settle: 5 * time.Millisecond, Overlap: 10 * time.Millisecond,
			SweepEvery: 10 * time.Second, SweepSpan: 20 * time.Second,
			Logger:      logger,
			OrdersEvery: 200 * time.Millisecond, ShipmentsEvery: 200 * time.Millisecond, StockEvery: time.Hour,
		})
		for m, sh := range shops {
			if err := eng.PutMerchant(sh.merchant(fmt.Sprintf("m%d", m))); err != nil {
				t.Fatal(err)
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		running.Add(1)
		go func() {
			defer running.Done()
			if err := eng.Run(rctx); !errors.Is(err, context.Canceled) {
				t.Errorf("replica %d: Run: %v", i, err)
			}
		}()
	}

	// The warehouses ship what they received a moment ago, and remember what they shipped. The
	// host sends quarantined shipments round again, as an operator would: a shipment is parked
	// when the warehouse ships a request before the ledger recorded its submission (the
	// submission's answer was lost, or its replica died), and goes through once the order flow
	// has caught up.
	var shipMu gosync.Mutex
	shipped := map[string]string{} // merchant/shipment ID -> channel
	seen := map[string]time.Time{}
	retried := 0
	host := tobirasync.New(pools[1].Store, tobirasync.Options{Owner: "host"})
	for m, sh := range shops {
		if err := host.PutMerchant(sh.merchant(fmt.Sprintf("m%d", m))); err != nil {
			t.Fatal(err)
		}
	}
	stopShipping := make(chan struct{})
	shippingDone := make(chan struct{})
	go func() {
		defer close(shippingDone)
		lastRetry := time.Now()
		for {
			if time.Since(lastRetry) > time.Second {
				lastRetry = time.Now()
				items, _ := host.ListQuarantine(ctx, "")
				for _, q := range items {
					if q.Kind == "shipment" && host.Retry(ctx, q.ID) == nil {
						retried++
					}
				}
			}
			for m, sh := range shops {
				for _, r := range sh.wh.Requests() {
					if r.State != memory.Received {
						continue
					}
					key := fmt.Sprintf("m%d/%s", m, r.Key)
					if first, ok := seen[key]; !ok {
						seen[key] = time.Now()
						continue
					} else if time.Since(first) < 200*time.Millisecond {
						continue
					}
					s, err := sh.wh.Ship(r.Key, nil)
					if err != nil {
						continue
					}
					shipMu.Lock()
					shipped[fmt.Sprintf("m%d/%s", m, s.ID)] = r.Channel
					shipMu.Unlock()
				}
			}
			select {
			case <-stopShipping:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	// Orders arrive in bursts, with faults: failed listings and submissions, repeated pages,
	// submissions and confirmations that land but report an unknown outcome.
	start := time.Now()
	const bursts = 20
	for b := range bursts {
		for i := b * orders / bursts; i < (b+1)*orders/bursts; i++ {
			chans[i%channels].Place(testOrder(fmt.Sprintf("o%05d", i), i))
		}
		c, wh := chans[b%channels], shops[b%merchants].wh
		switch b % 4 {
		case 0:
			c.FailNext(2, nil)
			wh.FailAfter(3, nil)
		case 1:
			c.RepeatPage(2)
			wh.FailNext(2, nil)
		case 2:
			c.FailAfter(2, connector.ErrOutcomeUnknown)
		}
		if b == bursts/2 {
			cancels[0]()
			t.Logf("replica-0 killed after %v", time.Since(start).Round(time.Millisecond))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Wait until every order is at the warehouse and every shipment at its channel.
	atWarehouses := func() map[string]int {
		out := map[string]int{}
		for m, sh := range shops {
			for k, n := range perOrder(sh.wh) {
				out[fmt.Sprintf("m%d/%s", m, k)] = n
			}
		}
		return out
	}
	// About 65 s on a two-core machine shared with other builds (load 7); the margin is for
	// busier CI hosts, where the database's CPU, not the engine, sets the pace.
	deadline := time.Now().Add(150 * time.Second)
	for {
		confirmed := 0
		for _, c := range chans {
			confirmed += len(c.Confirmations())
		}
		shipMu.Lock()
		nShipped := len(shipped)
		shipMu.Unlock()
		delivered := len(atWarehouses())
		if delivered == orders && nShipped == orders && confirmed == orders {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("gave up after %v: %d orders at the warehouses, %d shipped, %d confirmed, of %d",
				time.Since(start).Round(time.Millisecond), delivered, nShipped, confirmed, orders)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d orders through 3 replicas in %v; %d quarantined shipments sent round again",
		orders, time.Since(start).Round(time.Millisecond), retried)
	for i, c := range counters {
		t.Logf("replica-%d store calls: %v", i, c)
	}
	close(stopShipping)
	<-shippingDone
	cancelAll()
	running.Wait()

	// Invariant 2: one request per channel order; invariant 1: none lost.
	counts := atWarehouses()
	for i := range orders {
		k := fmt.Sprintf("m%d/%s/o%05d", merchantOf(i), chanName(i), i)
		if n := counts[k]; n != 1 {
			t.Errorf("order %s reached the warehouse %d times", k, n)
		}
	}
	// Invariant 5: every shipment confirmed, on its own channel (confirmations are counted
	// once per order and shipment ID by the memory channel, so a second effect would be a
	// second ID).
	for i, c := range chans {
		for ref := range c.Confirmations() {
			id := ref.ShipmentID
			shipMu.Lock()
			ch, ok := shipped[fmt.Sprintf("m%d/%s", i/perShop, id)]
			shipMu.Unlock()
			if !ok || ch != chanName(i) {
				t.Errorf("shipment %s (of channel %q) confirmed on channel %d", id, ch, i)
			}
		}
	}
	q, err := pools[1].ListQuarantine(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range q {
		t.Errorf("quarantined: %s %s: %s", item.Kind, item.ItemID, item.Reason)
	}
}

// logBuffer keeps what the engines log, to show when the test fails.
type logBuffer struct {
	mu    gosync.Mutex
	lines []string
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, string(p))
	return len(p), nil
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines[max(0, len(b.lines)-n):], "")
}

// sqlstoreHandle names the store of one replica.
type sqlstoreHandle struct{ *sqlstore.Store }
