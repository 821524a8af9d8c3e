package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/inventory"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// Options configure the console. The zero value works, with what the engine alone can tell.
type Options struct {
	// Recorder is the Recorder the host put in the engine's Options.Observer. Without one, the
	// console shows no channel states, holds, refusals or timelines.
	Recorder *Recorder
	// Merchant returns a merchant's configuration, as the host gave it to the engine, so that the
	// overview lists every channel and warehouse (also those no event named yet) and which are
	// paused. Nil lists the channels the Recorder saw.
	Merchant func(id string) (tobirasync.Merchant, bool)
	// PageSize is how many rows a list shows per page; default 50.
	PageSize int
	// CrossOrigin refuses cross-origin state changes; nil means http.NewCrossOriginProtection(),
	// which refuses every cross-origin POST. Give one with trusted origins added to allow more.
	CrossOrigin *http.CrossOriginProtection
	// Timeout bounds the engine calls of one request; default 10 s.
	Timeout time.Duration
	// UnconfirmedAfter is how long a shipment may wait for its channel's confirmation before the
	// attention page lists it; default 1 hour.
	UnconfirmedAfter time.Duration
}

// handler serves the console.
type handler struct {
	e   *tobirasync.Engine
	opt Options
	rec *Recorder

	// act guards calls, so that two clicks of one button run it once.
	act   sync.Mutex
	calls map[string]*call // action key → the action, run or under way
	fifo  []string         // calls' keys, oldest first, to bound it
}

// doneKeep bounds the actions remembered.
const doneKeep = 10000

// New returns the console of engine: an http.Handler serving HTML pages (overview, attention,
// one order, one SKU) and their actions (retry a quarantined item, release a held order).
//
// The console has no authentication of its own: the host mounts it behind its own, under a
// path of its choosing, and strips that path, for example
//
//	mux.Handle("/ops/tobira/", auth(http.StripPrefix("/ops/tobira", console.New(engine, opt))))
//
// Every link is relative, so any prefix works as long as the mount path ends in "/". Anyone who
// reaches the handler can retry and release: mount it only where operators authenticate.
//
// Pages are GET and change nothing. Actions are POST forms reached from a confirmation page;
// the handler refuses cross-origin POSTs (Options.CrossOrigin), and each action names the
// version of what it acts on, so a form submitted twice acts once and the second answer says
// it was done.
func New(engine *tobirasync.Engine, opt Options) http.Handler {
	if opt.PageSize <= 0 {
		opt.PageSize = 50
	}
	if opt.UnconfirmedAfter <= 0 {
		opt.UnconfirmedAfter = time.Hour
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	if opt.Recorder == nil {
		opt.Recorder = NewRecorder(RecorderOptions{Keep: 1})
	}
	cop := opt.CrossOrigin
	if cop == nil {
		cop = http.NewCrossOriginProtection()
	}
	h := &handler{e: engine, opt: opt, rec: opt.Recorder, calls: make(map[string]*call)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.overview)
	mux.HandleFunc("GET /attention", h.attention)
	mux.HandleFunc("GET /order", h.order)
	mux.HandleFunc("GET /sku", h.sku)
	mux.HandleFunc("GET /drift", h.drift)
	mux.HandleFunc("GET /retry", h.confirmRetry)
	mux.HandleFunc("POST /retry", h.retry)
	mux.HandleFunc("GET /release", h.confirmRelease)
	mux.HandleFunc("POST /release", h.release)
	return cop.Handler(mux)
}

func (h *handler) ctx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), h.opt.Timeout)
}

// pager is one page of a list.
type pager struct {
	Page, Pages, Total int
	Prev, Next         string // links, "" when none
}

