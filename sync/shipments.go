// The shipment flow: shipments listed from warehouses or reported by the host go into the
// outbox, are applied to their order, and are confirmed to the channel once.

package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// ShipmentsRun counts what one SyncShipments run did.
type ShipmentsRun struct {
	Listed      int
	Confirmed   int
	Waiting     int
	Quarantined int
}

// SyncShipments lists a warehouse's new shipments into the outbox, then confirms every pending
// shipment of the merchant to its channel.
func (e *Engine) SyncShipments(ctx context.Context, merchantID, warehouse string) (_ ShipmentsRun, err error) {
	var res ShipmentsRun
	ctx, endRun := e.startRun(ctx, "shipments", merchantID, attrWarehouse, warehouse)
	defer endRun(&err, func() []any {
		return []any{"listed", res.Listed, "confirmed", res.Confirmed, "waiting", res.Waiting, "quarantined", res.Quarantined}
	})
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return res, err
	}
	defer done()
	m, err := e.merchant(merchantID)
	if err != nil {
		return res, err
	}
	w := m.warehouses[warehouse]
	if w == nil {
		return res, fmt.Errorf("%w: warehouse %s/%s", ErrUnknownMerchant, merchantID, warehouse)
	}
	if err := m.stoppedErr(warehouse); err != nil {
		return res, err
	}
	e.checkCredential(m, warehouse, w.Shipments, w.Fulfiller, w.Stock)
	part := "shipments/" + ledger.JoinKey(merchantID, warehouse)
	release, err := e.acquire(ctx, part)
	if err != nil {
		return res, err
	}
	defer release()
	if w.Shipments != nil {
		if err := e.pullShipments(ctx, m, w, part, &res); err != nil {
			_ = e.deliverShipments(ctx, m, &res)
			return res, err
		}
	}
	return res, e.deliverShipments(ctx, m, &res)
}

func (e *Engine) pullShipments(ctx context.Context, m *merchant, w *Warehouse, part string, res *ShipmentsRun) error {
	name := "shipments/" + ledger.JoinKey(m.cfg.ID, w.ID)
	cur, ver, err := e.store.GetCursor(ctx, name)
	if err != nil {
		return err
	}
	for {
		p, err := w.Shipments.ListShipments(ctx, connector.Cursor(cur))
		if err != nil {
			return e.channelErr(ctx, m, w.ID, err)
		}
		for _, r := range p.Rejects {
			res.Quarantined++
			if err := e.quarantine(ctx, ledger.QuarantineEntry{Kind: "shipment", Merchant: m.cfg.ID, Source: w.ID, ItemID: r.ID, Reason: errString(r.Err)}); err != nil {
				return err
			}
		}
		for _, s := range p.Shipments {
			res.Listed++
			if err := e.enqueueShipment(ctx, m, w.ID, s); err != nil {
				return err
			}
		}
		if ver, err = e.store.PutCursor(ctx, name, string(p.Next), ver); err != nil {
			return err
		}
		if err := e.renew(ctx, part); err != nil {
			return err
		}
		if !p.More || string(p.Next) == cur {
			return nil
		}
		if e.closing() {
			return ErrClosed // a safe point: the page is in the outbox and the cursor saved
		}
		cur = string(p.Next)
	}
}

// RecordShipment puts a shipment the host's warehouse made into the outbox and confirms it to its
// channel. Recording the same shipment ID again has no effect. When another writer (a run, here
// or on another replica) is confirming the same shipment meanwhile, RecordShipment leaves it to
// that writer and returns nil: the shipment is in the outbox, and the next run confirms it if the
// other writer did not finish.
func (e *Engine) RecordShipment(ctx context.Context, merchantID, warehouse string, s shipment.Shipment) (err error) {
	ctx, endRun := e.startRun(ctx, "shipment", merchantID, attrWarehouse, warehouse)
	defer endRun(&err, func() []any { return []any{"shipment", s.ID} })
	ctx, done, err := e.begin(ctx)
	if err != nil {
		return err
	}
	defer done()
	m, err := e.merchant(merchantID)
	if err != nil {
		return err
	}
	if err := e.enqueueShipment(ctx, m, warehouse, s); err != nil {
		return err
	}
	rec, err := e.store.GetShipment(ctx, shipmentID(merchantID, warehouse, s.ID))
	if err != nil || rec.State != ledger.ShipmentPending {
		return err
	}
	var res ShipmentsRun
	if err := e.confirm(ctx, m, rec, &res); err != nil && !errors.Is(err, ledger.ErrConflict) {
		return err
	}
	return nil
}

