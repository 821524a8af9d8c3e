package console

import (
	"cmp"
	"slices"
	"sync"
	"time"

	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Flows whose last activity a Recorder keeps per channel or warehouse.
const (
	flowOrders = iota
	flowShipments
	flowStock
	nFlows
)

// Recorder is a tobirasync.Observer that keeps what the console shows from the engine's events:
// channels stopped for credentials or whose credentials expire soon, the last activity of each
// flow, held orders, refused changes and cancellations, and a window of recent events for the
// timeline of one order. The engine lists none of these itself, so the host creates a Recorder
// before the engine and puts it in tobirasync.Options.Observer (chained with its own observer,
// if any), then gives it to the console in Options.Recorder.
//
// A Recorder knows only what happened while it observed: after a restart it starts empty.
// It is safe for concurrent use.
type Recorder struct {
	clock tobirasync.Clock
	keep  int

	mu       sync.Mutex
	channels map[[2]string]*channelState
	holds    map[ledger.OrderKey]Held
	refusals []Refusal // ring of the last keep
	refusalN int       // refusals ever seen
	events   []Stamped // ring of the last keep
	eventN   int
}

// RecorderOptions configure a Recorder. The zero value works.
type RecorderOptions struct {
	// Clock stamps events; nil means the system clock. Give it the engine's clock.
	Clock tobirasync.Clock
	// Keep is how many recent events, and how many refusals, are kept; default 10,000.
	Keep int
}

// Stamped is an event with the time the Recorder saw it.
type Stamped struct {
	At    time.Time
	Event tobirasync.Event
}

// Held is an order the engine reported held (tobirasync.OrderHeld) and did not report sent,
// cancelled or shipped since.
type Held struct {
	Key    ledger.OrderKey
	Reason string
	At     time.Time
}

// Refusal is a change or cancellation a warehouse refused (tobirasync.ChangeRefused or
// tobirasync.CancelRefused).
type Refusal struct {
	At        time.Time
	Kind      string // "change" or "cancel"
	Key       ledger.OrderKey
	Warehouse string
	Reason    string
}

// ChannelState is what a Recorder knows of one channel or warehouse of a merchant.
type ChannelState struct {
	Merchant string
	Channel  string
	// Stopped is the reason the channel stopped for credentials (tobirasync.ChannelStopped), or ""
	// if it did not, or worked again since.
	Stopped   string
	StoppedAt time.Time
	// Expires is when its credential lapses, if the engine warned of it (CredentialExpiring).
	Expires time.Time
	// LastOrders, LastShipments and LastStock are the last time the flow did something
	// successful for the channel: an order sent, changed or cancelled at a warehouse, a shipment
	// confirmed to the channel, stock acknowledged. Zero means not seen.
	LastOrders, LastShipments, LastStock time.Time
}

type channelState struct {
	stopped   string
	stoppedAt time.Time
	expires   time.Time
	last      [nFlows]time.Time
}

// NewRecorder returns an empty Recorder.
func NewRecorder(opt RecorderOptions) *Recorder {
	if opt.Clock == nil {
		opt.Clock = tobirasync.SystemClock{}
	}
	if opt.Keep <= 0 {
		opt.Keep = 10000
	}
	return &Recorder{
		clock:    opt.Clock,
		keep:     opt.Keep,
		channels: make(map[[2]string]*channelState),
		holds:    make(map[ledger.OrderKey]Held),
	}
}

func (r *Recorder) state(merchant, channel string) *channelState {
	k := [2]string{merchant, channel}
	s := r.channels[k]
	if s == nil {
		s = &channelState{}
		r.channels[k] = s
	}
	return s
}

// worked records a success of flow on a channel or warehouse, which also shows it is no longer
// stopped.
func (r *Recorder) worked(merchant, channel string, flow int, at time.Time) {
	s := r.state(merchant, channel)
	s.stopped = ""
	if flow >= 0 {
		s.last[flow] = at
	}
}

// Observe implements tobirasync.Observer. It returns quickly and never calls the engine.
func (r *Recorder) Observe(ev tobirasync.Event) {
	at := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) < r.keep {
		r.events = append(r.events, Stamped{at, ev})
	} else {
		r.events[r.eventN%r.keep] = Stamped{at, ev}
	}
	r.eventN++
	switch ev := ev.(type) {
	case tobirasync.ChannelStopped:
		s := r.state(ev.Merchant, ev.Channel)
		s.stopped, s.stoppedAt = ev.Reason, at
		if s.stopped == "" {
			s.stopped = "credentials refused"
		}
	case tobirasync.CredentialExpiring:
		r.state(ev.Merchant, ev.Channel).expires = ev.ExpiresAt
	case tobirasync.OrderHeld:
		r.holds[ev.Key] = Held{Key: ev.Key, Reason: ev.Reason, At: at}
	case tobirasync.OrderSent:
		delete(r.holds, ev.Key)
		r.worked(ev.Key.Merchant, ev.Key.Channel, flowOrders, at)
		r.worked(ev.Key.Merchant, ev.Warehouse, flowOrders, at)
	case tobirasync.OrderChanged:
		delete(r.holds, ev.Key)
		r.worked(ev.Key.Merchant, ev.Key.Channel, flowOrders, at)
		r.worked(ev.Key.Merchant, ev.Warehouse, flowOrders, at)
	case tobirasync.OrderCancelled:
		delete(r.holds, ev.Key)
		r.worked(ev.Key.Merchant, ev.Key.Channel, flowOrders, at)
		r.worked(ev.Key.Merchant, ev.Warehouse, flowOrders, at)
	case tobirasync.OrderShipped:
		delete(r.holds, ev.Key)
	case tobirasync.ShipmentConfirmed:
		r.worked(ev.Key.Merchant, ev.Key.Channel, flowShipments, at)
	case tobirasync.StockPushed:
		r.worked(ev.Merchant, ev.Channel, flowStock, at)
	case tobirasync.ChangeRefused:
		r.refuse(Refusal{At: at, Kind: "change", Key: ev.Key, Warehouse: ev.Warehouse, Reason: ev.Reason})
	case tobirasync.CancelRefused:
		r.refuse(Refusal{At: at, Kind: "cancel", Key: ev.Key, Warehouse: ev.Warehouse, Reason: ev.Reason})
	}
}

