package csvfile

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/shipment"
)

// ListShipments implements connector.ShipmentSource over the shipment files (出荷実績), in the
// order they were taken in. Consecutive rows with the same 出荷番号 and 出荷指示番号 are one
// shipment; a malformed row rejects its shipment, naming the file and the line, and the rest of
// the file goes on. The cursor is a position in the files taken in: the engine stores it once
// the page is recorded, and that is the only "processed" mark, so a crash before it lists the
// same shipments again, with the same IDs.
func (c *Connector) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.scanStatus(ctx); err != nil {
		return nil, err
	}
	b := c.shipments
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return nil, err
	}
	pos, err := b.parsePosition(after)
	if err != nil {
		return nil, err
	}
	page := &connector.ShipmentPage{}
	submitted := c.submittedMemo()
	n := 0
	for ; pos.file < len(b.entries); pos = (position{pos.file + 1, 0}) {
		e := b.entries[pos.file]
		t, err := b.load(e)
		if err != nil {
			return nil, err
		}
		if t.Err != nil {
			if pos.rec == 0 {
				if n >= c.cfg.PageSize {
					page.Next, page.More = pos.cursor(), true
					return page, nil
				}
				page.Rejects = append(page.Rejects, b.fileReject(e, t.Err))
				n++
			}
			continue
		}
		for pos.rec < len(t.rows) {
			if t.rows[pos.rec].Err == errBlank {
				pos.rec++
				continue
			}
			if n >= c.cfg.PageSize {
				page.Next, page.More = pos.cursor(), true
				return page, nil
			}
			end := groupEnd(t.rows, pos.rec)
			s, bad, err := c.shipmentOf(e, t.rows[pos.rec:end], submitted)
			if errors.Is(err, connector.ErrTemporary) {
				return nil, err
			}
			if err != nil {
				page.Rejects = append(page.Rejects, b.rejectOf(e, bad, err))
			} else {
				page.Shipments = append(page.Shipments, s)
			}
			n++
			pos.rec = end
		}
	}
	page.Next = pos.cursor()
	return page, nil
}

// groupEnd returns the end of the shipment that starts at row i.
func groupEnd(rows []row, i int) int {
	first := rows[i]
	if first.Err != nil {
		return i + 1
	}
	key, id := first.get(FieldKey), first.get(FieldShipmentID)
	j := i + 1
	for j < len(rows) && rows[j].Err == nil && rows[j].get(FieldKey) == key && rows[j].get(FieldShipmentID) == id {
		j++
	}
	return j
}

// shipmentOf builds one shipment from its rows; on failure it returns the row at fault.
func (c *Connector) shipmentOf(e entry, rows []row, submitted func(string) (marker, bool, error)) (shipment.Shipment, row, error) {
	b := c.shipments
	first := rows[0]
	if first.Err != nil {
		return shipment.Shipment{}, first, first.Err
	}
	key := first.get(FieldKey)
	if key == "" {
		return shipment.Shipment{}, first, b.colErr(FieldKey, "is empty")
	}
	sub, ok, err := submitted(key)
	if err != nil {
		// The connector's own state failed it, not the row: the listing fails and is tried again.
		return shipment.Shipment{}, first, fsErr("reading what was written", err)
	}
	if !ok {
		return shipment.Shipment{}, first, b.colErr(FieldKey, "names no request this connector wrote")
	}
	s := shipment.Shipment{ID: first.get(FieldShipmentID), RequestKey: key, Channel: sub.Channel, OrderID: sub.OrderID}
	var tracking []string
	for _, r := range rows {
		sku, lineID := r.get(FieldSKU), r.get(FieldLineID)
		if sku == "" && lineID == "" {
			return shipment.Shipment{}, r, b.colErr(FieldSKU, "is empty")
		}
		if lineID == "" {
			lineID = lineFor(sub.Lines, sku)
		}
		q, err := parseCount(r.get(FieldQuantity))
		if err == nil && q == 0 {
			err = errors.New("is zero")
		}
		if err != nil {
			return shipment.Shipment{}, r, b.colErr(FieldQuantity, err.Error())
		}
		at, dateOnly, err := parseTime(r.get(FieldShippedAt), c.cfg.Location)
		if err != nil {
			return shipment.Shipment{}, r, b.colErr(FieldShippedAt, err.Error())
		}
		if dateOnly {
			// A day alone says little about when: the partner wrote the file after it shipped, so
			// the file's time bounds it, and stock counted after that includes it.
			if !e.ModTime.Before(at) && e.ModTime.Sub(at) < 24*time.Hour {
				at = e.ModTime
			} else {
				at = at.Add(24*time.Hour - time.Second)
			}
		}
		if at.After(s.At) {
			s.At = at
		}
		merged := false
		for i := range s.Lines {
			if s.Lines[i].LineID == lineID && s.Lines[i].SKU == sku {
				s.Lines[i].Quantity += q
				merged = true
			}
		}
		if !merged {
			s.Lines = append(s.Lines, shipment.Line{LineID: lineID, SKU: sku, Quantity: q})
		}
		if no := narrow(r.get(FieldTrackingNumber)); no != "" && !slices.Contains(tracking, no) {
			carrier, known := carrierOf(r.get(FieldCarrier))
			if !known {
				c.log.Debug("csvfile: unknown carrier, reported as other", "file", e.Name, "line", r.Line)
			}
			tracking = append(tracking, no)
			s.Parcels = append(s.Parcels, shipment.Parcel{Carrier: carrier, TrackingNumber: no})
		}
	}
	if s.ID == "" {
		// No 出荷番号: the tracking numbers name the shipment, so a partner that reports it again
		// in a later file (a cumulative daily export) gives the same ID; without them, its place.
		src := key + "\x00" + strings.Join(tracking, "\x00")
		if len(tracking) == 0 {
			src += "\x00" + e.Hash + "\x00" + strconv.Itoa(first.Index)
		}
		s.ID = "csv-" + digest(src)[:20]
	}
	if err := s.Validate(); err != nil {
		return shipment.Shipment{}, first, err
	}
	return s, row{}, nil
}

