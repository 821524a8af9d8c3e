package woocommerce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/shipment"
)

// ShipmentMetaPrefix starts the meta_data key with which ConfirmShipment marks a shipment as
// recorded on the order; the rest of the key is the shipment's ID (or a digest of a long one).
const ShipmentMetaPrefix = "_tobira_shipment_"

// SupportsPartialShipments implements connector.PartialShipper: each shipment adds its
// parcels' tracking, and the order is completed by the shipment that completes it.
func (c *Client) SupportsPartialShipments() bool { return true }

var plainID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ShipmentMetaKey is the meta_data key that marks shipment id as recorded on an order.
func ShipmentMetaKey(id string) string {
	if plainID.MatchString(id) {
		return ShipmentMetaPrefix + id
	}
	sum := sha256.Sum256([]byte(id))
	return ShipmentMetaPrefix + hex.EncodeToString(sum[:12])
}

// carrierNames are how tracking is labelled for buyers, Japanese carriers in Japanese.
var carrierNames = map[shipment.Carrier]string{
	shipment.Yamato: "ヤマト運輸", shipment.Sagawa: "佐川急便", shipment.JapanPost: "日本郵便",
	shipment.Seino: "西濃運輸", shipment.Fukuyama: "福山通運", shipment.Ecohai: "エコ配",
	shipment.DHL: "DHL", shipment.FedEx: "FedEx", shipment.UPS: "UPS", shipment.EMS: "EMS", shipment.USPS: "USPS",
}

func carrierName(c shipment.Carrier) string {
	if n, ok := carrierNames[c]; ok {
		return n
	}
	if c == "" || c == shipment.CarrierOther {
		return "Other"
	}
	return string(c)
}

// ConfirmShipment implements connector.ShipmentSink. WooCommerce takes no idempotency key, so
// every step reads before it writes and a confirmation sent again after a lost answer has one
// effect:
//
//  1. GET the order: a cancelled, refunded or trashed order is refused (ErrPermanent); an
//     order that already carries the shipment's marker (ShipmentMetaKey) is done.
//  2. Record each parcel not yet recorded: with the Shipment Tracking extension, a tracking
//     entry (tracking_provider from Config.TrackingProviders, or custom_tracking_provider with
//     the carrier's name and custom_tracking_link with its tracking URL; date_shipped)
//     unless the order's trackings already hold the number; without it, an order note
//     (Config.NoteTemplate, sent to the buyer unless Config.PrivateNotes) unless a note already
//     holds the number.
//  3. PUT the order with the marker and, when the shipment completes the order, status
//     completed (WooCommerce then sends the buyer its completed-order email).
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	id := conf.Order.ID
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return fmt.Errorf("woocommerce: order ID %q is not a WooCommerce ID: %w", id, connector.ErrNotFound)
	}
	if conf.Shipment.ID == "" {
		return fmt.Errorf("woocommerce: shipment has no ID: %w", connector.ErrPermanent)
	}
	marker := ShipmentMetaKey(conf.Shipment.ID)
	resp, err := c.do(ctx, call{op: "get order", method: http.MethodGet, path: APIPath + "/orders/" + id})
	if err != nil {
		return err
	}
	var w struct {
		Status   string   `json:"status"`
		MetaData []wcMeta `json:"meta_data"`
	}
	if err := decode("get order", resp, &w, false); err != nil {
		return err
	}
	switch w.Status {
	case "cancelled", "refunded", "trash", "failed":
		return fmt.Errorf("woocommerce: order %s is %s on WooCommerce; a shipment cannot be recorded: %w", id, w.Status, connector.ErrPermanent)
	}
	for _, m := range w.MetaData {
		if m.Key == marker {
			return nil
		}
	}
	var numbers []string
	for _, p := range conf.Shipment.Parcels {
		if strings.TrimSpace(p.TrackingNumber) != "" {
			numbers = append(numbers, p.TrackingNumber)
		}
	}
	if len(numbers) > 0 {
		if err := c.recordTracking(ctx, id, conf); err != nil {
			return err
		}
	}
	body := map[string]any{"meta_data": []map[string]any{{"key": marker, "value": strings.Join(numbers, ",")}}}
	if conf.Complete && w.Status != "completed" {
		body["status"] = "completed"
	}
	resp, err = c.do(ctx, call{op: "complete order", method: http.MethodPut, path: APIPath + "/orders/" + id, body: body, safe: true})
	if err != nil {
		return err
	}
	var after struct {
		ID int64 `json:"id"`
	}
	return decode("complete order", resp, &after, true)
}

type wcTracking struct {
	TrackingNumber string `json:"tracking_number"`
}

type wcNote struct {
	Note string `json:"note"`
}

