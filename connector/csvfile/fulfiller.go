package csvfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// The words of the 指示区分 column.
const (
	KindNew    = "新規"
	KindChange = "変更"
	KindCancel = "取消"
)

// marker records one instruction in State/requests: written before the order file (with the
// file's name, so a retry after a crash writes the same file) and again once the file is in
// place. It holds no personal data: keys, IDs and SKUs only.
type marker struct {
	Kind          string    `json:"kind"`
	Key           string    `json:"key"`
	InstructionID string    `json:"instruction_id,omitempty"`
	Merchant      string    `json:"merchant,omitempty"`
	Channel       string    `json:"channel,omitempty"`
	OrderID       string    `json:"order_id,omitempty"`
	OrderNumber   string    `json:"order_number,omitempty"`
	Lines         []lineRef `json:"lines,omitempty"`
	File          string    `json:"file,omitempty"`
	At            time.Time `json:"at"`
	Written       bool      `json:"written"`
	Accepted      bool      `json:"accepted,omitempty"`
	Awaiting      bool      `json:"awaiting,omitempty"`
	Reason        string    `json:"reason,omitempty"`
}

// lineRef maps a SKU the partner reports back to the order line it came from.
type lineRef struct {
	ID  string `json:"id"`
	SKU string `json:"sku"`
}

func (c *Connector) submitPath(key string) string {
	return filepath.Join(c.reqDir, "new-"+digest(key)+".json")
}
func (c *Connector) tombPath(key string) string {
	return filepath.Join(c.reqDir, "tomb-"+digest(key)+".json")
}
func (c *Connector) answerPath(id string) string {
	return filepath.Join(c.reqDir, "ins-"+digest(id)+".json")
}

// submitted returns the marker of the request written under key.
func (c *Connector) submitted(key string) (marker, bool, error) {
	var m marker
	ok, err := readJSON(c.submitPath(key), &m)
	return m, ok, err
}

// stamp returns the time of a new instruction, later than every earlier one of this process, so
// that file names sort in the order the instructions were given.
func (c *Connector) stamp() time.Time {
	t := c.now().UTC()
	if !t.After(c.lastAt) {
		t = c.lastAt.Add(time.Microsecond)
	}
	c.lastAt = t
	return t
}

var kindCode = map[string]string{KindNew: "NEW", KindChange: "CHG", KindCancel: "CXL"}

// fileName is an order file's name: ASCII only (it travels over SFTP to systems of every age),
// sorting in the order the instructions were given, unique per instruction.
func (c *Connector) fileName(m marker) string {
	ts := strings.Replace(m.At.In(c.cfg.Location).Format("20060102T150405.000000"), ".", "", 1)
	id := m.InstructionID
	if id == "" {
		id = m.Key
	}
	return fmt.Sprintf("%s_%s_%s_%s.csv", c.cfg.FilePrefix, ts, kindCode[m.Kind], digest(id)[:10])
}

// instruct writes an instruction's order file once: it creates the marker (exclusively, so that
// concurrent writers agree on one file name), writes the file (exclusively: an existing file of
// that name is the same instruction), and records the marker as written. Called with c.mu held.
func (c *Connector) instruct(path string, m marker, rows func() []map[Field]string) (marker, error) {
	var have marker
	ok, err := readJSON(path, &have)
	if err != nil {
		return marker{}, fsErr("reading what was written", err)
	}
	if ok && have.Written {
		return have, nil
	}
	if !ok {
		m.At = c.stamp()
		m.File = c.fileName(m)
		b, _ := json.Marshal(m)
		switch err := writeAtomic(c.reqDir, filepath.Base(path), b, true); {
		case errors.Is(err, fs.ErrExist):
			// Another process decided first; its file name wins.
			if _, err := readJSON(path, &have); err != nil {
				return marker{}, fsErr("reading what was written", err)
			}
			if have.Written {
				return have, nil
			}
		case err != nil:
			return marker{}, fsErr("recording an instruction", err)
		default:
			have = m
		}
	}
	data, subs := encodeTable(c.layouts.Orders, rows(), c.cfg.Encoding)
	if subs > 0 {
		c.log.Warn("csvfile: characters the file's encoding cannot hold were written as 〓",
			"key", have.Key, "kind", have.Kind, "count", subs)
	}
	if err := writeAtomic(c.orders, have.File, data, true); err != nil && !errors.Is(err, fs.ErrExist) {
		return marker{}, fsErr("writing an order file", err)
	}
	have.Written = true
	b, _ := json.Marshal(have)
	if err := writeAtomic(c.reqDir, filepath.Base(path), b, false); err != nil {
		return marker{}, fsErr("recording an instruction", err)
	}
	c.log.Info("csvfile: order file written", "key", have.Key, "kind", have.Kind, "file", have.File)
	return have, nil
}

