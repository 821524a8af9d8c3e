// Package order holds the order as Tobira sees it, whatever channel it came from: lines, the
// delivery address, the requested delivery date and time slot, payment (with the cash-on-delivery
// amount), gift wrapping and のし, and the channel's own references.
//
// Money is integer minor units with an ISO 4217 currency. Validate returns every problem it finds,
// each a *FieldError naming the field; Fingerprint digests exactly what a warehouse acts on.
//
// # Errors
//
// Every validation error matches ErrInvalid with errors.Is and is a *FieldError with errors.As.
package order
