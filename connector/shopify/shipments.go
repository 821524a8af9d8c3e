package shopify

import (
	"context"
	"fmt"
	"slices"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/shipment"
)

// companies maps Tobira's carriers to Shopify's tracking company names. The names on Shopify's
// supported list (FulfillmentTrackingInput.company's description) make Shopify build the
// tracking link itself; for the others we send the carrier's name and our tracking URL.
var companies = map[shipment.Carrier]string{
	shipment.Yamato:    "Yamato (JA)",
	shipment.Sagawa:    "Sagawa (JA)",
	shipment.JapanPost: "Japan Post (JA)",
	shipment.EMS:       "Japan Post (EN)",
	shipment.DHL:       "DHL Express",
	shipment.FedEx:     "FedEx",
	shipment.UPS:       "UPS",
	shipment.USPS:      "USPS",
	shipment.Seino:     "Seino Transportation",
	shipment.Fukuyama:  "Fukuyama Transporting",
	shipment.Ecohai:    "Ecohai",
}

// Company returns the tracking company name Shopify gets for carrier c ("" for CarrierOther).
func Company(c shipment.Carrier) string { return companies[c] }

// SupportsPartialShipments implements connector.PartialShipper: Shopify fulfils any quantity of
// any fulfillment-order line.
func (c *Client) SupportsPartialShipments() bool { return true }

const shipStateQuery = `query ShipmentState($id: ID!, $lines: Int!) {
  order(id: $id) {
    id
    fulfillments(first: 250) { id status trackingInfo(first: 20) { number } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        lineItems(first: $lines) { nodes { id sku remainingQuantity lineItem { id } } }
      }
    }
  }
}`

type shipState struct {
	Order *struct {
		ID           string `json:"id"`
		Fulfillments []struct {
			ID           string `json:"id"`
			Status       string `json:"status"`
			TrackingInfo []struct {
				Number *string `json:"number"`
			} `json:"trackingInfo"`
		} `json:"fulfillments"`
		FulfillmentOrders struct {
			Nodes []struct {
				ID        string `json:"id"`
				Status    string `json:"status"`
				LineItems struct {
					Nodes []struct {
						ID                string  `json:"id"`
						SKU               *string `json:"sku"`
						RemainingQuantity int     `json:"remainingQuantity"`
						LineItem          struct {
							ID string `json:"id"`
						} `json:"lineItem"`
					} `json:"nodes"`
				} `json:"lineItems"`
			} `json:"nodes"`
		} `json:"fulfillmentOrders"`
	} `json:"order"`
}

const fulfillmentCreateMutation = `mutation CreateFulfillment($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status }
    userErrors { field message }
  }
}`

