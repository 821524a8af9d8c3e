package openlogi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/inventory"
)

// jst is the time zone OPENLOGI's shipped lists are dated in.
var jst = time.FixedZone("JST", 9*60*60)

// shipCursor is where a shipment listing resumes: on day Day (JST, YYYY-MM-DD), after the
// shipments listed that shipped at At or before. OPENLOGI's shipped_at has whole seconds, so the
// cursor keeps the IDs listed at At: another shipment of the same second is still listed.
type shipCursor struct {
	Day  string    `json:"d"`
	At   time.Time `json:"t,omitzero"`
	Seen []string  `json:"s,omitempty"`
}

func (k shipCursor) encode() connector.Cursor {
	b, _ := json.Marshal(k)
	return connector.Cursor(b)
}

func parseShipCursor(c connector.Cursor) (shipCursor, error) {
	var k shipCursor
	if err := json.Unmarshal([]byte(c), &k); err != nil {
		return k, fmt.Errorf("openlogi: shipment cursor is not one of ours: %w", connector.ErrPermanent)
	}
	if _, err := time.ParseInLocation(time.DateOnly, k.Day, jst); err != nil {
		return k, fmt.Errorf("openlogi: shipment cursor has no day: %w", connector.ErrPermanent)
	}
	return k, nil
}

// after reports whether shipment (at, id) comes after the cursor.
func (k shipCursor) after(at time.Time, id string) bool {
	if !at.Equal(k.At) {
		return at.After(k.At)
	}
	return !slices.Contains(k.Seen, id)
}

// ListShipments lists shipped shipments day by day (Japan time) in the order they shipped. A
// new day is found with date_after, which skips days without shipments; the cursor keeps the
// last shipment listed, so a day is re-read from it. The listing stops at today, whose list
// grows until midnight: Next then resumes there.
func (c *Client) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	now := c.clock.Now().In(jst)
	today := now.Format(time.DateOnly)
	var k shipCursor
	if after == "" {
		k.Day = now.Add(-c.cfg.Since).Format(time.DateOnly)
	} else {
		var err error
		if k, err = parseShipCursor(after); err != nil {
			return nil, err
		}
	}
	var list wireShipments
	day := k.Day
	if k.At.IsZero() && day < today {
		// From a day's start: let OPENLOGI find the first day from it that has shipments.
		q := url.Values{"date_after": {strings.ReplaceAll(day, "-", "")}}
		if err := c.call(ctx, http.MethodGet, "/shipments/shipped", q, nil, &list); err != nil {
			return nil, err
		}
		first := ""
		for _, s := range list.Shipments {
			if at, err := time.Parse(time.RFC3339, s.ShippedAt); err == nil {
				if d := at.In(jst).Format(time.DateOnly); d >= day && (first == "" || d < first) {
					first = d
				}
			}
		}
		if first == "" {
			// Nothing shipped from that day to now: resume at today's start.
			return &connector.ShipmentPage{Next: shipCursor{Day: today}.encode()}, nil
		}
		day = first
	} else {
		d, _ := time.ParseInLocation(time.DateOnly, day, jst)
		p := fmt.Sprintf("/shipments/shipped/%04d/%02d/%02d", d.Year(), int(d.Month()), d.Day())
		if err := c.call(ctx, http.MethodGet, p, nil, nil, &list); err != nil {
			return nil, err
		}
	}
	type entry struct {
		at time.Time
		w  *wireShipment
	}
	var entries []entry
	page := &connector.ShipmentPage{}
	for i := range list.Shipments {
		w := &list.Shipments[i]
		at, err := time.Parse(time.RFC3339, w.ShippedAt)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: w.ID, Err: invalid("shipment %s: shipped_at is not a time", w.ID)})
			continue
		}
		if at.In(jst).Format(time.DateOnly) != day {
			continue
		}
		if day == k.Day && !k.after(at, w.ID) {
			continue
		}
		entries = append(entries, entry{at, w})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.w.ID, b.w.ID)
	})
	next := shipCursor{Day: day}
	if day == k.Day {
		next = k
	}
	for i, e := range entries {
		if i == c.cfg.ShipmentPageSize {
			page.More = true
			break
		}
		if e.at.Equal(next.At) {
			next.Seen = append(slices.Clone(next.Seen), e.w.ID)
		} else {
			next.At, next.Seen = e.at, []string{e.w.ID}
		}
		s, err := c.toShipment(e.w)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: e.w.ID, Err: err})
			continue
		}
		page.Shipments = append(page.Shipments, s)
	}
	if !page.More && day < today {
		d, _ := time.ParseInLocation(time.DateOnly, day, jst)
		next = shipCursor{Day: d.AddDate(0, 0, 1).Format(time.DateOnly)}
		page.More = true
	}
	page.Next = next.encode()
	return page, nil
}