func shipmentID(merchantID, warehouse, id string) string {
	return ledger.JoinKey(merchantID, warehouse, id)
}

// enqueueShipment inserts a shipment into the outbox unless it is there already.
func (e *Engine) enqueueShipment(ctx context.Context, m *merchant, warehouse string, s shipment.Shipment) error {
	rec := &ledger.ShipmentRecord{ID: shipmentID(m.cfg.ID, warehouse, s.ID), Merchant: m.cfg.ID, Warehouse: warehouse,
		Shipment: s, State: ledger.ShipmentPending, CreatedAt: e.opt.Clock.Now()}
	if err := s.Validate(); err != nil {
		rec.State, rec.Reason = ledger.ShipmentQuarantined, err.Error()
	}
	err := e.store.PutShipment(ctx, rec)
	if errors.Is(err, ledger.ErrConflict) {
		return nil // listed before: the outbox holds it
	}
	if err != nil {
		return err
	}
	if rec.State == ledger.ShipmentQuarantined {
		return e.quarantineShipment(ctx, rec)
	}
	return nil
}

func (e *Engine) quarantineShipment(ctx context.Context, rec *ledger.ShipmentRecord) error {
	payload, _ := json.Marshal(rec.Shipment)
	return e.quarantine(ctx, ledger.QuarantineEntry{ID: "shipment:" + rec.ID, Kind: "shipment", Merchant: rec.Merchant,
		Source: rec.Warehouse, ItemID: rec.ID, Reason: rec.Reason, Payload: payload})
}

// deliverShipments confirms every pending shipment of the merchant.
func (e *Engine) deliverShipments(ctx context.Context, m *merchant, res *ShipmentsRun) error {
	seen := map[string]bool{}
	for {
		recs, err := e.store.PendingShipments(ctx, m.cfg.ID, e.opt.PageLimit)
		if err != nil {
			return err
		}
		progressed := false
		var firstErr error
		for _, rec := range recs {
			if seen[rec.ID] {
				continue
			}
			seen[rec.ID], progressed = true, true
			if err := e.confirm(ctx, m, rec, res); err != nil && firstErr == nil && !errors.Is(err, ledger.ErrConflict) {
				firstErr = err // one channel failing must not hold back the others' shipments
			}
		}
		if firstErr != nil {
			return firstErr
		}
		if !progressed || len(recs) < e.opt.PageLimit {
			return nil
		}
	}
}

