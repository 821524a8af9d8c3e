package rakuten

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
)

// Refs keys the connector sets on orders.
const (
	RefOrderNumber    = "rakuten.orderNumber"
	RefBasketID       = "rakuten.basketId"
	RefShippingTerm   = "rakuten.shippingTerm"   // the raw お届け時間帯 when not 0
	RefUnmappedSlot   = "rakuten.unmappedSlot"   // a time request no carrier slot expresses (午後, その他, 1012)
	RefNameKana       = "rakuten.nameKana"       // the recipient's name in kana
	RefIsolatedIsland = "rakuten.isolatedIsland" // "1" for a remote island (離島)
	RefRemarks        = "rakuten.remarks"        // remarks holding a delivery request that could not be parsed
	RefDeliveryName   = "rakuten.deliveryName"   // 配送方法 (宅配便, メール便, …)
)

// ---- wire ----

type message struct {
	MessageType      string `json:"messageType"`
	MessageCode      string `json:"messageCode"`
	OrderNumber      string `json:"orderNumber"`
	DataNumber       *int   `json:"dataNumber"`
	ShippingDetailID *int64 `json:"shippingDetailId"`
	RequestID        string `json:"requestId"`
}

type searchRequest struct {
	DateType               int               `json:"dateType"`
	StartDatetime          string            `json:"startDatetime"`
	EndDatetime            string            `json:"endDatetime"`
	OrderProgressList      []int             `json:"orderProgressList,omitempty"`
	PaginationRequestModel paginationRequest `json:"PaginationRequestModel"`
}

type paginationRequest struct {
	RequestRecordsAmount int         `json:"requestRecordsAmount"`
	RequestPage          int         `json:"requestPage"`
	SortModelList        []sortModel `json:"SortModelList"`
}

type sortModel struct {
	SortColumn    int `json:"sortColumn"`
	SortDirection int `json:"sortDirection"`
}

type searchResponse struct {
	MessageModelList        []message `json:"MessageModelList"`
	OrderNumberList         []string  `json:"orderNumberList"`
	PaginationResponseModel *struct {
		TotalRecordsAmount *int `json:"totalRecordsAmount"`
	} `json:"PaginationResponseModel"`
}

type getResponse struct {
	MessageModelList []message         `json:"MessageModelList"`
	OrderModelList   []json.RawMessage `json:"OrderModelList"`
}

type orderModel struct {
	OrderNumber             string  `json:"orderNumber"`
	OrderProgress           int     `json:"orderProgress"`
	OrderDatetime           string  `json:"orderDatetime"`
	ShopOrderCfmDatetime    *string `json:"shopOrderCfmDatetime"`
	OrderFixDatetime        *string `json:"orderFixDatetime"`
	ShippingInstDatetime    *string `json:"shippingInstDatetime"`
	ShippingCmplRptDatetime *string `json:"shippingCmplRptDatetime"`
	DeliveryDate            *string `json:"deliveryDate"`
	ShippingTerm            *int    `json:"shippingTerm"`
	Remarks                 *string `json:"remarks"`
	GiftCheckFlag           int     `json:"giftCheckFlag"`
	IsolatedIslandFlag      int     `json:"isolatedIslandFlag"`
	RequestPrice            int     `json:"requestPrice"`
	SettlementModel         *struct {
		SettlementMethod string `json:"settlementMethod"`
	} `json:"SettlementModel"`
	DeliveryModel *struct {
		DeliveryName string `json:"deliveryName"`
	} `json:"DeliveryModel"`
	WrappingModel1        *json.RawMessage `json:"WrappingModel1"`
	WrappingModel2        *json.RawMessage `json:"WrappingModel2"`
	PackageModelList      []packageModel   `json:"PackageModelList"`
	ChangeReasonModelList []changeModel    `json:"ChangeReasonModelList"`
}

type personModel struct {
	ZipCode1           string `json:"zipCode1"`
	ZipCode2           string `json:"zipCode2"`
	Prefecture         string `json:"prefecture"`
	City               string `json:"city"`
	SubAddress         string `json:"subAddress"`
	FamilyName         string `json:"familyName"`
	FirstName          string `json:"firstName"`
	FamilyNameKana     string `json:"familyNameKana"`
	FirstNameKana      string `json:"firstNameKana"`
	PhoneNumber1       string `json:"phoneNumber1"`
	PhoneNumber2       string `json:"phoneNumber2"`
	PhoneNumber3       string `json:"phoneNumber3"`
	IsolatedIslandFlag *int   `json:"isolatedIslandFlag"`
}

