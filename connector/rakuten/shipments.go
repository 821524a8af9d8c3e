package rakuten

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// SupportsPartialShipments is false: RMS records parcels per destination and cannot say that
// only some lines shipped.
func (c *Client) SupportsPartialShipments() bool { return false }

type shippingIn struct {
	ShippingDetailID *int64 `json:"shippingDetailId,omitempty"`
	DeliveryCompany  string `json:"deliveryCompany"`
	ShippingNumber   string `json:"shippingNumber"`
	ShippingDate     string `json:"shippingDate"`
}

type basketIn struct {
	BasketID          int64        `json:"basketId"`
	ShippingModelList []shippingIn `json:"ShippingModelList"`
}

type shippingRequest struct {
	OrderNumber       string     `json:"orderNumber"`
	BasketidModelList []basketIn `json:"BasketidModelList"`
}

// target returns the RMS order number and destination a confirmation is about: the number is
// the order ID up to "/", the destination its basketId (from the ID, else Refs, else none: the
// order's only destination).
func target(o order.Order) (num string, basket int64, err error) {
	num, suffix, split := strings.Cut(o.ID, "/")
	ref := suffix
	if !split {
		ref = o.Refs[RefBasketID]
	}
	if num == "" {
		return "", 0, fmt.Errorf("rakuten: shipment: the order has no ID: %w", connector.ErrPermanent)
	}
	if ref != "" {
		if basket, err = strconv.ParseInt(ref, 10, 64); err != nil {
			return "", 0, fmt.Errorf("rakuten: shipment: unreadable basketId: %w", connector.ErrPermanent)
		}
	}
	return num, basket, nil
}

// sentKey names one shipment of one destination in the client's memory.
func sentKey(num string, basket int64, shipmentID string) string {
	return num + "\x00" + strconv.FormatInt(basket, 10) + "\x00" + shipmentID
}

// maxSent bounds the client's memory of sent tracking numbers; past it the memory starts over
// (a correction of a shipment forgotten that way adds a row instead of updating one).
const maxSent = 100000

// plan compares a confirmation with what RMS shows and returns the rows to send: parcels whose
// numbers the destination lacks are added, a parcel whose number changed since this client sent
// it updates its row. It returns nil when there is nothing to send.
func (c *Client) plan(conf connector.ShipmentConfirmation, m *orderModel, basket int64) (*basketIn, []string, error) {
	num := m.OrderNumber
	switch m.OrderProgress {
	case 100, 200, 400:
		return nil, nil, fmt.Errorf("rakuten: shipment: order %s is in progress %d and cannot take shipping rows yet: %w", safeCode(num), m.OrderProgress, connector.ErrTemporary)
	case 800, 900:
		return nil, nil, fmt.Errorf("rakuten: shipment: order %s is cancelled (progress %d): %w", safeCode(num), m.OrderProgress, connector.ErrPermanent)
	}
	var pkg *packageModel
	for i := range m.PackageModelList {
		p := &m.PackageModelList[i]
		if p.PackageDeleteFlag == 1 {
			continue
		}
		if (basket == 0 && pkg == nil) || p.BasketID == basket {
			pkg = p
		}
	}
	if pkg == nil {
		return nil, nil, fmt.Errorf("rakuten: shipment: order %s has no destination %d: %w", safeCode(num), basket, connector.ErrNotFound)
	}
	parcels := conf.Shipment.Parcels
	if len(parcels) == 0 {
		return nil, nil, fmt.Errorf("rakuten: shipment %s has no parcel with a tracking number: %w", conf.Shipment.ID, connector.ErrPermanent)
	}
	date := conf.Shipment.At.In(jst).Format("2006-01-02")
	if conf.Shipment.At.IsZero() {
		date = c.cfg.Now().In(jst).Format("2006-01-02")
	}
	c.mu.Lock()
	prev := c.sent[sentKey(num, pkg.BasketID, conf.Shipment.ID)]
	c.mu.Unlock()
	rowOf := func(number string) *shippingModel {
		for i := range pkg.ShippingModelList {
			if pkg.ShippingModelList[i].ShippingNumber == number {
				return &pkg.ShippingModelList[i]
			}
		}
		return nil
	}
	in := &basketIn{BasketID: pkg.BasketID}
	numbers := make([]string, len(parcels))
	adds := 0
	for i, p := range parcels {
		number := strings.TrimSpace(p.TrackingNumber)
		numbers[i] = number
		if number == "" {
			return nil, nil, fmt.Errorf("rakuten: shipment %s: parcel %d has no tracking number: %w", conf.Shipment.ID, i, connector.ErrPermanent)
		}
		if rowOf(number) != nil {
			continue
		}
		row := shippingIn{DeliveryCompany: CarrierCode(p.Carrier), ShippingNumber: number, ShippingDate: date}
		if i < len(prev) && prev[i] != "" && prev[i] != number {
			if old := rowOf(prev[i]); old != nil {
				id := old.ShippingDetailID
				row.ShippingDetailID = &id
			}
		}
		if row.ShippingDetailID == nil {
			adds++
		}
		in.ShippingModelList = append(in.ShippingModelList, row)
	}
	if len(pkg.ShippingModelList)+adds > maxParcels {
		return nil, nil, fmt.Errorf("rakuten: shipment %s: destination %d would hold %d shipping rows, RMS takes %d: %w",
			conf.Shipment.ID, pkg.BasketID, len(pkg.ShippingModelList)+adds, maxParcels, connector.ErrPermanent)
	}
	if len(in.ShippingModelList) == 0 {
		c.remember(num, pkg.BasketID, conf.Shipment.ID, numbers)
		return nil, nil, nil
	}
	return in, numbers, nil
}

