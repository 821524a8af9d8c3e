// Package sim measures Tobira against the 10-15 minute integrations it replaces. It runs a
// flash sale in virtual time: buyers on several channels, each with its platform's published
// rate limits and batch sizes, one warehouse that picks, packs and ships, and a catalogue with
// hot products and bundles. Each strategy replays the same buyers: a plain 15-minute loop as
// the seed article describes it, and the real engine (package sync over the memory
// connectors) driven by polling, by pushes, and with a safety buffer.
package sim

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	gosync "sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/order"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

// Strategy names one way of connecting the channels to the warehouse.
type Strategy string

// The strategies compared.
const (
	// Baseline polls orders and pushes stock every 15 minutes, reserves nothing across
	// channels and forwards no change or cancellation (the seed article's integration).
	Baseline Strategy = "baseline-15m"
	// Poll runs the engine's SyncOrders every minute on every channel; stock fans out on import.
	Poll Strategy = "tobira-poll"
	// Webhook takes pushes where the platform offers them (IngestOrder) and polls the rest
	// every fastPoll.
	Webhook Strategy = "tobira-webhook"
	// Buffered is Webhook with the per-channel safety stock the simulator recommends.
	Buffered Strategy = "buffered"
	// BufferedPoll is Poll with the safety stock recommended for polling (a longer blind window).
	BufferedPoll Strategy = "buffered-poll"
	// Ideal: the engine hears of every sale the instant it happens, on every channel; only the
	// platforms' rate limits and batch sizes hold it back.
	Ideal Strategy = "ideal"
)

// Strategies lists every strategy in the order the report shows them.
var Strategies = []Strategy{Baseline, Poll, Webhook, Buffered, BufferedPoll, Ideal}

// Tobira reports whether the strategy runs the engine.
func (s Strategy) Tobira() bool { return s != Baseline }

const (
	merchantID  = "flash"
	warehouseID = "wh"
	pollEvery   = time.Minute
	// backstop is how often push channels are polled anyway, to catch a lost push.
	backstop = 15 * time.Minute
	// fastPoll is how often Webhook polls the channels that cannot push: as often as their
	// budgets allow with room to spare for stock and shipments. A listing is one call, so this
	// takes a fifth of Rakuten's 1 call/s, 17,280 of Yahoo!'s 50,000 calls a day and 720 of
	// BASE's 5,000 an hour; the report's busiest-limit column shows what is left.
	fastPoll      = 5 * time.Second
	baselineEvery = 15 * time.Minute
	drain         = 30 * time.Minute
	sampleEvery   = time.Minute
)

// Config sets up a simulation. The zero value is completed by defaults.
type Config struct {
	Seed uint64
	// Channels is how many channels the merchant sells on; default 5.
	Channels int
	// Duration is the sale's length in virtual time; default 24 hours.
	Duration time.Duration
	// OrdersPerDay is the average number of buyer visits per channel per day; default 1,500.
	OrdersPerDay int
	// Settle is the engine's Options.Settle; 0 keeps the engine's default.
	Settle time.Duration
	// Strategies to run; nil runs all.
	Strategies []Strategy
}

func (c *Config) setDefaults() {
	if c.Channels <= 0 {
		c.Channels = 5
	}
	if c.Duration <= 0 {
		c.Duration = 24 * time.Hour
	}
	if c.OrdersPerDay <= 0 {
		c.OrdersPerDay = 1500
	}
	if c.Strategies == nil {
		c.Strategies = Strategies
	}
}

// Report is the outcome of Run.
type Report struct {
	Config    Config
	Start     time.Time
	Channels  []string
	Platforms []Platform
	Sale      Sale
	Catalogue Catalogue
	Intents   int
	// Buffers is the recommended safety stock per channel for Buffered (pushes where offered);
	// PollBuffers for BufferedPoll (every channel polled).
	Buffers, PollBuffers map[string]int
	// Chart is the product whose displayed stock the chart follows.
	Chart   string
	Results []Result
}

