package eccube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/shipment"
)

// DefaultCarrierNames are the names written to 出荷業者 (shipping_delivery_name).
var DefaultCarrierNames = map[shipment.Carrier]string{
	shipment.Yamato: "ヤマト運輸", shipment.Sagawa: "佐川急便", shipment.JapanPost: "日本郵便",
	shipment.Seino: "西濃運輸", shipment.Fukuyama: "福山通運", shipment.Ecohai: "エコ配",
	shipment.DHL: "DHL", shipment.FedEx: "FedEx", shipment.UPS: "UPS", shipment.EMS: "EMS", shipment.USPS: "USPS",
}

const shippingsQuery = `query OrderShippings($id: ID!) {
  order(id: $id) {
    id
    OrderStatus { id }
    Shippings { id shipping_date tracking_number shipping_delivery_name }
  }
}`

const updateShippedMutation = `mutation UpdateShipped($id: ID!, $shipping_date: DateTime, $shipping_delivery_name: String, $tracking_number: String, $is_send_mail: Boolean) {
  updateShipped(id: $id, shipping_date: $shipping_date, shipping_delivery_name: $shipping_delivery_name, tracking_number: $tracking_number, is_send_mail: $is_send_mail) {
    id
    shipping_date
    tracking_number
  }
}`

type shippingState struct {
	ID             flexID  `json:"id"`
	ShippingDate   *string `json:"shipping_date"`
	TrackingNumber *string `json:"tracking_number"`
	DeliveryName   *string `json:"shipping_delivery_name"`
}

// trackingSeparator joins several parcels' numbers in the one tracking_number field.
const trackingSeparator = ","

// SplitTracking splits a tracking_number field into its numbers.
func SplitTracking(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\n' || r == '　' })
}

// ConfirmShipment implements connector.ShipmentSink: it marks the order's Shipping shipped with
// the carrier's name and the tracking numbers (several parcels: joined by commas), on the date
// the warehouse shipped. It reads the order first: a Shipping already shipped with these
// tracking numbers is a confirmation already made, and succeeds without a second write.
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	id := conf.Order.ID
	if _, err := strconv.ParseUint(id, 10, 63); err != nil {
		// The shop's database would read "12-x" as 12: never send what is not an order ID.
		return fmt.Errorf("eccube: ConfirmShipment: order ID is not an EC-CUBE order ID: %w", connector.ErrNotFound)
	}
	var numbers []string
	carrier := shipment.Carrier("")
	for _, p := range conf.Shipment.Parcels {
		if p.TrackingNumber != "" && !slices.Contains(numbers, p.TrackingNumber) {
			numbers = append(numbers, p.TrackingNumber)
		}
		if carrier == "" {
			carrier = p.Carrier
		}
	}
	sh, err := c.shippingOf(ctx, id, conf.Order.Refs[RefShippingID])
	if err != nil {
		return err
	}
	if sh.ShippingDate != nil {
		return alreadyShipped(id, sh, numbers)
	}
	vars := map[string]any{"id": string(sh.ID), "is_send_mail": c.cfg.SendMail}
	if !conf.Shipment.At.IsZero() {
		vars["shipping_date"] = conf.Shipment.At.In(jst).Truncate(1e9).Format(atom)
	}
	if name := c.carrierName(carrier); name != "" {
		vars["shipping_delivery_name"] = name
	}
	if len(numbers) > 0 {
		vars["tracking_number"] = strings.Join(numbers, trackingSeparator)
	}
	err = c.do(ctx, op{name: "UpdateShipped", query: updateShippedMutation, vars: vars, mutation: true}, nil)
	var ae *ArgumentError
	if errors.As(err, &ae) && strings.Contains(ae.Message, "Already shipped") {
		// Shipped between our read and our write (by staff, or by a confirmation whose answer
		// was lost): read again and judge.
		sh, rerr := c.shippingOf(ctx, id, string(sh.ID))
		if rerr != nil {
			return rerr
		}
		return alreadyShipped(id, sh, numbers)
	}
	return err
}

func alreadyShipped(orderID string, sh shippingState, numbers []string) error {
	have := SplitTracking(deref(sh.TrackingNumber))
	for _, n := range numbers {
		if !slices.Contains(have, n) {
			return fmt.Errorf("eccube: ConfirmShipment: order %s: the Shipping was already shipped with other tracking numbers: %w", orderID, connector.ErrPermanent)
		}
	}
	return nil
}

// shippingOf reads the order's Shipping: the one named, or the order's only one.
func (c *Client) shippingOf(ctx context.Context, orderID, shippingID string) (shippingState, error) {
	var data struct {
		Order *struct {
			ID          flexID `json:"id"`
			OrderStatus *struct {
				ID flexID `json:"id"`
			} `json:"OrderStatus"`
			Shippings []shippingState `json:"Shippings"`
		} `json:"order"`
	}
	if err := c.do(ctx, op{name: "OrderShippings", query: shippingsQuery, vars: map[string]any{"id": orderID}}, &data); err != nil {
		return shippingState{}, err
	}
	if data.Order == nil {
		return shippingState{}, fmt.Errorf("eccube: ConfirmShipment: order %s: %w", orderID, connector.ErrNotFound)
	}
	for _, s := range data.Order.Shippings {
		if shippingID == "" && len(data.Order.Shippings) == 1 || string(s.ID) == shippingID {
			return s, nil
		}
	}
	if shippingID == "" {
		return shippingState{}, fmt.Errorf("eccube: ConfirmShipment: order %s has %d Shippings and the confirmation names none: %w", orderID, len(data.Order.Shippings), connector.ErrPermanent)
	}
	return shippingState{}, fmt.Errorf("eccube: ConfirmShipment: order %s has no Shipping %s: %w", orderID, shippingID, connector.ErrPermanent)
}

func (c *Client) carrierName(k shipment.Carrier) string {
	if n, ok := c.cfg.CarrierNames[k]; ok {
		return n
	}
	return DefaultCarrierNames[k]
}
