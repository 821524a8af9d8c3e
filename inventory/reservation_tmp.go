package inventory

import "time"

// Reservation is a placeholder until the pool lands.
type Reservation struct {
	Key     string
	Channel string
	Items   []Item
	Shipped []ShippedItem
}

// Item is a quantity of a warehouse SKU.
type Item struct {
	SKU      string
	Quantity int
}

// ShippedItem is a shipped quantity.
type ShippedItem struct {
	SKU      string
	Quantity int
	At       time.Time
}