// Result holds one strategy's figures.
type Result struct {
	Strategy Strategy
	// Accepted orders (a buyer found enough stock shown), Reached orders at the warehouse.
	Accepted, Reached int
	// Oversold units: per warehouse SKU, units of accepted, non-cancelled orders beyond what
	// the warehouse had and received, summed.
	Oversold int
	// Lost: accepted, not cancelled, and never reached the warehouse.
	Lost int
	// Latencies from order to warehouse, sorted; P50, P95, Max summarize them.
	Latencies     []time.Duration
	P50, P95, Max time.Duration
	// HandlingP95 is the p95 of the part of that latency spent in the integration: from when it
	// first had the order (a push delivered, a listing that held it) to the warehouse. The rest
	// is the platform's: its push delay, or the wait for the next poll.
	HandlingP95    time.Duration
	ChannelP95     map[string]time.Duration
	Staleness      map[string]time.Duration // p95 per channel, hot products
	Cancels        int                      // buyer cancellations of accepted orders
	CancelsReached int                      // of those, stopped at the warehouse before shipping
	Calls          int                      // channel API calls
	Usage          []Usage
	Throttled      int
	// Series samples the displayed stock of the chart's product per channel, and the truth.
	Series map[string][]Point
	Truth  []Point
}

// Usage is what a strategy spent of one limit.
type Usage struct {
	Channel, Limit string
	Used, Budget   float64
}

// Point is a sample of a stock figure.
type Point struct {
	At    time.Duration
	Value int
}

// Run simulates every configured strategy on the same buyers and returns the report. The
// strategies are independent worlds; each is deterministic for the seed.
func Run(cfg Config) (*Report, error) {
	cfg.setDefaults()
	all := Platforms()
	plats := make([]Platform, cfg.Channels)
	names := make([]string, cfg.Channels)
	for i := range plats {
		plats[i] = all[i%len(all)]
		names[i] = plats[i].Name
		if i >= len(all) {
			names[i] = fmt.Sprintf("%s-%d", plats[i].Name, i/len(all)+1)
		}
	}
	cat, intents, sale := workload(cfg, plats)
	rep := &Report{Config: cfg, Start: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC), Channels: names, Platforms: plats,
		Sale: sale, Catalogue: cat, Intents: len(intents), Chart: "SKU-00"}
	rep.Buffers = recommend(plats, names, cat, intents, sale, true)
	rep.PollBuffers = recommend(plats, names, cat, intents, sale, false)
	// Worlds share nothing but read-only inputs, so they run side by side.
	rep.Results = make([]Result, len(cfg.Strategies))
	errs := make([]error, len(cfg.Strategies))
	var wg gosync.WaitGroup
	for i, s := range cfg.Strategies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := newWorld(rep, s, intents).run()
			if err != nil {
				err = fmt.Errorf("sim: %s: %w", s, err)
			}
			rep.Results[i], errs[i] = res, err
		}()
	}
	wg.Wait()
	return rep, errors.Join(errs...)
}

