package sqlstore_test

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/sqlstore"
)

// The growing-ledger benchmark's knobs, read from the environment so that the same benchmark runs
// in seconds (the default) or for the full figure of the issue (TOBIRA_LEDGER_SETTLED=10000000).
const (
	envLedgerSettled   = "TOBIRA_LEDGER_SETTLED"   // settled orders at the last step (default 100000)
	envLedgerBatch     = "TOBIRA_LEDGER_BATCH"     // new orders imported and timed at each step (default 20000)
	envLedgerTombstone = "TOBIRA_LEDGER_TOMBSTONE" // share of the settled orders loaded as tombstones (default 0)
	envLedgerRounds    = "TOBIRA_LEDGER_ROUNDS"    // pairs of batches (empty store, grown store) timed at each step (default 3)
)

// The ledger's shape: ledgerMerchants merchants whose sizes follow Zipf's law (the largest holds
// about a fifth of all orders), each with channels of unequal size, so that at 10 million settled
// orders the largest merchant's main channel holds over a million.
const ledgerMerchants = 100

var ledgerChannelShare = []float64{0.6, 0.3, 0.1}

// BenchmarkSQLStoreLedgerGrowth measures order intake on PostgreSQL as the ledger grows: it
// bulk-loads settled orders (shipped or cancelled, as the store writes them) into the store's own
// tables and indexes, and at 0, a tenth of and all TOBIRA_LEDGER_SETTLED orders times an engine
// importing TOBIRA_LEDGER_BATCH new orders from memory channels into a memory warehouse, on
// merchants whose channels hold the most history and on small ones. Each timed batch alternates
// with one on a second store that holds no settled orders, which gives the empty figure under
// the same load. Each step prints
//
//	ledger: settled=N intake_us_per_order=X empty_us_per_order=E ratio_to_empty=X/E ...
//
// and the statements the grown store's last batch issued, with their count and time; at the last
// step, the EXPLAIN (ANALYZE, BUFFERS) of each (of a sample on the largest channel), then the time
// of the host's listings (HeldOrders, OrdersByNumber), which intake does not use, and their plans.
// The target is a ratio of at most 1.25 at 10 million. Run it once:
//
//	TOBIRA_LEDGER_SETTLED=10000000 TOBIRA_LEDGER_ROUNDS=7 go test -run '^$' -bench LedgerGrowth -benchtime 1x -timeout 3h ./sync/sqlstore
//
// At 10 million the orders table takes about 17 GB and its indexes 0.8 GB; the load takes about
// four minutes on two cores. Sessions run with synchronous_commit off, so the figure is the
// store's and not the disk's flush time, which does not grow with the ledger.
func BenchmarkSQLStoreLedgerGrowth(b *testing.B) {
	settled := envInt(b, envLedgerSettled, 100_000)
	batch := envInt(b, envLedgerBatch, 20_000)
	rounds := max(1, envInt(b, envLedgerRounds, 3))
	tombShare := 0.0
	if v := os.Getenv(envLedgerTombstone); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			b.Fatalf("%s=%q: want a share between 0 and 1", envLedgerTombstone, v)
		}
		tombShare = f
	}
	ctx := context.Background()
	qlog := &queryLog{}
	db := openPostgresTraced(b, qlog)
	prefix := uniquePrefix()
	store := newStore(b, db, sqlstore.Postgres, prefix)
	steps := []int{0, settled / 10, settled}

	intake := []int{0, 1, 2, ledgerMerchants / 2, ledgerMerchants - 1} // merchant ranks imported into
	partitions := len(intake) * len(ledgerChannelShare)
	db.SetMaxOpenConns(2 * partitions)
	db.SetMaxIdleConns(2 * partitions)
	clock := tobirasync.NewManualClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	ld := &loader{db: db, prefix: prefix, tombShare: tombShare}
	controlPrefix := uniquePrefix()
	control := newStore(b, db, sqlstore.Postgres, controlPrefix)
	// The tables go when the benchmark ends, but not when it is killed: the names say what to drop.
	fmt.Printf("ledger: tables %s* (grown) and %s* (empty)\n", prefix, controlPrefix)
	var first, ratio float64
	next := 0 // numbers the intake orders
	b.ResetTimer()
	for step, target := range steps {
		if loaded := ld.loaded; target > loaded {
			start := time.Now()
			ld.now = clock.Now()
			if err := ld.load(ctx, loaded, target); err != nil {
				b.Fatal(err)
			}
			fmt.Printf("ledger: loaded settled=%d (+%d) in %s\n", target, target-loaded, time.Since(start).Round(time.Second))
			ld.check(ctx, b, store, loaded, target-1)
			ld.loaded = target
		}
		// Both stores get the same upkeep before each step, which autovacuum would give them in
		// time: without it, the intake rounds' dead rows slow the store that was not loaded. The
		// dirty pages are written now rather than by a checkpoint during the rounds.
		start := time.Now()
		for _, p := range []string{prefix, controlPrefix} {
			for _, t := range []string{"orders", "tombstones"} {
				if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE) "+p+t); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("ledger: vacuum+analyze+checkpoint %s; %s\n", time.Since(start).Round(time.Second), tableSizes(ctx, b, db, prefix))

		// Rounds alternate between the grown store and one that holds no settled orders (and
		// the same intake history), so that load from other work on the machine hits both
		// alike; the ratio is between their medians.
		var grown, empty []float64
		// The order swaps each round (ABBA…), so that neither store always follows the load or
		// the other's round. Both rounds are traced alike; the grown store's statements are kept.
		var shapes []*queryShape
		for r := range rounds {
			var e, g float64
			grownRound := func() {
				g = intakeRound(ctx, b, store, qlog, clock, intake, batch, next+batch)
				shapes = qlog.shapes()
			}
			if (rounds-r)%2 == 0 {
				e = intakeRound(ctx, b, control, qlog, clock, intake, batch, next)
				grownRound()
			} else {
				grownRound()
				e = intakeRound(ctx, b, control, qlog, clock, intake, batch, next)
			}
			empty, grown = append(empty, e), append(grown, g)
			next += 2 * batch
		}
		us, emptyUS := median(grown), median(empty)
		if step == 0 {
			first = us
		}
		ratio = us / emptyUS
		fmt.Printf("ledger: settled=%d intake_us_per_order=%.1f empty_us_per_order=%.1f ratio_to_empty=%.2f ratio_to_step0=%.2f rounds_empty,grown=%s\n",
			target, us, emptyUS, ratio, us/first, fmtPairs(empty, grown))
		printShapes(os.Stdout, shapes, batch)
		if step == len(steps)-1 {
			b.ReportMetric(us, "us/order")
			b.ReportMetric(ratio, "ratio")
			explainShapes(ctx, b, db, os.Stdout, shapes)
			hostListings(ctx, b, store, db, qlog, ld)
		}
	}
}

