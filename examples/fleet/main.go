// Command fleet runs a mid-sized 3PL's whole book in one process: Engine.Run over 2,000
// merchants with five channel accounts each (Shopify, Rakuten, Amazon, Yahoo!, BASE) and one
// warehouse each, on memory connectors behind each platform's round trip and published rate
// limits (internal/sim's figures), in real time. After a warm-up it measures the process's CPU
// time over a minute with every account idle, then trickles orders into a random few merchants and
// measures how long each takes from the buyer's click to the warehouse. It prints
//
//	fleet: merchants=2000 channels=10000 heap_per_merchant=<KB> idle_cpu=<% of one core> p99_order_to_warehouse=<d> throttled=0 lost=0
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	gosync "sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/internal/sim"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// config sets the fleet's size and the program's phases.
type config struct {
	Merchants int
	Channels  int // per merchant, taken in turn from sim.Platforms
	SKUs      int // per merchant
	// Every is the orders and shipments poll interval (Options.OrdersEvery, ShipmentsEvery).
	Every time.Duration
	// Warmup lets the first runs (catch-up, first stock push) finish before Idle is measured.
	Warmup, Idle time.Duration
	// Trickle is how long orders arrive, at Rate per second, into Active random merchants; Drain
	// bounds the wait for the last of them.
	Trickle time.Duration
	Rate    float64
	Active  int
	Drain   time.Duration
	Seed    uint64
	// WarehouseLatency is one round trip to the WMS.
	WarehouseLatency time.Duration
	// Speed compresses the platforms' rate limits in time (newPlatform), for tests that poll
	// faster than a real host may; 1 keeps the published figures.
	Speed float64
}

func defaultConfig() config {
	return config{
		Merchants: 2000, Channels: 5, SKUs: 3,
		Every:  time.Minute,
		Warmup: 30 * time.Second, Idle: time.Minute,
		Trickle: time.Minute, Rate: 3, Active: 20, Drain: 75 * time.Second,
		Seed:             1,
		WarehouseLatency: 100 * time.Millisecond,
		Speed:            1,
	}
}

func main() {
	cfg := defaultConfig()
	flag.IntVar(&cfg.Merchants, "merchants", cfg.Merchants, "merchants in the fleet")
	flag.IntVar(&cfg.Channels, "channels", cfg.Channels, "channel accounts per merchant")
	flag.DurationVar(&cfg.Every, "every", cfg.Every, "orders and shipments poll interval")
	flag.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "warm-up before the idle measurement")
	flag.DurationVar(&cfg.Idle, "idle", cfg.Idle, "length of the idle CPU measurement")
	flag.DurationVar(&cfg.Trickle, "trickle", cfg.Trickle, "how long orders arrive")
	flag.Float64Var(&cfg.Rate, "rate", cfg.Rate, "orders per second while they trickle in")
	flag.IntVar(&cfg.Active, "active", cfg.Active, "merchants that receive orders")
	flag.DurationVar(&cfg.Drain, "drain", cfg.Drain, "longest wait for the last orders to arrive")
	flag.Float64Var(&cfg.Speed, "speed", cfg.Speed, "compress the platforms' rate limits in time by this factor (for short runs)")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	flag.Parse()
	f := newFleet(cfg)
	res, err := f.run(context.Background(), os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res)
	if res.Lost > 0 || res.Throttled > 0 || res.Duplicates > 0 {
		os.Exit(1)
	}
}

// result is what the program prints.
type result struct {
	Merchants, Channels int
	HeapPerMerchant     float64 // KB
	IdleCPU             float64 // percent of one core
	P99                 time.Duration
	Placed              int
	Throttled, Lost     int
	Duplicates          int
}

func (r result) String() string {
	return fmt.Sprintf("fleet: merchants=%d channels=%d heap_per_merchant=%.1fKB idle_cpu=%.2f%% p99_order_to_warehouse=%s throttled=%d lost=%d",
		r.Merchants, r.Channels, r.HeapPerMerchant, r.IdleCPU, r.P99.Round(10*time.Millisecond), r.Throttled, r.Lost)
}

// placement is when an order was placed, on which merchant's which channel.
type placement struct {
	at   time.Time
	m, c int
}

type tenant struct {
	id       string
	accounts []*account
	wh       *warehouse
}

// fleet is the engine, its merchants, and the measurements.
type fleet struct {
	cfg       config
	engine    *tobirasync.Engine
	plats     []*platform
	tenants   []*tenant
	throttled atomic.Int64

	mu      gosync.Mutex
	placed  map[string]placement // merchant/channel/order -> when and where
	latency map[string]time.Duration
	dups    int
	// measured says which placed orders count in the latency figure and the lost count; nil
	// means all. Tests leave out a channel they broke on purpose.
	measured func(merchant, channel int) bool
}