// ConfirmShipment implements connector.ShipmentSink with fulfillmentCreate: each shipment line
// (matched to the order's fulfillment-order line items by line item ID, else by SKU) becomes a
// quantity of a fulfillment-order line item, and the parcels become tracking info.
//
// fulfillmentCreate takes no idempotency key in 2026-07, so the shipment is recognised by its
// tracking numbers: if a fulfillment of the order (not cancelled) already carries one of them,
// the shipment was confirmed before and nothing is sent. A shipment without tracking numbers
// cannot be recognised that way; the engine's outbox is then what keeps it to one call.
func (c *Client) ConfirmShipment(ctx context.Context, sc connector.ShipmentConfirmation) error {
	s := sc.Shipment
	// The order's ID is Shopify's (ListOrders and the webhook set it); Refs and the shipment's
	// echo of it are the fallbacks.
	orderID := sc.Order.ID
	if orderID == "" {
		orderID = sc.Order.Refs[RefOrderID]
	}
	if orderID == "" {
		orderID = s.OrderID
	}
	if len(s.Lines) == 0 {
		return fmt.Errorf("shopify: shipment %s has no lines: %w", s.ID, connector.ErrPermanent)
	}
	var st shipState
	if err := c.do(ctx, op{name: "ShipmentState", query: shipStateQuery, vars: map[string]any{"id": orderID, "lines": c.cfg.LinesPerOrder}, estimate: 5 + 5*(3+2*c.cfg.LinesPerOrder)}, &st); err != nil {
		return err
	}
	if st.Order == nil {
		return fmt.Errorf("shopify: order of shipment %s: %w", s.ID, connector.ErrNotFound)
	}
	var numbers []string
	for _, p := range s.Parcels {
		if p.TrackingNumber != "" {
			numbers = append(numbers, p.TrackingNumber)
		}
	}
	for _, f := range st.Order.Fulfillments {
		if f.Status == "CANCELLED" || f.Status == "ERROR" || f.Status == "FAILURE" {
			continue
		}
		for _, t := range f.TrackingInfo {
			if t.Number != nil && slices.Contains(numbers, *t.Number) {
				c.log.DebugContext(ctx, "shipment already confirmed", "shipment", s.ID, "fulfillment", f.ID)
				return nil
			}
		}
	}

	// Allocate each shipment line to fulfillment-order line items with remaining quantity.
	type foLine struct {
		fo, id, sku, lineItem string
		remaining             int
	}
	var lines []*foLine
	for _, fo := range st.Order.FulfillmentOrders.Nodes {
		if fo.Status != "OPEN" && fo.Status != "IN_PROGRESS" {
			continue
		}
		for _, l := range fo.LineItems.Nodes {
			lines = append(lines, &foLine{fo: fo.ID, id: l.ID, sku: deref(l.SKU), lineItem: l.LineItem.ID, remaining: l.RemainingQuantity})
		}
	}
	alloc := map[string]map[string]int{} // fulfillment order → line item → quantity
	var foOrder []string
	for i, sl := range s.Lines {
		need := sl.Quantity
		for _, l := range lines {
			if need == 0 {
				break
			}
			match := sl.LineID != "" && (l.lineItem == sl.LineID || l.id == sl.LineID) || sl.LineID == "" && l.sku == sl.SKU
			if !match || l.remaining == 0 {
				continue
			}
			q := min(need, l.remaining)
			if alloc[l.fo] == nil {
				alloc[l.fo] = map[string]int{}
				foOrder = append(foOrder, l.fo)
			}
			alloc[l.fo][l.id] += q
			l.remaining -= q
			need -= q
		}
		if need > 0 {
			return fmt.Errorf("shopify: shipment %s lines[%d]: %d more units than remain unfulfilled: %w", s.ID, i, need, connector.ErrPermanent)
		}
	}
	var groups []map[string]any
	for _, fo := range foOrder {
		var items []map[string]any
		for id, q := range alloc[fo] {
			items = append(items, map[string]any{"id": id, "quantity": q})
		}
		slices.SortFunc(items, func(a, b map[string]any) int { return compareStrings(a["id"].(string), b["id"].(string)) })
		groups = append(groups, map[string]any{"fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items})
	}
	input := map[string]any{"lineItemsByFulfillmentOrder": groups, "notifyCustomer": true}
	if len(s.Parcels) > 0 {
		carrier := s.Parcels[0].Carrier
		tracking := map[string]any{"numbers": numbers}
		if name := Company(carrier); name != "" {
			tracking["company"] = name
		}
		var urls []string
		for _, p := range s.Parcels {
			if u := p.Carrier.TrackingURL(p.TrackingNumber); u != "" {
				urls = append(urls, u)
			}
		}
		if len(urls) == len(numbers) && len(urls) > 0 {
			tracking["urls"] = urls
		}
		input["trackingInfo"] = tracking
	}
	var data struct {
		FulfillmentCreate struct {
			Fulfillment *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"fulfillment"`
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	vars := map[string]any{"fulfillment": input, "message": "Tobira shipment " + s.ID}
	if err := c.do(ctx, op{name: "CreateFulfillment", query: fulfillmentCreateMutation, vars: vars, estimate: 10, mutation: true}, &data); err != nil {
		return err
	}
	return userErrorsErr("CreateFulfillment", data.FulfillmentCreate.UserErrors)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