// hostListings times the ledger's listings for people (ledger.OrderLister), which the engine's
// flows do not call: they read a merchant's or channel's records by their JSON, so their cost
// follows the merchant's history.
func hostListings(ctx context.Context, b *testing.B, store *sqlstore.Store, db *sql.DB, qlog *queryLog, ld *loader) {
	b.Helper()
	settled := ld.loaded
	// The newest loaded order of the largest channel, so the lookup meets the most rows.
	g := max(settled-1, 0)
	for ; g > 0; g-- {
		if m, c, _ := placeOf(g); m == merchantID(0) && c == chanID(0) && !ld.tombstoned(g) {
			break
		}
	}
	m, c, _ := placeOf(g)
	number := settledRecord(g, m, c, time.Time{}).Order.Number
	qlog.reset()
	qlog.on.Store(true)
	start := time.Now()
	held, err := store.HeldOrders(ctx, merchantID(0), ledger.OrderKey{}, 50)
	if err != nil {
		b.Fatal(err)
	}
	heldTook := time.Since(start)
	start = time.Now()
	found, err := store.OrdersByNumber(ctx, m, c, number, -1)
	if err != nil {
		b.Fatal(err)
	}
	byNumberTook := time.Since(start)
	qlog.on.Store(false)
	if settled > 0 && !ld.tombstoned(g) && len(found) != 1 {
		b.Fatalf("OrdersByNumber(%s, %s, %s) found %d records, want 1", m, c, number, len(found))
	}
	fmt.Printf("ledger: off intake at settled=%d: HeldOrders(%s, limit 50) %d found in %s; OrdersByNumber(%s, %s) %d found in %s\n",
		settled, merchantID(0), len(held), heldTook.Round(time.Millisecond), m, c, len(found), byNumberTook.Round(time.Millisecond))
	explainShapes(ctx, b, db, os.Stdout, qlog.shapes())
}