// submittedMemo reads the records of requests for one listing, each once: a file often holds
// many rows of a few requests.
func (c *Connector) submittedMemo() func(string) (marker, bool, error) {
	type found struct {
		m  marker
		ok bool
	}
	memo := map[string]found{}
	return func(key string) (marker, bool, error) {
		if f, ok := memo[key]; ok {
			return f.m, f.ok, nil
		}
		m, ok, err := c.submitted(key)
		if err != nil {
			return marker{}, false, err
		}
		memo[key] = found{m, ok}
		return m, ok, nil
	}
}

func lineFor(ls []lineRef, sku string) string {
	for _, l := range ls {
		if l.SKU == sku {
			return l.ID
		}
	}
	return ""
}

// ListStock implements connector.StockSource over the stock files (在庫). From "" it lists every
// SKU's latest level across all files taken in, in one page; from a cursor, every row after it in
// the order the files arrived. A level's AsOf is its 基準日時, or, when the file has none, the
// time the partner wrote the file.
func (c *Connector) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b := c.stock
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return nil, err
	}
	pos, err := b.parsePosition(after)
	if err != nil {
		return nil, err
	}
	page := &connector.StockPage{}
	if after == "" {
		latest := map[string]inventory.Level{}
		for _, e := range b.entries {
			t, err := b.load(e)
			if err != nil {
				return nil, err
			}
			if t.Err != nil {
				page.Rejects = append(page.Rejects, b.fileReject(e, t.Err))
				continue
			}
			for _, r := range t.rows {
				if r.Err == errBlank {
					continue
				}
				l, err := c.levelOf(e, r)
				if err != nil {
					page.Rejects = append(page.Rejects, b.rejectOf(e, r, err))
					continue
				}
				if have, ok := latest[l.SKU]; !ok || !l.AsOf.Before(have.AsOf) {
					latest[l.SKU] = l
				}
			}
		}
		for _, l := range latest {
			page.Levels = append(page.Levels, l)
		}
		slices.SortFunc(page.Levels, func(a, b inventory.Level) int { return cmp.Compare(a.SKU, b.SKU) })
		page.Next = position{len(b.entries), 0}.cursor()
		return page, nil
	}
	n := 0
	for ; pos.file < len(b.entries); pos = (position{pos.file + 1, 0}) {
		e := b.entries[pos.file]
		t, err := b.load(e)
		if err != nil {
			return nil, err
		}
		if t.Err != nil {
			if pos.rec == 0 {
				if n >= c.cfg.PageSize {
					page.Next, page.More = pos.cursor(), true
					return page, nil
				}
				page.Rejects = append(page.Rejects, b.fileReject(e, t.Err))
				n++
			}
			continue
		}
		for ; pos.rec < len(t.rows); pos.rec++ {
			r := t.rows[pos.rec]
			if r.Err == errBlank {
				continue
			}
			if n >= c.cfg.PageSize {
				page.Next, page.More = pos.cursor(), true
				return page, nil
			}
			if l, err := c.levelOf(e, r); err != nil {
				page.Rejects = append(page.Rejects, b.rejectOf(e, r, err))
			} else {
				page.Levels = append(page.Levels, l)
			}
			n++
		}
	}
	page.Next = pos.cursor()
	return page, nil
}

func (c *Connector) levelOf(e entry, r row) (inventory.Level, error) {
	b := c.stock
	if r.Err != nil {
		return inventory.Level{}, r.Err
	}
	sku := r.get(FieldSKU)
	if sku == "" {
		return inventory.Level{}, b.colErr(FieldSKU, "is empty")
	}
	n, err := parseCount(r.get(FieldOnHand))
	if err != nil {
		return inventory.Level{}, b.colErr(FieldOnHand, err.Error())
	}
	at := e.ModTime
	if v := r.get(FieldAsOf); v != "" {
		t, dateOnly, err := parseTime(v, c.cfg.Location)
		if err != nil {
			return inventory.Level{}, b.colErr(FieldAsOf, err.Error())
		}
		if !dateOnly {
			at = t
		}
	}
	return inventory.Level{SKU: sku, OnHand: n, AsOf: at}, nil
}

