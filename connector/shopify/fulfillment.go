package shopify

import (
	"context"
	"fmt"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// The fulfillment-service role: Shopify assigns fulfillment orders to the service's location and
// the merchant requests fulfillment (or its cancellation); the service answers each request.

const foFields = `id orderId orderName status requestStatus updatedAt
      destination { firstName lastName company phone email address1 address2 city province zip countryCode }
      merchantRequests(first: 5) { nodes { kind message } }
      lineItems(first: $lines) {
        pageInfo { hasNextPage }
        nodes { id sku totalQuantity remainingQuantity lineItem { id name customAttributes { key value } } }
      }
      order { id createdAt updatedAt currencyCode customAttributes { key value } }`

const assignedQuery = `query AssignedFulfillmentOrders($first: Int!, $after: String, $status: FulfillmentOrderAssignmentStatus, $locations: [ID!], $lines: Int!) {
  assignedFulfillmentOrders(first: $first, after: $after, assignmentStatus: $status, locationIds: $locations) {
    pageInfo { hasNextPage endCursor }
    nodes { ` + foFields + ` }
  }
}`

type gqlFO struct {
	ID            string    `json:"id"`
	OrderID       string    `json:"orderId"`
	OrderName     string    `json:"orderName"`
	Status        string    `json:"status"`
	RequestStatus string    `json:"requestStatus"`
	UpdatedAt     time.Time `json:"updatedAt"`
	Destination   *struct {
		FirstName   *string `json:"firstName"`
		LastName    *string `json:"lastName"`
		Company     *string `json:"company"`
		Phone       *string `json:"phone"`
		Email       *string `json:"email"`
		Address1    *string `json:"address1"`
		Address2    *string `json:"address2"`
		City        *string `json:"city"`
		Province    *string `json:"province"`
		Zip         *string `json:"zip"`
		CountryCode *string `json:"countryCode"`
	} `json:"destination"`
	MerchantRequests struct {
		Nodes []struct {
			Kind    string  `json:"kind"`
			Message *string `json:"message"`
		} `json:"nodes"`
	} `json:"merchantRequests"`
	LineItems struct {
		PageInfo struct {
			HasNextPage bool `json:"hasNextPage"`
		} `json:"pageInfo"`
		Nodes []struct {
			ID                string  `json:"id"`
			SKU               *string `json:"sku"`
			TotalQuantity     int     `json:"totalQuantity"`
			RemainingQuantity int     `json:"remainingQuantity"`
			LineItem          struct {
				ID               string      `json:"id"`
				Name             string      `json:"name"`
				CustomAttributes []attribute `json:"customAttributes"`
			} `json:"lineItem"`
		} `json:"nodes"`
	} `json:"lineItems"`
	Order struct {
		ID               string      `json:"id"`
		CreatedAt        time.Time   `json:"createdAt"`
		UpdatedAt        time.Time   `json:"updatedAt"`
		CurrencyCode     string      `json:"currencyCode"`
		CustomAttributes []attribute `json:"customAttributes"`
	} `json:"order"`
}

// FulfillmentOrderPage is one page of fulfillment orders, each as an order.Order holding only
// the fulfillment order's lines. Refs[RefFulfillmentOrderID] names the fulfillment order, each
// line's Refs[RefFulfillmentOrderLineID] its fulfillment-order line item, and the line's ID is
// the order's line item ID, as ListOrders gives it.
type FulfillmentOrderPage struct {
	Orders  []order.Order
	Rejects []connector.Reject
	// Next continues the listing; "" on the last page.
	Next connector.Cursor
}

// FulfillmentRequests lists the fulfillment orders the merchant asked the service to fulfil
// and that await an answer (assignment status FULFILLMENT_REQUESTED).
func (c *Client) FulfillmentRequests(ctx context.Context, after connector.Cursor) (*FulfillmentOrderPage, error) {
	return c.assigned(ctx, "FULFILLMENT_REQUESTED", after)
}

// CancellationRequests lists the fulfillment orders whose cancellation the merchant requested
// (assignment status CANCELLATION_REQUESTED); answer each with AnswerCancellation.
func (c *Client) CancellationRequests(ctx context.Context, after connector.Cursor) (*FulfillmentOrderPage, error) {
	return c.assigned(ctx, "CANCELLATION_REQUESTED", after)
}

func (c *Client) assigned(ctx context.Context, status string, after connector.Cursor) (*FulfillmentOrderPage, error) {
	first := max(1, min(50, int((c.bucketMax()*0.9-2)/float64(c.perFOCost()))))
	vars := map[string]any{"first": first, "status": status, "lines": c.cfg.LinesPerOrder}
	if after != "" {
		vars["after"] = string(after)
	}
	if c.cfg.LocationID != "" {
		vars["locations"] = []string{c.cfg.LocationID}
	}
	var data struct {
		AssignedFulfillmentOrders struct {
			PageInfo pageInfo `json:"pageInfo"`
			Nodes    []gqlFO  `json:"nodes"`
		} `json:"assignedFulfillmentOrders"`
	}
	if err := c.do(ctx, op{name: "AssignedFulfillmentOrders", query: assignedQuery, vars: vars, estimate: 2 + first*c.perFOCost()}, &data); err != nil {
		return nil, err
	}
	page := &FulfillmentOrderPage{}
	for _, fo := range data.AssignedFulfillmentOrders.Nodes {
		o, err := c.mapFO(&fo)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: fo.ID, Err: err})
			continue
		}
		page.Orders = append(page.Orders, o)
	}
	if pi := data.AssignedFulfillmentOrders.PageInfo; pi.HasNextPage && pi.EndCursor != nil {
		page.Next = connector.Cursor(*pi.EndCursor)
	}
	return page, nil
}

