package shipbob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
)

// Tags the client puts on the orders it creates.
const (
	TagMerchant     = "tobira_merchant"
	TagChannel      = "tobira_channel"
	TagOrder        = "tobira_order"
	TagDeliveryDate = "tobira_delivery_date"
	TagDeliverySlot = "tobira_delivery_slot"
	TagNoshi        = "tobira_noshi"
	TagWrapping     = "tobira_wrapping"
)

// ReferenceID returns the reference_id the client gives ShipBob for a request key: the key
// itself, or, when it is longer than 100 bytes or holds a comma (ReferenceIds is a
// comma-separated filter), "tobira-" and a hash of it.
func ReferenceID(key string) string {
	if len(key) <= 100 && !strings.ContainsAny(key, ",") && strings.TrimSpace(key) == key {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "tobira-" + hex.EncodeToString(sum[:20])
}

// Submit creates the request's order on ShipBob, once. The first create of a key is sent
// directly; a key whose create had an unknown outcome (lost answer, 5xx) in this Client is read
// back by reference_id before anything is sent again, and so is every key when
// Config.ReadBackFirst is set. ShipBob refuses a reference_id it already holds (422), and the
// refusal is read back too: a retry after a restart, or a racing replica, finds the order
// instead of creating a second one.
func (c *Client) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	if r.Key == "" {
		return errorf("submit: empty request key: %w", connector.ErrPermanent)
	}
	if _, ok := c.answered(cancelledFirst(r.Key)); ok {
		return nil // cancelled before it was ever sent: nothing to ship
	}
	body, err := c.createBody(r)
	if err != nil {
		return err
	}
	ref := ReferenceID(r.Key)
	if _, uncertain := c.answered(unknownOutcome(r.Key)); uncertain || c.cfg.ReadBackFirst {
		o, err := c.findByRef(ctx, ref)
		if err != nil {
			return errorf("submit: %w", err)
		}
		if o != nil {
			c.forget(unknownOutcome(r.Key))
			return nil
		}
	}
	err = c.create(ctx, ref, body)
	switch {
	case err == nil:
		c.forget(unknownOutcome(r.Key))
	case errors.Is(err, connector.ErrOutcomeUnknown):
		c.remember(unknownOutcome(r.Key), connector.Answer{})
	}
	return err
}

func (c *Client) create(ctx context.Context, ref string, body []byte) error {
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/order", body: body, channel: true})
	if err == nil {
		return nil
	}
	var se *httpclient.StatusError
	var rl *connector.RateLimitError
	switch {
	case errors.As(err, &rl), errors.Is(err, connector.ErrUnauthorized), errors.Is(err, connector.ErrOutcomeUnknown),
		errors.Is(err, context.Canceled) && !errors.As(err, &se):
		return errorf("submit: %w", err)
	case errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity:
		// ShipBob refuses a reference_id it already holds: an earlier or racing create landed.
		o, ferr := c.findByRef(ctx, ref)
		if ferr != nil {
			return errorf("submit: refused (422), and reading it back failed: %w", ferr)
		}
		if o != nil {
			return nil
		}
		return errorf("submit: %w", err)
	case errors.As(err, &se) && se.Status >= 500:
		// The create may have landed before the server failed: the retry reads it back.
		return errorf("submit: %w: %w", connector.ErrOutcomeUnknown, err)
	case errors.As(err, &se):
		return errorf("submit: %w", err)
	default:
		// The connection broke after the request went out: it may have landed.
		return errorf("submit: %w: %w", connector.ErrOutcomeUnknown, err)
	}
}

func unknownOutcome(key string) string { return "\x00unknown-outcome\x00" + key }

func cancelledFirst(key string) string { return "\x00cancelled-before-submit\x00" + key }

