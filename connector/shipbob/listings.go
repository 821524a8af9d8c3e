package shipbob

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/inventory"
	"github.com/tobira-commerce/tobira/shipment"
)

// TagKey carries the request key on an order whose reference_id is a hash of it (ReferenceID).
const TagKey = "tobira_key"

// shipCursor is a position in the shipment listing: the pass lists orders updated after
// since, page by page; start is when the pass began.
type shipCursor struct {
	since time.Time
	page  int
	start time.Time
}

func (k shipCursor) String() string {
	v := url.Values{"p": {strconv.Itoa(k.page)}}
	if !k.since.IsZero() {
		v.Set("since", k.since.UTC().Format(time.RFC3339Nano))
	}
	if !k.start.IsZero() {
		v.Set("start", k.start.UTC().Format(time.RFC3339Nano))
	}
	return "s1:" + v.Encode()
}

func parseShipCursor(s string) (shipCursor, error) {
	rest, ok := strings.CutPrefix(s, "s1:")
	if !ok {
		return shipCursor{}, fmt.Errorf("shipbob: not a shipment cursor: %w", connector.ErrPermanent)
	}
	v, err := url.ParseQuery(rest)
	if err != nil {
		return shipCursor{}, fmt.Errorf("shipbob: bad shipment cursor: %w", connector.ErrPermanent)
	}
	var k shipCursor
	if k.page, err = strconv.Atoi(v.Get("p")); err != nil || k.page < 1 {
		return shipCursor{}, fmt.Errorf("shipbob: bad shipment cursor page: %w", connector.ErrPermanent)
	}
	for name, dst := range map[string]*time.Time{"since": &k.since, "start": &k.start} {
		if t := v.Get(name); t != "" {
			if *dst, err = time.Parse(time.RFC3339Nano, t); err != nil {
				return shipCursor{}, fmt.Errorf("shipbob: bad shipment cursor time: %w", connector.ErrPermanent)
			}
		}
	}
	return k, nil
}

// ListShipments lists the shipments ShipBob completed with tracking, from orders updated after
// the cursor's time; see the package doc for how passes overlap.
func (c *Client) ListShipments(ctx context.Context, after connector.Cursor) (*connector.ShipmentPage, error) {
	k := shipCursor{since: c.cfg.ShipmentsSince, page: 1}
	if after != "" {
		var err error
		if k, err = parseShipCursor(string(after)); err != nil {
			return nil, err
		}
	}
	if k.page == 1 || k.start.IsZero() {
		k.start = c.cfg.Now()
	}
	q := url.Values{"HasTracking": {"true"}, "SortOrder": {"Oldest"}, "Page": {strconv.Itoa(k.page)},
		"Limit": {strconv.Itoa(c.cfg.PageSize)}}
	if !k.since.IsZero() {
		q.Set("LastUpdateStartDate", k.since.UTC().Format(time.RFC3339Nano))
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, path: "/order", query: q, channel: true})
	if err != nil {
		return nil, errorf("listing shipments: %w", err)
	}
	page, n, err := decodeShipments(resp.Body)
	if err != nil {
		return nil, errorf("listing shipments: %w", err)
	}
	if n >= c.cfg.PageSize {
		page.More = true
		page.Next = connector.Cursor(shipCursor{since: k.since, page: k.page + 1, start: k.start}.String())
	} else {
		page.Next = connector.Cursor(shipCursor{since: k.start.Add(-c.cfg.Overlap), page: 1}.String())
	}
	return page, nil
}

// decodeShipments turns a page of orders into shipments; an order that cannot be read, or a
// shipment that does not validate, is a Reject. n is how many orders the page held.
func decodeShipments(body []byte) (*connector.ShipmentPage, int, error) {
	var raws []json.RawMessage
	if err := httpclient.Decode(body, &raws, httpclient.DecodeOptions{}); err != nil {
		return nil, 0, err
	}
	page := &connector.ShipmentPage{}
	for i, raw := range raws {
		var o orderJSON
		if err := httpclient.Decode(raw, &o, httpclient.DecodeOptions{}); err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: rawID(raw, i), Err: err})
			continue
		}
		tags := map[string]string{}
		for _, t := range o.Tags {
			tags[t.Name] = t.Value
		}
		for _, sh := range o.Shipments {
			// ShipBob's guide: a shipment with tracking is LabeledCreated, quickly Completed; both count.
			if st := str(sh.Status); (st != "Completed" && st != "LabeledCreated") || sh.Tracking == nil || str(sh.Tracking.TrackingNumber) == "" {
				continue
			}
			s := shipmentOf(&o, &sh, tags)
			if err := s.Validate(); err != nil {
				page.Rejects = append(page.Rejects, connector.Reject{ID: s.ID, Err: err})
				continue
			}
			page.Shipments = append(page.Shipments, s)
		}
	}
	return page, len(raws), nil
}

