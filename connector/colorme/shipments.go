package colorme

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// SupportsPartialShipments is true: each destination is its own order, and a later shipment
// of a destination already marked shipped adds its tracking numbers to the destination's.
func (c *Client) SupportsPartialShipments() bool { return true }

// splitSlips reads a slip_number that may hold several numbers, separated by commas.
func splitSlips(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

type deliveryUpdate struct {
	ID          int64  `json:"id"`
	DeliveryID  int64  `json:"delivery_id,omitempty"`
	SlipNumber  string `json:"slip_number,omitempty"`
	TrackingURL string `json:"tracking_url,omitempty"`
	Delivered   bool   `json:"delivered"`
}

// ConfirmShipment marks the order's destination shipped with its tracking numbers. It reads
// the sale first and sends only what the destination does not show yet, so a repeated or
// resent confirmation has one effect.
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	saleID, deliveryID, err := ParseOrderID(conf.Order.ID)
	if err != nil {
		return err
	}
	path := "/v1/sales/" + strconv.FormatInt(saleID, 10) + ".json"
	var ans saleAnswer
	if err := c.call(ctx, kindRead, "GET /v1/sales/{id}", http.MethodGet, path, nil, nil, &ans); err != nil {
		return err
	}
	if ans.Sale == nil {
		return fmt.Errorf("colorme: GET /v1/sales/{id}: the answer has no sale: %w", connector.ErrTemporary)
	}
	s := ans.Sale
	i := slices.IndexFunc(s.SaleDeliveries, func(d saleDeliveryJSON) bool { return d.ID == deliveryID })
	if i < 0 {
		return fmt.Errorf("colorme: sale %d has no destination %d: %w", saleID, deliveryID, connector.ErrNotFound)
	}
	d := s.SaleDeliveries[i]
	if s.Canceled {
		return fmt.Errorf("colorme: sale %d is cancelled and cannot be marked shipped: %w", saleID, connector.ErrPermanent)
	}
	for _, sl := range conf.Shipment.Lines {
		det := slices.IndexFunc(s.Details, func(x detailJSON) bool { return strconv.FormatInt(x.ID, 10) == sl.LineID })
		if det < 0 || !belongs(s.Details[det], &d) {
			return fmt.Errorf("colorme: shipment line %q is not a line of destination %d: %w", sl.LineID, deliveryID, connector.ErrPermanent)
		}
	}
	have := splitSlips(str(d.SlipNumber))
	slips := slices.Clone(have)
	for _, p := range conf.Shipment.Parcels {
		// A number is sent whole; a comma inside one would read as two.
		if n := strings.TrimSpace(strings.NewReplacer(",", "", "、", "").Replace(p.TrackingNumber)); n != "" && !slices.Contains(slips, n) {
			slips = append(slips, n)
		}
	}
	var method int64
	if len(conf.Shipment.Parcels) > 0 {
		if id, ok := c.cfg.CarrierMethods[conf.Shipment.Parcels[0].Carrier]; ok && (d.DeliveryID == nil || *d.DeliveryID != id) {
			method = id
		}
	}
	if d.Delivered && len(slips) == len(have) && method == 0 {
		c.log.DebugContext(ctx, "colorme: the destination already shows this shipment", "shop", c.cfg.Shop, "order", conf.Order.ID, "shipment", conf.Shipment.ID)
	} else {
		up := deliveryUpdate{ID: d.ID, DeliveryID: method, SlipNumber: strings.Join(slips, ","), Delivered: true}
		if str(d.TrackingURL) == "" && len(conf.Shipment.Parcels) > 0 {
			p := conf.Shipment.Parcels[0]
			up.TrackingURL = p.Carrier.TrackingURL(p.TrackingNumber)
		}
		body := map[string]any{"sale": map[string]any{"sale_deliveries": []deliveryUpdate{up}}}
		var after saleAnswer
		if err := c.call(ctx, kindWrite, "PUT /v1/sales/{id}", http.MethodPut, path, nil, body, &after); err != nil {
			return err
		}
		if after.Sale == nil {
			return fmt.Errorf("colorme: PUT /v1/sales/{id}: the answer has no sale: %w", connector.ErrOutcomeUnknown)
		}
		s = after.Sale
	}
	return c.shippingMail(ctx, s)
}

// shippingMail sends the sale's 発送メール with sendSalesMail once every destination has
// shipped, if Config.SendShippingMail asks for it and the shop has not sent it yet.
func (c *Client) shippingMail(ctx context.Context, s *saleJSON) error {
	if !c.cfg.SendShippingMail || str(s.DeliveredMail) == "sent" || str(s.DeliveredMail) == "pass" {
		return nil
	}
	for _, d := range s.SaleDeliveries {
		if !d.Delivered {
			return nil
		}
	}
	body := map[string]any{"mail": map[string]string{"type": "delivered"}}
	return c.call(ctx, kindWrite, "POST /v1/sales/{id}/mails", http.MethodPost, "/v1/sales/"+strconv.FormatInt(s.ID, 10)+"/mails.json", nil, body, nil)
}
