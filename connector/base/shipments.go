package base

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/shipment"
)

// SupportsPartialShipments is true: BASE marks order items dispatched one by one. A shipment
// carrying part of an item's quantity marks the whole item (see the package doc).
func (c *Client) SupportsPartialShipments() bool { return true }

// carrierNames are the carriers as Japanese shipping mails name them.
var carrierNames = map[shipment.Carrier]string{
	shipment.Yamato: "ヤマト運輸", shipment.Sagawa: "佐川急便", shipment.JapanPost: "日本郵便", shipment.Seino: "西濃運輸",
	shipment.Fukuyama: "福山通運", shipment.Ecohai: "エコ配", shipment.DHL: "DHL", shipment.FedEx: "FedEx",
	shipment.UPS: "UPS", shipment.EMS: "EMS", shipment.USPS: "USPS", shipment.CarrierOther: "その他",
}

// carrierWords find a carrier among BASE's delivery companies by a word of its name.
var carrierWords = map[shipment.Carrier][]string{
	shipment.Yamato: {"ヤマト", "クロネコ"}, shipment.Sagawa: {"佐川"}, shipment.JapanPost: {"日本郵便", "ゆうパック", "郵便"},
	shipment.Seino: {"西濃"}, shipment.Fukuyama: {"福山"}, shipment.Ecohai: {"エコ配"}, shipment.DHL: {"DHL"},
	shipment.FedEx: {"FedEx", "フェデックス"}, shipment.UPS: {"UPS"}, shipment.EMS: {"EMS"},
}

// comment writes the parcels as the shipping mail's message, the form BASE's own example uses,
// within add_comment's 250 characters; parcels that do not fit are dropped and counted.
func comment(parcels []shipment.Parcel) (string, int) {
	var b strings.Builder
	dropped := 0
	for _, p := range parcels {
		name := carrierNames[p.Carrier]
		if name == "" {
			name = carrierNames[shipment.CarrierOther]
		}
		part := "[配送業者]" + name + " [送り状番号]" + p.TrackingNumber
		if b.Len() > 0 {
			part = " " + part
		}
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(part) > maxComment {
			dropped++
			continue
		}
		b.WriteString(part)
	}
	return b.String(), dropped
}

// ConfirmShipment marks the shipment's order items dispatched (or, for a 後払い order, puts it
// in shipping with its tracking number). It reads the order first and skips what is already
// done, so a repeated or resent confirmation has one effect.
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	key := conf.Order.ID
	if key == "" {
		return fmt.Errorf("base: confirmation without an order ID: %w", connector.ErrPermanent)
	}
	var ans detailAnswer
	if err := c.call(ctx, kindRead, http.MethodGet, "/1/orders/detail/"+url.PathEscape(key), nil, &ans); err != nil {
		return err
	}
	if ans.Order == nil {
		return fmt.Errorf("base: order detail without an order: %w", connector.ErrTemporary)
	}
	d := ans.Order
	status := map[string]string{}
	for _, it := range d.Items {
		status[strconv.FormatInt(it.OrderItemID, 10)] = it.Status
	}
	refs := map[string]string{}
	for _, l := range conf.Order.Lines {
		if id := l.Refs[RefOrderItemID]; id != "" {
			refs[l.ID] = id
		}
	}
	var items []string
	for _, sl := range conf.Shipment.Lines {
		id := sl.LineID
		if r, ok := refs[id]; ok {
			id = r
		}
		if _, ok := status[id]; !ok {
			return fmt.Errorf("base: shipment line %q is not an item of order %s: %w", sl.LineID, key, connector.ErrPermanent)
		}
		items = append(items, id)
	}
	if len(items) == 0 {
		return fmt.Errorf("base: shipment without lines: %w", connector.ErrPermanent)
	}
	text, dropped := comment(conf.Shipment.Parcels)
	if dropped > 0 {
		c.log.WarnContext(ctx, "base: tracking numbers beyond add_comment's 250 characters were not sent", "shop", c.cfg.Shop, "order", key, "dropped", dropped)
	}
	if d.Payment == "atobarai" {
		return c.confirmAtobarai(ctx, conf, d, items)
	}
	sent := 0
	for _, id := range items {
		if status[id] != "ordered" {
			continue // dispatched by an earlier confirmation (or this one, resent), or cancelled
		}
		form := url.Values{"order_item_id": {id}, "status": {"dispatched"}}
		if text != "" {
			form.Set("add_comment", text)
		}
		if err := c.call(ctx, kindWrite, http.MethodPost, "/1/orders/edit_status", form, nil); err != nil {
			return err
		}
		status[id] = "dispatched"
		sent++
	}
	if sent == 0 {
		c.log.DebugContext(ctx, "base: every item of the shipment was already dispatched or cancelled", "shop", c.cfg.Shop, "order", key, "shipment", conf.Shipment.ID)
	}
	return nil
}