// perFOCost: the fulfillment order, destination, request connection (2 + 5), line connection
// (2 + 3 per line: the line, its line item and the item's attributes), order and its attributes.
func (c *Client) perFOCost() int { return 1 + 1 + 7 + 2 + 3*c.cfg.LinesPerOrder + 2 }

// bucketMax is the most one query may cost: the bucket's size, but never more than Shopify's
// single-query limit, which holds whatever the bucket (Plus shops have larger buckets).
func (c *Client) bucketMax() float64 {
	c.bucket.mu.Lock()
	defer c.bucket.mu.Unlock()
	return min(c.bucket.max, MaxQueryCost)
}

func (c *Client) mapFO(fo *gqlFO) (order.Order, error) {
	o := order.Order{
		ID: fo.OrderID, Number: fo.OrderName, Status: order.StatusOpen, ChannelStatus: fo.RequestStatus,
		PlacedAt: fo.Order.CreatedAt.UTC(), UpdatedAt: fo.UpdatedAt.UTC(),
		Refs: map[string]string{RefOrderID: fo.OrderID, RefOrderName: fo.OrderName, RefFulfillmentOrderID: fo.ID},
	}
	lists := [][]attribute{fo.Order.CustomAttributes}
	for _, l := range fo.LineItems.Nodes {
		lists = append(lists, l.LineItem.CustomAttributes)
	}
	w := c.cfg.Attributes.read(lists...)
	o.Delivery, o.Gift = w.delivery, w.gift
	if fo.Status == "CANCELLED" || fo.RequestStatus == "CANCELLATION_REQUESTED" {
		o.Status = order.StatusCancelled
	}
	for _, r := range fo.MerchantRequests.Nodes {
		if r.Message != nil && *r.Message != "" {
			o.Refs[RefFulfillmentRequestMessage] = *r.Message
		}
	}
	if fo.LineItems.PageInfo.HasNextPage {
		return o, ErrTooManyLines
	}
	if d := fo.Destination; d != nil {
		o.ShipTo = mapAddress(&gqlAddress{FirstName: d.FirstName, LastName: d.LastName, Company: d.Company, Phone: d.Phone,
			Address1: d.Address1, Address2: d.Address2, City: d.City, Province: d.Province, Zip: d.Zip, CountryCodeV2: d.CountryCode})
		o.ShipTo.Email = deref(d.Email)
	}
	for _, l := range fo.LineItems.Nodes {
		o.Lines = append(o.Lines, order.Line{
			ID: l.LineItem.ID, SKU: deref(l.SKU), Name: l.LineItem.Name, Quantity: l.RemainingQuantity,
			Refs: map[string]string{RefLineItemID: l.LineItem.ID, RefFulfillmentOrderLineID: l.ID},
		})
	}
	if o.Status != order.StatusCancelled {
		if err := o.Validate(); err != nil {
			return o, fmt.Errorf("shopify: %w: %w", connector.ErrPermanent, err)
		}
	}
	return o, nil
}

