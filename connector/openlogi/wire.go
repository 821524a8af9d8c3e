package openlogi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

// wireAddress is a domestic address (Address in the OpenAPI file). International recipients
// carry other fields, which decoding ignores.
type wireAddress struct {
	Postcode   string `json:"postcode"`
	Prefecture string `json:"prefecture"`
	Address1   string `json:"address1"`
	Address2   string `json:"address2,omitempty"`
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// wireItemRequest is one item of a shipment request (components-schemas-ItemRequest).
type wireItemRequest struct {
	Code      string `json:"code"`
	Quantity  int    `json:"quantity"`
	Name      string `json:"name,omitempty"`
	UnitPrice *int64 `json:"unit_price,omitempty"`
}

// wireShipmentRequest is the body of POST /shipments and PUT /shipments/{account_id}/{identifier}
// (PostShipmentRequest, ShipmentRequest): only the fields the connector sets.
type wireShipmentRequest struct {
	Identifier             string            `json:"identifier"`
	OrderNo                string            `json:"order_no,omitempty"`
	Recipient              wireAddress       `json:"recipient"`
	Items                  []wireItemRequest `json:"items"`
	DeliveryDate           string            `json:"delivery_date,omitempty"`
	DeliveryTimeSlot       string            `json:"delivery_time_slot,omitempty"`
	DeliveryCarrier        string            `json:"delivery_carrier,omitempty"`
	CashOnDelivery         bool              `json:"cash_on_delivery,omitempty"`
	TotalForCashOnDelivery *int64            `json:"total_for_cash_on_delivery,omitempty"`
	GiftWrappingUnit       string            `json:"gift_wrapping_unit,omitempty"`
	GiftWrappingType       string            `json:"gift_wrapping_type,omitempty"`
	Message                string            `json:"message,omitempty"`
	Warehouse              string            `json:"warehouse,omitempty"`
	BackorderIfUnavailable bool              `json:"backorder_if_unavailable,omitempty"`
	Suspend                bool              `json:"suspend"`
}

// wireModifyRequest is the body of POST …/modify (ModifyShipmentRequest).
type wireModifyRequest struct {
	Identifier       string            `json:"identifier"`
	Items            []wireItemRequest `json:"items"`
	Recipient        wireAddress       `json:"recipient"`
	DeliveryTimeSlot string            `json:"delivery_time_slot,omitempty"`
	DeliveryDate     string            `json:"delivery_date,omitempty"`
}

// wireItem is an item of a shipment as OPENLOGI answers it (components-schemas-ItemResponse).
type wireItem struct {
	ID        string `json:"id"`
	Code      string `json:"code"`
	Quantity  int    `json:"quantity"`
	Name      string `json:"name"`
	UnitPrice any    `json:"unit_price"`
}

// wireShipment is a shipment as OPENLOGI answers it (GetShipmentResponse, PostShipmentResponse):
// the fields the connector reads.
type wireShipment struct {
	ID                     string       `json:"id"`
	Identifier             *string      `json:"identifier"`
	OrderNo                *string      `json:"order_no"`
	Status                 string       `json:"status"`
	Suspend                bool         `json:"suspend"`
	Recipient              *wireAddress `json:"recipient"`
	Items                  []wireItem   `json:"items"`
	DeliveryDate           *string      `json:"delivery_date"`
	DeliveryTimeSlot       *string      `json:"delivery_time_slot"`
	DeliveryCarrier        *string      `json:"delivery_carrier"`
	CashOnDelivery         bool         `json:"cash_on_delivery"`
	TotalForCashOnDelivery *int64       `json:"total_for_cash_on_delivery"`
	GiftWrappingUnit       *string      `json:"gift_wrapping_unit"`
	GiftWrappingType       *string      `json:"gift_wrapping_type"`
	Message                *string      `json:"message"`
	Warehouse              *string      `json:"warehouse"`
	ShippedAt              string       `json:"shipped_at"`
	TrackingCode           string       `json:"tracking_code"`
	TrackingCodes          []string     `json:"tracking_codes"`
	DeliveryService        string       `json:"delivery_service"`
}

// wireShipments is the answer of the shipment lists.
type wireShipments struct {
	Shipments []wireShipment `json:"shipments"`
}

// wireStock is an item's stock (stock_summary).
type wireStock struct {
	Quantity  *int `json:"quantity"`
	Available *int `json:"available"`
}

// wireItemStock is an item of GET /items (ItemResponse) with its stock.
type wireItemStock struct {
	ID    string     `json:"id"`
	Code  string     `json:"code"`
	Stock *wireStock `json:"stock"`
}

type wireItems struct {
	Items []wireItemStock `json:"items"`
}

// The statuses of a shipment. OPENLOGI's v1.3 "allocating" and "working" are kept for answers
// from accounts still on it.
const (
	statusBackordered   = "backordered"
	statusAllocating    = "allocating"
	statusWaiting       = "waiting"
	statusWorking       = "working"
	statusPicking       = "picking"
	statusPicked        = "picked"
	statusPacked        = "packed"
	statusShipped       = "shipped"
	statusSuspended     = "suspended"
	statusModifyRequest = "modify_request"
	statusCancelRequest = "cancel_request"
)

// beforeWork reports whether the warehouse has not started on a shipment in status s: it may
// still be updated (PUT) or deleted.
func beforeWork(s string) bool {
	switch s {
	case statusBackordered, statusAllocating, statusWaiting, statusSuspended:
		return true
	}
	return false
}

// atWork reports whether the warehouse is working on a shipment in status s: changes are
// requests the staff may refuse.
func atWork(s string) bool {
	switch s {
	case statusWorking, statusPicking, statusPicked, statusPacked:
		return true
	}
	return false
}

// slotCodes maps normalized time slots to OPENLOGI's delivery_time_slot.
var slotCodes = map[order.TimeSlot]string{
	order.SlotMorning: "AM", order.Slot1214: "12", order.Slot1416: "14", order.Slot1618: "16",
	order.Slot1820: "18", order.Slot1921: "19",
	// Slots OPENLOGI lacks: the nearest one that lies within the buyer's window.
	order.Slot1821: "18", order.Slot2021: "19",
}

// SlotCode returns OPENLOGI's delivery_time_slot for a normalized slot, or "" for none.
func SlotCode(s order.TimeSlot) string { return slotCodes[s] }

// SlotOf returns the normalized slot of an OPENLOGI delivery_time_slot code.
func SlotOf(code string) (order.TimeSlot, bool) {
	switch code {
	case "":
		return order.SlotNone, true
	case "AM":
		return order.SlotMorning, true
	case "12":
		return order.Slot1214, true
	case "14":
		return order.Slot1416, true
	case "16":
		return order.Slot1618, true
	case "18":
		return order.Slot1820, true
	case "19":
		return order.Slot1921, true
	}
	return "", false
}

// carrierCode maps a carrier to OPENLOGI's delivery_carrier.
func carrierCode(c shipment.Carrier) string {
	switch c {
	case shipment.Yamato:
		return "YAMATO"
	case shipment.Sagawa:
		return "SAGAWA"
	}
	return ""
}

// carrierOf maps OPENLOGI's delivery_service (or delivery_carrier) to a carrier.
func carrierOf(service, carrier string) shipment.Carrier {
	switch {
	case service == "JAPANPOST-EMS":
		return shipment.EMS
	case strings.HasPrefix(service, "YAMATO"):
		return shipment.Yamato
	case strings.HasPrefix(service, "SAGAWA"):
		return shipment.Sagawa
	case strings.HasPrefix(service, "JAPANPOST"):
		return shipment.JapanPost
	case strings.HasPrefix(service, "FEDEX"):
		return shipment.FedEx
	case strings.HasPrefix(service, "DHL"):
		return shipment.DHL
	case carrier == "YAMATO":
		return shipment.Yamato
	case carrier == "SAGAWA":
		return shipment.Sagawa
	}
	return shipment.CarrierOther
}

// invalid makes an error for an order OPENLOGI cannot take; reason names fields, never values.
func invalid(reason string, args ...any) error {
	return fmt.Errorf("openlogi: "+reason+": %w", append(args, connector.ErrPermanent)...)
}

// truncate cuts s to n characters, as OPENLOGI itself does with long names.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// address maps an order's address to OPENLOGI's domestic address.
func address(a order.Address) (wireAddress, error) {
	if a.Country != "" && a.Country != "JP" {
		return wireAddress{}, invalid("ship_to: only domestic shipments are supported (country %s)", a.Country)
	}
	w := wireAddress{
		Postcode: a.PostalCode, Prefecture: a.Prefecture,
		Address1: a.City + a.Line1, Address2: a.Line2,
		// OPENLOGI keeps the first 15 characters of a name and 16 of a company.
		Name: truncate(a.Name, 15), Company: truncate(a.Company, 16),
		Phone: a.Phone,
	}
	if w.Phone != "" && len(w.Phone) > 13 {
		w.Phone = strings.ReplaceAll(w.Phone, "-", "")
	}
	var errs []error
	if w.Name == "" || w.Postcode == "" || w.Prefecture == "" || a.Line1 == "" {
		errs = append(errs, invalid("ship_to: name, postal code, prefecture and line 1 are required"))
	}
	if !postcodeOK(w.Postcode) {
		errs = append(errs, invalid("ship_to.postal_code: not NNN-NNNN"))
	}
	if utf8.RuneCountInString(w.Address1) > 64 || utf8.RuneCountInString(w.Address2) > 64 {
		errs = append(errs, invalid("ship_to: address lines longer than OPENLOGI's 64 characters"))
	}
	if n := len(strings.ReplaceAll(w.Phone, "-", "")); w.Phone != "" && (n < 10 || len(w.Phone) > 13 || w.Phone[0] != '0') {
		errs = append(errs, invalid("ship_to.phone: OPENLOGI takes 10 to 13 digits starting with 0"))
	}
	return w, errors.Join(errs...)
}

func postcodeOK(p string) bool {
	d := strings.Replace(p, "-", "", 1)
	if len(d) != 7 || (len(p) == 8 && p[3] != '-') {
		return false
	}
	for i := range len(d) {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// items maps the order's open lines to shipment items.
func items(o order.Order) ([]wireItemRequest, error) {
	var out []wireItemRequest
	for _, l := range o.Lines {
		n := l.Open()
		if n == 0 {
			continue
		}
		if l.SKU == "" {
			return nil, invalid("line %s has no SKU", l.ID)
		}
		it := wireItemRequest{Code: l.SKU, Quantity: n, Name: truncate(l.Name, 255)}
		if l.UnitPrice.Currency == "JPY" {
			p := l.UnitPrice.Amount
			it.UnitPrice = &p
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, invalid("the request has no open lines")
	}
	return out, nil
}

// shipmentRequest maps a request's order to OPENLOGI's shipment request.
func (c *Client) shipmentRequest(id string, o order.Order, suspend bool) (*wireShipmentRequest, error) {
	rcpt, err := address(o.ShipTo)
	if err != nil {
		return nil, err
	}
	its, err := items(o)
	if err != nil {
		return nil, err
	}
	w := &wireShipmentRequest{
		Identifier: id, OrderNo: truncate(o.ID, 100), Recipient: rcpt, Items: its,
		Warehouse: c.cfg.Warehouse, BackorderIfUnavailable: c.cfg.Backorder, Suspend: suspend,
		DeliveryCarrier: carrierCode(c.cfg.Carrier),
	}
	if err := c.delivery(o, &w.DeliveryDate, &w.DeliveryTimeSlot, &w.DeliveryCarrier); err != nil {
		return nil, err
	}
	if o.Payment.Method == order.PaymentCashOnDelivery {
		if o.Payment.CollectAmount.Currency != "JPY" || o.Payment.CollectAmount.Amount <= 0 {
			return nil, invalid("payment: cash on delivery needs a positive amount in JPY")
		}
		amount := o.Payment.CollectAmount.Amount
		w.CashOnDelivery, w.TotalForCashOnDelivery = true, &amount
	}
	if g := o.Gift; g != nil {
		if g.Wrapping {
			w.GiftWrappingUnit, w.GiftWrappingType = "ORDER", c.cfg.GiftWrapping
		}
		var msg []string
		if g.Noshi != "" {
			if c.cfg.Noshi == NoshiRefuse {
				return nil, invalid("gift: OPENLOGI has no のし field and the client is set to refuse such orders")
			}
			msg = append(msg, "【のし】"+g.Noshi)
		}
		if g.Message != "" {
			msg = append(msg, g.Message)
		}
		w.Message = truncate(strings.Join(msg, " "), 500)
	}
	return w, nil
}

// delivery maps the delivery request, choosing Sagawa for the 12–14 slot only it offers.
func (c *Client) delivery(o order.Order, date, slot, carrier *string) error {
	if d := o.Delivery.Date; !d.IsZero() {
		if !d.Valid() {
			return invalid("delivery.date is not a date")
		}
		*date = d.String()
	}
	if s := o.Delivery.Slot; s != order.SlotNone {
		code, ok := slotCodes[s]
		if !ok {
			return invalid("delivery.slot %q has no OPENLOGI equivalent", string(s))
		}
		if code == "12" {
			switch *carrier {
			case "":
				*carrier = "SAGAWA"
			case "YAMATO":
				return invalid("delivery.slot 12–14 is offered by Sagawa only, and the client ships with Yamato")
			}
		}
		*slot = code
	}
	return nil
}

// modifyRequest is the content of a change as a modify request.
func modifyRequest(r *wireShipmentRequest) *wireModifyRequest {
	return &wireModifyRequest{Identifier: r.Identifier, Items: r.Items, Recipient: r.Recipient,
		DeliveryTimeSlot: r.DeliveryTimeSlot, DeliveryDate: r.DeliveryDate}
}

// requestOf rebuilds the request a shipment holds, for a change of its items only.
func requestOf(s *wireShipment) *wireShipmentRequest {
	r := &wireShipmentRequest{Identifier: deref(s.Identifier), OrderNo: deref(s.OrderNo), Suspend: s.Suspend,
		DeliveryDate: deref(s.DeliveryDate), DeliveryTimeSlot: deref(s.DeliveryTimeSlot), DeliveryCarrier: deref(s.DeliveryCarrier),
		CashOnDelivery: s.CashOnDelivery, TotalForCashOnDelivery: s.TotalForCashOnDelivery,
		GiftWrappingUnit: deref(s.GiftWrappingUnit), GiftWrappingType: deref(s.GiftWrappingType),
		Message: deref(s.Message), Warehouse: deref(s.Warehouse)}
	if s.Recipient != nil {
		r.Recipient = *s.Recipient
	}
	for _, it := range s.Items {
		r.Items = append(r.Items, wireItemRequest{Code: it.Code, Quantity: it.Quantity, Name: it.Name})
	}
	return r
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// carries reports whether shipment s holds what r asks for: items, recipient and delivery.
func carries(s *wireShipment, r *wireShipmentRequest) bool {
	if s.Recipient == nil || !sameAddress(*s.Recipient, r.Recipient) {
		return false
	}
	if deref(s.DeliveryDate) != r.DeliveryDate || deref(s.DeliveryTimeSlot) != r.DeliveryTimeSlot {
		return false
	}
	want := map[string]int{}
	for _, it := range r.Items {
		want[it.Code] += it.Quantity
	}
	for _, it := range s.Items {
		want[it.Code] -= it.Quantity
	}
	for _, n := range want {
		if n != 0 {
			return false
		}
	}
	return true
}

func sameAddress(a, b wireAddress) bool {
	norm := func(p string) string { return strings.ReplaceAll(p, "-", "") }
	return norm(a.Postcode) == norm(b.Postcode) && a.Prefecture == b.Prefecture && a.Address1 == b.Address1 &&
		a.Address2 == b.Address2 && a.Name == b.Name && a.Company == b.Company && norm(a.Phone) == norm(b.Phone)
}

// toShipment maps a shipped shipment to the domain.
func (c *Client) toShipment(w *wireShipment) (shipment.Shipment, error) {
	if w.ID == "" {
		return shipment.Shipment{}, invalid("shipment without id")
	}
	at, err := time.Parse(time.RFC3339, w.ShippedAt)
	if err != nil {
		return shipment.Shipment{}, invalid("shipment %s: shipped_at is not a time", w.ID)
	}
	s := shipment.Shipment{ID: w.ID, Channel: c.cfg.Channel, OrderID: deref(w.OrderNo), At: at.UTC()}
	if id := deref(w.Identifier); !strings.HasPrefix(id, "tk-") {
		s.RequestKey = id // the engine's key itself (Identifier)
	}
	for _, it := range w.Items {
		s.Lines = append(s.Lines, shipment.Line{SKU: it.Code, Quantity: it.Quantity})
	}
	codes := w.TrackingCodes
	if len(codes) == 0 && w.TrackingCode != "" {
		codes = []string{w.TrackingCode}
	}
	carrier := carrierOf(w.DeliveryService, deref(w.DeliveryCarrier))
	for _, code := range codes {
		if code = strings.TrimSpace(code); code != "" && !slices.ContainsFunc(s.Parcels, func(p shipment.Parcel) bool { return p.TrackingNumber == code }) {
			s.Parcels = append(s.Parcels, shipment.Parcel{Carrier: carrier, TrackingNumber: code})
		}
	}
	if err := s.Validate(); err != nil {
		return shipment.Shipment{}, fmt.Errorf("openlogi: shipment %s: %w: %w", w.ID, connector.ErrPermanent, err)
	}
	return s, nil
}

// Throttled is the httpclient.ThrottleFunc for OPENLOGI: a 429 asks for its Retry-After, or for
// a whole minute (OPENLOGI counts 60 requests a minute) when it names none.
func Throttled(resp *http.Response, _ []byte) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if wait, ok := httpclient.RetryAfter(resp.Header, time.Now()); ok && wait > 0 {
		return wait, true
	}
	return time.Minute, true
}