// confirmAtobarai reports a 後払い order's shipment: BASE takes one tracking number for the
// whole order, with the shipment that completes it.
func (c *Client) confirmAtobarai(ctx context.Context, conf connector.ShipmentConfirmation, d *detail, items []string) error {
	if d.Atobarai != nil && str(d.Atobarai.Status) != "" && str(d.Atobarai.Status) != "ordered" {
		return nil // already in shipping (or arrived): reported before
	}
	if !conf.Complete {
		c.log.InfoContext(ctx, "base: 後払い order shipped in part; BASE takes its tracking number with the shipment that completes it",
			"shop", c.cfg.Shop, "order", d.UniqueKey, "shipment", conf.Shipment.ID)
		return nil
	}
	if len(conf.Shipment.Parcels) == 0 {
		return fmt.Errorf("base: a 後払い order needs a tracking number to ship: %w", connector.ErrPermanent)
	}
	first := conf.Shipment.Parcels[0]
	company, err := c.companyID(ctx, first.Carrier)
	if err != nil {
		return err
	}
	tracking := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, first.TrackingNumber)
	if tracking == "" {
		return fmt.Errorf("base: tracking number has no letters or digits: %w", connector.ErrPermanent)
	}
	form := url.Values{"order_item_id": {items[0]}, "atobarai_status": {"shipping"},
		"delivery_company_id": {strconv.FormatInt(company, 10)}, "tracking_number": {tracking}}
	if len(conf.Shipment.Parcels) > 1 {
		if text, _ := comment(conf.Shipment.Parcels[1:]); text != "" {
			form.Set("add_comment", text)
		}
	}
	return c.call(ctx, kindWrite, http.MethodPost, "/1/orders/edit_status", form, nil)
}

type companiesAnswer struct {
	DeliveryCompanies []struct {
		ID   int64  `json:"delivery_company_id"`
		Name string `json:"name"`
	} `json:"delivery_companies"`
}

// companyID finds the carrier among BASE's delivery companies (GET /1/delivery_companies, read
// once), falling back to その他.
func (c *Client) companyID(ctx context.Context, carrier shipment.Carrier) (int64, error) {
	c.mu.Lock()
	names := c.companies
	c.mu.Unlock()
	if names == nil {
		var ans companiesAnswer
		if err := c.call(ctx, kindRead, http.MethodGet, "/1/delivery_companies", nil, &ans); err != nil {
			return 0, err
		}
		names = map[string]int64{}
		for _, dc := range ans.DeliveryCompanies {
			names[dc.Name] = dc.ID
		}
		c.mu.Lock()
		c.companies = names
		c.mu.Unlock()
	}
	// The lowest matching ID wins, so the choice does not depend on map order.
	best := int64(-1)
	for n, id := range names {
		for _, w := range carrierWords[carrier] {
			if strings.Contains(n, w) && (best < 0 || id < best) {
				best = id
			}
		}
	}
	if best >= 0 {
		return best, nil
	}
	if id, ok := names["その他"]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("base: carrier %q is none of BASE's delivery companies: %w", carrier, connector.ErrPermanent)
}