// recommend computes each channel's safety stock: the units of the hottest warehouse SKU that
// other channels are expected to sell, at the sale's peak, before this channel hears of them,
// plus two standard deviations (sales are Poisson). The blind window of a sale on channel d is
// its intake delay (the push delay, or a poll interval) plus the round trip of the stock call
// that reaches this channel.
func recommend(plats []Platform, names []string, cat Catalogue, intents []Intent, sale Sale, push bool) map[string]int {
	items := map[string][]inventory.Item{}
	for _, p := range cat.Products {
		items[p.SKU] = p.Items
	}
	// Peak units per second, per channel and warehouse SKU; the hottest SKU decides.
	rate := make([]map[string]float64, len(plats))
	for i := range rate {
		rate[i] = map[string]float64{}
	}
	secs := (sale.End - sale.Start).Seconds()
	for _, in := range intents {
		if in.At < sale.Start || in.At >= sale.End {
			continue
		}
		for _, l := range in.Lines {
			for _, it := range items[l.SKU] {
				rate[in.Channel][it.SKU] += float64(l.Qty*it.Quantity) / secs
			}
		}
	}
	out := map[string]int{}
	for c := range plats {
		best := 0.0
		for sku := range cat.Initial {
			mean := 0.0
			for d, p := range plats {
				if d == c {
					continue // the channel's own sales lower its shown stock on the platform itself
				}
				blind := pollEvery + p.Latency
				switch {
				case push && p.Push:
					blind = time.Duration(1.5*float64(p.PushDelay)) + p.Latency
				case push:
					blind = fastPoll + p.Latency
				}
				blind += plats[c].Latency + 100*time.Millisecond // the warehouse round trip before fan-out completes
				mean += rate[d][sku] * blind.Seconds()
			}
			best = max(best, mean)
		}
		out[names[c]] = int(math.Ceil(best + 2*math.Sqrt(best)))
	}
	return out
}

// world is one strategy's simulation.
type world struct {
	rep     *Report
	strat   Strategy
	intents []Intent
	ctx     context.Context
	clock   *tobirasync.ManualClock
	s       *sched
	start   time.Time
	mems    []*memory.Channel
	chans   []*channel
	apis    []*api
	wh      *warehouse
	eng     *tobirasync.Engine
	items   map[string][]inventory.Item
	names   []string

	placed   map[string]time.Time // channel/order -> placed
	heard    map[string]time.Time // channel/order -> first in the integration's hands
	chanOf   map[string]int
	free     map[string]int // truth: stock minus open demand, per warehouse SKU
	supply   map[string]int
	cancels  []string // channel/order cancelled by buyers
	running  map[string]bool
	err      error
	since    []map[string]time.Time // per channel and product, when it started to differ from the truth
	stale    [][]time.Duration
	res      Result
	open     []string             // warehouse requests not yet shipped or cancelled
	pickedAt map[string]time.Time // request key -> picked
	held     map[string]int       // units picked and not shipped, per warehouse SKU
	// baseline's own state
	seen    []map[string]bool
	lastRun []time.Time
	shipCur connector.Cursor
}

func newWorld(rep *Report, s Strategy, intents []Intent) *world {
	clock := tobirasync.NewManualClock(rep.Start)
	w := &world{rep: rep, strat: s, intents: intents, ctx: context.Background(), clock: clock, s: newSched(clock),
		start: rep.Start, items: map[string][]inventory.Item{}, names: rep.Channels,
		placed: map[string]time.Time{}, heard: map[string]time.Time{}, chanOf: map[string]int{}, free: map[string]int{}, supply: map[string]int{},
		running: map[string]bool{}, pickedAt: map[string]time.Time{}, held: map[string]int{}}
	w.res = Result{Strategy: s, ChannelP95: map[string]time.Duration{}, Staleness: map[string]time.Duration{}, Series: map[string][]Point{}}
	for _, p := range rep.Catalogue.Products {
		w.items[p.SKU] = p.Items
	}
	w.wh = &warehouse{Warehouse: &memory.Warehouse{Now: clock.Now, PageSize: 500}, s: w.s, latency: 100 * time.Millisecond, arrived: map[string]time.Time{}, keys: map[string]string{}, recvAt: map[string]time.Time{}}
	for sku, n := range rep.Catalogue.Initial {
		w.wh.SetOnHand(sku, n)
		w.free[sku], w.supply[sku] = n, n
	}
	merchant := tobirasync.Merchant{ID: merchantID, Warehouses: []tobirasync.Warehouse{{ID: warehouseID, Fulfiller: w.wh, Shipments: w.wh, Stock: w.wh}}}
	skus := map[string][]inventory.Item{}
	for _, p := range rep.Catalogue.Products {
		skus[p.SKU] = p.Items
	}
	for i, p := range rep.Platforms {
		m := &memory.Channel{Now: clock.Now, PageSize: p.PageSize, Limit: p.StockBatch, CompareStock: p.CompareStock}
		a := newAPI(w.s, p)
		c := &channel{Channel: m, api: a, heard: func(id string) { w.hear(i, id) }}
		w.mems, w.apis, w.chans = append(w.mems, m), append(w.apis, a), append(w.chans, c)
		pol := inventory.Policy{}
		switch s {
		case Buffered:
			pol.Buffer = rep.Buffers[w.names[i]]
		case BufferedPoll:
			pol.Buffer = rep.PollBuffers[w.names[i]]
		}
		merchant.Channels = append(merchant.Channels, tobirasync.Channel{ID: w.names[i], Source: c, Sink: c, Target: c,
			Stock: inventory.Channel{Policy: pol, SKUs: skus}, Listing: tobirasync.ListingPolicy{SweepEvery: p.SweepEvery}})
		w.since = append(w.since, map[string]time.Time{})
		w.stale = append(w.stale, nil)
		w.seen = append(w.seen, map[string]bool{})
		w.lastRun = append(w.lastRun, rep.Start)
	}
	if s.Tobira() {
		w.eng = tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Settle: rep.Config.Settle, Parallel: w.s.parallel})
		if err := w.eng.PutMerchant(merchant); err != nil {
			w.err = err
		}
	}
	return w
}