// ListStock reads the stock of every item Config.Items names, 100 items a request, as one
// snapshot: OPENLOGI has no change feed, so every listing, from any cursor, is whole. AsOf is
// the time before the first request, so a shipment it includes happened before AsOf.
//
// OnHand is OPENLOGI's available quantity plus what its open shipment requests from the engine
// hold allocated (GET /shipments lists the requests not shipped yet): the engine reserves the
// units of the orders it sent until they ship, so counting them out twice would undersell.
// Requests made outside the engine stay counted out.
func (c *Client) ListStock(ctx context.Context, _ connector.Cursor) (*connector.StockPage, error) {
	ids, err := c.cfg.Items(ctx)
	if err != nil {
		return nil, fmt.Errorf("openlogi: listing the items: %w", err)
	}
	asOf := c.clock.Now().UTC()
	page := &connector.StockPage{Next: connector.Cursor("snapshot:" + asOf.Format(time.RFC3339Nano))}
	if len(ids) == 0 {
		return page, nil
	}
	var items []wireItemStock
	for start := 0; start < len(ids); start += 100 {
		batch := ids[start:min(start+100, len(ids))]
		var out wireItems
		q := url.Values{"id": {strings.Join(batch, ",")}, "stock": {"1"}}
		if err := c.call(ctx, http.MethodGet, "/items", q, nil, &out); err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
	}
	// Read after the stock: a request created in between is added back and was reserved by the
	// engine before it was sent; one shipped in between is not added back, which undersells
	// until the next snapshot and never oversells.
	own := map[string]int{}
	if !c.cfg.PhysicalStock {
		var open wireShipments
		if err := c.call(ctx, http.MethodGet, "/shipments", nil, nil, &open); err != nil {
			return nil, err
		}
		for _, s := range open.Shipments {
			if !allocated(s.Status) || !c.cfg.Owned(deref(s.Identifier)) {
				continue
			}
			for _, it := range s.Items {
				if it.Quantity > 0 {
					own[it.Code] += it.Quantity
				}
			}
		}
	}
	for _, it := range items {
		n, err := c.onHand(it)
		if err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: it.ID, Err: err})
			continue
		}
		page.Levels = append(page.Levels, inventory.Level{SKU: it.Code, OnHand: max(n+own[it.Code], 0), AsOf: asOf})
	}
	return page, nil
}

// allocated reports whether a shipment in status s holds stock: every open status but
// backordered (a suspended shipment keeps its allocation).
func allocated(s string) bool {
	return s != statusShipped && s != statusBackordered && s != ""
}

func (c *Client) onHand(it wireItemStock) (int, error) {
	if it.Code == "" {
		return 0, invalid("item %s has no code", it.ID)
	}
	if it.Stock == nil {
		return 0, invalid("item %s came without stock", it.ID)
	}
	n := it.Stock.Available
	if c.cfg.PhysicalStock {
		n = it.Stock.Quantity
	}
	if n == nil {
		return 0, invalid("item %s: stock quantity missing", it.ID)
	}
	return *n, nil // may be negative (a shortfall); ListStock clamps after adding back
}