// intakeRound places batch new orders, numbered from first, on the channels of the intake
// merchants, and returns the microseconds per order that a new engine took to import them all
// and deliver them to the merchants' warehouses, every partition synced at once. The channels
// and warehouses are new each round, so that each round lists the same pages; the cursors carry
// on in the store. qlog records the round's statements.
func intakeRound(ctx context.Context, b *testing.B, store *sqlstore.Store, qlog *queryLog, clock *tobirasync.ManualClock,
	intake []int, batch, first int) float64 {
	b.Helper()
	shops := map[string]*shop{}
	for _, r := range intake {
		s := &shop{wh: &memory.Warehouse{Now: clock.Now}}
		for range ledgerChannelShare {
			s.chans = append(s.chans, &memory.Channel{Now: clock.Now, PageSize: 100})
		}
		shops[merchantID(r)] = s
	}
	for i := range batch {
		r := intake[i%len(intake)]
		c := i / len(intake) % len(ledgerChannelShare)
		o := settledRecord(3_000_000_000+first+i, merchantID(r), chanID(c), clock.Now()).Order
		open := *o
		open.Status, open.ChannelStatus, open.UpdatedAt = order.StatusOpen, "unshipped", clock.Now()
		shops[merchantID(r)].chans[c].Place(open)
	}
	clock.Advance(time.Hour) // past Settle

	// The last round's orders shipped: their reservations are released, as their shipments
	// would, so that each round starts with the same open work.
	for id := range shops {
		rs, err := store.Reservations(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if err := store.DeleteReservation(ctx, id, r.Key); err != nil {
				b.Fatal(err)
			}
		}
	}
	// A new engine, as after a deployment: nothing of the last round is cached.
	eng := tobirasync.New(store, tobirasync.Options{Clock: clock})
	for id, s := range shops {
		if err := eng.PutMerchant(s.merchant(id)); err != nil {
			b.Fatal(err)
		}
	}

	qlog.reset()
	qlog.on.Store(true)
	start := time.Now()
	var wg gosync.WaitGroup
	for id := range shops {
		for c := range ledgerChannelShare {
			wg.Go(func() {
				if _, err := eng.SyncOrders(ctx, id, chanID(c)); err != nil {
					b.Error(err)
				}
			})
		}
	}
	wg.Wait()
	took := time.Since(start)
	qlog.on.Store(false)
	if err := eng.Close(ctx); err != nil {
		b.Fatal(err)
	}
	got := 0
	for _, s := range shops {
		got += len(s.wh.Requests())
	}
	if got != batch {
		b.Fatalf("the warehouses received %d requests, want %d", got, batch)
	}
	return float64(took.Microseconds()) / float64(batch)
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// fmtPairs writes the rounds' figures as "a1/b1 a2/b2 …".
func fmtPairs(a, b []float64) string {
	parts := make([]string, len(a))
	for i := range a {
		parts[i] = strconv.FormatFloat(a[i], 'f', 1, 64) + "/" + strconv.FormatFloat(b[i], 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}

func envInt(b *testing.B, env string, def int) int {
	v := os.Getenv(env)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a count", env, v)
	}
	return n
}

func merchantID(rank int) string { return fmt.Sprintf("m%03d", rank) }

// openPostgresTraced is openPostgresNoSync with log recording the statements of its sessions.
func openPostgresTraced(b *testing.B, log *queryLog) *sql.DB {
	b.Helper()
	dsn := requireEnv(b, envPostgres, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		b.Fatalf("%s: %v", envPostgres, err)
	}
	cfg.RuntimeParams["synchronous_commit"] = "off"
	cfg.Tracer = log
	db := stdlib.OpenDB(*cfg)
	b.Cleanup(func() { db.Close() })
	if err := db.PingContext(context.Background()); err != nil {
		b.Fatalf("%s is set but the database cannot be reached: %v", envPostgres, err)
	}
	return db
}

// zipfCDF is the cumulative share of the merchants by rank: rank r holds 1/(r+1) of the weight.
var zipfCDF = func() []float64 {
	out := make([]float64, ledgerMerchants)
	sum := 0.0
	for r := range out {
		sum += 1 / float64(r+1)
		out[r] = sum
	}
	for r := range out {
		out[r] /= sum
	}
	return out
}()

// placeOf returns where settled order g lives: its merchant and channel, drawn from the ledger's
// shape with a generator seeded by g, so that any g always lands at the same place.
func placeOf(g int) (merchant, channel string, rng *rand.Rand) {
	rng = rand.New(rand.NewPCG(uint64(g), 0x7ab1a))
	r, _ := slices.BinarySearch(zipfCDF, rng.Float64())
	x, c := rng.Float64(), 0
	for ; c < len(ledgerChannelShare)-1 && x >= ledgerChannelShare[c]; c++ {
		x -= ledgerChannelShare[c]
	}
	return merchantID(min(r, ledgerMerchants-1)), chanID(c), rng
}

var (
	productNames = []string{"宇治抹茶 30g 缶入り", "有機ほうじ茶 ティーバッグ 2.5g×20包", "今治タオル フェイスタオル 2枚組 ホワイト",
		"南部鉄器 急須 0.65L", "信楽焼 マグカップ 藍", "国産ひのき まな板 Mサイズ", "北海道産 昆布だし 500ml", "手ぬぐい 富士山柄 綿100%"}
	familyNames = []string{"山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村"}
	givenNames  = []string{"花子", "太郎", "美咲", "健太", "陽菜", "翔", "さくら", "大輔"}
	slots       = []order.TimeSlot{order.SlotNone, order.SlotMorning, order.Slot1416, order.Slot1618, order.Slot1820}
)

// settledRecord is settled order g of merchant and channel as the engine leaves it: an order of
// one to three lines with a Japanese address, delivery request and payment, sent to warehouse
// "wh" and shipped (one in twelve cancelled instead), a little over a kilobyte of JSON.
func settledRecord(g int, merchant, channel string, now time.Time) *ledger.OrderRecord {
	_, _, rng := placeOf(g)
	id := strconv.Itoa(1_000_000_000 + g)
	placed := now.Add(-time.Duration(rng.Int64N(int64(365*24*time.Hour))) - 72*time.Hour).Truncate(time.Second)
	o := &order.Order{
		ID: id, Number: "#" + strconv.Itoa(100_000+g), Status: order.StatusClosed, ChannelStatus: "fulfilled",
		PlacedAt: placed, UpdatedAt: placed.Add(30 * time.Hour),
		ShipTo: order.Address{
			Name:  familyNames[rng.IntN(len(familyNames))] + " " + givenNames[rng.IntN(len(givenNames))],
			Phone: fmt.Sprintf("090-%04d-%04d", rng.IntN(10000), rng.IntN(10000)), Email: fmt.Sprintf("buyer%d@example.jp", g),
			Country: "JP", PostalCode: fmt.Sprintf("%03d-%04d", 100+rng.IntN(900), rng.IntN(10000)),
			Prefecture: order.Prefectures[rng.IntN(len(order.Prefectures))], City: "渋谷区",
			Line1: fmt.Sprintf("神宮前%d-%d-%d", 1+rng.IntN(6), 1+rng.IntN(30), 1+rng.IntN(20)), Line2: "グリーンハイツ 203号室",
		},
		Payment: order.Payment{Method: order.PaymentPrepaid},
		Refs:    map[string]string{"gid": "gid://shopify/Order/" + strconv.Itoa(5_600_000_000+g)},
	}
	if slot := slots[rng.IntN(len(slots))]; slot != order.SlotNone {
		d := placed.AddDate(0, 0, 3)
		o.Delivery = order.DeliveryRequest{Date: order.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}, Slot: slot}
	}
	var sub int64
	n := 1 + rng.IntN(3)
	lines := make([]connector.LineQuantity, n)
	shipped := make(map[string]int, n)
	for i := range n {
		p := rng.IntN(len(productNames))
		l := order.Line{ID: strconv.Itoa(i + 1), SKU: fmt.Sprintf("SKU-%04d", p*37+rng.IntN(37)), Name: productNames[p],
			Quantity: 1 + rng.IntN(3), UnitPrice: order.Yen(int64(800 + 100*rng.IntN(40))),
			Refs: map[string]string{"line_item_id": strconv.Itoa(14_000_000_000 + 4*g + i)}}
		sub += l.UnitPrice.Amount * int64(l.Quantity)
		o.Lines = append(o.Lines, l)
		lines[i] = connector.LineQuantity{LineID: l.ID, SKU: l.SKU, Quantity: l.Quantity}
		shipped[l.ID] = l.Quantity
	}
	o.Totals = order.Totals{Subtotal: order.Yen(sub), Shipping: order.Yen(550), TaxIncluded: true, Total: order.Yen(sub + 550)}
	rec := &ledger.OrderRecord{
		Key:   ledger.OrderKey{Merchant: merchant, Channel: channel, OrderID: id},
		Order: o, State: ledger.StateShipped, Version: 4, UpdatedAt: o.UpdatedAt,
		Requests: []ledger.Request{{Target: "wh", Key: ledger.JoinKey(merchant, channel, id, "wh"), State: ledger.RequestSent,
			Lines: lines, ShippingFP: fmt.Sprintf("%016x", rng.Uint64())}},
	}
	if rng.IntN(12) == 0 {
		o.Status, o.ChannelStatus = order.StatusCancelled, "cancelled"
		rec.State, rec.Version = ledger.StateCancelled, 3
		rec.Requests[0].State = ledger.RequestCancelled
	} else {
		rec.Shipments = []ledger.ShipmentEntry{{ID: "S" + strconv.Itoa(70_000_000+g), Warehouse: "wh", At: placed.Add(26 * time.Hour), Lines: shipped}}
	}
	rec.Fingerprint = o.Fingerprint()
	return rec
}

// loadChunk is how many settled orders one transaction carries.
const loadChunk = 50_000

// loader bulk-loads settled orders into a store's tables.
type loader struct {
	db        *sql.DB
	prefix    string
	tombShare float64
	now       time.Time // of the last load
	loaded    int       // settled orders loaded so far
}

// load copies settled orders from (included) to to (excluded), two streams at once, each
// order's row made by sqlstore.LedgerRow.
func (l *loader) load(ctx context.Context, from, to int) error {
	var next atomic.Int64
	next.Store(int64(from))
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			errs <- func() error {
				conn, err := l.db.Conn(ctx)
				if err != nil {
					return err
				}
				defer conn.Close()
				for {
					lo := int(next.Add(loadChunk)) - loadChunk
					if lo >= to {
						return nil
					}
					if err := l.chunk(ctx, conn, lo, min(lo+loadChunk, to)); err != nil {
						return err
					}
				}
			}()
		}()
	}
	return cmp.Or(<-errs, <-errs)
}