func (w *world) at(d time.Duration) time.Time { return w.start.Add(d) }

func (w *world) fail(err error) {
	if err != nil && w.err == nil {
		w.err = err
	}
}

// task starts a flow unless the same flow is still running, as Run does.
func (w *world) task(name string, fn func() error) {
	if w.running[name] {
		return
	}
	w.running[name] = true
	w.s.spawn(func() {
		if err := fn(); err != nil {
			w.fail(fmt.Errorf("%s: %w", name, err))
		}
		w.running[name] = false
	})
}

func (w *world) run() (Result, error) {
	if w.err != nil {
		return w.res, w.err
	}
	end := w.at(w.rep.Config.Duration + drain)
	// Channels first hear the warehouse's stock.
	w.s.at(w.start, func() { w.task("stock", w.syncStock) })
	for _, in := range w.intents {
		w.s.at(w.at(in.At), func() { w.visit(in) })
	}
	for _, r := range w.rep.Catalogue.Restocks {
		w.s.at(w.at(r.At), func() {
			w.wh.SetOnHand(r.SKU, w.wh.OnHand(r.SKU)+r.Units)
			w.free[r.SKU] += r.Units
			w.supply[r.SKU] += r.Units
		})
	}
	w.s.every(w.start.Add(time.Minute), time.Minute, end, w.operate)
	w.s.every(w.start, sampleEvery, end, w.sample)
	switch w.strat {
	case Baseline:
		w.s.every(w.start.Add(baselineEvery), baselineEvery, end, func() { w.task("baseline", w.baseline) })
	default:
		for i, p := range w.rep.Platforms {
			name := w.names[i]
			every := pollEvery
			switch {
			case w.strat == Ideal:
				continue
			case (w.strat == Webhook || w.strat == Buffered) && p.Push:
				every = backstop
			case w.strat == Webhook || w.strat == Buffered:
				every = fastPoll
			}
			w.s.every(w.start.Add(every), every, end, func() {
				w.task("orders/"+name, func() error {
					_, err := w.eng.SyncOrders(w.ctx, merchantID, name)
					return err
				})
			})
		}
		w.s.every(w.start.Add(time.Minute), time.Minute, end, func() {
			w.task("shipments", func() error {
				_, err := w.eng.SyncShipments(w.ctx, merchantID, warehouseID)
				return err
			})
		})
		// The engine's default StockEvery.
		w.s.every(w.start.Add(5*time.Minute), 5*time.Minute, end, func() { w.task("stock", w.syncStock) })
	}
	w.s.run(end)
	if w.err != nil {
		return w.res, w.err
	}
	w.finish()
	return w.res, nil
}

