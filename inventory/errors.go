package inventory

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownChannel means no channel of that name was set on the pool.
	ErrUnknownChannel = errors.New("inventory: unknown channel")
	// ErrUnknownSKU means the channel has an explicit SKU map and the SKU is not in it.
	ErrUnknownSKU = errors.New("inventory: unknown SKU")
	// ErrNoLevel means the warehouse has not yet reported a level for some component of the SKU, so
	// it has no availability (which is not the same as zero).
	ErrNoLevel = errors.New("inventory: no stock level yet")
	// ErrInvalidPolicy means a policy or channel holds values outside their documented ranges.
	ErrInvalidPolicy = errors.New("inventory: invalid policy")
)

// SKUError says which channel SKU a lookup failed for. Err is one of the package's sentinels, so
// errors.Is(err, ErrUnknownSKU) and the like work on it.
type SKUError struct {
	Channel string
	SKU     string
	// Component is the warehouse SKU without a level, for ErrNoLevel; empty otherwise.
	Component string
	Err       error
}

// Error names the channel, the SKU and, if one is to blame, the component.
func (e *SKUError) Error() string {
	if e.Component != "" {
		return fmt.Sprintf("%v: channel %q SKU %q (component %q)", e.Err, e.Channel, e.SKU, e.Component)
	}
	return fmt.Sprintf("%v: channel %q SKU %q", e.Err, e.Channel, e.SKU)
}

// Unwrap returns the sentinel.
func (e *SKUError) Unwrap() error { return e.Err }