type packageModel struct {
	BasketID          int64           `json:"basketId"`
	TotalPrice        int             `json:"totalPrice"`
	Noshi             *string         `json:"noshi"`
	PackageDeleteFlag int             `json:"packageDeleteFlag"`
	SenderModel       personModel     `json:"SenderModel"`
	ItemModelList     []itemModel     `json:"ItemModelList"`
	ShippingModelList []shippingModel `json:"ShippingModelList"`
}

type itemModel struct {
	ItemDetailID   int64  `json:"itemDetailId"`
	ItemName       string `json:"itemName"`
	ManageNumber   string `json:"manageNumber"`
	Price          int    `json:"price"`
	Units          int    `json:"units"`
	DeleteItemFlag int    `json:"deleteItemFlag"`
	SkuModelList   []struct {
		VariantID            string  `json:"variantId"`
		MerchantDefinedSkuID *string `json:"merchantDefinedSkuId"`
	} `json:"SkuModelList"`
}

type shippingModel struct {
	ShippingDetailID int64   `json:"shippingDetailId"`
	ShippingNumber   string  `json:"shippingNumber"`
	DeliveryCompany  string  `json:"deliveryCompany"`
	ShippingDate     *string `json:"shippingDate"`
}

type changeModel struct {
	ChangeType          *int    `json:"changeType"`
	ChangeApplyDatetime *string `json:"changeApplyDatetime"`
	ChangeFixDatetime   *string `json:"changeFixDatetime"`
	ChangeCmplDatetime  *string `json:"changeCmplDatetime"`
}

// ---- cursor ----

// cursor is where a listing of one window stands: the phase (0: orders placed in the window, 1:
// earlier orders re-read), the order date reached (T, Unix seconds), the current sub-window's
// end (E, 0 before it is chosen) and the order numbers already listed at second T.
type cursor struct {
	P int      `json:"p"`
	T int64    `json:"t"`
	E int64    `json:"e,omitempty"`
	S []string `json:"s,omitempty"`
}

// maxSkip bounds the order numbers a cursor carries: orders placed in one second beyond it would
// not fit a search page together with a page of new ones.
const maxSkip = 800

func decodeCursor(c connector.Cursor) (cursor, bool, error) {
	if c == "" {
		return cursor{}, false, nil
	}
	var cur cursor
	if err := json.Unmarshal([]byte(c), &cur); err != nil || cur.P < 0 || cur.P > 1 || len(cur.S) > maxSkip {
		return cursor{}, false, fmt.Errorf("rakuten: unreadable cursor: %w", connector.ErrPermanent)
	}
	return cur, true, nil
}

func (c cursor) encode() connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(b)
}

// phase returns the inclusive range of order dates (Unix seconds) phase p searches.
func (c *Client) phase(p int, from, to time.Time) (lo, hi int64) {
	floor := c.cfg.Now().Add(-729 * 24 * time.Hour).Unix() // RMS refuses starts over 730 days back
	if p == 0 {
		lo, hi = from.Unix(), to.Add(-time.Nanosecond).Unix()
	} else {
		lo, hi = from.Add(-c.cfg.ReReadSpan).Unix(), from.Unix()-1
	}
	return max(lo, floor), hi
}

// reread are the progress codes whose orders are re-read for changes and cancellations.
var reread = []int{100, 200, 300, 400, 800, 900}

// searchBudget bounds the searches one ListOrders call makes before it returns a page (maybe
// empty) with a cursor, so a call stays short however many empty sub-windows there are.
const searchBudget = 8