func (w *world) syncStock() error {
	if w.eng == nil {
		return w.baselineStock()
	}
	_, err := w.eng.SyncStock(w.ctx, merchantID)
	return err
}

// key names an order across channels.
func (w *world) key(c int, id string) string { return w.names[c] + "/" + id }

// visit is a buyer arriving: they buy only if the channel shows enough of every line.
func (w *world) visit(in Intent) {
	m := w.mems[in.Channel]
	for _, l := range in.Lines {
		if n, ok := m.Stock(l.SKU); !ok || n < l.Qty {
			return
		}
	}
	o := order.Order{ID: in.ID, Status: order.StatusOpen, ShipTo: address()}
	for i, l := range in.Lines {
		o.Lines = append(o.Lines, order.Line{ID: fmt.Sprintf("L%d", i+1), SKU: l.SKU, Quantity: l.Qty, UnitPrice: order.Yen(1980)})
		// The platform lowers its own stock figure at once, as every platform does.
		n, _ := m.Stock(l.SKU)
		m.SetStockByHand(l.SKU, n-l.Qty)
		w.demand(l.SKU, l.Qty)
	}
	o = m.Place(o)
	k := w.key(in.Channel, in.ID)
	w.placed[k], w.chanOf[k] = o.PlacedAt, in.Channel
	w.res.Accepted++
	w.notify(in, o)
	if in.ChangeAfter > 0 {
		w.s.at(w.now().Add(in.ChangeAfter), func() { w.change(in) })
	}
	if in.CancelAfter > 0 {
		w.s.at(w.now().Add(in.CancelAfter), func() { w.cancel(in) })
	}
}

func (w *world) now() time.Time { return w.clock.Now() }

// demand moves units of a product out of (or, negative, back into) the truth.
func (w *world) demand(sku string, qty int) {
	for _, it := range w.items[sku] {
		w.free[it.SKU] -= qty * it.Quantity
	}
}

