// The Engine, its Options, and the merchants it serves: installing, pausing and removing them,
// and the leases that let one process or replica run a partition at a time.

package sync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Options configure an Engine. The zero value works: system clock, no logging, no observer,
// no telemetry, and the defaults below.
type Options struct {
	Clock    Clock
	Logger   *slog.Logger
	Observer Observer
	// Telemetry receives each flow run, and each platform call of the run when it implements
	// connector.CallObserver, for metrics and traces (the module sync/otel maps them to
	// OpenTelemetry); nil reports nothing.
	Telemetry Telemetry

	// Owner names this replica in leases; empty means a random name.
	Owner string
	// LeaseTTL is how long a replica owns a partition (merchant, channel or warehouse, flow)
	// without renewing; default 1 minute. A replica that dies loses its partitions after it.
	LeaseTTL time.Duration

	// Settle: the cursor trails now by Settle, so every run lists the last Settle again and an
	// order a platform indexes a little late is not skipped. Orders are delivered on the first
	// run that sees them, however young; default 30 s.
	Settle time.Duration
	// Overlap: each window starts Overlap before the previous one ended; the ledger removes the
	// duplicates; default 5 minutes.
	Overlap time.Duration
	// SweepEvery and SweepSpan: every SweepEvery, the orders of the last SweepSpan are listed
	// again, catching anything a platform indexed later than Overlap; defaults 1 hour and 24 hours.
	SweepEvery, SweepSpan time.Duration
	// Lookback is how far back the first window of a new channel starts; default 7 days.
	Lookback time.Duration
	// PageLimit is the page size asked of sources, and the batch of pending work per run;
	// default 100.
	PageLimit int
	// MaxWindow bounds one window's length so a long catch-up advances in steps; default 24 hours.
	MaxWindow time.Duration

	// Parallel runs independent work at once and returns when all of it has returned: stock
	// goes to every channel at the same time, so one channel waiting out its rate limit does not
	// leave the others showing sold units. Nil runs each function on its own goroutine. A host
	// that drives the engine in virtual time supplies one its scheduler knows of; one that runs
	// the functions in turn makes every call happen in a fixed order.
	Parallel func(fns ...func())

	// OrdersEvery, ShipmentsEvery and StockEvery are Run's intervals; defaults 1 minute,
	// 1 minute and 5 minutes.
	OrdersEvery, ShipmentsEvery, StockEvery time.Duration

	// CredentialWarning is how long before a connector's credential lapses the host is told
	// (CredentialExpiring); default 7 days.
	CredentialWarning time.Duration
}

func (o *Options) setDefaults() {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Owner = "engine-" + hex.EncodeToString(b[:])
	}
	if o.Parallel == nil {
		o.Parallel = goParallel
	}
	orDefault(&o.LeaseTTL, time.Minute)
	orDefault(&o.CredentialWarning, 7*24*time.Hour)
	orDefault(&o.Settle, 30*time.Second)
	orDefault(&o.Overlap, 5*time.Minute)
	orDefault(&o.SweepEvery, time.Hour)
	orDefault(&o.SweepSpan, 24*time.Hour)
	orDefault(&o.Lookback, 7*24*time.Hour)
	orDefault(&o.MaxWindow, 24*time.Hour)
	orDefault(&o.OrdersEvery, time.Minute)
	orDefault(&o.ShipmentsEvery, time.Minute)
	orDefault(&o.StockEvery, 5*time.Minute)
	if o.PageLimit <= 0 {
		o.PageLimit = 100
	}
}

// Errors the engine returns.
var (
	// ErrUnknownMerchant: no merchant, channel or warehouse with that ID is configured.
	ErrUnknownMerchant = errors.New("tobira/sync: unknown merchant, channel or warehouse")
	// ErrStopped: the channel or warehouse refused its credentials and is stopped until the host
	// renews them with PutMerchant.
	ErrStopped = errors.New("tobira/sync: stopped until credentials are renewed")
	// ErrPaused: the host paused the channel.
	ErrPaused = errors.New("tobira/sync: paused")
	// ErrBusy: another replica holds the partition's lease; the run was skipped.
	ErrBusy = errors.New("tobira/sync: partition leased by another replica")
	// ErrQuarantined: the order is quarantined (IngestOrderStrict); the host retries it (Retry)
	// or the channel sends a new version of it.
	ErrQuarantined = errors.New("tobira/sync: quarantined")
)

// Engine runs the three flows for every merchant it is given. It is safe for concurrent use;
// each (merchant, channel or warehouse, flow) partition runs one at a time, in this process
// (single-flight) and across replicas (a lease in the Store).
type Engine struct {
	store ledger.Store
	opt   Options

	mu        sync.RWMutex
	merchants map[string]*merchant
	flights   map[string]chan struct{}
	// held maps each partition whose lease this engine holds to when it last took or renewed
	// it, so that renew writes to the Store only once part of the lease has run out.
	held sync.Map

	shut     closer
	inflight sync.WaitGroup
}