func (c *Client) createBody(r connector.FulfillmentRequest) ([]byte, error) {
	o := r.Order
	if o.Payment.Method == order.PaymentCashOnDelivery {
		return nil, errorf("submit: cash on delivery has no field on ShipBob: %w", connector.ErrPermanent)
	}
	req := createOrderReq{ReferenceID: ReferenceID(r.Key), OrderNumber: o.Number, Type: "DTC",
		ShippingMethod: c.cfg.ShippingMethod, Recipient: recipientOf(o.ShipTo)}
	if req.OrderNumber == "" {
		req.OrderNumber = o.ID
	}
	if !o.PlacedAt.IsZero() {
		req.PurchaseDate = o.PlacedAt.UTC().Format(time.RFC3339)
	}
	for _, l := range o.Lines {
		n := l.Open()
		if n <= 0 {
			continue
		}
		if l.SKU == "" {
			return nil, errorf("submit: line %q has no SKU: %w", l.ID, connector.ErrPermanent)
		}
		name := l.Name
		if name == "" {
			name = l.SKU
		}
		req.Products = append(req.Products, productReq{ReferenceID: l.SKU, Name: name, Quantity: n, UnitPrice: price(l.UnitPrice)})
	}
	if len(req.Products) == 0 {
		return nil, errorf("submit: no open lines: %w", connector.ErrPermanent)
	}
	if req.Recipient.Name == "" || req.Recipient.Address.Address1 == "" || req.Recipient.Address.City == "" {
		return nil, errorf("submit: the address lacks a name, first line or city: %w", connector.ErrPermanent)
	}
	tags := [][2]string{{TagMerchant, r.Merchant}, {TagChannel, r.Channel}, {TagOrder, o.ID}}
	if req.ReferenceID != r.Key {
		tags = append(tags, [2]string{TagKey, r.Key})
	}
	if !o.Delivery.Date.IsZero() {
		tags = append(tags, [2]string{TagDeliveryDate, o.Delivery.Date.String()})
	}
	tags = append(tags, [2]string{TagDeliverySlot, string(o.Delivery.Slot)})
	if o.Gift != nil {
		req.GiftMessage = o.Gift.Message
		tags = append(tags, [2]string{TagNoshi, o.Gift.Noshi})
		if o.Gift.Wrapping {
			tags = append(tags, [2]string{TagWrapping, "true"})
		}
	}
	for _, t := range tags {
		if t[1] != "" {
			req.Tags = append(req.Tags, tagJSON{Name: t[0], Value: t[1]})
		}
	}
	return json.Marshal(req)
}

func recipientOf(a order.Address) recipientReq {
	country := a.Country
	if country == "" {
		country = "JP"
	}
	return recipientReq{Name: a.Name, Email: a.Email, PhoneNumber: a.Phone, Address: addressReq{Address1: a.Line1,
		Address2: a.Line2, City: a.City, CompanyName: a.Company, Country: country, State: a.Prefecture, ZipCode: a.PostalCode}}
}

// price converts money to ShipBob's decimal unit_price.
func price(m order.Money) *float64 {
	if m.IsZero() {
		return nil
	}
	digits, ok := order.MinorUnits(m.Currency)
	if !ok {
		return nil
	}
	v := float64(m.Amount) / math.Pow10(digits)
	return &v
}

// findByRef returns the order carrying reference_id ref, or nil.
func (c *Client) findByRef(ctx context.Context, ref string) (*orderJSON, error) {
	q := url.Values{"ReferenceIds": {ref}, "Limit": {"50"}}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: "/order", query: q, channel: true})
	if err != nil {
		return nil, errorf("reading back reference_id: %w", err)
	}
	var orders []json.RawMessage
	if err := httpclient.Decode(resp.Body, &orders, httpclient.DecodeOptions{}); err != nil {
		return nil, errorf("reading back reference_id: %w", err)
	}
	for _, raw := range orders {
		var o orderJSON
		if err := httpclient.Decode(raw, &o, httpclient.DecodeOptions{}); err != nil {
			return nil, errorf("reading back reference_id: %w", err)
		}
		if str(o.ReferenceID) == ref {
			return &o, nil
		}
	}
	return nil, nil
}

// frozen says why ShipBob can no longer change or cancel the order: shipped, picked, or "".
func frozen(o *orderJSON) string {
	switch str(o.Status) {
	case "Fulfilled", "PartiallyFulfilled":
		return connector.RefusedShipped
	}
	why := ""
	for _, sh := range o.Shipments {
		switch str(sh.Status) {
		case "Completed", "LabeledCreated":
			return connector.RefusedShipped
		case "Cancelled":
			continue
		}
		for _, d := range sh.StatusDetails {
			switch str(d.Name) {
			case "Picked", "Packed", "PickInProgress", "Labeled":
				why = connector.RefusedPicked
			}
		}
	}
	return why
}

// Change updates the shipping address ShipBob holds for the request, unless the warehouse has
// moved on; see the package doc for what cannot change.
func (c *Client) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	if a, ok := c.answered(r.IdempotencyKey); ok {
		return a, nil
	}
	o, err := c.findByRef(ctx, ReferenceID(r.Key))
	if err != nil {
		return connector.Answer{}, errorf("change: %w", err)
	}
	if o == nil {
		return connector.Answer{}, errorf("change: no order for the request key: %w", connector.ErrNotFound)
	}
	a, err := c.change(ctx, o, r)
	if err != nil {
		return connector.Answer{}, err
	}
	c.remember(r.IdempotencyKey, a)
	return a, nil
}

