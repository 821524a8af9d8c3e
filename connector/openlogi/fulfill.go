package openlogi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tobira-commerce/tobira/connector"
)

func (c *Client) shipmentPath(id string) string {
	return "/shipments/" + url.PathEscape(c.cfg.AccountID) + "/" + url.PathEscape(id)
}

// get reads the shipment of an identifier; connector.ErrNotFound when OPENLOGI has none.
func (c *Client) get(ctx context.Context, id string) (*wireShipment, error) {
	var s wireShipment
	if err := c.call(ctx, http.MethodGet, c.shipmentPath(id), nil, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Submit creates the shipment request of r, once per key. After a POST whose outcome is unknown
// the next Submit of the key reads the shipment back before posting again; a POST refused
// because the identifier exists is read back too, and succeeds when the shipment is there.
func (c *Client) Submit(ctx context.Context, r connector.FulfillmentRequest) error {
	if r.Channel != c.cfg.Channel {
		return invalid("request from channel %q, but the client ships for channel %q", r.Channel, c.cfg.Channel)
	}
	id := Identifier(r.Key)
	body, err := c.shipmentRequest(id, r.Order, c.cfg.SubmitSuspended)
	if err != nil {
		return err
	}
	unlock := c.lockKey(id)
	defer unlock()
	c.mu.Lock()
	cancelled, unsure := c.cancelled[id], c.unsure[id]
	c.mu.Unlock()
	if cancelled {
		return nil // cancelled before it was sent: there is nothing to ship
	}
	if unsure {
		switch _, err := c.get(ctx, id); {
		case err == nil:
			c.settle(id)
			return nil
		case !errors.Is(err, connector.ErrNotFound):
			return err
		}
	}
	var created wireShipment
	err = c.call(ctx, http.MethodPost, "/shipments", nil, body, &created)
	switch {
	case err == nil:
		c.settle(id)
		return nil
	case errors.Is(err, connector.ErrOutcomeUnknown):
		c.mu.Lock()
		c.unsure[id] = true
		c.mu.Unlock()
		return err
	}
	if status, _ := statusOf(err); status == http.StatusUnprocessableEntity || status == http.StatusBadRequest {
		// Most likely the identifier exists already: an earlier attempt landed.
		if _, gerr := c.get(ctx, id); gerr == nil {
			c.settle(id)
			return nil
		}
	}
	return err
}

func (c *Client) settle(id string) {
	c.mu.Lock()
	delete(c.unsure, id)
	c.mu.Unlock()
}

// Change replaces the content of a request: with PUT while the warehouse has not started, with a
// modify request once it has (see the package doc for the answers).
func (c *Client) Change(ctx context.Context, r connector.ChangeRequest) (connector.Answer, error) {
	id := Identifier(r.Key)
	unlock := c.lockKey(id)
	defer unlock()
	if a, ok, _ := c.recalled(r.IdempotencyKey); ok {
		return a, nil
	}
	s, err := c.get(ctx, id)
	if errors.Is(err, connector.ErrNotFound) {
		return connector.Answer{}, fmt.Errorf("openlogi: changing a request OPENLOGI does not hold: %w", err)
	} else if err != nil {
		return connector.Answer{}, err
	}
	want, err := c.shipmentRequest(id, r.Order, s.Suspend)
	if err != nil {
		return connector.Answer{}, err
	}
	return c.alter(ctx, r.IdempotencyKey, id, s, want)
}

// alter brings shipment s to want, answering from its status.
func (c *Client) alter(ctx context.Context, key, id string, s *wireShipment, want *wireShipmentRequest) (connector.Answer, error) {
	_, _, requested := c.recalled(key)
	for attempt := 0; ; attempt++ {
		switch {
		case s.Status == statusModifyRequest || s.Status == statusCancelRequest:
			return connector.Answer{}, ErrPending
		case carries(s, want):
			return c.answer(key, connector.Answer{Accepted: true})
		case s.Status == statusShipped:
			return c.answer(key, connector.Answer{Reason: connector.RefusedShipped})
		case requested:
			// Our modify request was decided and the shipment does not carry it: refused.
			return c.answer(key, connector.Answer{Reason: connector.RefusedPicked})
		case beforeWork(s.Status):
			var out wireShipment
			err := c.call(ctx, http.MethodPut, c.shipmentPath(id), nil, want, &out)
			if err == nil {
				return c.answer(key, connector.Answer{Accepted: true})
			}
			if status, _ := statusOf(err); attempt > 0 || (status != http.StatusBadRequest && status != http.StatusUnprocessableEntity) {
				return connector.Answer{}, err
			}
			// The warehouse may have started in between: look again.
			if s, err = c.get(ctx, id); err != nil {
				return connector.Answer{}, err
			}
		case atWork(s.Status):
			if !c.cfg.RequestAfterPicking {
				return c.answer(key, connector.Answer{Reason: connector.RefusedPicked})
			}
			var out wireShipment
			if err := c.call(ctx, http.MethodPost, c.shipmentPath(id)+"/modify", nil, modifyRequest(want), &out); err != nil {
				if errors.Is(err, connector.ErrOutcomeUnknown) {
					c.remember(key, nil) // it may have landed: never send it twice
				}
				return connector.Answer{}, err
			}
			c.remember(key, nil)
			requested = true
			s = &out
		default:
			return connector.Answer{}, fmt.Errorf("openlogi: shipment %s in status %q: %w", s.ID, sanitize(s.Status), connector.ErrTemporary)
		}
	}
}

func (c *Client) answer(key string, a connector.Answer) (connector.Answer, error) {
	c.remember(key, &a)
	return a, nil
}

// Cancel cancels a request: deletes it while the warehouse has not started, sends a cancel
// request once it has. A cancellation of some lines only is a change of the items.
func (c *Client) Cancel(ctx context.Context, r connector.CancelRequest) (connector.Answer, error) {
	id := Identifier(r.Key)
	unlock := c.lockKey(id)
	defer unlock()
	if a, ok, _ := c.recalled(r.IdempotencyKey); ok {
		return a, nil
	}
	s, err := c.get(ctx, id)
	if errors.Is(err, connector.ErrNotFound) {
		// Never created, or deleted: nothing will ship. A Submit arriving later must not create it.
		c.tombstone(id)
		return c.answer(r.IdempotencyKey, connector.Answer{Accepted: true})
	} else if err != nil {
		return connector.Answer{}, err
	}
	if r.Lines != nil {
		want := requestOf(s)
		want.Identifier = id
		left := 0
		for _, lq := range r.Lines {
			for i := range want.Items {
				if want.Items[i].Code == lq.SKU && lq.Quantity > 0 {
					take := min(lq.Quantity, want.Items[i].Quantity)
					want.Items[i].Quantity -= take
					lq.Quantity -= take
				}
			}
		}
		kept := want.Items[:0]
		for _, it := range want.Items {
			if it.Quantity > 0 {
				kept = append(kept, it)
				left += it.Quantity
			}
		}
		want.Items = kept
		if left > 0 {
			return c.alter(ctx, r.IdempotencyKey, id, s, want)
		}
	}
	_, _, requested := c.recalled(r.IdempotencyKey)
	switch {
	case s.Status == statusModifyRequest || s.Status == statusCancelRequest:
		return connector.Answer{}, ErrPending
	case s.Status == statusShipped:
		return c.answer(r.IdempotencyKey, connector.Answer{Reason: connector.RefusedShipped})
	case requested:
		return c.answer(r.IdempotencyKey, connector.Answer{Reason: connector.RefusedPicked})
	case beforeWork(s.Status):
		if err := c.call(ctx, http.MethodDelete, c.shipmentPath(id), nil, nil, nil); err != nil && !errors.Is(err, connector.ErrNotFound) {
			return connector.Answer{}, err
		}
		c.tombstone(id)
		return c.answer(r.IdempotencyKey, connector.Answer{Accepted: true})
	case atWork(s.Status):
		if !c.cfg.RequestAfterPicking {
			return c.answer(r.IdempotencyKey, connector.Answer{Reason: connector.RefusedPicked})
		}
		var out wireShipment
		err := c.call(ctx, http.MethodPost, c.shipmentPath(id)+"/cancel", nil, nil, &out)
		if err != nil {
			if errors.Is(err, connector.ErrOutcomeUnknown) {
				c.remember(r.IdempotencyKey, nil)
			}
			if errors.Is(err, connector.ErrNotFound) {
				return c.answer(r.IdempotencyKey, connector.Answer{Accepted: true})
			}
			return connector.Answer{}, err
		}
		c.remember(r.IdempotencyKey, nil)
		if out.Status == statusCancelRequest {
			return connector.Answer{}, ErrPending
		}
		return c.answer(r.IdempotencyKey, connector.Answer{Reason: connector.RefusedPicked})
	}
	return connector.Answer{}, fmt.Errorf("openlogi: shipment %s in status %q: %w", s.ID, sanitize(s.Status), connector.ErrTemporary)
}

// Hold puts a request on hold (suspend) while the warehouse has not started on it.
func (c *Client) Hold(ctx context.Context, key string) error { return c.suspend(ctx, key, true) }

// Release takes a request off hold.
func (c *Client) Release(ctx context.Context, key string) error { return c.suspend(ctx, key, false) }

func (c *Client) suspend(ctx context.Context, key string, on bool) error {
	id := Identifier(key)
	unlock := c.lockKey(id)
	defer unlock()
	s, err := c.get(ctx, id)
	if err != nil {
		return err
	}
	if s.Suspend == on {
		return nil
	}
	if !beforeWork(s.Status) {
		return fmt.Errorf("openlogi: the warehouse has started on the request (status %s): %w", sanitize(s.Status), connector.ErrPermanent)
	}
	want := requestOf(s)
	want.Identifier, want.Suspend = id, on
	return c.call(ctx, http.MethodPut, c.shipmentPath(id), nil, want, &wireShipment{})
}