// tombstoned reports whether settled order g is loaded as a tombstone: a fixed share of them,
// spread evenly over merchants and channels.
func (l *loader) tombstoned(g int) bool { return float64(g*7919%1000) < l.tombShare*1000 }

// chunk copies orders lo to hi in one transaction, one COPY per table, each row made as it is
// sent so that the database works while the next rows are encoded.
func (l *loader) chunk(ctx context.Context, conn *sql.Conn, lo, hi int) error {
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
		for _, tomb := range []bool{false, true} {
			if tomb && l.tombShare == 0 || !tomb && l.tombShare == 1 {
				continue
			}
			var table string
			var cols []string
			var first []any
			g := lo
			// The first row names the table and columns; it is then sent first.
			rowOf := func() ([]any, error) {
				for ; g < hi; g++ {
					if l.tombstoned(g) != tomb {
						continue
					}
					m, c, _ := placeOf(g)
					t, cs, vals, err := sqlstore.LedgerRow(settledRecord(g, m, c, l.now), tomb)
					g++
					table, cols = t, cs
					return vals, err
				}
				return nil, nil
			}
			if first, err = rowOf(); err != nil {
				return err
			}
			if first == nil {
				continue
			}
			rows := func() ([]any, error) {
				if first != nil {
					r := first
					first = nil
					return r, nil
				}
				return rowOf() // nil, nil at the end
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{l.prefix + table}, cols, pgx.CopyFromFunc(rows)); err != nil {
				return fmt.Errorf("copy into %s: %w", table, err)
			}
		}
		return tx.Commit(ctx)
	})
}

