package shipbobtest

import (
	"net/http"
	"strconv"
	"time"
)

// lineItemDetail is Orders.ShipmentLineItemDetail.
type lineItemDetail struct {
	InventoryID       int            `json:"inventory_id"`
	Quantity          int            `json:"quantity"`
	CommittedQuantity int            `json:"committed_quantity"`
	IsHazmat          *bool          `json:"is_hazmat"`
	IsLot             *bool          `json:"is_lot"`
	ProductVariant    productVariant `json:"product_variant"`
	SerialNumbers     []string       `json:"serial_numbers"`
}

// productVariant is Orders.ProductVariantDetail.
type productVariant struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	SKU  string `json:"sku"`
}

// updateLineItems is Orders.UpdateLineItemsRequest.
type updateLineItems struct {
	Items []lineItemIn `json:"items"`
}

// lineItemIn is Orders.ShipmentLineItemsViewModel.
type lineItemIn struct {
	InventoryID           *int    `json:"inventory_id"`
	Quantity              *int    `json:"quantity"`
	ID                    *int    `json:"id,omitempty"`
	FulfillmentCenterID   *int    `json:"fulfillment_center_id,omitempty"`
	IsManuallyAssignedLot *bool   `json:"is_manually_assigned_lot,omitempty"`
	LotDate               *string `json:"lot_date,omitempty"`
	LotNumber             *string `json:"lot_number,omitempty"`
}

// lineItemsResp is Orders.ShipmentLineItemsApiResponse.
type lineItemsResp struct {
	ID                int64            `json:"id"`
	IsSuccess         bool             `json:"is_success"`
	ShipmentLineItems []lineItemChange `json:"shipment_line_items"`
}

// lineItemChange is Orders.ShipmentLineItemResponse.
type lineItemChange struct {
	Action        string  `json:"action"`
	InventoryID   int     `json:"inventory_id"`
	PreviousValue *string `json:"previous_value"`
	NewValue      *string `json:"new_value"`
}

func (s *Server) getLineItems(rec *recorder, id string) {
	_, sh := s.shipmentByID(id)
	if sh == nil {
		rec.json(http.StatusNotFound, errorResp{Code: "NOT_FOUND", Message: "Shipment not found"})
		return
	}
	out := []lineItemDetail{}
	for _, p := range sh.Products {
		for _, ii := range p.InventoryItems {
			committed := 0
			if sh.Status == "Processing" {
				committed = ii.Quantity
			}
			sku := ""
			if p.SKU != nil {
				sku = *p.SKU
			}
			out = append(out, lineItemDetail{InventoryID: ii.ID, Quantity: ii.Quantity, CommittedQuantity: committed,
				IsHazmat: ptr(false), IsLot: ptr(false), ProductVariant: productVariant{ID: ii.ID, Name: ii.Name, SKU: sku},
				SerialNumbers: []string{}})
		}
	}
	rec.json(http.StatusOK, out)
}

// updateLineItemsOf replaces the shipment's line items with the complete list given.
func (s *Server) updateLineItemsOf(rec *recorder, id string, body []byte, now time.Time) {
	o, sh := s.shipmentByID(id)
	if sh == nil {
		rec.json(http.StatusBadRequest, errorResp{Code: "NOT_FOUND", Message: "Shipment not found"})
		return
	}
	var in updateLineItems
	if err := decodeStrict(body, &in); err != nil || len(in.Items) == 0 {
		rec.json(http.StatusBadRequest, errorResp{Code: "INVALID_PARAMETER", Message: "items must list every line item"})
		return
	}
	want := map[int]int{}
	var order []int
	for _, it := range in.Items {
		if it.InventoryID == nil || it.Quantity == nil || *it.Quantity < 1 {
			rec.json(http.StatusBadRequest, errorResp{Code: "INVALID_PARAMETER", Message: "inventory_id and a positive quantity are required"})
			return
		}
		if s.itemByID(*it.InventoryID) == nil {
			rec.json(http.StatusBadRequest, errorResp{Code: "NOT_FOUND", Message: "Inventory item not found"})
			return
		}
		if _, dup := want[*it.InventoryID]; !dup {
			order = append(order, *it.InventoryID)
		}
		want[*it.InventoryID] += *it.Quantity
	}
	if why := frozen(sh); why != "" {
		rec.json(http.StatusBadRequest, errorResp{Code: "VALIDATION_ERROR", Message: why})
		return
	}
	had := map[int]int{}
	for _, p := range sh.Products {
		for _, ii := range p.InventoryItems {
			had[ii.ID] += ii.Quantity
		}
	}
	changes := []lineItemChange{}
	for id, q := range had {
		if _, keep := want[id]; !keep {
			changes = append(changes, lineItemChange{Action: "Removed", InventoryID: id, PreviousValue: ptr(strconv.Itoa(q))})
		}
	}
	var shipProducts []shipmentProduct
	var products []productInfo
	for _, id := range order {
		it := s.itemByID(id)
		q := want[id]
		switch prev, ok := had[id]; {
		case !ok:
			changes = append(changes, lineItemChange{Action: "Added", InventoryID: id, NewValue: ptr(strconv.Itoa(q))})
		case prev != q:
			changes = append(changes, lineItemChange{Action: "Updated", InventoryID: id, PreviousValue: ptr(strconv.Itoa(prev)), NewValue: ptr(strconv.Itoa(q))})
		}
		sku := it.level.SKU
		shipProducts = append(shipProducts, shipmentProduct{ID: id, ReferenceID: ptr(sku), SKU: ptr(sku), Name: ptr(it.level.Name),
			InventoryItems: []inventoryItem{{ID: id, Name: it.level.Name, Quantity: q}}})
		products = append(products, productInfo{ID: ptr(id), ReferenceID: ptr(sku), SKU: ptr(sku), Quantity: q})
	}
	sh.Products = shipProducts
	o.view.Products = products
	sh.LastUpdateAt = ptr(stamp(now))
	s.commit()
	rec.json(http.StatusOK, lineItemsResp{ID: int64(sh.ID), IsSuccess: true, ShipmentLineItems: changes})
}

func (s *Server) itemByID(id int) *item {
	for _, it := range s.items {
		if it.level.InventoryID == id {
			return it
		}
	}
	return nil
}