// ListOrders lists orders updated in [req.From, req.To); see the package doc for how.
func (c *Client) ListOrders(ctx context.Context, req connector.ListOrdersRequest) (*connector.OrderPage, error) {
	if !req.From.Before(req.To) {
		return &connector.OrderPage{}, nil
	}
	limit := req.Limit
	if limit <= 0 || limit > c.cfg.PageSize {
		limit = c.cfg.PageSize
	}
	cur, ok, err := decodeCursor(req.Page)
	if err != nil {
		return nil, err
	}
	if !ok {
		cur.T, _ = c.phase(0, req.From, req.To)
	}
	page := &connector.OrderPage{}
	for range searchBudget {
		lo, hi := c.phase(cur.P, req.From, req.To)
		cur.T = max(cur.T, lo)
		if cur.T > hi {
			if cur.P == 1 {
				return page, nil
			}
			lo1, _ := c.phase(1, req.From, req.To)
			cur = cursor{P: 1, T: lo1}
			continue
		}
		if cur.E < cur.T || cur.E > hi || cur.E-cur.T > int64(maxSpan/time.Second) {
			cur.E = min(cur.T+int64(maxSpan/time.Second), hi)
		}
		amount := min(maxSearchPage, limit+len(cur.S))
		sr, err := c.search(ctx, cur, amount)
		if err != nil {
			return nil, err
		}
		total := len(sr.OrderNumberList)
		if p := sr.PaginationResponseModel; p != nil && p.TotalRecordsAmount != nil {
			total = *p.TotalRecordsAmount
		}
		if total >= c.cfg.ResultCap {
			if cur.E == cur.T {
				return nil, fmt.Errorf("rakuten: searchOrder: %d or more orders placed in one second: %w", c.cfg.ResultCap, connector.ErrPermanent)
			}
			cur.E = cur.T + (cur.E-cur.T)/2 // the platform kept an arbitrary 15,000: narrow and search again
			continue
		}
		var nums []string
		for _, n := range sr.OrderNumberList {
			if !slices.Contains(cur.S, n) && !slices.Contains(nums, n) {
				nums = append(nums, n)
			}
		}
		if len(nums) == 0 {
			cur = cursor{P: cur.P, T: cur.E + 1}
			continue
		}
		take := nums[:min(limit, len(nums))]
		models, err := c.getOrders(ctx, take, page)
		if err != nil {
			return nil, err
		}
		var held []string
		last := int64(-1)
		for _, m := range models {
			placed, _ := parseTime(m.OrderDatetime)
			last = max(last, placed.Unix())
			if m.OrderProgress == 100 && c.cfg.ConfirmOrders {
				held = append(held, m.OrderNumber)
			}
			orders, rejects := c.mapOrder(ctx, m)
			page.Rejects = append(page.Rejects, rejects...)
			for _, o := range orders {
				if cur.P == 1 && o.UpdatedAt.Before(req.From) {
					continue
				}
				page.Orders = append(page.Orders, o)
			}
		}
		if len(held) > 0 {
			if err := c.confirm(ctx, held); err != nil {
				return nil, err
			}
		}
		// Even when the search held no more, the cursor stays at the last order date listed: an
		// order RMS indexes late, inside the sub-window, is found by the next call.
		switch {
		case last <= cur.T:
			cur.S = append(cur.S, take...)
		default:
			var at []string
			for _, m := range models {
				if t, _ := parseTime(m.OrderDatetime); t.Unix() == last {
					at = append(at, m.OrderNumber)
				}
			}
			cur.T, cur.S = last, at
		}
		if len(cur.S) > maxSkip {
			return nil, fmt.Errorf("rakuten: more than %d orders placed in one second: %w", maxSkip, connector.ErrPermanent)
		}
		_, hi1 := c.phase(1, req.From, req.To)
		if !(cur.P == 1 && cur.T > hi1) {
			page.Next = cur.encode()
		}
		return page, nil
	}
	page.Next = cur.encode()
	return page, nil
}

