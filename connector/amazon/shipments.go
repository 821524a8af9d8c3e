package amazon

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/shipment"
)

// SupportsPartialShipments is true: confirmShipment takes per-item quantities.
func (c *Client) SupportsPartialShipments() bool { return true }

// confirmItem is one item of a confirmShipment package.
type confirmItem struct {
	OrderItemID string `json:"orderItemId"`
	Quantity    int    `json:"quantity"`
}

type packageDetail struct {
	PackageReferenceID string        `json:"packageReferenceId"`
	CarrierCode        string        `json:"carrierCode"`
	CarrierName        string        `json:"carrierName,omitempty"`
	TrackingNumber     string        `json:"trackingNumber"`
	ShipDate           string        `json:"shipDate"`
	OrderItems         []confirmItem `json:"orderItems"`
}

type confirmRequest struct {
	MarketplaceID string        `json:"marketplaceId"`
	PackageDetail packageDetail `json:"packageDetail"`
}

// PackageReferenceID is the packageReferenceId the client sends for parcel i of a shipment: a
// positive number derived from the shipment's ID and the parcel, so a repeated confirmation
// names the same package and Amazon recognises it.
func PackageReferenceID(shipmentID string, parcel int) string {
	h := fnv.New64a()
	h.Write([]byte(shipmentID))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(parcel)))
	// 15 digits: far from collisions within one order, and safe in any numeric column.
	return strconv.FormatUint(h.Sum64()%999_999_999_999_999+1, 10)
}

// packages splits a shipment into the packages confirmShipment takes.
func (c *Client) packages(conf connector.ShipmentConfirmation) ([]packageDetail, error) {
	s := conf.Shipment
	itemOf := map[string]string{}
	for _, l := range conf.Order.Lines {
		// The line's ID is Amazon's OrderItemId too; the ref is preferred, being explicit.
		if id := l.Refs[RefOrderItemID]; id != "" {
			itemOf[l.ID] = id
		} else if l.ID != "" {
			itemOf[l.ID] = l.ID
		}
	}
	var items []confirmItem
	for _, l := range s.Lines {
		id, ok := itemOf[l.LineID]
		if !ok {
			return nil, fmt.Errorf("amazon: ConfirmShipment: line %q of order %s has no Amazon order item: %w", l.LineID, conf.Order.ID, connector.ErrPermanent)
		}
		if l.Quantity <= 0 {
			continue
		}
		items = append(items, confirmItem{OrderItemID: id, Quantity: l.Quantity})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("amazon: ConfirmShipment: shipment %s of order %s ships nothing: %w", s.ID, conf.Order.ID, connector.ErrPermanent)
	}
	if len(s.Parcels) == 0 {
		return nil, fmt.Errorf("amazon: ConfirmShipment: shipment %s has no parcel: Amazon needs a tracking number: %w", s.ID, connector.ErrPermanent)
	}
	at := s.At
	if at.IsZero() {
		at = c.cfg.Now()
	}
	pkg := func(i int, p shipment.Parcel, items []confirmItem) packageDetail {
		d := packageDetail{PackageReferenceID: PackageReferenceID(s.ID, i), TrackingNumber: p.TrackingNumber,
			ShipDate: at.UTC().Format(time.RFC3339), OrderItems: items}
		code, ok := c.cfg.CarrierCodes[p.Carrier]
		if !ok {
			code, ok = CarrierCodes[p.Carrier]
		}
		if ok {
			d.CarrierCode = code
		} else {
			d.CarrierCode, d.CarrierName = "Other", carrierNames[p.Carrier]
			if d.CarrierName == "" {
				d.CarrierName = string(p.Carrier)
			}
		}
		return d
	}
	if len(s.Parcels) > 1 && len(s.Parcels) == len(items) {
		out := make([]packageDetail, len(items))
		for i := range items {
			out[i] = pkg(i, s.Parcels[i], items[i:i+1])
		}
		return out, nil
	}
	return []packageDetail{pkg(0, s.Parcels[0], items)}, nil
}

// ConfirmShipment confirms each package of the shipment. A package Amazon already has (the
// confirmation is repeated) counts as confirmed.
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	id := conf.Order.ID
	if id == "" || len(id) > 64 || url.PathEscape(id) != id {
		return fmt.Errorf("amazon: ConfirmShipment: %q is not an Amazon order ID: %w", truncate(id, 40), connector.ErrPermanent)
	}
	pkgs, err := c.packages(conf)
	if err != nil {
		return err
	}
	if len(conf.Shipment.Parcels) > 1 && len(pkgs) == 1 {
		c.log.InfoContext(ctx, "amazon: shipment confirmed as one package", "order", id, "shipment", conf.Shipment.ID,
			"parcels", len(conf.Shipment.Parcels))
	}
	var known map[string]bool
	for _, p := range pkgs {
		if known[p.PackageReferenceID] {
			continue
		}
		_, err := c.do(ctx, call{op: "confirmShipment", method: http.MethodPost, path: "/orders/v0/orders/" + id + "/shipmentConfirmation",
			body: confirmRequest{MarketplaceID: c.cfg.MarketplaceID, PackageDetail: p}}, nil)
		if err == nil {
			continue
		}
		if statusOf(err) != http.StatusBadRequest {
			return err
		}
		// Amazon refuses a packageReferenceId it already has: read the order's packages to
		// tell a repeat (success) from a real refusal.
		if known == nil {
			var rerr error
			if known, rerr = c.confirmedPackages(ctx, id); rerr != nil {
				return fmt.Errorf("%w (and reading the order's packages back failed: %v)", err, rerr)
			}
		}
		if !known[p.PackageReferenceID] {
			return err
		}
	}
	return nil
}

// confirmedPackages returns the packageReferenceIds Amazon holds for an order.
func (c *Client) confirmedPackages(ctx context.Context, id string) (map[string]bool, error) {
	var out struct {
		Order struct {
			Packages []struct {
				PackageReferenceID string `json:"packageReferenceId"`
			} `json:"packages"`
		} `json:"order"`
	}
	if _, err := c.do(ctx, call{op: "getOrder2026", method: http.MethodGet, path: "/orders/2026-01-01/orders/" + id,
		query: url.Values{"includedData": {"PACKAGES"}}}, &out); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, p := range out.Order.Packages {
		known[p.PackageReferenceID] = true
	}
	return known, nil
}