func (c *Client) remember(num string, basket int64, shipmentID string, numbers []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sent) >= maxSent {
		c.sent = map[string][]string{}
	}
	c.sent[sentKey(num, basket, shipmentID)] = numbers
}

// readOrder reads one order; ErrNotFound when RMS does not know it.
func (c *Client) readOrder(ctx context.Context, num string) (*orderModel, error) {
	var page connector.OrderPage
	models, err := c.getOrders(ctx, []string{num}, &page)
	if err != nil {
		return nil, err
	}
	for i := range models {
		if models[i].OrderNumber == num {
			return &models[i], nil
		}
	}
	if len(page.Rejects) > 0 && !errors.Is(page.Rejects[0].Err, connector.ErrNotFound) {
		return nil, fmt.Errorf("rakuten: getOrder: order %s is unreadable: %w", safeCode(num), connector.ErrPermanent)
	}
	return nil, fmt.Errorf("rakuten: getOrder: order %s: %w", safeCode(num), connector.ErrNotFound)
}

// ConfirmShipment reports a shipment's parcels as shipping rows of its destination; see the
// package doc for how repeats and corrections are kept to one effect.
func (c *Client) ConfirmShipment(ctx context.Context, conf connector.ShipmentConfirmation) error {
	num, basket, err := target(conf.Order)
	if err != nil {
		return err
	}
	if len(conf.Shipment.Parcels) > maxParcels {
		return fmt.Errorf("rakuten: shipment %s has %d parcels, RMS takes %d per destination: %w", conf.Shipment.ID, len(conf.Shipment.Parcels), maxParcels, connector.ErrPermanent)
	}
	m, err := c.readOrder(ctx, num)
	if err != nil {
		return err
	}
	in, numbers, err := c.plan(conf, m, basket)
	if err != nil || in == nil {
		return err
	}
	var out struct {
		MessageModelList []message `json:"MessageModelList"`
	}
	req := shippingRequest{OrderNumber: num, BasketidModelList: []basketIn{*in}}
	if err := c.call(ctx, c.order, "/es/2.0/order/updateOrderShipping/", req, true, &out); err != nil {
		return err
	}
	if err := messageErr("updateOrderShipping", out.MessageModelList); err != nil {
		return err
	}
	c.remember(num, in.BasketID, conf.Shipment.ID, numbers)
	return nil
}

func messageErr(call string, msgs []message) error {
	var codes []string
	for _, m := range msgs {
		if m.MessageType == "ERROR" {
			codes = append(codes, safeCode(m.MessageCode))
		}
	}
	if len(codes) == 0 {
		return nil
	}
	return fmt.Errorf("rakuten: %s: %s: %w", call, strings.Join(codes, ","), connector.ErrPermanent)
}

// AsyncRequest is one bulk shipment report accepted by RMS, to be checked with AsyncResult.
type AsyncRequest struct {
	RequestID string
	// Skipped are the indexes of confirmations that needed nothing sent (already shown).
	Skipped []int
	// Failed holds the confirmations refused before sending, by index.
	Failed map[int]error
	// orders remembers what was sent, to record it once RMS applied it.
	sent []asyncSent
}

type asyncSent struct {
	index   int
	num     string
	basket  int64
	id      string
	numbers []string
}

// MaxAsyncOrders is the most orders one updateOrderShippingAsync call takes.
const MaxAsyncOrders = 100