// rawID reads an item's id for a Reject, or names its position.
func rawID(raw json.RawMessage, i int) string {
	var v struct {
		ID json.Number `json:"id"`
	}
	if json.Unmarshal(raw, &v) == nil && v.ID != "" && len(v.ID) < 32 {
		return v.ID.String()
	}
	return "#" + strconv.Itoa(i)
}

func shipmentOf(o *orderJSON, sh *shipmentJSON, tags map[string]string) shipment.Shipment {
	ref := str(o.ReferenceID)
	if ref == "" {
		ref = str(sh.ReferenceID)
	}
	key := ref
	if k := tags[TagKey]; k != "" && ReferenceID(k) == ref {
		key = k
	}
	s := shipment.Shipment{ID: strconv.FormatInt(sh.ID, 10), RequestKey: key, Channel: tags[TagChannel], OrderID: tags[TagOrder]}
	qty := map[string]int{}
	var skus []string
	for _, p := range sh.Products {
		sku := str(p.ReferenceID)
		if sku == "" {
			sku = str(p.SKU)
		}
		n := 0
		for _, ii := range p.InventoryItems {
			n += ii.Quantity
		}
		if _, seen := qty[sku]; !seen {
			skus = append(skus, sku)
		}
		qty[sku] += n
	}
	for _, sku := range skus {
		s.Lines = append(s.Lines, shipment.Line{SKU: sku, Quantity: qty[sku]})
	}
	s.Parcels = []shipment.Parcel{{Carrier: Carrier(str(sh.Tracking.Carrier)), TrackingNumber: str(sh.Tracking.TrackingNumber)}}
	switch {
	case sh.ActualFulfillmentDate != nil:
		s.At = sh.ActualFulfillmentDate.UTC()
	case sh.Tracking.ShippingDate != nil:
		s.At = sh.Tracking.ShippingDate.UTC()
	case sh.LastUpdateAt != nil:
		s.At = sh.LastUpdateAt.UTC()
	}
	return s
}

// Carrier maps ShipBob's carrier name to Tobira's vocabulary; names it does not know are
// shipment.CarrierOther.
func Carrier(name string) shipment.Carrier {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "usps"):
		return shipment.USPS
	case strings.Contains(n, "fedex"):
		return shipment.FedEx
	case strings.Contains(n, "dhl"):
		return shipment.DHL
	case strings.Contains(n, "ups"):
		return shipment.UPS
	case strings.Contains(n, "yamato"), strings.Contains(n, "kuroneko"):
		return shipment.Yamato
	case strings.Contains(n, "sagawa"):
		return shipment.Sagawa
	case strings.Contains(n, "japan post"), strings.Contains(n, "japanpost"), strings.Contains(n, "yu-pack"):
		return shipment.JapanPost
	case strings.Contains(n, "ems"):
		return shipment.EMS
	}
	return shipment.CarrierOther
}

// stockCursor is the only stock cursor: every listing is a whole snapshot.
const stockCursor = "i1:snapshot"

// maxStockPages bounds one listing: 500 pages of 250 levels.
const maxStockPages = 500

// ListStock lists ShipBob's inventory levels (total on hand), each stamped with the time its
// page was requested. ShipBob cannot list levels changed since a time, and a cursor into its
// pages cannot promise that a resumed listing sees changes to pages already read; so each call
// reads every page, following ShipBob's next links, and returns the whole snapshot as one page.
// The cursor it returns is always the same. A throttle on any page ends the call with the
// *connector.RateLimitError.
func (c *Client) ListStock(ctx context.Context, after connector.Cursor) (*connector.StockPage, error) {
	if after != "" && after != stockCursor {
		return nil, fmt.Errorf("shipbob: not a stock cursor: %w", connector.ErrPermanent)
	}
	page := &connector.StockPage{Next: stockCursor}
	cl := call{method: http.MethodGet, path: "/inventory-level", query: url.Values{"PageSize": {strconv.Itoa(c.cfg.PageSize)}}}
	seen := map[string]bool{}
	for range maxStockPages {
		asOf := c.cfg.Now()
		resp, err := c.do(ctx, cl)
		if err != nil {
			return nil, errorf("listing stock: %w", err)
		}
		next, err := decodeLevels(resp.Body, asOf, page)
		if err != nil {
			return nil, errorf("listing stock: %w", err)
		}
		if next == "" {
			return page, nil
		}
		if seen[next] {
			return nil, errorf("listing stock: the next links loop: %w", connector.ErrTemporary)
		}
		seen[next] = true
		cl = call{method: http.MethodGet, path: next}
	}
	return nil, errorf("listing stock: more than %d pages: %w", maxStockPages, connector.ErrPermanent)
}