// confirm applies a shipment to its order and tells the channel. Applying is recorded on the
// order (idempotent on the shipment ID) before the channel is called, and the channel is called
// with the shipment's key, so a crash anywhere confirms the shipment once.
func (e *Engine) confirm(ctx context.Context, m *merchant, srec *ledger.ShipmentRecord, res *ShipmentsRun) error {
	s := &srec.Shipment
	k := ledger.OrderKey{Merchant: m.cfg.ID, Channel: s.Channel, OrderID: s.OrderID}
	park := func(reason string) error {
		srec.State, srec.Reason = ledger.ShipmentQuarantined, reason
		if err := e.store.PutShipment(ctx, srec); err != nil {
			return err
		}
		res.Quarantined++
		return e.quarantineShipment(ctx, srec)
	}
	rec, err := e.getOrder(ctx, k)
	if errors.Is(err, ledger.ErrNotFound) {
		return park("shipment for an order the engine never imported (channel " + s.Channel + ", order " + s.OrderID + ")")
	} else if err != nil {
		return err
	}
	if s.RequestKey != "" && !slices.ContainsFunc(rec.Requests, func(r ledger.Request) bool { return r.Key == s.RequestKey }) {
		if rec.Pending {
			// The order's delivery is under way: its Submit may have landed (and shipped) before
			// the ledger recorded it. The shipment waits in the outbox for the next run.
			return nil
		}
		return park("shipment names request " + s.RequestKey + ", which the order never had")
	}
	ch := m.channels[s.Channel]
	if ch == nil {
		return park("shipment for channel " + s.Channel + ", which the merchant does not have")
	}
	if err := m.stoppedErr(ch.ID); err != nil {
		return err
	}
	e.checkCredential(m, ch.ID, ch.Sink)
	if !srec.Applied {
		if reason, err := e.apply(ctx, m, rec, srec.Warehouse, s); err != nil {
			return err
		} else if reason != "" {
			return park(reason)
		}
		srec.Applied = true
		if err := e.store.PutShipment(ctx, srec); err != nil {
			return err
		}
	}
	complete := shippedAll(m, rec)
	if rec.Order.Status == order.StatusCancelled {
		// The warehouse shipped although the channel cancelled (it refused the cancellation, and
		// the host heard of it with CancelRefused): the units left and are recorded, but the
		// channel is never told that a cancelled order shipped.
		srec.State, srec.Reason = ledger.ShipmentNotTold, "the order was cancelled on the channel"
		return e.store.PutShipment(ctx, srec)
	}
	if ch.Sink == nil {
		srec.State, srec.Reason = ledger.ShipmentNotTold, "the channel takes no shipments (no ShipmentSink)"
		return e.store.PutShipment(ctx, srec)
	}
	mode := ch.Shipments
	if ps, ok := ch.Sink.(connector.PartialShipper); ok && !ps.SupportsPartialShipments() {
		mode = ShipWhenComplete
	}
	conf := connector.ShipmentConfirmation{Order: *rec.Order, Shipment: *s, Complete: complete, IdempotencyKey: key("confirm", srec.ID)}
	before := map[string]int{}
	for _, entry := range rec.Shipments {
		if entry.Matches(srec.Warehouse, s.ID) {
			break
		}
		for id, n := range entry.Lines {
			before[id] += n
		}
	}
	conf.Shipment.ID = channelShipmentID(rec, srec.Warehouse, s.ID)
	conf.Shipment.Lines = channelLines(rec.Order, s.Lines, before)
	var waiting []*ledger.ShipmentRecord
	if mode == ShipWhenComplete {
		if !complete {
			srec.State = ledger.ShipmentWaiting
			res.Waiting++
			return e.store.PutShipment(ctx, srec)
		}
		// One confirmation for the whole order, with every parcel, under an ID of the order's own
		// so that it is the same confirmation whichever shipment completes it.
		conf.Shipment = shipment.Shipment{ID: "order-" + key("complete", k.String()), RequestKey: s.RequestKey,
			Channel: s.Channel, OrderID: s.OrderID, At: s.At}
		conf.IdempotencyKey = key("confirm", k.String())
		for _, entry := range rec.Shipments {
			other := srec
			if !entry.Matches(srec.Warehouse, srec.Shipment.ID) {
				wh := cmp.Or(entry.Warehouse, srec.Warehouse)
				if other, err = e.store.GetShipment(ctx, shipmentID(m.cfg.ID, wh, entry.ID)); errors.Is(err, ledger.ErrNotFound) {
					continue // an entry recorded without its warehouse, shipped from another one
				} else if err != nil {
					return err
				}
				waiting = append(waiting, other)
			}
			conf.Shipment.Lines = append(conf.Shipment.Lines, other.Shipment.Lines...)
			conf.Shipment.Parcels = append(conf.Shipment.Parcels, other.Shipment.Parcels...)
		}
		conf.Shipment.Lines = channelLines(rec.Order, conf.Shipment.Lines, nil)
	}
	if len(conf.Shipment.Lines) == 0 {
		// Every unit it carried was cancelled on the channel (the warehouse refused the partial
		// cancellation): there is nothing the channel may be told.
		srec.State, srec.Reason = ledger.ShipmentNotTold, "every unit it carried was cancelled on the channel"
		return e.store.PutShipment(ctx, srec)
	}
	if err := ch.Sink.ConfirmShipment(ctx, conf); err != nil {
		switch connector.Classify(err) {
		case connector.Unauthorized:
			e.stop(ctx, m, ch.ID, err)
			return fmt.Errorf("%w: %w", ErrStopped, err)
		case connector.Permanent:
			return park("channel refused the shipment: " + err.Error())
		}
		return err
	}
	for _, w := range append(waiting, srec) {
		if w.State == ledger.ShipmentConfirmed {
			continue
		}
		w.State = ledger.ShipmentConfirmed
		if err := e.store.PutShipment(ctx, w); err != nil && !errors.Is(err, ledger.ErrConflict) {
			return err
		}
	}
	res.Confirmed++
	emit(e, ShipmentConfirmed{Key: k, Shipment: conf.Shipment.ID, Complete: complete})
	return nil
}