// ConfirmShipmentsAsync reports up to MaxAsyncOrders confirmations in one
// updateOrderShippingAsync call, for large batches (a morning's dispatch). Like
// ConfirmShipment it reads the orders first (getOrder, 100 a call) and sends only what RMS does
// not show. RMS applies the batch later; AsyncResult tells how each order fared.
func (c *Client) ConfirmShipmentsAsync(ctx context.Context, confs []connector.ShipmentConfirmation) (*AsyncRequest, error) {
	if len(confs) > MaxAsyncOrders {
		return nil, fmt.Errorf("rakuten: %d confirmations, updateOrderShippingAsync takes %d: %w", len(confs), MaxAsyncOrders, connector.ErrPermanent)
	}
	res := &AsyncRequest{Failed: map[int]error{}}
	nums := make([]string, len(confs))
	baskets := make([]int64, len(confs))
	var unique []string
	for i, conf := range confs {
		num, basket, err := target(conf.Order)
		if err != nil {
			res.Failed[i] = err
			continue
		}
		nums[i], baskets[i] = num, basket
		if !contains(unique, num) {
			unique = append(unique, num)
		}
	}
	models := map[string]*orderModel{}
	if len(unique) > 0 {
		var page connector.OrderPage
		list, err := c.getOrders(ctx, unique, &page)
		if err != nil {
			return nil, err
		}
		for i := range list {
			models[list[i].OrderNumber] = &list[i]
		}
	}
	var body []shippingRequest
	for i, conf := range confs {
		if _, failed := res.Failed[i]; failed {
			continue
		}
		m := models[nums[i]]
		if m == nil {
			res.Failed[i] = fmt.Errorf("rakuten: getOrder: order %s: %w", safeCode(nums[i]), connector.ErrNotFound)
			continue
		}
		in, numbers, err := c.plan(conf, m, baskets[i])
		switch {
		case err != nil:
			res.Failed[i] = err
			continue
		case in == nil:
			res.Skipped = append(res.Skipped, i)
			continue
		}
		body = append(body, shippingRequest{OrderNumber: nums[i], BasketidModelList: []basketIn{*in}})
		res.sent = append(res.sent, asyncSent{i, nums[i], in.BasketID, conf.Shipment.ID, numbers})
	}
	if len(body) == 0 {
		return res, nil
	}
	var out struct {
		MessageModelList []message `json:"MessageModelList"`
	}
	if err := c.call(ctx, c.order, "/es/2.0/order/updateOrderShippingAsync/", map[string]any{"OrderShippingModelList": body}, true, &out); err != nil {
		return nil, err
	}
	if err := messageErr("updateOrderShippingAsync", out.MessageModelList); err != nil {
		return nil, err
	}
	for _, m := range out.MessageModelList {
		if m.RequestID != "" {
			res.RequestID = m.RequestID
		}
	}
	if res.RequestID == "" {
		return nil, fmt.Errorf("rakuten: updateOrderShippingAsync: no requestId in the answer: %w", connector.ErrOutcomeUnknown)
	}
	return res, nil
}

// AsyncResult asks RMS how an accepted bulk report fared and returns, by confirmation index,
// the error of each one RMS refused (nil for those applied).
func (c *Client) AsyncResult(ctx context.Context, req *AsyncRequest) (map[int]error, error) {
	if req == nil || req.RequestID == "" {
		return map[int]error{}, nil
	}
	var out struct {
		MessageModelList        []message `json:"MessageModelList"`
		ResultShippingModelList []struct {
			OrderNumber      string    `json:"orderNumber"`
			MessageModelList []message `json:"MessageModelList"`
		} `json:"ResultShippingModelList"`
	}
	if err := c.call(ctx, c.order, "/es/2.0/order/getResultUpdateOrderShippingAsync/", map[string]any{"requestId": req.RequestID}, false, &out); err != nil {
		return nil, err
	}
	if err := messageErr("getResultUpdateOrderShippingAsync", out.MessageModelList); err != nil {
		return nil, err
	}
	byOrder := map[string]error{}
	seen := map[string]bool{}
	for _, r := range out.ResultShippingModelList {
		seen[r.OrderNumber] = true
		byOrder[r.OrderNumber] = messageErr("updateOrderShippingAsync", r.MessageModelList)
	}
	result := map[int]error{}
	for _, s := range req.sent {
		err, ok := byOrder[s.num]
		switch {
		case !ok && !seen[s.num]:
			result[s.index] = fmt.Errorf("rakuten: order %s is not in the async result yet: %w", safeCode(s.num), connector.ErrTemporary)
		case err == nil:
			c.remember(s.num, s.basket, s.id, s.numbers)
			result[s.index] = nil
		default:
			result[s.index] = err
		}
	}
	return result, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