// decodeLevels appends a page's levels (or rejects) to page and returns the next link.
func decodeLevels(body []byte, asOf time.Time, page *connector.StockPage) (string, error) {
	var pj levelsPageJSON
	if err := httpclient.Decode(body, &pj, httpclient.DecodeOptions{}); err != nil {
		return "", err
	}
	for i, raw := range pj.Items {
		var l levelJSON
		if err := httpclient.Decode(raw, &l, httpclient.DecodeOptions{}); err != nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: rawID(raw, i), Err: err})
			continue
		}
		if str(l.SKU) == "" || l.OnHand == nil {
			page.Rejects = append(page.Rejects, connector.Reject{ID: strconv.FormatInt(l.InventoryID, 10),
				Err: fmt.Errorf("shipbob: inventory level without sku or total_on_hand_quantity: %w", connector.ErrPermanent)})
			continue
		}
		page.Levels = append(page.Levels, inventory.Level{SKU: *l.SKU, OnHand: *l.OnHand, AsOf: asOf})
	}
	return nextLink(pj.Next)
}

// nextLink keeps the path and query of ShipBob's next link, refusing one that leaves the
// inventory-level listing (the client sends its token wherever the link points).
func nextLink(p *string) (string, error) {
	if p == nil || *p == "" {
		return "", nil
	}
	u, err := url.Parse(*p)
	if err != nil || !strings.HasSuffix(u.Path, "/"+APIVersion+"/inventory-level") {
		return "", fmt.Errorf("shipbob: unexpected next link: %w", connector.ErrPermanent)
	}
	return "/" + APIVersion + "/inventory-level?" + u.RawQuery, nil
}

// MarkTrackingUploaded tells ShipBob that the shipments' tracking reached the channel (POST
// /2026-01/shipment:batchUpdateTrackingUpload), the sync flag ShipBob's guide recommends, so
// its dashboard and GET /order?IsTrackingUploaded=false show what is still to sync. The engine
// does not need it: a host calls it after the shipments were confirmed, with the IDs
// ListShipments reported. Marking is idempotent. Shipments ShipBob does not know come back in
// a permanent error naming them.
func (c *Client) MarkTrackingUploaded(ctx context.Context, shipmentIDs []string) error {
	if len(shipmentIDs) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(shipmentIDs))
	for _, s := range shipmentIDs {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errorf("marking tracking uploaded: %q is not a ShipBob shipment ID: %w", s, connector.ErrPermanent)
		}
		ids = append(ids, id)
	}
	body, err := json.Marshal(struct {
		ShipmentIDs        []int64 `json:"shipment_ids"`
		IsTrackingUploaded bool    `json:"is_tracking_uploaded"`
	}{ids, true})
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, path: "/shipment:batchUpdateTrackingUpload", body: body, channel: true})
	if err != nil {
		return errorf("marking tracking uploaded: %w", err)
	}
	var res struct {
		Results []struct {
			ShipmentID int64 `json:"shipmentId"`
			IsSuccess  bool  `json:"isSuccess"`
		} `json:"results"`
	}
	if err := httpclient.Decode(resp.Body, &res, httpclient.DecodeOptions{}); err != nil {
		return errorf("marking tracking uploaded: %w", err)
	}
	var failed []string
	for _, r := range res.Results {
		if !r.IsSuccess {
			failed = append(failed, strconv.FormatInt(r.ShipmentID, 10))
		}
	}
	if len(failed) > 0 {
		return errorf("marking tracking uploaded: ShipBob refused shipments %s: %w", strings.Join(failed, ","), connector.ErrPermanent)
	}
	return nil
}