// recordTracking writes each parcel's tracking where the shop keeps it, skipping numbers
// already there.
func (c *Client) recordTracking(ctx context.Context, id string, conf connector.ShipmentConfirmation) error {
	existing, ext, err := c.trackings(ctx, id)
	if err != nil {
		return err
	}
	if !ext {
		return c.recordNotes(ctx, id, conf)
	}
	date := conf.Shipment.At
	if date.IsZero() {
		date = c.now()
	}
	for _, p := range conf.Shipment.Parcels {
		if p.TrackingNumber == "" || existing[p.TrackingNumber] {
			continue
		}
		body := map[string]any{
			"tracking_number": p.TrackingNumber,
			"date_shipped":    date.In(c.cfg.Location).Format("2006-01-02"),
		}
		if name, ok := c.cfg.TrackingProviders[p.Carrier]; ok {
			body["tracking_provider"] = name
		} else {
			body["custom_tracking_provider"] = carrierName(p.Carrier)
			body["custom_tracking_link"] = p.Carrier.TrackingURL(p.TrackingNumber)
		}
		resp, err := c.do(ctx, call{op: "add shipment tracking", method: http.MethodPost, path: TrackingPath + "/orders/" + id + "/shipment-trackings", body: body})
		if err != nil {
			return err
		}
		var t wcTracking
		if err := decode("add shipment tracking", resp, &t, true); err != nil {
			return err
		}
		existing[p.TrackingNumber] = true
	}
	return nil
}

// trackings lists the order's tracking numbers through the Shipment Tracking extension, and
// reports whether the shop has it: the route answering rest_no_route means it has not, which is
// trusted for Config.TrackingRecheck.
func (c *Client) trackings(ctx context.Context, id string) (map[string]bool, bool, error) {
	if c.cfg.Tracking == TrackingNotes {
		return nil, false, nil
	}
	c.track.mu.Lock()
	absent := !c.track.absent.IsZero() && c.now().Sub(c.track.absent) < c.cfg.TrackingRecheck
	c.track.mu.Unlock()
	if absent {
		return nil, false, nil
	}
	resp, err := c.do(ctx, call{op: "list shipment trackings", method: http.MethodGet, path: TrackingPath + "/orders/" + id + "/shipment-trackings"})
	if err != nil {
		if errCode(err) == "rest_no_route" {
			c.track.mu.Lock()
			c.track.absent = c.now()
			c.track.mu.Unlock()
			return nil, false, nil
		}
		return nil, false, err
	}
	var list []wcTracking
	if err := decode("list shipment trackings", resp, &list, false); err != nil {
		return nil, false, err
	}
	c.track.mu.Lock()
	c.track.absent = time.Time{}
	c.track.mu.Unlock()
	out := map[string]bool{}
	for _, t := range list {
		out[t.TrackingNumber] = true
	}
	return out, true, nil
}

// recordNotes adds one order note per parcel whose tracking number no note holds yet.
func (c *Client) recordNotes(ctx context.Context, id string, conf connector.ShipmentConfirmation) error {
	resp, err := c.do(ctx, call{op: "list order notes", method: http.MethodGet, path: APIPath + "/orders/" + id + "/notes"})
	if err != nil {
		return err
	}
	var raws []json.RawMessage
	if err := decode("list order notes", resp, &raws, false); err != nil {
		return err
	}
	var notes []string
	for _, raw := range raws {
		var n wcNote
		if json.Unmarshal(raw, &n) == nil {
			notes = append(notes, n.Note)
		}
	}
	for _, p := range conf.Shipment.Parcels {
		if p.TrackingNumber == "" || containsNumber(notes, p.TrackingNumber) {
			continue
		}
		text := strings.NewReplacer("{carrier}", carrierName(p.Carrier), "{number}", p.TrackingNumber,
			"{url}", p.Carrier.TrackingURL(p.TrackingNumber)).Replace(c.cfg.NoteTemplate)
		text = strings.TrimSpace(text)
		resp, err := c.do(ctx, call{op: "add order note", method: http.MethodPost, path: APIPath + "/orders/" + id + "/notes",
			body: map[string]any{"note": text, "customer_note": !c.cfg.PrivateNotes}})
		if err != nil {
			return err
		}
		var n wcNote
		if err := decode("add order note", resp, &n, true); err != nil {
			return err
		}
		notes = append(notes, text)
	}
	return nil
}

// containsNumber reports whether a note holds the tracking number as a whole token, so that
// 12345 is not found inside 123456.
func containsNumber(notes []string, number string) bool {
	for _, n := range notes {
		for i := 0; ; {
			j := strings.Index(n[i:], number)
			if j < 0 {
				break
			}
			j += i
			end := j + len(number)
			if (j == 0 || !isAlnum(n[j-1])) && (end == len(n) || !isAlnum(n[end])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func isAlnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}
