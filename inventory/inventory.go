package inventory

import "time"

// Level is the quantity of one warehouse SKU the warehouse holds, as of a moment. AsOf matters: a
// reservation is released only by a level whose AsOf includes the shipment that consumed it.
type Level struct {
	SKU    string    `json:"sku"`
	OnHand int       `json:"on_hand"`
	AsOf   time.Time `json:"as_of"`
}
