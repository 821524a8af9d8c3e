package sim

import (
	"errors"
	"slices"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// baseline is the integration the seed article describes, built as plainly: every 15 minutes
// it lists each channel's orders, sends the ones it has not seen to the warehouse as they are
// then, confirms shipments, and overwrites every channel's stock with the warehouse's free
// stock. It reserves nothing across channels and never forwards a change or a cancellation
// (内容変更やキャンセルは反映されない); an order already cancelled when first seen is skipped.
func (w *world) baseline() error {
	now := w.now()
	for c, ch := range w.chans {
		var page connector.Cursor
		for {
			p, err := ch.ListOrders(w.ctx, connector.ListOrdersRequest{From: w.lastRun[c], To: now, Page: page, Limit: ch.api.p.PageSize})
			if err != nil {
				var rl *connector.RateLimitError
				if errors.As(err, &rl) {
					break // a plain loop gives up until next time
				}
				return err
			}
			for _, o := range p.Orders {
				if w.seen[c][o.ID] {
					continue
				}
				w.seen[c][o.ID] = true
				if o.Status == order.StatusCancelled {
					continue
				}
				err := w.wh.Submit(w.ctx, connector.FulfillmentRequest{Key: "baseline/" + w.names[c] + "/" + o.ID, Merchant: merchantID, Channel: w.names[c], Order: o})
				if err != nil {
					return err
				}
			}
			if p.Next == "" {
				break
			}
			page = p.Next
		}
		w.lastRun[c] = now
	}
	if err := w.baselineShipments(); err != nil {
		return err
	}
	return w.baselineStock()
}

// baselineShipments confirms each new shipment to its channel once.
func (w *world) baselineShipments() error {
	idx := map[string]int{}
	for c, n := range w.names {
		idx[n] = c
	}
	for {
		p, err := w.wh.ListShipments(w.ctx, w.shipCur)
		if err != nil {
			return err
		}
		for _, s := range p.Shipments {
			c := idx[s.Channel]
			o, _ := w.mems[c].Order(s.OrderID)
			_ = w.chans[c].ConfirmShipment(w.ctx, connector.ShipmentConfirmation{Order: o, Shipment: s, Complete: true, IdempotencyKey: s.ID})
		}
		w.shipCur = p.Next
		if !p.More {
			return nil
		}
	}
}

// baselineStock overwrites every product on every channel with the warehouse's free stock:
// on hand less the units of requests it holds and has not shipped (what a WMS reports as
// available, OpenLogi's `available` in research §7.1).
func (w *world) baselineStock() error {
	alloc := map[string]int{}
	for _, k := range w.open {
		r, ok := w.wh.Request(k)
		if !ok || r.State == "cancelled" || r.State == "shipped" {
			continue
		}
		for _, l := range r.Order.Lines {
			for _, it := range w.items[l.SKU] {
				alloc[it.SKU] += l.Open() * it.Quantity
			}
		}
	}
	for _, k := range w.wh.fresh {
		r, _ := w.wh.Request(k)
		for _, l := range r.Order.Lines {
			for _, it := range w.items[l.SKU] {
				alloc[it.SKU] += l.Open() * it.Quantity
			}
		}
	}
	var ups []connector.StockUpdate
	for _, p := range w.rep.Catalogue.Products {
		best := -1
		for _, it := range p.Items {
			n := max(0, w.wh.OnHand(it.SKU)-alloc[it.SKU]) / it.Quantity
			if best < 0 || n < best {
				best = n
			}
		}
		ups = append(ups, connector.StockUpdate{SKU: p.SKU, Available: best})
	}
	for _, ch := range w.chans {
		for b := range slices.Chunk(ups, ch.BatchLimit()) {
			if _, err := ch.SetStock(w.ctx, b); err != nil {
				var rl *connector.RateLimitError
				if errors.As(err, &rl) {
					break
				}
				return err
			}
		}
	}
	return nil
}