func (c *Client) search(ctx context.Context, cur cursor, amount int) (*searchResponse, error) {
	req := searchRequest{
		DateType: 1, StartDatetime: fmtTime(time.Unix(cur.T, 0)), EndDatetime: fmtTime(time.Unix(cur.E, 0)),
		PaginationRequestModel: paginationRequest{RequestRecordsAmount: amount, RequestPage: 1,
			SortModelList: []sortModel{{SortColumn: 1, SortDirection: 1}}},
	}
	if cur.P == 1 {
		req.OrderProgressList = reread
	}
	var out searchResponse
	if err := c.call(ctx, c.order, "/es/2.0/order/searchOrder/", req, false, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// getOrders reads orders; one that cannot be decoded becomes a reject on page.
func (c *Client) getOrders(ctx context.Context, nums []string, page *connector.OrderPage) ([]orderModel, error) {
	var out getResponse
	body := map[string]any{"orderNumberList": nums, "version": OrderVersion}
	if err := c.call(ctx, c.order, "/es/2.0/order/getOrder/", body, false, &out); err != nil {
		return nil, err
	}
	models := make([]orderModel, 0, len(out.OrderModelList))
	for _, raw := range out.OrderModelList {
		var m orderModel
		if err := json.Unmarshal(raw, &m); err != nil {
			var id struct {
				OrderNumber string `json:"orderNumber"`
			}
			_ = json.Unmarshal(raw, &id)
			page.Rejects = append(page.Rejects, connector.Reject{ID: safeCode(id.OrderNumber), Err: fmt.Errorf("rakuten: getOrder: undecodable order: %w", connector.ErrPermanent)})
			continue
		}
		if _, err := parseTime(m.OrderDatetime); err != nil || m.OrderNumber == "" {
			page.Rejects = append(page.Rejects, connector.Reject{ID: safeCode(m.OrderNumber), Err: fmt.Errorf("rakuten: getOrder: order without a number or a readable orderDatetime: %w", connector.ErrPermanent)})
			continue
		}
		models = append(models, m)
	}
	// A number the search found that getOrder does not return is reported, never dropped.
	for _, num := range nums {
		found := false
		for _, m := range models {
			found = found || m.OrderNumber == num
		}
		for _, r := range page.Rejects {
			found = found || r.ID == safeCode(num)
		}
		if !found {
			code := "no answer"
			for _, msg := range out.MessageModelList {
				if msg.OrderNumber == num && msg.MessageType == "ERROR" {
					code = safeCode(msg.MessageCode)
				}
			}
			page.Rejects = append(page.Rejects, connector.Reject{ID: safeCode(num), Err: fmt.Errorf("rakuten: getOrder did not return the order (%s): %w", code, connector.ErrNotFound)})
		}
	}
	return models, nil
}

// confirm confirms orders waiting in 100 (Config.ConfirmOrders); an order RMS will not confirm
// (no longer in 100) is left alone.
func (c *Client) confirm(ctx context.Context, nums []string) error {
	var out struct {
		MessageModelList []message `json:"MessageModelList"`
	}
	if err := c.call(ctx, c.order, "/es/2.0/order/confirmOrder/", map[string]any{"orderNumberList": nums}, true, &out); err != nil {
		return err
	}
	for _, m := range out.MessageModelList {
		if m.MessageType == "ERROR" {
			c.log.DebugContext(ctx, "rakuten: confirmOrder refused an order", "order", safeCode(m.OrderNumber), "code", safeCode(m.MessageCode))
		}
	}
	return nil
}

// ---- mapping ----

func status(progress int) (order.Status, bool) {
	switch progress {
	case 100, 200:
		return order.StatusPending, true
	case 300, 400:
		return order.StatusOpen, true
	case 500, 600, 700:
		return order.StatusClosed, true
	case 800, 900:
		return order.StatusCancelled, true
	}
	return "", false
}

// updatedAt is the latest datetime the order carries.
func (m *orderModel) updatedAt() time.Time {
	t, _ := parseTime(m.OrderDatetime)
	consider := func(s *string) {
		if s == nil {
			return
		}
		if u, err := parseTime(*s); err == nil && u.After(t) {
			t = u
		}
	}
	consider(m.ShopOrderCfmDatetime)
	consider(m.OrderFixDatetime)
	consider(m.ShippingInstDatetime)
	consider(m.ShippingCmplRptDatetime)
	for _, ch := range m.ChangeReasonModelList {
		consider(ch.ChangeApplyDatetime)
		consider(ch.ChangeFixDatetime)
		consider(ch.ChangeCmplDatetime)
	}
	return t
}

// mapOrder turns one RMS order into one order per destination.
func (c *Client) mapOrder(ctx context.Context, m orderModel) ([]order.Order, []connector.Reject) {
	id := safeCode(m.OrderNumber)
	reject := func(format string, args ...any) ([]order.Order, []connector.Reject) {
		return nil, []connector.Reject{{ID: id, Err: fmt.Errorf("rakuten: order: "+format+": %w", append(args, connector.ErrPermanent)...)}}
	}
	st, ok := status(m.OrderProgress)
	if !ok {
		return reject("unknown orderProgress %d", m.OrderProgress)
	}
	if len(m.PackageModelList) == 0 {
		return reject("no destination (PackageModelList is empty)")
	}
	placed, _ := parseTime(m.OrderDatetime)
	base := order.Order{ID: m.OrderNumber, Number: m.OrderNumber, Status: st, ChannelStatus: strconv.Itoa(m.OrderProgress),
		PlacedAt: placed.UTC(), UpdatedAt: m.updatedAt().UTC()}
	refs := map[string]string{RefOrderNumber: m.OrderNumber}
	if m.DeliveryModel != nil && m.DeliveryModel.DeliveryName != "" {
		refs[RefDeliveryName] = m.DeliveryModel.DeliveryName
	}
	delivery, problem := c.delivery(ctx, m, refs)
	if problem != "" {
		return reject("%s", problem)
	}
	base.Delivery = delivery
	cod := m.SettlementModel != nil && strings.Contains(m.SettlementModel.SettlementMethod, "代金引換")
	pkgs := slices.Clone(m.PackageModelList)
	slices.SortStableFunc(pkgs, func(a, b packageModel) int {
		switch {
		case a.BasketID < b.BasketID:
			return -1
		case a.BasketID > b.BasketID:
			return 1
		}
		return 0
	})
	var out []order.Order
	var rejects []connector.Reject
	for i, p := range pkgs {
		o := base
		if i > 0 {
			o.ID = m.OrderNumber + "/" + strconv.FormatInt(p.BasketID, 10)
		}
		o.Refs = make(map[string]string, len(refs)+4)
		for k, v := range refs {
			o.Refs[k] = v
		}
		o.Refs[RefBasketID] = strconv.FormatInt(p.BasketID, 10)
		if p.PackageDeleteFlag == 1 {
			o.Status = order.StatusCancelled
		}
		s := p.SenderModel
		o.ShipTo = order.Address{
			Name:       strings.TrimSpace(s.FamilyName + " " + s.FirstName),
			Phone:      joinNonEmpty("-", s.PhoneNumber1, s.PhoneNumber2, s.PhoneNumber3),
			PostalCode: joinNonEmpty("-", s.ZipCode1, s.ZipCode2),
			Prefecture: s.Prefecture, City: s.City, Line1: s.SubAddress,
		}
		if kana := strings.TrimSpace(s.FamilyNameKana + " " + s.FirstNameKana); kana != "" {
			o.Refs[RefNameKana] = kana
		}
		if (s.IsolatedIslandFlag != nil && *s.IsolatedIslandFlag == 1) || (len(pkgs) == 1 && m.IsolatedIslandFlag == 1) {
			o.Refs[RefIsolatedIsland] = "1"
		}
		noshi := ""
		if p.Noshi != nil {
			noshi = strings.TrimSpace(*p.Noshi)
		}
		if m.GiftCheckFlag == 1 || noshi != "" || m.WrappingModel1 != nil || m.WrappingModel2 != nil {
			o.Gift = &order.Gift{Wrapping: m.WrappingModel1 != nil || m.WrappingModel2 != nil, Noshi: noshi}
		}
		if cod {
			amount := m.RequestPrice
			if len(pkgs) > 1 {
				amount = p.TotalPrice
			}
			if amount > 0 {
				o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(int64(amount))}
			}
		}
		for _, it := range p.ItemModelList {
			l := order.Line{ID: strconv.FormatInt(it.ItemDetailID, 10), SKU: skuOf(it), Name: it.ItemName,
				Quantity: it.Units, UnitPrice: order.Yen(int64(it.Price))}
			if it.DeleteItemFlag == 1 || p.PackageDeleteFlag == 1 {
				l.Cancelled = l.Quantity
			}
			if l.UnitPrice.Amount < 0 {
				l.UnitPrice = order.Money{} // -9999: 未確定
			}
			o.Lines = append(o.Lines, l)
		}
		if err := o.Validate(); err != nil {
			rejects = append(rejects, connector.Reject{ID: o.ID, Err: fmt.Errorf("rakuten: order: %w: %w", err, connector.ErrPermanent)})
			continue
		}
		out = append(out, o)
	}
	return out, rejects
}

// skuOf is the line's SKU: merchantDefinedSkuId, else "<manageNumber>:<variantId>", else the
// manage number alone (an item without SKU variants).
func skuOf(it itemModel) string {
	for _, s := range it.SkuModelList {
		if s.MerchantDefinedSkuID != nil && strings.TrimSpace(*s.MerchantDefinedSkuID) != "" {
			return strings.TrimSpace(*s.MerchantDefinedSkuID)
		}
	}
	for _, s := range it.SkuModelList {
		if s.VariantID != "" {
			return strings.ToLower(it.ManageNumber) + ":" + s.VariantID
		}
	}
	return strings.ToLower(it.ManageNumber)
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