// check reads orders g of the last load back through the store: the loaded rows must be the
// records (or tombstones) they stand for, or the benchmark measures something the store never
// writes.
func (l *loader) check(ctx context.Context, b *testing.B, store *sqlstore.Store, gs ...int) {
	b.Helper()
	for _, g := range gs {
		m, c, _ := placeOf(g)
		want := settledRecord(g, m, c, l.now)
		if l.tombstoned(g) {
			ts, err := store.Tombstones(ctx, []ledger.OrderKey{want.Key})
			if err != nil {
				b.Fatal(err)
			}
			got, wt := ts[want.Key], ledger.TombstoneOf(want)
			if got.Key != wt.Key || got.Fingerprint != wt.Fingerprint || got.Status != wt.Status || !got.UpdatedAt.Equal(wt.UpdatedAt) {
				b.Fatalf("tombstone of loaded order %d reads back as %+v, want %+v", g, got, wt)
			}
			continue
		}
		got, err := store.GetOrder(ctx, want.Key)
		if err != nil {
			b.Fatalf("loaded order %d: %v", g, err)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			b.Fatalf("loaded order %d reads back as\n%s\nwant\n%s", g, gj, wj)
		}
		if !got.Settled() {
			b.Fatalf("loaded order %d is not settled", g)
		}
	}
}

