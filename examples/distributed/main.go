// Command distributed drives Tobira's flows from River, a job queue on PostgreSQL, the way a large
// host runs them: each (merchant, channel, flow) partition is a unique periodic job, jobs that fail
// are retried with backoff, and several workers share the work through one sqlstore.
//
// The two workers run in this process as goroutines, each with its own connection pools, River
// client, store and engine, so that they share nothing but the database: exactly what two worker
// processes would share. (They run in one process only because the shops and the warehouse they
// serve are simulated in memory here.) Faults are injected on both sides, and the busier worker
// is stopped half way; the program ends when every order reached the warehouse and every shipment
// its channel, prints a summary, and drops what it created.
//
// See README.md.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// SyncOrdersArgs is the job of one channel's order flow.
type SyncOrdersArgs struct {
	Merchant string `json:"merchant" river:"unique"`
	Channel  string `json:"channel" river:"unique"`
}

// Kind implements river.JobArgs.
func (SyncOrdersArgs) Kind() string { return "tobira_sync_orders" }

// SyncShipmentsArgs is the job of one warehouse's shipment flow.
type SyncShipmentsArgs struct {
	Merchant  string `json:"merchant" river:"unique"`
	Warehouse string `json:"warehouse" river:"unique"`
}

// Kind implements river.JobArgs.
func (SyncShipmentsArgs) Kind() string { return "tobira_sync_shipments" }

// RetryQuarantineArgs is the job that sends a merchant's quarantined shipments round again.
type RetryQuarantineArgs struct {
	Merchant string `json:"merchant" river:"unique"`
}

// Kind implements river.JobArgs.
func (RetryQuarantineArgs) Kind() string { return "tobira_retry_quarantine" }

// worker is one worker "process": a River client, a store and an engine of its own.
type worker struct {
	name   string
	engine *tobirasync.Engine
	client *river.Client[pgx.Tx]
	pool   *pgxpool.Pool
	db     *sql.DB
	jobs   atomic.Int64 // flow runs that succeeded
	failed atomic.Int64 // flow runs that failed and were left to River to retry
	freed  atomic.Int64 // quarantined shipments sent round again
	busy   atomic.Int64 // flow runs skipped: the other worker held the partition
}

type ordersWorker struct {
	river.WorkerDefaults[SyncOrdersArgs]
	w *worker
}

// Work runs the order flow of one channel. A partition leased by the other worker is not an error:
// the periodic job comes round again.
func (o *ordersWorker) Work(ctx context.Context, job *river.Job[SyncOrdersArgs]) error {
	_, err := o.w.engine.SyncOrders(ctx, job.Args.Merchant, job.Args.Channel)
	return o.w.outcome(err)
}

type shipmentsWorker struct {
	river.WorkerDefaults[SyncShipmentsArgs]
	w *worker
}

// Work runs the shipment flow of one warehouse.
func (s *shipmentsWorker) Work(ctx context.Context, job *river.Job[SyncShipmentsArgs]) error {
	_, err := s.w.engine.SyncShipments(ctx, job.Args.Merchant, job.Args.Warehouse)
	return s.w.outcome(err)
}

type retryWorker struct {
	river.WorkerDefaults[RetryQuarantineArgs]
	w *worker
}

// Work re-queues the merchant's quarantined shipments. A shipment is parked when the order it
// names does not know its request yet, which happens when the warehouse ships before the ledger
// recorded the submission (its answer was lost, or the worker died in between); once the order
// flow has caught up, the shipment goes through. Orders are left for a person to look at.
func (r *retryWorker) Work(ctx context.Context, job *river.Job[RetryQuarantineArgs]) error {
	items, err := r.w.engine.ListQuarantine(ctx, job.Args.Merchant)
	if err != nil {
		return err
	}
	for _, q := range items {
		if q.Kind != "shipment" {
			continue
		}
		if err := r.w.engine.Retry(ctx, q.ID); err != nil {
			return err
		}
		r.w.freed.Add(1)
	}
	return nil
}

