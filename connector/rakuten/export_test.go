package rakuten

import (
	"context"
	"encoding/json"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// MapOrderJSON decodes one getOrder OrderModel and maps it, for the fuzz tests.
func (c *Client) MapOrderJSON(data []byte) ([]order.Order, []connector.Reject, error) {
	var m orderModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, err
	}
	if _, err := parseTime(m.OrderDatetime); err != nil {
		return nil, nil, err
	}
	orders, rejects := c.mapOrder(context.Background(), m)
	return orders, rejects, nil
}

// ParseRemarks exposes parseRemarks to the fuzz tests.
func ParseRemarks(s string) (order.Date, order.TimeSlot, bool, bool) { return parseRemarks(s) }

// RefusedRows exposes refusedRows to the fuzz tests.
func RefusedRows(err error, n int) map[int]string { return refusedRows(err, n) }