// What the partner reported about a request, from its status and shipment files.
const (
	stateNone      = ""
	stateReceived  = "received"
	statePicked    = "picked"
	stateShipped   = "shipped"
	stateCancelled = "cancelled"
)

// statusWords maps the 状態 the partner writes to a state.
var statusWords = map[string]string{
	"受付": stateReceived, "受付済": stateReceived, "引当済": stateReceived, "保留": stateReceived, "received": stateReceived,
	"作業中": statePicked, "ピッキング中": statePicked, "ピッキング済": statePicked, "検品済": statePicked, "梱包済": statePicked,
	"出荷準備中": statePicked, "picking": statePicked, "picked": statePicked, "packed": statePicked,
	"出荷済": stateShipped, "出荷完了": stateShipped, "shipped": stateShipped,
	"取消済": stateCancelled, "キャンセル済": stateCancelled, "cancelled": stateCancelled,
}

// partnerState returns the latest state the partner reported for key: shipped when a shipment
// file names it, otherwise the last 状態 of the status files.
func (c *Connector) partnerState(ctx context.Context, key string) (string, error) {
	shipped, err := c.shipments.mentions(ctx, key, func(row) string { return stateShipped })
	if err != nil || shipped != stateNone {
		return shipped, err
	}
	return c.status.mentions(ctx, key, c.statusOf)
}

// statusOf reads a status row: the state it reports, and the refusal it carries, if any.
func (c *Connector) statusOf(r row) string {
	if id := r.get(FieldInstructionID); id != "" && strings.EqualFold(narrow(r.get(FieldResult)), "NG") {
		c.refused(Refusal{Key: r.get(FieldKey), InstructionID: id, Reason: r.get(FieldReason)})
	}
	return statusWords[strings.ToLower(narrow(r.get(FieldStatus)))]
}

// refused tells the host of a partner's NG to an instruction the connector accepted.
func (c *Connector) refused(rf Refusal) {
	var m marker
	if ok, err := readJSON(c.answerPath(rf.InstructionID), &m); err != nil || !ok || !m.Accepted || m.Key != rf.Key {
		return // not an instruction this connector accepted
	}
	c.log.Warn("csvfile: the partner refused an instruction the connector had accepted",
		"key", rf.Key, "instruction", rf.InstructionID, "kind", m.Kind)
	if c.cfg.OnRefusal != nil {
		c.cfg.OnRefusal(rf)
	}
}

// scanStatus takes in new status files and reads them, so their refusals reach OnRefusal.
func (c *Connector) scanStatus(ctx context.Context) error {
	_, err := c.status.mentions(ctx, "", c.statusOf)
	return err
}

// partnerAnswer is a partner's 結果 to one instruction.
type partnerAnswer struct {
	ok     bool
	reason string
}

// answerOf looks in the status files for the partner's answer (結果 OK or NG) to an
// instruction; the last one wins.
func (c *Connector) answerOf(ctx context.Context, instruction string) (found, ok bool, reason string, err error) {
	b := c.status
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return false, false, "", err
	}
	for _, e := range b.entries {
		idx, cached := b.answers[e.Hash]
		if !cached {
			t, err := b.load(e)
			if err != nil {
				return false, false, "", err
			}
			idx = map[string]partnerAnswer{}
			for _, r := range t.rows {
				if r.Err != nil || r.get(FieldInstructionID) == "" {
					continue
				}
				switch strings.ToUpper(narrow(r.get(FieldResult))) {
				case "OK":
					idx[r.get(FieldInstructionID)] = partnerAnswer{ok: true}
				case "NG":
					idx[r.get(FieldInstructionID)] = partnerAnswer{reason: r.get(FieldReason)}
				}
			}
			b.answers[e.Hash] = idx
		}
		if a, has := idx[instruction]; has {
			found, ok, reason = true, a.ok, a.reason
		}
	}
	return found, ok, reason, nil
}

// mentions takes in new files and returns the last state stateOf gives a row naming key.
func (b *inbox) mentions(ctx context.Context, key string, stateOf func(row) string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return "", err
	}
	st := stateNone
	for _, e := range b.entries {
		idx, ok := b.keys[e.Hash]
		if !ok {
			t, err := b.load(e)
			if err != nil {
				return "", err
			}
			idx = map[string]string{}
			for _, r := range t.rows {
				if r.Err != nil {
					continue
				}
				if s := stateOf(r); s != stateNone {
					idx[r.get(FieldKey)] = s
				}
			}
			b.keys[e.Hash] = idx
		}
		if s, ok := idx[key]; ok {
			st = s
		}
	}
	return st, nil
}