func (w *worker) outcome(err error) error {
	if errors.Is(err, tobirasync.ErrBusy) {
		w.busy.Add(1)
		return nil
	}
	if err == nil {
		w.jobs.Add(1)
	} else {
		w.failed.Add(1)
	}
	// Any other error fails the job; River retries it with the backoff below.
	return err
}

// backoff retries a failed flow after 200 ms, doubling up to 5 s: the flows are idempotent and the
// next periodic run would pick the work up anyway, so there is no reason to wait River's default
// (attempt⁴ seconds).
type backoff struct{}

// NextRetry implements river.ClientRetryPolicy.
func (backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := 200 * time.Millisecond << min(job.Attempt, 5)
	return time.Now().Add(min(d, 5*time.Second))
}

// shop is the simulated world: the merchants' channels and warehouses.
type shop struct {
	merchants []tobirasync.Merchant
	channels  map[string]*memory.Channel   // "merchant/channel"
	whs       map[string]*memory.Warehouse // merchant
}

func newShop(merchants, channels int) *shop {
	s := &shop{channels: map[string]*memory.Channel{}, whs: map[string]*memory.Warehouse{}}
	for m := range merchants {
		id := fmt.Sprintf("merchant-%d", m+1)
		wh := &memory.Warehouse{}
		s.whs[id] = wh
		mc := tobirasync.Merchant{ID: id, Warehouses: []tobirasync.Warehouse{{ID: "tokyo", Fulfiller: wh, Shipments: wh, Stock: wh}}}
		for c := range channels {
			ch := &memory.Channel{}
			cid := fmt.Sprintf("shop-%d", c+1)
			s.channels[id+"/"+cid] = ch
			mc.Channels = append(mc.Channels, tobirasync.Channel{ID: cid, Source: ch, Sink: ch, Target: ch})
		}
		s.merchants = append(s.merchants, mc)
	}
	return s
}

// periodicJobs lists one unique periodic job per partition. Unique by args among jobs not yet
// finished, a partition never has two jobs waiting, so a slow run is not piled up behind; finished
// jobs are left out of the uniqueness (River counts them by default), or the first completed run
// would block the next ones until River cleans it up.
func (s *shop) periodicJobs(every time.Duration) []*river.PeriodicJob {
	unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
	var out []*river.PeriodicJob
	for _, m := range s.merchants {
		for _, c := range m.Channels {
			args := SyncOrdersArgs{Merchant: m.ID, Channel: c.ID}
			out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
				func() (river.JobArgs, *river.InsertOpts) { return args, unique },
				&river.PeriodicJobOpts{ID: "orders/" + m.ID + "/" + c.ID, RunOnStart: true}))
		}
		args := RetryQuarantineArgs{Merchant: m.ID}
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(10*every),
			func() (river.JobArgs, *river.InsertOpts) { return args, unique },
			&river.PeriodicJobOpts{ID: "quarantine/" + m.ID}))
		for _, w := range m.Warehouses {
			args := SyncShipmentsArgs{Merchant: m.ID, Warehouse: w.ID}
			out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
				func() (river.JobArgs, *river.InsertOpts) { return args, unique },
				&river.PeriodicJobOpts{ID: "shipments/" + m.ID + "/" + w.ID, RunOnStart: true}))
		}
	}
	return out
}