func newFleet(cfg config) *fleet {
	f := &fleet{cfg: cfg, placed: map[string]placement{}, latency: map[string]time.Duration{}}
	f.engine = tobirasync.New(memstore.New(), tobirasync.Options{
		OrdersEvery: cfg.Every, ShipmentsEvery: cfg.Every,
	})

	for _, p := range sim.Platforms() {
		f.plats = append(f.plats, newPlatform(p, cfg.Speed))
	}
	for m := range cfg.Merchants {
		t := &tenant{id: fmt.Sprintf("m%04d", m)}
		t.wh = &warehouse{Warehouse: &memory.Warehouse{}, latency: cfg.WarehouseLatency}
		id := t.id
		t.wh.arrived = func(channel, orderID string) { f.arrived(id, channel, orderID) }
		for s := range cfg.SKUs {
			t.wh.SetOnHand(fmt.Sprintf("SKU-%d", s), 1000)
		}
		merchant := tobirasync.Merchant{
			ID:         t.id,
			Warehouses: []tobirasync.Warehouse{{ID: "wms", Fulfiller: t.wh, Shipments: t.wh, Stock: t.wh}},
		}
		for c := range cfg.Channels {
			p := f.plats[c%len(f.plats)]
			a := newAccount(p, &f.throttled)
			t.accounts = append(t.accounts, a)
			ch := tobirasync.Channel{ID: f.channelID(c), Source: a, Sink: a, Target: a}
			if p.SweepEvery > 0 {
				ch.Listing.SweepEvery = p.SweepEvery
			}
			merchant.Channels = append(merchant.Channels, ch)
		}
		if err := f.engine.PutMerchant(merchant); err != nil {
			panic(err)
		}
		f.tenants = append(f.tenants, t)
	}
	return f
}

// channelID names a merchant's c-th channel account after its platform.
func (f *fleet) channelID(c int) string {
	return fmt.Sprintf("%s-%d", f.plats[c%len(f.plats)].Name, c)
}

func (f *fleet) arrived(merchant, channel, orderID string) {
	now := time.Now()
	k := merchant + "/" + channel + "/" + orderID
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.latency[k]; ok {
		f.dups++ // Submit is idempotent on its key; a second arrival would be a second key
		return
	}
	if p, ok := f.placed[k]; ok {
		f.latency[k] = now.Sub(p.at)
	}
}

// place puts one order on a merchant's channel as a buyer would.
func (f *fleet) place(m, c, n int, rng *rand.Rand) {
	t := f.tenants[m]
	a := t.accounts[c]
	id := fmt.Sprintf("o%06d", n)
	k := t.id + "/" + f.channelID(c) + "/" + id
	f.mu.Lock()
	f.placed[k] = placement{at: time.Now(), m: m, c: c}
	f.mu.Unlock()
	a.Place(order.Order{
		ID:     id,
		Status: order.StatusOpen,
		Lines: []order.Line{{ID: "1", SKU: fmt.Sprintf("SKU-%d", rng.IntN(f.cfg.SKUs)), Quantity: 1 + rng.IntN(2),
			UnitPrice: order.Yen(1200)}},
		ShipTo: order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
	})
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// run drives the fleet through its phases and returns the figures; progress goes to logw.
func (f *fleet) run(ctx context.Context, logw io.Writer) (result, error) {
	cfg := f.cfg
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- f.engine.Run(ctx) }()
	logf("fleet: %d merchants, %d channel accounts; warming up %s", cfg.Merchants, cfg.Merchants*cfg.Channels, cfg.Warmup)
	if err := sleep(ctx, cfg.Warmup); err != nil {
		return result{}, err
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := float64(ms.HeapAlloc) / 1024 / float64(cfg.Merchants)
	logf("heap %.1f MB after GC (%.1f KB per merchant); measuring idle CPU for %s", float64(ms.HeapAlloc)/(1<<20), heap, cfg.Idle)

	cpu0, wall0 := cpuTime(), time.Now()
	if err := sleep(ctx, cfg.Idle); err != nil {
		return result{}, err
	}
	idle := float64(cpuTime()-cpu0) / float64(time.Since(wall0)) * 100
	logf("idle CPU %.2f%% of one core; orders trickle in for %s", idle, cfg.Trickle)

	rng := rand.New(rand.NewPCG(cfg.Seed, 23))
	active := rng.Perm(cfg.Merchants)[:min(cfg.Active, cfg.Merchants)]
	n, total := 0, int(cfg.Trickle.Seconds()*cfg.Rate)
	start := time.Now()
	for n < total {
		due := start.Add(time.Duration(float64(n) / cfg.Rate * float64(time.Second)))
		if err := sleep(ctx, time.Until(due)); err != nil {
			return result{}, err
		}
		f.place(active[rng.IntN(len(active))], rng.IntN(cfg.Channels), n, rng)
		n++
	}
	logf("%d orders placed into %d merchants; waiting up to %s for the last", n, len(active), cfg.Drain)
	deadline := time.Now().Add(cfg.Drain)
	for time.Now().Before(deadline) && f.waiting() > 0 {
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return result{}, err
		}
	}
	cancel()
	if err := <-errc; err != nil && err != context.Canceled {
		return result{}, err
	}

	res := result{Merchants: cfg.Merchants, Channels: cfg.Merchants * cfg.Channels, HeapPerMerchant: heap, IdleCPU: idle,
		Placed: n, Throttled: int(f.throttled.Load())}
	f.mu.Lock()
	defer f.mu.Unlock()
	var lat []time.Duration
	for k, p := range f.placed {
		if !f.counts(p) {
			continue
		}
		if d, ok := f.latency[k]; ok {
			lat = append(lat, d)
		} else {
			res.Lost++
		}
	}
	res.Duplicates = f.dups
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P99 = lat[min(len(lat)-1, (len(lat)*99+99)/100-1)]
	}
	return res, nil
}

// waiting counts the measured orders not yet at their warehouse.
func (f *fleet) waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, p := range f.placed {
		if _, ok := f.latency[k]; !ok && f.counts(p) {
			n++
		}
	}
	return n
}

// counts says whether a placed order counts in the figures.
func (f *fleet) counts(p placement) bool {
	return f.measured == nil || f.measured(p.m, p.c)
}