func (r *Recorder) refuse(x Refusal) {
	if len(r.refusals) < r.keep {
		r.refusals = append(r.refusals, x)
	} else {
		r.refusals[r.refusalN%r.keep] = x
	}
	r.refusalN++
}

// Channels returns what the Recorder knows of each channel and warehouse of merchant ("" for
// all merchants), ordered by merchant and channel.
func (r *Recorder) Channels(merchant string) []ChannelState {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ChannelState
	for k, s := range r.channels {
		if merchant != "" && k[0] != merchant {
			continue
		}
		out = append(out, ChannelState{Merchant: k[0], Channel: k[1], Stopped: s.stopped, StoppedAt: s.stoppedAt,
			Expires: s.expires, LastOrders: s.last[flowOrders], LastShipments: s.last[flowShipments], LastStock: s.last[flowStock]})
	}
	slices.SortFunc(out, func(a, b ChannelState) int {
		return cmp.Or(cmp.Compare(a.Merchant, b.Merchant), cmp.Compare(a.Channel, b.Channel))
	})
	return out
}

// Holds returns the orders reported held and not reported sent, cancelled or shipped since, of
// merchant ("" for all), oldest first. An order released and not yet delivered is still listed.
func (r *Recorder) Holds(merchant string) []Held {
	r.mu.Lock()
	out := make([]Held, 0, len(r.holds))
	for _, h := range r.holds {
		if merchant == "" || h.Key.Merchant == merchant {
			out = append(out, h)
		}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Held) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Key.Merchant, b.Key.Merchant),
			cmp.Compare(a.Key.Channel, b.Key.Channel), cmp.Compare(a.Key.OrderID, b.Key.OrderID))
	})
	return out
}

// holdCounts counts the holds of each merchant.
func (r *Recorder) holdCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := make(map[string]int)
	for k := range r.holds {
		n[k.Merchant]++
	}
	return n
}

// Refusals returns the refused changes and cancellations kept of merchant ("" for all), newest
// first.
func (r *Recorder) Refusals(merchant string) []Refusal {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Refusal, 0, len(r.refusals))
	for i := r.refusalN - 1; i >= 0 && i >= r.refusalN-len(r.refusals); i-- {
		x := r.refusals[i%r.keep]
		if merchant == "" || x.Key.Merchant == merchant {
			out = append(out, x)
		}
	}
	return out
}

// Events returns the kept events about one order, oldest first.
func (r *Recorder) Events(k ledger.OrderKey) []Stamped {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Stamped
	start := max(0, r.eventN-len(r.events))
	for i := start; i < r.eventN; i++ {
		s := r.events[i%r.keep]
		if eventKey(s.Event) == k {
			out = append(out, s)
		}
	}
	return out
}

// eventKey returns the order an event is about, or the zero key.
func eventKey(ev tobirasync.Event) ledger.OrderKey {
	switch ev := ev.(type) {
	case tobirasync.OrderHeld:
		return ev.Key
	case tobirasync.OrderSent:
		return ev.Key
	case tobirasync.OrderChanged:
		return ev.Key
	case tobirasync.OrderCancelled:
		return ev.Key
	case tobirasync.OrderShipped:
		return ev.Key
	case tobirasync.ShipmentConfirmed:
		return ev.Key
	case tobirasync.ChangeRefused:
		return ev.Key
	case tobirasync.CancelRefused:
		return ev.Key
	case tobirasync.LinesRoutedAway:
		return ev.Key
	case tobirasync.ItemQuarantined:
		if ev.Item.Kind == "order" {
			return ledger.OrderKey{Merchant: ev.Item.Merchant, Channel: ev.Item.Source, OrderID: ev.Item.ItemID}
		}
	}
	return ledger.OrderKey{}
}