func main() {
	dsn := flag.String("dsn", envOr("TOBIRA_EXAMPLE_POSTGRES", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL URL")
	orders := flag.Int("orders", 2000, "orders to place")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	keep := flag.Bool("keep", false, "keep the River schema and the store's tables")
	shipAfter := flag.Duration("ship-after", 2*time.Second, "how long the warehouse takes to ship a request")
	flag.Parse()
	if err := run(*dsn, *orders, *timeout, *keep, &staff{after: *shipAfter, seen: map[string]time.Time{}}); err != nil {
		log.Fatal("distributed: ", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(dsn string, orders int, timeout time.Duration, keep bool, st *staff) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	// One River schema and one table prefix per run, so runs never meet and cleanup is exact.
	var b [4]byte
	_, _ = rand.Read(b[:])
	run := "tobira_distributed_" + hex.EncodeToString(b[:])
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+run); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	adminDB := stdlib.OpenDBFromPool(admin)
	store, err := sqlstore.New(adminDB, sqlstore.Options{Dialect: sqlstore.Postgres, TablePrefix: run + "_"})
	if err != nil {
		return err
	}
	if !keep {
		defer cleanup(admin, adminDB, store, run)
	}
	// Migrations are a deployment step: River's and the store's, before any worker starts.
	migrator, err := rivermigrate.New(riverpgxv5.New(admin), &rivermigrate.Config{Schema: run, Logger: quiet()})
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		return err
	}

	world := newShop(2, 4)
	workers := make([]*worker, 2)
	for i := range workers {
		w, err := startWorker(ctx, fmt.Sprintf("worker-%d", i+1), dsn, run, world)
		if err != nil {
			return err
		}
		workers[i] = w
	}
	start := time.Now()
	stopped := map[*worker]bool{}
	defer func() {
		for _, w := range workers {
			if !stopped[w] {
				w.stop()
			}
		}
	}()

	// Half way through the orders, once the workers have found their stride (River elects a
	// leader to enqueue periodic jobs first), the busier worker goes away; its partitions move
	// to the other.
	maybeStop := func() {
		if len(stopped) > 0 || workers[0].jobs.Load()+workers[1].jobs.Load() < 20 {
			return
		}
		gone := workers[0]
		if workers[1].jobs.Load() > gone.jobs.Load() {
			gone = workers[1]
		}
		gone.stop()
		stopped[gone] = true
		fmt.Printf("%s stopped after %v, having run %d flow jobs\n", gone.name, time.Since(start).Round(time.Millisecond), gone.jobs.Load())
	}

	// Buyers order; platforms and the warehouse misbehave now and then; the warehouse ships.
	ids := make([]string, 0, len(world.channels))
	for _, m := range world.merchants {
		for _, c := range m.Channels {
			ids = append(ids, m.ID+"/"+c.ID)
		}
	}
	for i := range orders {
		key := ids[i%len(ids)]
		world.channels[key].Place(sampleOrder(fmt.Sprintf("%06d", i+1), i))
		if i%200 == 0 {
			world.channels[key].FailNext(1, nil)                 // a listing fails
			world.whs[world.merchants[i%2].ID].FailAfter(1, nil) // a submission lands, its answer is lost
		}
		if i >= orders/2 {
			maybeStop()
		}
		if i%50 == 0 {
			st.ship(world)
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Wait until the world is settled: every order at its warehouse once, every shipment
	// confirmed on its channel.
	var sum summary
	for {
		maybeStop()
		st.ship(world)
		sum = world.summarize()
		if sum.atWarehouse == orders && sum.confirmed == sum.shipped && sum.shipped == orders {
			break
		}
		select {
		case <-ctx.Done():
			sum.print(orders, time.Since(start), workers)
			return fmt.Errorf("not settled within %v", timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
	sum.print(orders, time.Since(start), workers)
	if sum.lost > 0 || sum.duplicates > 0 {
		return errors.New("orders lost or doubled")
	}
	return nil
}

func startWorker(ctx context.Context, name, dsn, schema string, world *shop) (*worker, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	w := &worker{name: name, pool: pool, db: stdlib.OpenDBFromPool(pool)}
	store, err := sqlstore.New(w.db, sqlstore.Options{Dialect: sqlstore.Postgres, TablePrefix: schema + "_"})
	if err != nil {
		return nil, err
	}
	w.engine = tobirasync.New(store, tobirasync.Options{
		Owner: name, LeaseTTL: 5 * time.Second,
		// The simulated shops index orders at once, so a short settle and overlap suffice.
		Settle: 10 * time.Millisecond, Overlap: 100 * time.Millisecond,
	})
	for _, m := range world.merchants {
		if err := w.engine.PutMerchant(m); err != nil {
			return nil, err
		}
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &ordersWorker{w: w})
	river.AddWorker(workers, &shipmentsWorker{w: w})
	river.AddWorker(workers, &retryWorker{w: w})
	w.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID:                name,
		Schema:            schema,
		Logger:            quiet(),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		PeriodicJobs:      world.periodicJobs(500 * time.Millisecond),
		RetryPolicy:       backoff{},
		MaxAttempts:       10,
		FetchPollInterval: 100 * time.Millisecond,
		FetchCooldown:     20 * time.Millisecond,
	})
	if err != nil {
		return nil, err
	}
	if err := w.client.Start(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// stop lets running jobs finish (a flow is safe to cut anywhere, but a clean stop releases its
// leases at once), then closes the worker's pools.
func (w *worker) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.client.Stop(ctx)
	w.db.Close()
	w.pool.Close()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func cleanup(admin *pgxpool.Pool, db *sql.DB, store *sqlstore.Store, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, t := range store.Tables() {
		_, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t)
	}
	_, _ = admin.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
}

// staff plays the warehouse staff: they ship every request once it has been at the warehouse for
// a while, as people picking and packing do.
type staff struct {
	after time.Duration
	seen  map[string]time.Time // request key -> when staff first saw it
}

func (st *staff) ship(world *shop) {
	now := time.Now()
	for _, wh := range world.whs {
		for _, r := range wh.Requests() {
			if r.State != memory.Received {
				continue
			}
			first, ok := st.seen[r.Key]
			if !ok {
				st.seen[r.Key] = now
				first = now
			}
			if now.Sub(first) >= st.after {
				_, _ = wh.Ship(r.Key, nil)
			}
		}
	}
}

type summary struct {
	atWarehouse, lost, duplicates, shipped, confirmed int
}

func (s *shop) summarize() summary {
	var sum summary
	for _, m := range s.merchants {
		wh := s.whs[m.ID]
		per := map[string]int{}
		for _, r := range wh.Requests() {
			per[r.Channel+"/"+r.Order.ID]++
			if r.State == memory.Shipped {
				sum.shipped++
			}
		}
		for _, c := range m.Channels {
			ch := s.channels[m.ID+"/"+c.ID]
			for _, o := range ch.Orders() {
				switch n := per[c.ID+"/"+o.ID]; {
				case n == 0:
					sum.lost++
				case n > 1:
					sum.duplicates += n - 1
				}
			}
			sum.confirmed += len(ch.Confirmations())
		}
		sum.atWarehouse += len(per)
	}
	return sum
}

func (s summary) print(orders int, took time.Duration, workers []*worker) {
	fmt.Printf("placed %d orders on %d channels of 2 merchants\n", orders, 8)
	for _, w := range workers {
		fmt.Printf("  %s: %d flow jobs done, %d failed and retried with backoff, %d skipped (partition busy), %d quarantined shipments sent round again\n",
			w.name, w.jobs.Load(), w.failed.Load(), w.busy.Load(), w.freed.Load())
	}
	fmt.Printf("distributed: orders=%d at_warehouse=%d shipped=%d confirmed=%d lost=%d duplicates=%d in %v\n",
		orders, s.atWarehouse, s.shipped, s.confirmed, s.lost, s.duplicates, took.Round(time.Millisecond))
}

func sampleOrder(id string, i int) order.Order {
	return order.Order{
		ID:     id,
		Status: order.StatusOpen,
		Lines: []order.Line{
			{ID: "1", SKU: fmt.Sprintf("SENCHA-%d", i%20), Quantity: 1 + i%3, UnitPrice: order.Yen(1200)},
		},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
	}
}