// paginate returns the bounds of the page named by param in r, and links to its neighbours.
func paginate(r *http.Request, param string, total, size int) (lo, hi int, p pager) {
	p.Total = total
	p.Pages = max(1, (total+size-1)/size)
	p.Page, _ = strconv.Atoi(r.URL.Query().Get(param))
	p.Page = min(max(p.Page, 1), p.Pages)
	link := func(n int) string {
		q := r.URL.Query()
		q.Set(param, strconv.Itoa(n))
		return "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	lo = (p.Page - 1) * size
	return lo, min(lo+size, total), p
}

// channelRow is one channel or warehouse on the overview.
type channelRow struct {
	ChannelState
	Kind   string // "channel", "warehouse" or "" when only events named it
	Paused bool
	// Usage is what its connectors spent on their platform, per credential (Engine.Usage).
	Usage []usageView
}

// State is the row's state in words.
func (c channelRow) State() string {
	switch {
	case c.Stopped != "":
		return "stopped"
	case c.Paused:
		return "paused"
	}
	return "running"
}

type merchantRow struct {
	ID                string
	Channels          []channelRow
	Quarantined, Held int
	// Unsent counts the orders waiting for a warehouse (new, changed or cancelled) and Lag is how
	// long the oldest has waited: a merchant whose orders stop reaching the warehouse shows here.
	Unsent int
	Lag    time.Duration
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	ids := h.e.Merchants()
	if q != "" {
		ids = slices.DeleteFunc(ids, func(id string) bool { return !strings.Contains(id, q) })
	}
	slices.Sort(ids)
	lo, hi, p := paginate(r, "page", len(ids), h.opt.PageSize)
	ids = ids[lo:hi]
	// What waits for an operator, per merchant: one listing for the page.
	var only string
	if len(ids) == 1 {
		only = ids[0]
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	items, err := h.e.ListQuarantine(ctx, only)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	quarantined := make(map[string]int)
	for _, q := range items {
		quarantined[q.Merchant]++
	}
	held := h.rec.holdCounts()
	rows := make([]merchantRow, 0, len(ids))
	for _, id := range ids {
		row := merchantRow{ID: id, Channels: h.withUsage(id, h.channels(id)), Quarantined: quarantined[id], Held: held[id]}
		if u, err := h.e.UnsentOrders(ctx, id, maxUnsent); err == nil {
			row.Unsent, row.Lag = len(u.Orders), u.Oldest
		}
		rows = append(rows, row)
	}
	h.render(w, "overview", map[string]any{"Title": "Overview", "Q": q, "Merchants": rows, "Pager": p})
}

// channels merges a merchant's configuration with what the Recorder saw.
func (h *handler) channels(merchant string) []channelRow {
	seen := h.rec.Channels(merchant)
	var rows []channelRow
	byID := make(map[string]int)
	if h.opt.Merchant != nil {
		if m, ok := h.opt.Merchant(merchant); ok {
			for _, c := range m.Channels {
				byID[c.ID] = len(rows)
				rows = append(rows, channelRow{ChannelState: ChannelState{Merchant: merchant, Channel: c.ID}, Kind: "channel", Paused: c.Paused})
			}
			for _, wh := range m.Warehouses {
				byID[wh.ID] = len(rows)
				rows = append(rows, channelRow{ChannelState: ChannelState{Merchant: merchant, Channel: wh.ID}, Kind: "warehouse"})
			}
		}
	}
	for _, s := range seen {
		if i, ok := byID[s.Channel]; ok {
			rows[i].ChannelState = s
			continue
		}
		rows = append(rows, channelRow{ChannelState: s})
	}
	return rows
}

// withUsage adds to a merchant's rows what each channel and warehouse spent on its platform
// (Engine.Usage), with a row for any the console did not list yet.
func (h *handler) withUsage(merchant string, rows []channelRow) []channelRow {
	usage, err := h.e.Usage(merchant)
	if err != nil {
		return rows // the merchant went away since it was listed
	}
	for _, cu := range usage {
		i := slices.IndexFunc(rows, func(r channelRow) bool { return r.Channel == cu.Channel })
		if i < 0 {
			kind := "channel"
			if cu.Warehouse {
				kind = "warehouse"
			}
			rows = append(rows, channelRow{ChannelState: ChannelState{Merchant: merchant, Channel: cu.Channel}, Kind: kind})
			i = len(rows) - 1
		}
		rows[i].Usage = usageViews(cu)
	}
	return rows
}

// knownChannels returns the IDs of a merchant's channels (not warehouses) the console knows.
func (h *handler) knownChannels(merchant string) []string {
	var out []string
	for _, c := range h.channels(merchant) {
		if c.Kind != "warehouse" {
			out = append(out, c.Channel)
		}
	}
	return out
}

// heldRow is one held order on the attention page, as the ledger has it now.
type heldRow struct {
	Held
	State   ledger.OrderState
	Manual  bool
	Current string // the ledger's hold reason now
}

func (h *handler) attention(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	merchant := strings.TrimSpace(r.URL.Query().Get("merchant"))
	data := map[string]any{"Title": "Attention", "Merchant": merchant}

	items, err := h.e.ListQuarantine(ctx, merchant)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	lo, hi, p := paginate(r, "qp", len(items), h.opt.PageSize)
	data["Quarantine"], data["QPager"] = items[lo:hi], p

	holds, err := h.heldOrders(ctx, merchant)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	lo, hi, p = paginate(r, "hp", len(holds), h.opt.PageSize)
	rows := make([]heldRow, 0, hi-lo)
	for _, x := range holds[lo:hi] {
		row := heldRow{Held: x}
		if rec, err := h.e.Order(ctx, x.Key); err == nil {
			row.State, row.Manual, row.Current = rec.State, rec.ManualHold, rec.HoldReason
		}
		rows = append(rows, row)
	}
	data["Held"], data["HPager"] = rows, p

	unconfirmed, err := h.unconfirmed(ctx, merchant)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	lo, hi, p = paginate(r, "up", len(unconfirmed), h.opt.PageSize)
	data["Unconfirmed"], data["UPager"], data["UnconfirmedAfter"] = unconfirmed[lo:hi], p, h.opt.UnconfirmedAfter

	refusals := h.rec.Refusals(merchant)
	lo, hi, p = paginate(r, "rp", len(refusals), h.opt.PageSize)
	data["Refusals"], data["RPager"] = refusals[lo:hi], p
	h.render(w, "attention", data)
}

// maxHeld bounds how many held orders the attention page reads from the ledger.
const maxHeld = 10_000

// heldOrders lists the held orders of merchant ("" for every merchant) from the ledger, so that
// holds made before this process started show too. With a store that cannot list by state it
// falls back to the holds the recorder saw reported.
func (h *handler) heldOrders(ctx context.Context, merchant string) ([]Held, error) {
	merchants := []string{merchant}
	if merchant == "" {
		merchants = h.e.Merchants()
	}
	var out []Held
	for _, m := range merchants {
		var after ledger.OrderKey
		for len(out) < maxHeld {
			recs, err := h.e.HeldOrders(ctx, m, after, 500)
			if errors.Is(err, errors.ErrUnsupported) {
				return h.rec.Holds(merchant), nil
			}
			if err != nil {
				return nil, err
			}
			for _, rec := range recs {
				reason := rec.HoldReason
				if rec.ManualHold && rec.ManualReason != "" {
					reason = rec.ManualReason
				}
				out = append(out, Held{Key: rec.Key, Reason: reason, At: rec.UpdatedAt})
			}
			if len(recs) < 500 {
				break
			}
			after = recs[len(recs)-1].Key
		}
	}
	return out, nil
}

// maxUnsent bounds how many unsent orders the overview counts per merchant.
const maxUnsent = 100

// maxUnconfirmed bounds how many unconfirmed shipments the attention page reads per merchant.
const maxUnconfirmed = 1000

// unconfirmed lists the shipments of merchant ("" for every merchant) waiting for their channel
// longer than Options.UnconfirmedAfter.
func (h *handler) unconfirmed(ctx context.Context, merchant string) ([]*ledger.ShipmentRecord, error) {
	merchants := []string{merchant}
	if merchant == "" {
		merchants = h.e.Merchants()
	}
	var out []*ledger.ShipmentRecord
	for _, m := range merchants {
		recs, err := h.e.UnconfirmedShipments(ctx, m, h.opt.UnconfirmedAfter, maxUnconfirmed)
		if errors.Is(err, tobirasync.ErrUnknownMerchant) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// driftRow is what Reconcile found on one channel.
type driftRow struct {
	Channel string
	Drift   []tobirasync.Drift
	Err     string
}

// drift reads each channel's stock back (Engine.Reconcile, without repairing) and lists every SKU
// it shows otherwise than planned. It reads the platforms, so it runs only when asked.
func (h *handler) drift(w http.ResponseWriter, r *http.Request) {
	merchant := strings.TrimSpace(r.URL.Query().Get("merchant"))
	data := map[string]any{"Title": "Drift", "Merchant": merchant}
	if merchant == "" {
		h.render(w, "drift", data)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	var rows []driftRow
	for _, c := range h.knownChannels(merchant) {
		d, err := h.e.Reconcile(ctx, merchant, c, false)
		row := driftRow{Channel: c, Drift: d}
		if err != nil {
			row.Err = err.Error()
		}
		rows = append(rows, row)
	}
	data["Rows"] = rows
	h.render(w, "drift", data)
}

// keyOf reads an order key from a request's query or form.
func keyOf(r *http.Request) ledger.OrderKey {
	return ledger.OrderKey{
		Merchant: strings.TrimSpace(r.FormValue("merchant")),
		Channel:  strings.TrimSpace(r.FormValue("channel")),
		OrderID:  strings.TrimSpace(r.FormValue("order")),
	}
}

func (h *handler) order(w http.ResponseWriter, r *http.Request) {
	k := keyOf(r)
	number := strings.TrimSpace(r.FormValue("number"))
	data := map[string]any{"Title": "Order", "Key": k, "Number": number}
	if k.Merchant == "" || k.Channel == "" || (k.OrderID == "" && number == "") {
		h.render(w, "order", data)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	if k.OrderID == "" {
		// Found by the number people see: one match is shown, several are listed.
		recs, err := h.e.OrdersByNumber(ctx, k.Merchant, k.Channel, number, h.opt.PageSize)
		if err != nil {
			h.fail(w, http.StatusInternalServerError, err)
			return
		}
		if len(recs) != 1 {
			data["Matches"], data["Missing"] = recs, len(recs) == 0
			code := http.StatusOK
			if len(recs) == 0 {
				code = http.StatusNotFound
			}
			h.renderCode(w, code, "order", data)
			return
		}
		k = recs[0].Key
		data["Key"] = k
	}
	rec, err := h.e.Order(ctx, k)
	code := http.StatusOK
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		code = http.StatusNotFound
		data["Missing"] = true
	case err != nil:
		h.fail(w, http.StatusInternalServerError, err)
		return
	default:
		data["Record"] = rec
		data["Shipped"] = rec.Shipped()
	}
	data["Events"] = h.rec.Events(k)
	h.renderCode(w, code, "order", data)
}

// skuRow is one channel's explanation of a SKU.
type skuRow struct {
	Channel     string
	Explanation inventory.Explanation
	Err         string
}

func (h *handler) sku(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	merchant, channel, sku := strings.TrimSpace(q.Get("merchant")), strings.TrimSpace(q.Get("channel")), strings.TrimSpace(q.Get("sku"))
	data := map[string]any{"Title": "SKU", "Merchant": merchant, "Channel": channel, "SKU": sku}
	if merchant == "" || sku == "" {
		h.render(w, "sku", data)
		return
	}
	ctx, cancel := h.ctx(r)
	defer cancel()
	channels := []string{channel}
	if channel == "" {
		channels = h.knownChannels(merchant)
	}
	var rows []skuRow
	for _, c := range channels {
		x, err := h.e.Explain(ctx, merchant, c, sku)
		row := skuRow{Channel: c, Explanation: x}
		if err != nil {
			row.Err = err.Error()
		}
		rows = append(rows, row)
	}
	data["Rows"] = rows
	h.render(w, "sku", data)
}

// findQuarantined returns the item id of merchant quarantined at at, if it still is.
func (h *handler) findQuarantined(ctx context.Context, merchant, id string, at time.Time) (*ledger.QuarantineEntry, error) {
	items, err := h.e.ListQuarantine(ctx, merchant)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if items[i].ID == id && (at.IsZero() || items[i].At.Equal(at)) {
			return &items[i], nil
		}
	}
	return nil, nil
}

func (h *handler) confirmRetry(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	merchant, id := r.FormValue("merchant"), r.FormValue("id")
	q, err := h.findQuarantined(ctx, merchant, id, time.Time{})
	if err != nil {
		h.fail(w, http.StatusInternalServerError, err)
		return
	}
	if q == nil {
		h.renderCode(w, http.StatusNotFound, "result", map[string]any{"Title": "Retry", "Message": "Nothing to retry: the item is no longer quarantined."})
		return
	}
	h.render(w, "confirm", map[string]any{
		"Title":    "Retry",
		"Question": fmt.Sprintf("Retry %s %s of %s from %s? Quarantined: %s", q.Kind, q.ItemID, q.Merchant, q.Source, q.Reason),
		"Action":   "retry",
		"Fields":   map[string]string{"merchant": q.Merchant, "id": q.ID, "at": q.At.Format(time.RFC3339Nano)},
	})
}

func (h *handler) retry(w http.ResponseWriter, r *http.Request) {
	merchant, id := r.FormValue("merchant"), r.FormValue("id")
	at, err := time.Parse(time.RFC3339Nano, r.FormValue("at"))
	if id == "" || err != nil {
		h.fail(w, http.StatusBadRequest, errors.New("retry needs the item's id and the time it was quarantined"))
		return
	}
	h.once(w, r, "retry\x00"+id+"\x00"+at.Format(time.RFC3339Nano), "Retry", func(ctx context.Context) (string, error) {
		q, err := h.findQuarantined(ctx, merchant, id, at)
		if err != nil || q == nil {
			return "Nothing to retry: the item is no longer quarantined as it was (already retried, or changed).", err
		}
		if err := h.e.Retry(ctx, id); err != nil {
			return "", err
		}
		return fmt.Sprintf("Retried %s %s. If it fails again it returns to the attention page with its reason.", q.Kind, q.ItemID), nil
	})
}

func (h *handler) confirmRelease(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	k := keyOf(r)
	rec, err := h.e.Order(ctx, k)
	if err != nil {
		h.fail(w, http.StatusNotFound, err)
		return
	}
	if !rec.ManualHold {
		h.renderCode(w, http.StatusConflict, "result", map[string]any{"Title": "Release", "Message": "Nothing to release: the order has no hold placed by hand (" + string(rec.State) + ")."})
		return
	}
	h.render(w, "confirm", map[string]any{
		"Title":    "Release",
		"Question": fmt.Sprintf("Release order %s of %s on %s, held by hand (%s)? It is sent at the channel's next run.", k.OrderID, k.Merchant, k.Channel, rec.ManualReason),
		"Action":   "release",
		"Fields":   map[string]string{"merchant": k.Merchant, "channel": k.Channel, "order": k.OrderID, "version": strconv.FormatInt(rec.Version, 10)},
	})
}

func (h *handler) release(w http.ResponseWriter, r *http.Request) {
	k := keyOf(r)
	version, err := strconv.ParseInt(r.FormValue("version"), 10, 64)
	if k.OrderID == "" || err != nil {
		h.fail(w, http.StatusBadRequest, errors.New("release needs the order's key and record version"))
		return
	}
	h.once(w, r, "release\x00"+k.String()+"\x00"+strconv.FormatInt(version, 10), "Release", func(ctx context.Context) (string, error) {
		rec, err := h.e.Order(ctx, k)
		if err != nil {
			return "", err
		}
		if rec.Version != version || !rec.ManualHold {
			return "Nothing to release: the order changed since the page was shown (already released?). Reload it to see where it stands.", nil
		}
		if err := h.e.Release(ctx, k); err != nil {
			return "", err
		}
		return "Released order " + k.OrderID + "; it is sent at the next run of " + k.Channel + ".", nil
	})
}

// call is one action, run or under way.
type call struct {
	done chan struct{} // closed when the action returned
	msg  string
	err  error
}

// once runs an action at most once per key: a second submission of the same form (a double
// click, a reload, a retry of the request) waits for the first and gets its answer without
// running again. An action that failed is forgotten, so it can be tried again.
func (h *handler) once(w http.ResponseWriter, r *http.Request, key, title string, run func(ctx context.Context) (string, error)) {
	ctx, cancel := h.ctx(r)
	defer cancel()
	h.act.Lock()
	c, seen := h.calls[key]
	if !seen {
		c = &call{done: make(chan struct{})}
		h.calls[key] = c
		h.fifo = append(h.fifo, key)
		if len(h.fifo) > doneKeep {
			delete(h.calls, h.fifo[0])
			h.fifo = h.fifo[1:]
		}
	}
	h.act.Unlock()
	if !seen {
		c.msg, c.err = run(ctx)
		if c.err != nil {
			h.act.Lock()
			if h.calls[key] == c {
				delete(h.calls, key)
			}
			h.act.Unlock()
		}
		close(c.done)
	} else {
		select {
		case <-c.done:
		case <-ctx.Done():
			h.fail(w, http.StatusServiceUnavailable, errors.New("the same action is still running; reload the attention page to see where it stands"))
			return
		}
	}
	if c.err != nil {
		h.fail(w, http.StatusInternalServerError, c.err)
		return
	}
	msg := c.msg
	if seen {
		msg = "Already done: " + msg
	}
	h.render(w, "result", map[string]any{"Title": title, "Message": msg})
}

func (h *handler) fail(w http.ResponseWriter, code int, err error) {
	h.renderCode(w, code, "result", map[string]any{"Title": "Error", "Message": err.Error()})
}

// orderLink is the relative URL of one order's page.
func orderLink(k ledger.OrderKey) string {
	return "order?" + url.Values{"merchant": {k.Merchant}, "channel": {k.Channel}, "order": {k.OrderID}}.Encode()
}

// asKey converts a template's key argument.
func asKey(k any) ledger.OrderKey {
	switch k := k.(type) {
	case ledger.OrderKey:
		return k
	case *ledger.OrderKey:
		return *k
	}
	return ledger.OrderKey{}
}