func (c *Client) change(ctx context.Context, o *orderJSON, r connector.ChangeRequest) (connector.Answer, error) {
	if str(o.Status) == "Cancelled" {
		return connector.Answer{Reason: "cancelled"}, nil
	}
	if why := frozen(o); why != "" {
		return connector.Answer{Reason: why}, nil
	}
	if !sameLines(o, r.Order.Lines) {
		if a, err := c.changeLines(ctx, o, r); err != nil || !a.Accepted {
			return a, err
		}
	}
	a := r.Order.ShipTo
	if a.Line1 == "" || a.City == "" {
		return connector.Answer{}, errorf("change: the address lacks a first line or city: %w", connector.ErrPermanent)
	}
	country := a.Country
	if country == "" {
		country = "JP"
	}
	body, err := json.Marshal(updateAddressReq{StreetAddress1: a.Line1, StreetAddress2: a.Line2, City: a.City,
		State: a.Prefecture, ZipCode: a.PostalCode, CountryCode: country, CompanyName: a.Company, RecipientName: a.Name,
		PhoneNumber: a.Phone, Email: a.Email})
	if err != nil {
		return connector.Answer{}, errorf("change: %w", err)
	}
	for _, sh := range o.Shipments {
		if str(sh.Status) == "Cancelled" {
			continue
		}
		path := "/shipment/" + strconv.FormatInt(sh.ID, 10) + ":updateAddress"
		resp, err := c.do(ctx, call{method: http.MethodPut, path: path, body: body, channel: true})
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest {
			var e errorResp
			if httpclient.Decode(se.Body, &e, httpclient.DecodeOptions{}) == nil && str(e.Code) == "VALIDATION_ERROR" {
				return c.refusedNow(ctx, r.Key, "ShipBob refused the address update")
			}
		}
		if err != nil {
			return connector.Answer{}, errorf("change: %w", err)
		}
		var res shipmentAPIResp
		if err := httpclient.Decode(resp.Body, &res, httpclient.DecodeOptions{}); err != nil {
			return connector.Answer{}, errorf("change: %w", err)
		}
		if !res.IsSuccess {
			return c.refusedNow(ctx, r.Key, "ShipBob refused the address update")
		}
	}
	return connector.Answer{Accepted: true}, nil
}

// refusedNow answers a refusal ShipBob gave, with the reason its statuses now show.
func (c *Client) refusedNow(ctx context.Context, key, fallback string) (connector.Answer, error) {
	o, err := c.findByRef(ctx, ReferenceID(key))
	if err != nil {
		return connector.Answer{}, err
	}
	if o != nil {
		if why := frozen(o); why != "" {
			return connector.Answer{Reason: why}, nil
		}
	}
	return connector.Answer{Reason: fallback}, nil
}

// openBySKU sums the open quantities of lines per SKU, keeping the SKUs' first order.
func openBySKU(lines []order.Line) (map[string]int, []string) {
	want := map[string]int{}
	var skus []string
	for _, l := range lines {
		if n := l.Open(); n > 0 {
			if _, seen := want[l.SKU]; !seen {
				skus = append(skus, l.SKU)
			}
			want[l.SKU] += n
		}
	}
	return want, skus
}

// liveShipments returns the order's shipments that are not cancelled.
func liveShipments(o *orderJSON) []shipmentJSON {
	var out []shipmentJSON
	for _, sh := range o.Shipments {
		if str(sh.Status) != "Cancelled" {
			out = append(out, sh)
		}
	}
	return out
}