// answer records a refusal, or an acceptance that needs no file, under an instruction ID, so that
// repeating the instruction gets the same answer. Called with c.mu held.
func (c *Connector) answer(path string, m marker) (connector.Answer, error) {
	m.At, m.Written = c.now().UTC(), true
	b, _ := json.Marshal(m)
	switch err := writeAtomic(c.reqDir, filepath.Base(path), b, true); {
	case errors.Is(err, fs.ErrExist):
		var have marker
		if _, err := readJSON(path, &have); err != nil {
			return connector.Answer{}, fsErr("reading an answer", err)
		}
		return connector.Answer{Accepted: have.Accepted, Reason: have.Reason}, nil
	case err != nil:
		return connector.Answer{}, fsErr("recording an answer", err)
	}
	return connector.Answer{Accepted: m.Accepted, Reason: m.Reason}, nil
}

// Submit implements connector.Fulfiller: it writes one order file (新規) for the request. A key
// already written, or cancelled before it was submitted, has no further effect, even after the
// partner took the file away.
func (c *Connector) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if strings.TrimSpace(r.Key) == "" {
		return fmt.Errorf("csvfile: Submit: empty key: %w", connector.ErrPermanent)
	}
	if err := r.Order.Validate(); err != nil {
		return fmt.Errorf("csvfile: Submit %s: %w: %w", r.Key, connector.ErrPermanent, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var tomb marker
	if ok, err := readJSON(c.tombPath(r.Key), &tomb); err != nil {
		return fsErr("reading what was written", err)
	} else if ok {
		return nil // cancelled before it was sent: there is nothing to ship
	}
	m := marker{Kind: KindNew, Key: r.Key, Merchant: r.Merchant, Channel: r.Channel,
		OrderID: r.Order.ID, OrderNumber: orderNumber(r.Order), Lines: refs(r.Order.Lines)}
	_, err := c.instruct(c.submitPath(r.Key), m, func() []map[Field]string {
		return c.orderRows(KindNew, r.Key, "", r.Merchant, r.Channel, r.Order, "")
	})
	return err
}

// Change implements connector.Fulfiller. It answers from what the partner has reported: refused
// once a shipment or a picking status for the request has arrived, otherwise accepted, with a
// change file (変更) carrying the request's whole new content; with Config.AwaitAnswers, the
// answer waits for the partner's (see the package documentation).
func (c *Connector) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	if err := ctx.Err(); err != nil {
		return connector.Answer{}, err
	}
	if r.IdempotencyKey == "" {
		return connector.Answer{}, fmt.Errorf("csvfile: Change %s: empty idempotency key: %w", r.Key, connector.ErrPermanent)
	}
	if err := r.Order.Validate(); err != nil {
		return connector.Answer{}, fmt.Errorf("csvfile: Change %s: %w: %w", r.Key, connector.ErrPermanent, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Shipments name SKUs; a line the change added must map back too.
	accepted := func() error {
		sub, ok, err := c.submitted(r.Key)
		if err != nil || !ok {
			return err
		}
		merged := mergeRefs(sub.Lines, refs(r.Order.Lines))
		if len(merged) == len(sub.Lines) {
			return nil
		}
		sub.Lines = merged
		b, _ := json.Marshal(sub)
		if err := writeAtomic(c.reqDir, filepath.Base(c.submitPath(r.Key)), b, false); err != nil {
			return fsErr("recording an instruction", err)
		}
		return nil
	}
	path := c.answerPath(r.IdempotencyKey)
	var have marker
	// decided: an answer given before, or a change accepted (or sent, awaiting the partner's
	// answer) before a crash kept its file from being written; it stands.
	decided, err := readJSON(path, &have)
	if err != nil {
		return connector.Answer{}, fsErr("reading an answer", err)
	} else if decided && have.Written {
		return c.answered(ctx, path, have, accepted)
	}
	sub, ok, err := c.submitted(r.Key)
	if err != nil {
		return connector.Answer{}, fsErr("reading what was written", err)
	}
	if !ok {
		return connector.Answer{}, fmt.Errorf("csvfile: Change %s: no request was written under this key: %w", r.Key, connector.ErrNotFound)
	}
	m := marker{Kind: KindChange, Key: r.Key, InstructionID: r.IdempotencyKey}
	if !decided {
		if reason, err := c.refusal(ctx, r.Key); err != nil {
			return connector.Answer{}, err
		} else if reason != "" {
			m.Reason = reason
			return c.answer(path, m)
		}
	}
	m.Accepted, m.Awaiting = !c.cfg.AwaitAnswers, c.cfg.AwaitAnswers
	have, err = c.instruct(path, m, func() []map[Field]string {
		return c.orderRows(KindChange, r.Key, r.IdempotencyKey, sub.Merchant, sub.Channel, r.Order, "")
	})
	if err != nil {
		return connector.Answer{}, err
	}
	return c.answered(ctx, path, have, accepted)
}

// Cancel implements connector.Fulfiller, whole or by lines. It answers as Change does. A key never
// written is cancelled at once (there is nothing to ship), and a later Submit of it has no effect.
func (c *Connector) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	if err := ctx.Err(); err != nil {
		return connector.Answer{}, err
	}
	if r.IdempotencyKey == "" {
		return connector.Answer{}, fmt.Errorf("csvfile: Cancel %s: empty idempotency key: %w", r.Key, connector.ErrPermanent)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A whole cancellation leaves a tombstone: a late Submit writes nothing, a change is refused.
	accepted := func() error {
		if r.Lines != nil {
			return nil
		}
		_, err := c.answer(c.tombPath(r.Key), marker{Kind: KindCancel, Key: r.Key, Accepted: true})
		return err
	}
	path := c.answerPath(r.IdempotencyKey)
	var have marker
	decided, err := readJSON(path, &have)
	if err != nil {
		return connector.Answer{}, fsErr("reading an answer", err)
	} else if decided && have.Written {
		return c.answered(ctx, path, have, accepted)
	}
	m := marker{Kind: KindCancel, Key: r.Key, InstructionID: r.IdempotencyKey}
	if r.Lines != nil && len(r.Lines) == 0 {
		m.Accepted = true // nothing to cancel
		return c.answer(path, m)
	}
	var tomb marker
	cancelled, err := readJSON(c.tombPath(r.Key), &tomb)
	if err != nil {
		return connector.Answer{}, fsErr("reading what was written", err)
	}
	sub, ok, err := c.submitted(r.Key)
	switch {
	case err != nil:
		return connector.Answer{}, fsErr("reading what was written", err)
	case decided:
		// Sent before a crash: finish writing it below, whatever was reported since.
	case cancelled:
		m.Accepted = true
		if r.Lines != nil {
			m.Accepted, m.Reason = false, "cancelled"
		}
		return c.answer(path, m)
	case !ok && r.Lines == nil:
		// Nothing was written under the key: there is nothing to ship.
		if err := accepted(); err != nil {
			return connector.Answer{}, err
		}
		m.Accepted = true
		return c.answer(path, m)
	case !ok:
		return connector.Answer{}, fmt.Errorf("csvfile: Cancel %s: no request was written under this key: %w", r.Key, connector.ErrNotFound)
	}
	if !decided {
		if reason, err := c.refusal(ctx, r.Key); err != nil {
			return connector.Answer{}, err
		} else if reason != "" {
			m.Reason = reason
			return c.answer(path, m)
		}
	}
	m.Accepted, m.Awaiting = !c.cfg.AwaitAnswers, c.cfg.AwaitAnswers
	have, err = c.instruct(path, m, func() []map[Field]string {
		return c.cancelRows(sub, r)
	})
	if err != nil {
		return connector.Answer{}, err
	}
	return c.answered(ctx, path, have, accepted)
}

// ErrAwaitingAnswer is returned, with connector.ErrTemporary, by Change and Cancel under
// Config.AwaitAnswers while the partner has not answered the instruction: the engine asks again
// later with the same idempotency key, and nothing is written again.
var ErrAwaitingAnswer = errors.New("csvfile: awaiting the partner's answer")

// answered returns the answer recorded in m. An instruction awaiting the partner's answer looks
// for it in the status files and records it once found. Once the answer is an acceptance,
// accepted runs (on every call: what it records may have been lost to a crash). Called with c.mu
// held.
func (c *Connector) answered(ctx context.Context, path string, m marker, accepted func() error) (connector.Answer, error) {
	if m.Awaiting {
		found, ok, reason, err := c.answerOf(ctx, m.InstructionID)
		if err != nil {
			return connector.Answer{}, err
		}
		if !found {
			return connector.Answer{}, fmt.Errorf("csvfile: %s of %s: %w (%w)", kindCode[m.Kind], m.Key, ErrAwaitingAnswer, connector.ErrTemporary)
		}
		m.Awaiting, m.Accepted, m.Reason = false, ok, ""
		if !ok {
			m.Reason = refusalReason(reason)
		}
		b, _ := json.Marshal(m)
		if err := writeAtomic(c.reqDir, filepath.Base(path), b, false); err != nil {
			return connector.Answer{}, fsErr("recording an answer", err)
		}
	}
	if m.Accepted && accepted != nil {
		if err := accepted(); err != nil {
			return connector.Answer{}, err
		}
	}
	return connector.Answer{Accepted: m.Accepted, Reason: m.Reason}, nil
}

// refusalReason turns the partner's 理由 into a refusal reason: its words for picked and shipped
// become connector.RefusedPicked and RefusedShipped; others pass through.
func refusalReason(s string) string {
	switch statusWords[strings.ToLower(narrow(s))] {
	case statePicked:
		return connector.RefusedPicked
	case stateShipped:
		return connector.RefusedShipped
	}
	if s == "" {
		return "refused"
	}
	return s
}

// refusal returns why the partner can no longer take a change or cancellation of key ("" when it
// can), from the shipment and status files it wrote. A request cancelled here is refused a change.
func (c *Connector) refusal(ctx context.Context, key string) (string, error) {
	var tomb marker
	if ok, err := readJSON(c.tombPath(key), &tomb); err != nil {
		return "", fsErr("reading what was written", err)
	} else if ok {
		return "cancelled", nil
	}
	st, err := c.partnerState(ctx, key)
	if err != nil {
		return "", err
	}
	switch st {
	case stateShipped:
		return connector.RefusedShipped, nil
	case statePicked:
		return connector.RefusedPicked, nil
	case stateCancelled:
		return "cancelled", nil
	}
	return "", nil
}

func orderNumber(o order.Order) string {
	if o.Number != "" {
		return o.Number
	}
	return o.ID
}

func refs(ls []order.Line) []lineRef {
	out := make([]lineRef, 0, len(ls))
	for _, l := range ls {
		out = append(out, lineRef{ID: l.ID, SKU: l.SKU})
	}
	return out
}

func mergeRefs(a, b []lineRef) []lineRef {
	out := append([]lineRef(nil), a...)
	for _, r := range b {
		found := false
		for _, have := range out {
			if have == r {
				found = true
				break
			}
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// orderRows is the rows of a 新規 or 変更 file: one per line still wanted, the request's fields
// repeated on each.
func (c *Connector) orderRows(kind, key, instr, merchant, channel string, o order.Order, note string) []map[Field]string {
	base := map[Field]string{
		FieldKey: key, FieldKind: kind, FieldInstructionID: instr, FieldMerchant: merchant, FieldChannel: channel,
		FieldOrderNumber: orderNumber(o),
		FieldName:        o.ShipTo.Name, FieldCompany: o.ShipTo.Company, FieldPostalCode: o.ShipTo.PostalCode,
		FieldPrefecture: o.ShipTo.Prefecture, FieldCity: o.ShipTo.City,
		FieldAddress1: o.ShipTo.Line1, FieldAddress2: o.ShipTo.Line2, FieldPhone: o.ShipTo.Phone,
		FieldDeliverySlot: string(o.Delivery.Slot), FieldNote: note,
	}
	if !o.PlacedAt.IsZero() {
		base[FieldOrderDate] = o.PlacedAt.In(c.cfg.Location).Format("2006/01/02")
	}
	if !o.Delivery.Date.IsZero() {
		d := o.Delivery.Date
		base[FieldDeliveryDate] = fmt.Sprintf("%04d/%02d/%02d", d.Year, int(d.Month), d.Day)
	}
	if o.Payment.Method == order.PaymentCashOnDelivery {
		base[FieldCODAmount] = strconv.FormatInt(o.Payment.CollectAmount.Amount, 10)
	}
	if g := o.Gift; g != nil {
		base[FieldGiftWrapping] = "0"
		if g.Wrapping {
			base[FieldGiftWrapping] = "1"
		}
		base[FieldNoshi], base[FieldGiftMessage] = g.Noshi, g.Message
	}
	var rows []map[Field]string
	for _, l := range o.Lines {
		if l.Open() == 0 {
			continue
		}
		r := make(map[Field]string, len(base)+5)
		for k, v := range base {
			r[k] = v
		}
		r[FieldLineID], r[FieldSKU], r[FieldProductName] = l.ID, l.SKU, l.Name
		r[FieldQuantity] = strconv.Itoa(l.Open())
		if !l.UnitPrice.IsZero() {
			r[FieldUnitPrice] = strconv.FormatInt(l.UnitPrice.Amount, 10)
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		rows = append(rows, base)
	}
	return rows
}

// cancelRows is the rows of a 取消 file: one row without a SKU cancels the whole request; rows
// with SKUs cancel those quantities.
func (c *Connector) cancelRows(sub marker, r connector.CancelRequest) []map[Field]string {
	base := map[Field]string{FieldKey: r.Key, FieldKind: KindCancel, FieldInstructionID: r.IdempotencyKey,
		FieldMerchant: sub.Merchant, FieldChannel: sub.Channel, FieldOrderNumber: sub.OrderNumber, FieldNote: r.Reason}
	if r.Lines == nil {
		return []map[Field]string{base}
	}
	var rows []map[Field]string
	for _, l := range r.Lines {
		row := make(map[Field]string, len(base)+3)
		for k, v := range base {
			row[k] = v
		}
		row[FieldLineID], row[FieldSKU], row[FieldQuantity] = l.LineID, l.SKU, strconv.Itoa(l.Quantity)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		rows = append(rows, base)
	}
	return rows
}