func address() order.Address {
	return order.Address{Name: "佐藤 花子", Phone: "03-1234-5678", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"}
}

// change is the buyer editing an order still open: one unit fewer, or a new address. The
// platform puts the unit back on sale itself.
func (w *world) change(in Intent) {
	m := w.mems[in.Channel]
	o, ok := m.Order(in.ID)
	if !ok || o.Status != order.StatusOpen {
		return
	}
	line := -1
	if in.ChangeQty {
		for i, l := range o.Lines {
			if l.Open() > 1 {
				line = i
				break
			}
		}
	}
	if line >= 0 {
		sku := o.Lines[line].SKU
		n, _ := m.Stock(sku)
		m.SetStockByHand(sku, n+1)
		w.demand(sku, -1)
	}
	m.Change(in.ID, func(o *order.Order) {
		if line >= 0 {
			o.Lines[line].Cancelled++
			return
		}
		o.ShipTo.Line2 = "転送先 2F"
	})
	o, _ = m.Order(in.ID)
	w.notify(in, o)
}

// cancel is the buyer cancelling an order not yet shipped; the platform restocks its figure.
func (w *world) cancel(in Intent) {
	m := w.mems[in.Channel]
	o, ok := m.Order(in.ID)
	if !ok || o.Status != order.StatusOpen {
		return
	}
	for _, l := range o.Lines {
		n, _ := m.Stock(l.SKU)
		m.SetStockByHand(l.SKU, n+l.Open())
		w.demand(l.SKU, -l.Open())
	}
	m.Cancel(in.ID)
	w.cancels = append(w.cancels, w.key(in.Channel, in.ID))
	o, _ = m.Order(in.ID)
	w.notify(in, o)
}

// notify delivers a push of the order's new state, where the strategy takes pushes.
func (w *world) notify(in Intent, o order.Order) {
	p := w.rep.Platforms[in.Channel]
	var delay time.Duration
	switch {
	case w.strat == Ideal:
	case (w.strat == Webhook || w.strat == Buffered) && p.Push:
		delay = time.Duration(in.PushJitter * float64(p.PushDelay))
	default:
		return
	}
	name := w.names[in.Channel]
	w.s.at(w.now().Add(delay), func() {
		w.hear(in.Channel, o.ID)
		w.s.spawn(func() {
			if err := w.eng.IngestOrder(w.ctx, merchantID, name, o); err != nil {
				w.fail(fmt.Errorf("push from %s: %w", name, err))
			}
		})
	})
}

// hear notes when an order first reached the integration: a push delivered, or a listing that
// held it.
func (w *world) hear(c int, id string) {
	if k := w.key(c, id); w.heard[k].IsZero() {
		w.heard[k] = w.now()
	}
}

// hash gives a request its own, repeatable handling times.
func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// operate is the warehouse's minute: requests are picked 20-60 minutes after they arrive
// (when every unit is on the shelf; otherwise they wait for stock) and shipped 10-30 minutes
// after picking. A picked request can no longer be changed or cancelled.
func (w *world) operate() {
	w.open = append(w.open, w.wh.drainNew()...)
	now := w.now()
	keep := w.open[:0]
	for _, k := range w.open {
		r, ok := w.wh.Request(k)
		if !ok || r.State == memory.Cancelled || r.State == memory.Shipped {
			continue
		}
		h := hash(k)
		switch r.State {
		case memory.Received:
			if now.Sub(w.wh.recvAt[k]) < time.Duration(20+h%40)*time.Minute || !w.onShelf(r.Order.Lines) {
				break
			}
			if err := w.wh.Pick(k); err != nil {
				w.fail(err)
				break
			}
			w.pickedAt[k] = now
			w.hold(r.Order.Lines, 1)
		case memory.Picked:
			if now.Sub(w.pickedAt[k]) < time.Duration(10+(h>>8)%20)*time.Minute {
				break
			}
			w.hold(r.Order.Lines, -1)
			w.ship(k, r.Order.Lines)
			continue
		}
		keep = append(keep, k)
	}
	w.open = keep
}

// onShelf reports whether the shelf holds every unit of the lines, net of units picked for
// other requests.
func (w *world) onShelf(lines []order.Line) bool {
	need := map[string]int{}
	for _, l := range lines {
		for _, it := range w.items[l.SKU] {
			need[it.SKU] += l.Open() * it.Quantity
		}
	}
	for sku, n := range need {
		if w.wh.OnHand(sku)-w.held[sku] < n {
			return false
		}
	}
	return true
}

func (w *world) hold(lines []order.Line, sign int) {
	for _, l := range lines {
		for _, it := range w.items[l.SKU] {
			w.held[it.SKU] += sign * l.Open() * it.Quantity
		}
	}
}

// ship ships a picked request. Requests carry the channel's SKUs (the engine does not expand
// bundles), so the warehouse, like a WMS with a set-product master, takes the components off
// the shelf.
func (w *world) ship(k string, lines []order.Line) {
	if _, err := w.wh.Ship(k, nil); err != nil {
		w.fail(err)
		return
	}
	for _, l := range lines {
		its := w.items[l.SKU]
		if len(its) == 1 && its[0].SKU == l.SKU && its[0].Quantity == 1 {
			continue
		}
		w.wh.SetOnHand(l.SKU, 0)
		for _, it := range its {
			w.wh.SetOnHand(it.SKU, w.wh.OnHand(it.SKU)-l.Open()*it.Quantity)
		}
	}
}

// expected is what a channel would show of a product if it knew every sale: the truth, less
// the channel's buffer.
func (w *world) expected(c int, sku string) int {
	best := math.MaxInt
	for _, it := range w.items[sku] {
		best = min(best, w.free[it.SKU]/it.Quantity)
	}
	switch w.strat {
	case Buffered:
		best -= w.rep.Buffers[w.names[c]]
	case BufferedPoll:
		best -= w.rep.PollBuffers[w.names[c]]
	}
	return max(best, 0)
}

// sample records stock staleness of hot products: how long each channel has shown more than it
// would if it knew every sale. Showing less (a restock not yet pushed, units a refused
// cancellation shipped anyway) loses sales but oversells nothing, so it is not counted.
func (w *world) sample() {
	now := w.now()
	for c, m := range w.mems {
		for _, p := range w.rep.Catalogue.Products {
			if !p.Hot {
				continue
			}
			shown, _ := m.Stock(p.SKU)
			if shown <= w.expected(c, p.SKU) {
				delete(w.since[c], p.SKU)
				w.stale[c] = append(w.stale[c], 0)
				continue
			}
			t, ok := w.since[c][p.SKU]
			if !ok {
				t = now
				w.since[c][p.SKU] = now
			}
			w.stale[c] = append(w.stale[c], now.Sub(t))
		}
		if now.Sub(w.start)%(5*time.Minute) == 0 {
			shown, _ := m.Stock(w.rep.Chart)
			w.res.Series[w.names[c]] = append(w.res.Series[w.names[c]], Point{now.Sub(w.start), shown})
		}
	}
	if now.Sub(w.start)%(5*time.Minute) == 0 {
		w.res.Truth = append(w.res.Truth, Point{now.Sub(w.start), max(0, w.free[w.rep.Chart])})
	}
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

// finish counts the figures once the warehouse has drained.
func (w *world) finish() {
	r := &w.res
	demand := map[string]int{}
	perChan := make([][]time.Duration, len(w.mems))
	var handling []time.Duration
	for c, m := range w.mems {
		for _, o := range m.Orders() {
			k := w.key(c, o.ID)
			at, reached := w.wh.arrived[k]
			if reached {
				r.Reached++
				d := at.Sub(w.placed[k])
				r.Latencies = append(r.Latencies, d)
				if h, ok := w.heard[k]; ok {
					handling = append(handling, at.Sub(h))
				}
				perChan[c] = append(perChan[c], d)
			}
			if o.Status == order.StatusCancelled {
				continue
			}
			if !reached {
				r.Lost++
			}
			for _, l := range o.Lines {
				for _, it := range w.items[l.SKU] {
					demand[it.SKU] += l.Open() * it.Quantity
				}
			}
		}
		r.ChannelP95[w.names[c]] = pct(perChan[c], 0.95)
		r.Staleness[w.names[c]] = pct(w.stale[c], 0.95)
		r.Calls += w.apis[c].count
		r.Throttled += w.apis[c].throttle
		span := w.rep.Config.Duration + drain
		lims := map[string]Limit{}
		for _, ls := range [][]Limit{w.apis[c].p.Orders, w.apis[c].p.Stock, w.apis[c].p.Ship} {
			for _, l := range ls {
				lims[l.Name] = l
			}
		}
		for _, name := range slices.Sorted(maps.Keys(lims)) {
			r.Usage = append(r.Usage, Usage{Channel: w.names[c], Limit: name, Used: w.apis[c].calls[name], Budget: lims[name].budget(span)})
		}
	}
	for sku, n := range demand {
		r.Oversold += max(0, n-w.supply[sku])
	}
	slices.Sort(r.Latencies)
	r.P50, r.P95 = pct(r.Latencies, 0.5), pct(r.Latencies, 0.95)
	r.HandlingP95 = pct(handling, 0.95)
	if len(r.Latencies) > 0 {
		r.Max = r.Latencies[len(r.Latencies)-1]
	}
	r.Cancels = len(w.cancels)
	for _, k := range w.cancels {
		if w.cancelReached(k) {
			r.CancelsReached++
		}
	}
}

// cancelReached reports whether a buyer's cancellation stopped the order at the warehouse:
// the request never arrived, or the warehouse cancelled it before shipping.
func (w *world) cancelReached(k string) bool {
	if _, ok := w.wh.arrived[k]; !ok {
		return true
	}
	req, ok := w.wh.Request(w.wh.keys[k])
	return ok && req.State == memory.Cancelled
}