// tableSizes describes the size on disk of the tables that grow.
func tableSizes(ctx context.Context, b *testing.B, db *sql.DB, prefix string) string {
	b.Helper()
	var parts []string
	for _, t := range []string{"orders", "tombstones"} {
		var rows int64
		var heap, idx string
		err := db.QueryRowContext(ctx, "SELECT c.reltuples::bigint, pg_size_pretty(pg_table_size(c.oid)), pg_size_pretty(pg_indexes_size(c.oid))"+
			" FROM pg_class c WHERE c.oid = $1::regclass", prefix+t).Scan(&rows, &heap, &idx)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s: ~%d rows, table %s, indexes %s", t, max(rows, 0), heap, idx))
	}
	return strings.Join(parts, "; ")
}

// queryLog records, while on, the statements that pgx sends and how long each took from send to
// the last row read. It does only that while the statements run, the same for both stores'
// rounds; shapes then groups them.
type queryLog struct {
	on   atomic.Bool
	mu   gosync.Mutex
	runs []queryRun
}

type queryRun struct {
	sql  string
	args []any
	took time.Duration
	ok   bool
}

// queryShape is the statements of one shape (the SQL with its lists of placeholders folded):
// how many ran, their time, and a sample with its arguments, preferably one on the largest
// merchant's largest channel.
type queryShape struct {
	shape, sql string
	args       []any
	score      int
	n          int
	total      time.Duration
}

type queryStart struct {
	sql  string
	args []any
	at   time.Time
}

type queryStartKey struct{}

func (l *queryLog) reset() {
	l.mu.Lock()
	l.runs = nil
	l.mu.Unlock()
}

// TraceQueryStart implements pgx.QueryTracer.
func (l *queryLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !l.on.Load() {
		return ctx
	}
	return context.WithValue(ctx, queryStartKey{}, &queryStart{sql: d.SQL, args: d.Args, at: time.Now()})
}