// RejectReason is why a fulfillment request is rejected (FulfillmentOrderRejectionReason).
type RejectReason string

// The rejection reasons Shopify accepts.
const (
	RejectIncorrectAddress         RejectReason = "INCORRECT_ADDRESS"
	RejectOutOfStock               RejectReason = "INVENTORY_OUT_OF_STOCK"
	RejectIneligibleProduct        RejectReason = "INELIGIBLE_PRODUCT"
	RejectUndeliverableDestination RejectReason = "UNDELIVERABLE_DESTINATION"
	RejectOther                    RejectReason = "OTHER"
)

const payloadFields = `fulfillmentOrder { id status requestStatus } userErrors { field message }`

type foPayload struct {
	FulfillmentOrder *struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		RequestStatus string `json:"requestStatus"`
	} `json:"fulfillmentOrder"`
	UserErrors []userError `json:"userErrors"`
}

func (c *Client) foMutation(ctx context.Context, name, field, args, params string, vars map[string]any) error {
	q := `mutation ` + name + `(` + params + `) { ` + field + `(` + args + `) { ` + payloadFields + ` } }`
	var data map[string]foPayload
	if err := c.do(ctx, op{name: name, query: q, vars: vars, estimate: 10, mutation: true}, &data); err != nil {
		return err
	}
	return userErrorsErr(name, data[field].UserErrors)
}

// AcceptFulfillment accepts the fulfillment request of fulfillment order foID, telling the
// merchant when the warehouse expects to ship (estimatedShippedAt; zero leaves it out).
func (c *Client) AcceptFulfillment(ctx context.Context, foID, message string, estimatedShippedAt time.Time) error {
	vars := map[string]any{"id": foID, "message": nilIfEmpty(message)}
	if !estimatedShippedAt.IsZero() {
		vars["at"] = estimatedShippedAt.UTC().Format(time.RFC3339)
	}
	return c.foMutation(ctx, "AcceptFulfillmentRequest", "fulfillmentOrderAcceptFulfillmentRequest",
		"id: $id, message: $message, estimatedShippedAt: $at", "$id: ID!, $message: String, $at: DateTime", vars)
}

// RejectFulfillment rejects the fulfillment request of fulfillment order foID.
func (c *Client) RejectFulfillment(ctx context.Context, foID string, reason RejectReason, message string) error {
	return c.foMutation(ctx, "RejectFulfillmentRequest", "fulfillmentOrderRejectFulfillmentRequest",
		"id: $id, reason: $reason, message: $message", "$id: ID!, $reason: FulfillmentOrderRejectionReason, $message: String",
		map[string]any{"id": foID, "reason": string(reason), "message": nilIfEmpty(message)})
}

// AnswerCancellation answers the merchant's cancellation request of fulfillment order foID with
// the warehouse's answer: accepted, the order is not shipped; refused (already picked or
// shipped), Shopify keeps the fulfillment order and shows the merchant the reason.
func (c *Client) AnswerCancellation(ctx context.Context, foID string, a connector.Answer) error {
	if a.Accepted {
		return c.foMutation(ctx, "AcceptCancellationRequest", "fulfillmentOrderAcceptCancellationRequest",
			"id: $id, message: $message", "$id: ID!, $message: String", map[string]any{"id": foID, "message": nilIfEmpty(a.Reason)})
	}
	msg := a.Reason
	switch msg {
	case connector.RefusedShipped:
		msg = "The order has already shipped."
	case connector.RefusedPicked:
		msg = "The order has already been picked."
	}
	return c.foMutation(ctx, "RejectCancellationRequest", "fulfillmentOrderRejectCancellationRequest",
		"id: $id, message: $message", "$id: ID!, $message: String", map[string]any{"id": foID, "message": nilIfEmpty(msg)})
}

