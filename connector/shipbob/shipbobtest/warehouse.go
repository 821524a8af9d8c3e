package shipbobtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrUnknownOrder is returned by the warehouse steps for a reference_id the fake does not hold.
var ErrUnknownOrder = errors.New("shipbobtest: no order with that reference_id")

// ErrWrongState is returned by a warehouse step the shipment's status does not allow.
var ErrWrongState = errors.New("shipbobtest: the shipment's status does not allow that step")

// SetOnHand sets a SKU's on-hand quantity, as a count or a receipt does, creating the
// inventory item (named after the SKU) when it is new.
func (s *Server) SetOnHand(sku string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	it := s.itemBySKU(sku)
	if it == nil {
		it = s.addItem(sku, sku, n, now)
	}
	it.level.TotalOnHandQuantity = n
	it.updated = now
	s.commit()
}

// OnHand returns a SKU's on-hand quantity and whether the fake knows the SKU.
func (s *Server) OnHand(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if it := s.itemBySKU(sku); it != nil {
		return it.level.TotalOnHandQuantity, true
	}
	return 0, false
}

// Line is a SKU and quantity of an order the fake holds.
type Line struct {
	SKU      string
	Quantity int
}

// Held is what the fake holds for a reference_id.
type Held struct {
	// Copies is how many orders carry the reference_id.
	Copies int
	// OrderID and ShipmentID are ShipBob's IDs of the (first) order and its shipment.
	OrderID, ShipmentID int
	// Status is the order's status; ShipmentStatus the shipment's, with its status details.
	Status, ShipmentStatus string
	Details                []string
	// Lines are the shipment's SKUs and quantities.
	Lines []Line
	// Name, Address1, City and Tags are what the warehouse would ship to and print.
	Name, Address1, City string
	Tags                 map[string]string
	// Tracking is the shipment's tracking number once shipped.
	Tracking string
}

// Held returns what the fake holds for reference_id.
func (s *Server) Held(ref string) Held {
	s.mu.Lock()
	defer s.mu.Unlock()
	var h Held
	for _, o := range s.orders {
		if o.view.ReferenceID != ref {
			continue
		}
		h.Copies++
		if h.Copies > 1 {
			continue
		}
		h.OrderID, h.Status = o.view.ID, o.view.Status
		h.Name = o.view.Recipient.Name
		h.Tags = map[string]string{}
		for _, t := range o.view.Tags {
			h.Tags[t.Name] = t.Value
		}
		sh := o.view.Shipments[0]
		h.ShipmentID, h.ShipmentStatus = sh.ID, sh.Status
		for _, d := range sh.StatusDetails {
			h.Details = append(h.Details, d.Name)
		}
		if sh.Recipient.Address != nil {
			h.Address1, h.City = sh.Recipient.Address.Address1, sh.Recipient.Address.City
		}
		for _, p := range sh.Products {
			for _, ii := range p.InventoryItems {
				sku := ""
				if p.SKU != nil {
					sku = *p.SKU
				}
				h.Lines = append(h.Lines, Line{SKU: sku, Quantity: ii.Quantity})
			}
		}
		if sh.Tracking != nil && sh.Tracking.TrackingNumber != nil {
			h.Tracking = *sh.Tracking.TrackingNumber
		}
	}
	return h
}

// step moves the shipment of ref along, if its status allows.
func (s *Server) step(ref string, f func(o *order, sh *shipmentView, now time.Time) error) error {
	s.mu.Lock()
	var ds []delivery
	err := func() error {
		for _, o := range s.orders {
			if o.view.ReferenceID == ref {
				now := s.now()
				if err := f(o, &o.view.Shipments[0], now); err != nil {
					return err
				}
				o.view.Shipments[0].LastUpdateAt = ptr(stamp(now))
				s.commit()
				if o.view.Shipments[0].Status == "Completed" {
					ds = s.owed("order.shipped", s.viewOf(o))
				}
				return nil
			}
		}
		return fmt.Errorf("%w: %q", ErrUnknownOrder, ref)
	}()
	s.mu.Unlock()
	if err == nil {
		s.deliver(context.Background(), ds)
	}
	return err
}

func detail(sh *shipmentView, name, desc string) {
	sh.StatusDetails = append(slices.DeleteFunc(sh.StatusDetails, func(d statusDetail) bool {
		return d.Name == "Picked" || d.Name == "Packed"
	}), statusDetail{ID: len(sh.StatusDetails) + 1, Name: name, Description: desc})
}

// Pick makes the warehouse pick the order's items: from now on it refuses changes and
// cancellations.
func (s *Server) Pick(ref string) error {
	return s.step(ref, func(_ *order, sh *shipmentView, _ time.Time) error {
		if sh.Status != "Processing" {
			return fmt.Errorf("%w: pick a %s shipment", ErrWrongState, sh.Status)
		}
		detail(sh, "Picked", "Items picked from the shelves")
		return nil
	})
}

// Pack makes the warehouse pack the order.
func (s *Server) Pack(ref string) error {
	return s.step(ref, func(_ *order, sh *shipmentView, _ time.Time) error {
		if sh.Status != "Processing" {
			return fmt.Errorf("%w: pack a %s shipment", ErrWrongState, sh.Status)
		}
		detail(sh, "Packed", "Items packed")
		return nil
	})
}