// merchant is the engine's runtime view of one Merchant. Its configuration is never modified
// once installed: a change (PutMerchant, PauseChannel) installs a new merchant, while flows that
// started before finish with the one they have. What must outlive a change, because flows on
// the old and the new view use it at once, is in stockState, which both share.
type merchant struct {
	cfg        Merchant
	channels   map[string]*Channel
	warehouses map[string]*Warehouse
	// stopped holds the reason each channel or warehouse stopped, until PutMerchant renews it;
	// warned the credential expiry last reported for each (CredentialExpiring).
	stopped, warned *sync.Map
	*stockState
}

// stockState is a merchant's stock pool, its pushes and their locks, shared by every view of the
// merchant from PutMerchant to RemoveMerchant.
type stockState struct {
	// pushing holds the push queue of each channel, which serializes its stock pushes.
	pushing sync.Map

	// stock guards the fields below: one merchant's stock is computed by one goroutine at a time.
	stock sync.Mutex
	// channels is the latest configuration's channels, whose stock policies the pool applies.
	channels []Channel
	pool     *inventory.Pool
	acked    map[string]map[string]ledger.StockAck
	// The pool notes with each order's reservation the digest of it the Store holds
	// (Pool.AppendReserveNote), so that unchanged ones are not written again.
	loaded  bool
	scratch resScratch
	// writing counts, per reservation key, the writes under way without the lock
	// (writeReserving); written is signalled when one ends. See awaitKeys.
	writing map[string]int
	written sync.Cond
}

// New returns an engine over store.
func New(store ledger.Store, opt Options) *Engine {
	opt.setDefaults()
	e := &Engine{store: store, opt: opt, merchants: map[string]*merchant{}, flights: map[string]chan struct{}{}}
	e.shut.closed = make(chan struct{})
	e.shut.abandon, e.shut.cancel = context.WithCancel(context.Background())
	return e
}

// PutMerchant adds a merchant or replaces its configuration while the engine runs. Cursors,
// ledgers and stock are kept: they live in the Store under the merchant's and channels' IDs.
// Replacing a merchant also clears stopped channels, which is how a host renews credentials.
func (e *Engine) PutMerchant(m Merchant) error {
	if err := m.Validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.install(m, &sync.Map{}, &sync.Map{})
	return nil
}

// install makes m the merchant's configuration, with stopped as its stopped channels and warned
// as the credential expiries reported. Callers hold e.mu. The stock state carries over, and the
// pool applies the new channels' policies.
func (e *Engine) install(m Merchant, stopped, warned *sync.Map) {
	// The engine keeps its own copies, never modified: the host may reuse its slices.
	m.Channels, m.Warehouses = slices.Clone(m.Channels), slices.Clone(m.Warehouses)
	rt := &merchant{cfg: m, channels: map[string]*Channel{}, warehouses: map[string]*Warehouse{}, stopped: stopped, warned: warned}
	for i := range m.Channels {
		rt.channels[m.Channels[i].ID] = &m.Channels[i]
	}
	for i := range m.Warehouses {
		rt.warehouses[m.Warehouses[i].ID] = &m.Warehouses[i]
	}
	if old := e.merchants[m.ID]; old != nil {
		rt.stockState = old.stockState
	} else {
		rt.stockState = &stockState{}
	}
	rt.stock.Lock()
	rt.stockState.channels = m.Channels
	if rt.pool != nil {
		rt.configurePool()
	}
	rt.stock.Unlock()
	e.merchants[m.ID] = rt
}

// RemoveMerchant stops serving a merchant. Its records stay in the Store; putting it back resumes
// where it was. Flows of the merchant already running are not interrupted: they finish with the
// configuration they started with.
func (e *Engine) RemoveMerchant(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.merchants, id)
}

// PauseChannel pauses or resumes every flow of one channel.
func (e *Engine) PauseChannel(merchantID, channel string, paused bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.merchants[merchantID]
	if m == nil || m.channels[channel] == nil {
		return fmt.Errorf("%w: %s/%s", ErrUnknownMerchant, merchantID, channel)
	}
	// A new configuration, as PutMerchant makes, that keeps the channels stopped.
	cfg := m.cfg
	cfg.Channels = slices.Clone(cfg.Channels)
	for i := range cfg.Channels {
		if cfg.Channels[i].ID == channel {
			cfg.Channels[i].Paused = paused
		}
	}
	e.install(cfg, m.stopped, m.warned)
	return nil
}

// Merchants returns the IDs of the merchants configured.
func (e *Engine) Merchants() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]string, 0, len(e.merchants))
	for id := range e.merchants {
		out = append(out, id)
	}
	return out
}

func (e *Engine) merchant(id string) (*merchant, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	m := e.merchants[id]
	if m == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownMerchant, id)
	}
	return m, nil
}