// Hold puts fulfillment order foID on hold with reason (a FulfillmentHoldReason such as
// "INCORRECT_ADDRESS", "UNKNOWN_DELIVERY_DATE", "OTHER") and handle, which identifies the hold
// among the app's (at most 10 per fulfillment order) and makes repeating the call harmless.
func (c *Client) Hold(ctx context.Context, foID, reason, handle, notes string) error {
	q := `mutation HoldFulfillmentOrder($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) { fulfillmentOrder { id status } userErrors { field message } }
}`
	var data struct {
		FulfillmentOrderHold struct {
			FulfillmentOrder *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"fulfillmentOrder"`
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentOrderHold"`
	}
	hold := map[string]any{"reason": reason, "handle": handle, "reasonNotes": nilIfEmpty(notes), "notifyMerchant": true}
	if err := c.do(ctx, op{name: "HoldFulfillmentOrder", query: q, vars: map[string]any{"id": foID, "hold": hold}, estimate: 10, mutation: true}, &data); err != nil {
		return err
	}
	return userErrorsErr("HoldFulfillmentOrder", data.FulfillmentOrderHold.UserErrors)
}

// ReleaseHold releases the app's holds on fulfillment order foID.
func (c *Client) ReleaseHold(ctx context.Context, foID string) error {
	q := `mutation ReleaseHold($id: ID!) { fulfillmentOrderReleaseHold(id: $id) { fulfillmentOrder { id status } userErrors { field message } } }`
	var data struct {
		FulfillmentOrderReleaseHold struct {
			FulfillmentOrder *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"fulfillmentOrder"`
			UserErrors []userError `json:"userErrors"`
		} `json:"fulfillmentOrderReleaseHold"`
	}
	if err := c.do(ctx, op{name: "ReleaseHold", query: q, vars: map[string]any{"id": foID}, estimate: 10, mutation: true}, &data); err != nil {
		return err
	}
	return userErrorsErr("ReleaseHold", data.FulfillmentOrderReleaseHold.UserErrors)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const pendingRequestsQuery = `query PendingRequests($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 10) { nodes { id requestStatus assignedLocation { location { id } } } } }
}`

// AcknowledgeOrder implements connector.Acknowledger for the fulfillment-service role: with
// Config.AcceptOnAcknowledge, once the engine has handed the order to the warehouse, the
// order's fulfillment requests awaiting an answer at Config.LocationID are accepted. A request
// the merchant sends later is not seen here; list those with FulfillmentRequests.
func (c *Client) AcknowledgeOrder(ctx context.Context, o order.Order) error {
	if !c.cfg.AcceptOnAcknowledge {
		return nil
	}
	var data struct {
		Order *struct {
			FulfillmentOrders struct {
				Nodes []struct {
					ID               string `json:"id"`
					RequestStatus    string `json:"requestStatus"`
					AssignedLocation struct {
						Location *struct {
							ID string `json:"id"`
						} `json:"location"`
					} `json:"assignedLocation"`
				} `json:"nodes"`
			} `json:"fulfillmentOrders"`
		} `json:"order"`
	}
	if err := c.do(ctx, op{name: "PendingRequests", query: pendingRequestsQuery, vars: map[string]any{"id": o.ID}, estimate: 1 + 2 + 10*3}, &data); err != nil {
		return err
	}
	if data.Order == nil {
		return fmt.Errorf("shopify: acknowledge: %w", connector.ErrNotFound)
	}
	for _, fo := range data.Order.FulfillmentOrders.Nodes {
		loc := fo.AssignedLocation.Location
		if fo.RequestStatus != "SUBMITTED" || c.cfg.LocationID != "" && (loc == nil || loc.ID != c.cfg.LocationID) {
			continue
		}
		if err := c.AcceptFulfillment(ctx, fo.ID, "", c.clock.Now().Add(c.cfg.ShipWithin)); err != nil {
			return err
		}
	}
	return nil
}