// Label makes the warehouse buy the label: the shipment is LabeledCreated, with tracking, and
// no longer changes. ShipBob's guide: it "will quickly move to Completed".
func (s *Server) Label(ref, carrier, tracking string) error {
	return s.step(ref, func(_ *order, sh *shipmentView, now time.Time) error {
		if sh.Status != "Processing" {
			return fmt.Errorf("%w: label a %s shipment", ErrWrongState, sh.Status)
		}
		sh.Status = "LabeledCreated"
		sh.Tracking = &trackingView{Carrier: ptr(carrier), CarrierService: ptr("Ground"), TrackingNumber: ptr(tracking)}
		sh.LastTrackingUpdateAt = ptr(stamp(now))
		return nil
	})
}

// Ship makes the warehouse ship the order with carrier and tracking number (those of its label,
// if Label ran), taking the units out of stock and notifying order.shipped subscribers.
func (s *Server) Ship(ref, carrier, tracking string) error {
	return s.step(ref, func(o *order, sh *shipmentView, now time.Time) error {
		if sh.Status != "Processing" && sh.Status != "LabeledCreated" {
			return fmt.Errorf("%w: ship a %s shipment", ErrWrongState, sh.Status)
		}
		if sh.Tracking != nil && sh.Tracking.TrackingNumber != nil {
			carrier, tracking = *sh.Tracking.Carrier, *sh.Tracking.TrackingNumber
		}
		for _, p := range sh.Products {
			for _, ii := range p.InventoryItems {
				for _, it := range s.items {
					if it.level.InventoryID == ii.ID {
						it.level.TotalOnHandQuantity -= ii.Quantity
						it.updated = now
					}
				}
			}
		}
		sh.Status = "Completed"
		sh.StatusDetails = []statusDetail{}
		sh.Tracking = &trackingView{Carrier: ptr(carrier), CarrierService: ptr("Ground"), TrackingNumber: ptr(tracking),
			ShippingDate: ptr(stamp(now))}
		sh.LastTrackingUpdateAt = ptr(stamp(now))
		sh.ActualFulfillmentDate = ptr(stamp(now))
		o.view.Status = "Fulfilled"
		o.updated = now
		return nil
	})
}

// Refuse makes the warehouse refuse the order (stock missing): the shipment goes to Exception.
func (s *Server) Refuse(ref string) error {
	return s.step(ref, func(o *order, sh *shipmentView, now time.Time) error {
		if sh.Status != "Processing" {
			return fmt.Errorf("%w: refuse a %s shipment", ErrWrongState, sh.Status)
		}
		sh.Status = "Exception"
		sh.StatusDetails = []statusDetail{{ID: 1, Name: "OutOfStock", Description: "Not enough inventory to fulfill"}}
		o.view.Status = "Exception"
		o.updated = now
		return nil
	})
}

// Place creates an order directly in the fake, as a merchant's other systems would, and
// returns its ShipBob order ID.
func (s *Server) Place(ref string, lines ...Line) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var products []productInfo
	var shipProducts []shipmentProduct
	for _, l := range lines {
		it := s.itemBySKU(l.SKU)
		if it == nil {
			it = s.addItem(l.SKU, l.SKU, 0, now)
		}
		products = append(products, productInfo{ID: ptr(it.level.InventoryID), ReferenceID: ptr(l.SKU), SKU: ptr(l.SKU), Quantity: l.Quantity})
		shipProducts = append(shipProducts, shipmentProduct{ID: it.level.InventoryID, ReferenceID: ptr(l.SKU), SKU: ptr(l.SKU),
			Name: ptr(it.level.Name), InventoryItems: []inventoryItem{{ID: it.level.InventoryID, Name: it.level.Name, Quantity: l.Quantity}}})
	}
	oid, sid := s.nextOrder, s.nextShipment
	s.nextOrder++
	s.nextShipment++
	addr := address{Address1: "1-2-3 Jingumae", City: "Shibuya-ku", Country: "JP", State: ptr("Tokyo"), ZipCode: ptr("150-0001")}
	rcp := recipient{Name: "Taro Yamada", Address: addr}
	o := &order{updated: now, view: orderView{ID: oid, CreatedDate: stamp(now), ReferenceID: ref, Status: "Processing", Type: "DTC",
		Channel: channelInfo{ID: s.opts.ChannelID, Name: "Tobira"}, ShippingMethod: "Standard", Recipient: rcp,
		Products: products, Tags: []tag{},
		Shipments: []shipmentView{{ID: sid, OrderID: oid, ReferenceID: ref, CreatedDate: stamp(now), LastUpdateAt: ptr(stamp(now)),
			Status: "Processing", StatusDetails: []statusDetail{}, ShipOption: ptr("Standard"),
			Recipient: recipientView{Name: &rcp.Name, FullName: &rcp.Name, Address: &addr}, Products: shipProducts}}}}
	s.orders = append(s.orders, o)
	s.commit()
	return oid
}
