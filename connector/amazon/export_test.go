package amazon

import (
	"encoding/json"

	"github.com/tobira-commerce/tobira/order"
)

// MapOrderJSON decodes an Orders v0 order and its items as ListOrders does, for fuzzing.
func MapOrderJSON(orderJSON, itemsJSON []byte) (order.Order, error) {
	var v v0Order
	if err := json.Unmarshal(orderJSON, &v); err != nil {
		return order.Order{}, err
	}
	var items []v0Item
	if err := json.Unmarshal(itemsJSON, &items); err != nil {
		return order.Order{}, err
	}
	return mapOrder(v, items)
}

// DecodeReport reads a processing report as SetStock does.
func DecodeReport(body []byte, compression string) (int, error) {
	r, err := decodeReport(body, compression)
	if err != nil {
		return 0, err
	}
	return len(r.Issues), nil
}

// RateOf returns the rate the client paces an operation at.
func (c *Client) RateOf(op string) float64 { return float64(c.limiter(op).Limit()) }