// TraceQueryEnd implements pgx.QueryTracer.
func (l *queryLog) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	st, ok := ctx.Value(queryStartKey{}).(*queryStart)
	if !ok {
		return
	}
	took := time.Since(st.at)
	l.mu.Lock()
	l.runs = append(l.runs, queryRun{st.sql, st.args, took, d.Err == nil})
	l.mu.Unlock()
}

// shapes groups the statements recorded since the last reset by shape, costliest first.
func (l *queryLog) shapes() []*queryShape {
	l.mu.Lock()
	runs := l.runs
	l.mu.Unlock()
	byShape := map[string]*queryShape{}
	folded := map[string]string{}
	for _, r := range runs {
		shape, ok := folded[r.sql]
		if !ok {
			shape = foldPlaceholders(r.sql)
			folded[r.sql] = shape
		}
		q := byShape[shape]
		if q == nil {
			q = &queryShape{shape: shape, score: -1}
			byShape[shape] = q
		}
		q.n++
		q.total += r.took
		args := r.args
		if len(args) > 0 {
			switch args[0].(type) {
			case pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
				args = args[1:] // added by database/sql's adapter, not the store's
			}
		}
		if score := sampleScore(args); score > q.score && r.ok {
			q.sql, q.args, q.score = r.sql, args, score
		}
	}
	out := make([]*queryShape, 0, len(byShape))
	for _, q := range byShape {
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b *queryShape) int { return cmp.Compare(b.total, a.total) })
	return out
}

// sampleScore is 2 for a statement on the largest merchant's largest channel, 1 for one on that
// merchant, 0 otherwise.
func sampleScore(args []any) int {
	var onMerchant, onChannel bool
	for _, a := range args {
		if a, ok := a.(string); ok {
			onMerchant = onMerchant || a == merchantID(0) || strings.Contains(a, "/"+merchantID(0)+"/")
			onChannel = onChannel || a == chanID(0) || strings.HasSuffix(a, "/"+chanID(0))
		}
	}
	switch {
	case onMerchant && onChannel:
		return 2
	case onMerchant:
		return 1
	}
	return 0
}

var (
	reDollar   = regexp.MustCompile(`\$\d+`)
	reList     = regexp.MustCompile(`(\?(::\w+)?, )+\?(::\w+)?`)
	reTuples   = regexp.MustCompile(`(\([^()]*\), )+\([^()]*\)`)
	reBlankRun = regexp.MustCompile(`\s+`)
)

func foldPlaceholders(q string) string {
	q = reDollar.ReplaceAllString(q, "?")
	q = reTuples.ReplaceAllString(q, "($tuple)…")
	q = reList.ReplaceAllString(q, "?…")
	return reBlankRun.ReplaceAllString(strings.TrimSpace(q), " ")
}

// print lists the shapes by the time they took, per order of the batch.
func printShapes(w io.Writer, shapes []*queryShape, batch int) {
	for _, q := range shapes {
		shape := q.shape
		if len(shape) > 150 {
			shape = shape[:150] + "…"
		}
		fmt.Fprintf(w, "  calls=%-6d per_order=%-6.3f mean_us=%-8.0f us_per_order=%-7.1f %s\n", q.n, float64(q.n)/float64(batch),
			float64(q.total.Microseconds())/float64(q.n), float64(q.total.Microseconds())/float64(batch), shape)
	}
}

// explain prints EXPLAIN (ANALYZE, BUFFERS) of each shape's sample, in a transaction that is
// rolled back: writes run (an insert then finds its key taken, an update its version moved) and
// leave nothing.
func explainShapes(ctx context.Context, b *testing.B, db *sql.DB, w io.Writer, shapes []*queryShape) {
	b.Helper()
	for _, q := range shapes {
		verb, _, _ := strings.Cut(strings.TrimSpace(q.sql), " ")
		switch strings.ToUpper(verb) {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH":
		default:
			continue
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
		if err != nil {
			b.Fatalf("explain %s: %v", q.shape, err)
		}
		fmt.Fprintf(w, "ledger: EXPLAIN %s\n", q.shape)
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(w, "    %s\n", line)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if err := tx.Rollback(); err != nil {
			b.Fatal(err)
		}
	}
}