// apply adds a shipment's quantities to its order record and re-computes its reservation, which
// keeps the shipped units until a stock level taken after the shipment arrives. It returns a
// reason when the shipment cannot belong to the order.
func (e *Engine) apply(ctx context.Context, m *merchant, rec *ledger.OrderRecord, warehouse string, s *shipment.Shipment) (string, error) {
	for attempt := 0; ; attempt++ {
		if slices.ContainsFunc(rec.Shipments, func(x ledger.ShipmentEntry) bool { return x.Matches(warehouse, s.ID) }) {
			// Applied before a crash: the reservation may not have followed, so bring it in line.
			skus, err := e.reserveWritten(ctx, m, rec)
			e.pushAffected(ctx, m, skus)
			return "", err
		}
		if rec.Order.Status == order.StatusCancelled && !slices.ContainsFunc(rec.Requests, func(r ledger.Request) bool {
			return r.Target == warehouse && r.State != ledger.RequestCancelled
		}) {
			return "shipment for an order cancelled on the channel: the warehouse shipped after the cancellation (never confirmed to the channel)", nil
		}
		shipped := rec.Shipped()
		due := dueUnits(m, rec)
		lines := map[string]int{}
		for _, sl := range s.Lines {
			i := lineIndex(rec.Order, sl)
			if i < 0 {
				return fmt.Sprintf("shipment line %q (SKU %q) is not a line of the order", sl.LineID, sl.SKU), nil
			}
			l := rec.Order.Lines[i]
			want, ok := due[l.ID]
			if !ok {
				want = l.Open()
			}
			if open := want - shipped[l.ID] - lines[l.ID]; sl.Quantity > open {
				return fmt.Sprintf("shipment ships %d of line %q, but only %d are open (cancelled lines are never confirmed)", sl.Quantity, l.ID, max(open, 0)), nil
			}
			lines[l.ID] += sl.Quantity
		}
		rec.Shipments = append(rec.Shipments, ledger.ShipmentEntry{ID: s.ID, Warehouse: warehouse, At: s.At, Lines: lines})
		wasShipped := rec.State == ledger.StateShipped
		if shippedAll(m, rec) {
			rec.State = ledger.StateShipped
		}
		err := e.store.PutOrder(ctx, rec)
		if errors.Is(err, ledger.ErrConflict) && attempt < 3 {
			if rec, err = e.getOrder(ctx, rec.Key); err != nil {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", err
		}
		skus, err := e.reserveWritten(ctx, m, rec)
		if err != nil {
			return "", err
		}
		e.pushAffected(ctx, m, skus)
		if !wasShipped && rec.State == ledger.StateShipped {
			emit(e, OrderShipped{Key: rec.Key})
		}
		return "", nil
	}
}

// shippedAll reports whether every unit due from a warehouse has shipped.
func shippedAll(m *merchant, rec *ledger.OrderRecord) bool {
	shipped := rec.Shipped()
	for id, n := range dueUnits(m, rec) {
		if shipped[id] < n {
			return false
		}
	}
	return true
}

// channelShipmentID is the ID a channel is told for a shipment. Sinks are idempotent on it, and
// shipment IDs are unique only within one warehouse, so a shipment whose ID an earlier shipment
// of the order from another warehouse already carries is told apart by its warehouse. The
// choice depends only on the order's entries, which are appended and never reordered, so every
// retry of a confirmation carries the same ID.
func channelShipmentID(rec *ledger.OrderRecord, warehouse, id string) string {
	for _, x := range rec.Shipments {
		if x.ID == id {
			if x.Matches(warehouse, id) {
				return id
			}
			return id + "@" + warehouse
		}
	}
	return id
}

// lineIndex finds the order line a shipment line names, by line ID or else by SKU; -1 if none.
func lineIndex(o *order.Order, sl shipment.Line) int {
	return slices.IndexFunc(o.Lines, func(l order.Line) bool {
		return (sl.LineID != "" && l.ID == sl.LineID) || (sl.LineID == "" && l.SKU == sl.SKU)
	})
}

// channelLines trims shipment lines to the units the channel still wants, counting those in
// before as confirmed already: units the channel cancelled and the warehouse shipped anyway
// (it refused the cancellation) are never confirmed.
func channelLines(o *order.Order, lines []shipment.Line, before map[string]int) []shipment.Line {
	seen := maps.Clone(before)
	if seen == nil {
		seen = map[string]int{}
	}
	var out []shipment.Line
	for _, sl := range lines {
		i := lineIndex(o, sl)
		if i < 0 {
			out = append(out, sl)
			continue
		}
		l := o.Lines[i]
		prev := seen[l.ID]
		seen[l.ID] += sl.Quantity
		if n := min(seen[l.ID], l.Open()) - min(prev, l.Open()); n > 0 {
			// A warehouse may name the line by SKU alone; the channel is told which line it was.
			sl.LineID, sl.Quantity = l.ID, n
			out = append(out, sl)
		}
	}
	return out
}