// sameLines reports whether ShipBob's shipments hold the open quantities of lines, SKU by SKU.
func sameLines(o *orderJSON, lines []order.Line) bool {
	want, _ := openBySKU(lines)
	got := map[string]int{}
	for _, sh := range liveShipments(o) {
		for _, p := range sh.Products {
			sku := str(p.ReferenceID)
			if sku == "" {
				sku = str(p.SKU)
			}
			for _, ii := range p.InventoryItems {
				got[sku] += ii.Quantity
			}
		}
	}
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// changeLines sets the shipment's line items to the open quantities of r's lines (POST
// :updateLineItems takes the complete list). ShipBob names items by inventory ID: SKUs the
// shipment does not hold yet are refused rather than guessed.
func (c *Client) changeLines(ctx context.Context, o *orderJSON, r connector.ChangeRequest) (connector.Answer, error) {
	live := liveShipments(o)
	if len(live) != 1 {
		return connector.Answer{Reason: "ShipBob split the order into several shipments; its lines cannot be changed through the API"}, nil
	}
	want, skus := openBySKU(r.Order.Lines)
	if len(skus) == 0 {
		return connector.Answer{Reason: "a change without lines; cancel the request instead"}, nil
	}
	path := "/shipment/" + strconv.FormatInt(live[0].ID, 10)
	resp, err := c.do(ctx, call{method: http.MethodGet, path: path + ":getLineItems", channel: true})
	if err != nil {
		return connector.Answer{}, errorf("change: reading line items: %w", err)
	}
	var held []lineItemJSON
	if err := httpclient.Decode(resp.Body, &held, httpclient.DecodeOptions{}); err != nil {
		return connector.Answer{}, errorf("change: reading line items: %w", err)
	}
	bySKU := map[string]lineItemJSON{}
	for _, li := range held {
		if li.ProductVariant != nil && str(li.ProductVariant.SKU) != "" {
			bySKU[str(li.ProductVariant.SKU)] = li
		}
	}
	var req updateLineItemsReq
	for _, sku := range skus {
		li, ok := bySKU[sku]
		if !ok {
			return connector.Answer{Reason: "adding a SKU the shipment does not hold is not supported through ShipBob's API"}, nil
		}
		item := lineItemReq{InventoryID: li.InventoryID, Quantity: want[sku]}
		if li.Lot != nil {
			item.LotNumber = str(li.Lot.LotNumber)
		}
		req.Items = append(req.Items, item)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return connector.Answer{}, errorf("change: %w", err)
	}
	resp, err = c.do(ctx, call{method: http.MethodPost, path: path + ":updateLineItems", body: body, channel: true})
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest {
		var e errorResp
		if httpclient.Decode(se.Body, &e, httpclient.DecodeOptions{}) == nil && str(e.Code) == "VALIDATION_ERROR" {
			return c.refusedNow(ctx, r.Key, "ShipBob refused the line change")
		}
	}
	if err != nil {
		return connector.Answer{}, errorf("change: %w", err)
	}
	var res lineItemsResp
	if err := httpclient.Decode(resp.Body, &res, httpclient.DecodeOptions{}); err != nil {
		return connector.Answer{}, errorf("change: %w", err)
	}
	if !res.IsSuccess {
		return c.refusedNow(ctx, r.Key, "ShipBob refused the line change")
	}
	return connector.Answer{Accepted: true}, nil
}

// Cancel cancels the request's order on ShipBob, unless the warehouse has moved on.
func (c *Client) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	if a, ok := c.answered(r.IdempotencyKey); ok {
		return a, nil
	}
	a, err := c.cancel(ctx, r)
	if err != nil {
		return connector.Answer{}, err
	}
	c.remember(r.IdempotencyKey, a)
	return a, nil
}

func (c *Client) cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	if r.Lines != nil {
		return connector.Answer{Reason: "ShipBob's API cancels whole orders only"}, nil
	}
	o, err := c.findByRef(ctx, ReferenceID(r.Key))
	if err != nil {
		return connector.Answer{}, errorf("cancel: %w", err)
	}
	if o == nil {
		// Never submitted: nothing to ship, and a late Submit must not create it.
		c.remember(cancelledFirst(r.Key), connector.Answer{Accepted: true})
		return connector.Answer{Accepted: true}, nil
	}
	if str(o.Status) == "Cancelled" {
		return connector.Answer{Accepted: true}, nil
	}
	if why := frozen(o); why != "" {
		return connector.Answer{Reason: why}, nil
	}
	path := "/order/" + strconv.FormatInt(o.ID, 10) + ":cancel"
	resp, err := c.do(ctx, call{method: http.MethodPost, path: path, channel: true})
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.Status == http.StatusUnprocessableEntity {
		return c.refusedNow(ctx, r.Key, "ShipBob refused the cancellation")
	}
	if err != nil {
		return connector.Answer{}, errorf("cancel: %w", err)
	}
	var res canceledOrderResp
	if err := httpclient.Decode(resp.Body, &res, httpclient.DecodeOptions{}); err != nil {
		return connector.Answer{}, errorf("cancel: %w", err)
	}
	switch str(res.Status) {
	case "Success":
		return connector.Answer{Accepted: true}, nil
	case "Failure", "PartialSuccess":
		return c.refusedNow(ctx, r.Key, "ShipBob refused the cancellation")
	}
	return connector.Answer{}, errorf("cancel: unknown result %q: %w", str(res.Status), connector.ErrPermanent)
}