func (e *Engine) channel(merchantID, channel string) (*merchant, *Channel, error) {
	m, err := e.merchant(merchantID)
	if err != nil {
		return nil, nil, err
	}
	e.mu.RLock()
	c := m.channels[channel]
	paused := c != nil && c.Paused
	e.mu.RUnlock()
	if c == nil {
		return nil, nil, fmt.Errorf("%w: channel %s/%s", ErrUnknownMerchant, merchantID, channel)
	}
	if paused {
		return nil, nil, fmt.Errorf("%w: channel %s/%s", ErrPaused, merchantID, channel)
	}
	if err := m.stoppedErr(channel); err != nil {
		return nil, nil, err
	}
	e.checkCredential(m, channel, c.Source, c.Sink, c.Target)
	return m, c, nil
}

// acquire runs the partition single-flight in this process and leased across replicas. The
// returned function releases both.
func (e *Engine) acquire(ctx context.Context, partition string) (func(), error) {
	e.mu.Lock()
	ch := e.flights[partition]
	if ch == nil {
		ch = make(chan struct{}, 1)
		e.flights[partition] = ch
	}
	e.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	now := e.opt.Clock.Now()
	ok, err := e.store.AcquireLease(ctx, partition, e.opt.Owner, now, e.opt.LeaseTTL)
	if err != nil || !ok {
		<-ch
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrBusy, partition)
		}
		return nil, err
	}
	e.held.Store(partition, now)
	return func() {
		e.held.Delete(partition)
		// Released with a fresh context: the caller's may be cancelled, and a lease left behind
		// would idle the partition for LeaseTTL.
		_ = e.store.ReleaseLease(context.WithoutCancel(ctx), partition, e.opt.Owner)
		<-ch
	}, nil
}

// renewAfter is the part of LeaseTTL that passes before renew extends a lease again. Until then
// the lease cannot have expired, so no replica can have taken it, and a run of many short pages
// costs one lease write rather than one a page; the rest of the TTL absorbs clock skew between
// replicas.
const renewAfter = 4 // LeaseTTL / renewAfter

// renew extends a lease during a long run; false means another replica took it over.
func (e *Engine) renew(ctx context.Context, partition string) error {
	now := e.opt.Clock.Now()
	if v, ok := e.held.Load(partition); ok {
		if at := v.(time.Time); !now.Before(at) && now.Sub(at) < e.opt.LeaseTTL/renewAfter {
			return nil
		}
	}
	ok, err := e.store.AcquireLease(ctx, partition, e.opt.Owner, now, e.opt.LeaseTTL)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s (lost)", ErrBusy, partition)
	}
	if err == nil {
		e.held.Store(partition, now)
	}
	return err
}

// emit delivers an event to the observer, if any. It is generic so that the event becomes an
// Event (an allocation) only when someone observes it.
func emit[E Event](e *Engine, ev E) {
	if e.opt.Observer != nil {
		e.opt.Observer.Observe(ev)
	}
}

// key derives an idempotency key from its parts. Keys are stable across processes and
// restarts: the same request always carries the same key, a different one never does.
func key(parts ...string) string {
	// Built in a stack buffer and hashed at once: the one allocation is the key itself. The bytes
	// hashed must never change, or every stored request would get a new key.
	var buf [256]byte
	b := buf[:0]
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	var out [len("tb1-") + 30]byte
	copy(out[:], "tb1-")
	hex.Encode(out[len("tb1-"):], sum[:15])
	return string(out[:])
}

// RequestKey is the idempotency key of the fulfillment request of one order at one warehouse.
// Hosts whose warehouses report shipments by request can use it to find the order. An order whose
// request a warehouse cancelled and which later wants lines there again (the channel restored it,
// or moved lines back) gets a new request under another key; the keys are listed in the order's
// record (OrderRecord.Requests).
func RequestKey(k ledger.OrderKey, warehouse string) string {
	return key("request", k.Merchant, k.Channel, k.OrderID, warehouse)
}

// activeRequest returns the index of the order's request at warehouse d that is not cancelled,
// or -1.
func activeRequest(rec *ledger.OrderRecord, d string) int {
	for i := len(rec.Requests) - 1; i >= 0; i-- {
		if r := rec.Requests[i]; r.Target == d && r.State != ledger.RequestCancelled {
			return i
		}
	}
	return -1
}

// nextRequestKey is the key of a new request of the order at warehouse d: RequestKey for the
// first, then one per generation, so a request the warehouse cancelled is never reused.
func nextRequestKey(rec *ledger.OrderRecord, d string) string {
	gen := 0
	for _, r := range rec.Requests {
		if r.Target == d {
			gen++
		}
	}
	if gen == 0 {
		return RequestKey(rec.Key, d)
	}
	return key("request", rec.Key.Merchant, rec.Key.Channel, rec.Key.OrderID, d, strconv.Itoa(gen))
}

// orDefault sets *d to v when *d is not positive.
func orDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// goParallel is the default Options.Parallel.
func goParallel(fns ...func()) {
	if len(fns) == 1 {
		fns[0]() // no goroutine for the usual single push
		return
	}
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	wg.Wait()
}
