package rakutentest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// ---- searchOrder ----

type sortModel struct {
	SortColumn    int `json:"sortColumn"`
	SortDirection int `json:"sortDirection"`
}

type paginationRequest struct {
	RequestRecordsAmount int         `json:"requestRecordsAmount"`
	RequestPage          int         `json:"requestPage"`
	SortModelList        []sortModel `json:"SortModelList"`
}

// searchRequest holds the searchOrder fields the fake models; documented filters it does not
// model are refused like unknown ones, so a connector never relies on a filter the fake ignores.
type searchRequest struct {
	DateType                int                `json:"dateType"`
	StartDatetime           string             `json:"startDatetime"`
	EndDatetime             string             `json:"endDatetime"`
	OrderProgressList       []int              `json:"orderProgressList"`
	ShippingNumberBlankFlag *int               `json:"shippingNumberBlankFlag"`
	PaginationRequestModel  *paginationRequest `json:"PaginationRequestModel"`
}

type paginationResponse struct {
	TotalRecordsAmount int `json:"totalRecordsAmount"`
	TotalPages         int `json:"totalPages"`
	RequestPage        int `json:"requestPage"`
}

type searchResponse struct {
	MessageModelList        []MessageModel     `json:"MessageModelList"`
	OrderNumberList         []string           `json:"orderNumberList"`
	PaginationResponseModel paginationResponse `json:"PaginationResponseModel"`
}

const searchErr = "ORDER_EXT_API_SEARCH_ORDER_ERROR"

func (s *Server) searchOrder(body []byte, _ *http.Request) (int, any) {
	var req searchRequest
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(searchErr, "リクエストが不正です: "+err.Error())
	}
	if req.DateType < 1 || req.DateType > 6 {
		return http.StatusBadRequest, orderError(searchErr, "dateType は 1 から 6 で指定してください")
	}
	start, err1 := parseTime(req.StartDatetime)
	end, err2 := parseTime(req.EndDatetime)
	if err1 != nil || err2 != nil {
		return http.StatusBadRequest, orderError(searchErr, "startDatetime と endDatetime は yyyy-MM-ddTHH:mm:ss+0900 で指定してください")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	switch {
	case end.Before(start):
		return http.StatusBadRequest, orderError(searchErr, "endDatetime は startDatetime 以降を指定してください")
	case end.Sub(start) > maxWindow:
		return http.StatusBadRequest, orderError(searchErr, "期間は 63 日以内で指定してください")
	case start.Before(now.Add(-maxStartAge)):
		return http.StatusBadRequest, orderError(searchErr, "startDatetime は 730 日以内を指定してください")
	}
	p := req.PaginationRequestModel
	if p == nil || p.RequestRecordsAmount < 1 || p.RequestRecordsAmount > maxRecordsPerPage || p.RequestPage < 1 {
		return http.StatusBadRequest, orderError(searchErr, "requestRecordsAmount は 1 から 1000、requestPage は 1 以上で指定してください")
	}
	desc := false
	for _, sm := range p.SortModelList {
		if sm.SortColumn != 1 || (sm.SortDirection != 1 && sm.SortDirection != 2) {
			return http.StatusBadRequest, orderError(searchErr, "SortModelList が不正です")
		}
		desc = sm.SortDirection == 2
	}
	progress := map[int]bool{}
	for _, c := range req.OrderProgressList {
		progress[c] = true
	}
	var match []*fOrder
	for _, o := range s.orderList {
		var t time.Time
		switch req.DateType {
		case 1:
			t = o.placed
		case 2:
			t = o.cfm
		case 3:
			t = o.fix
		case 4, 5:
			t = o.shipRpt
		}
		if t.IsZero() || t.Before(start) || t.After(end) {
			continue
		}
		if len(progress) > 0 && !progress[o.progress] {
			continue
		}
		if req.ShippingNumberBlankFlag != nil && *req.ShippingNumberBlankFlag == 1 && o.hasRows() {
			continue
		}
		match = append(match, o)
	}
	total := len(match)
	if total > s.opts.ResultCap {
		match = capPick(match, s.opts.ResultCap)
		total = s.opts.ResultCap
	}
	sort.SliceStable(match, func(i, j int) bool {
		a, b := match[i], match[j]
		if !a.placed.Equal(b.placed) {
			return a.placed.Before(b.placed) != desc
		}
		return (a.number < b.number) != desc
	})
	resp := searchResponse{
		MessageModelList: []MessageModel{{MessageType: "INFO", MessageCode: "ORDER_EXT_API_SEARCH_ORDER_INFO_101", Message: "注文検索に成功しました。"}},
		OrderNumberList:  []string{},
		PaginationResponseModel: paginationResponse{TotalRecordsAmount: total, RequestPage: p.RequestPage,
			TotalPages: (total + p.RequestRecordsAmount - 1) / p.RequestRecordsAmount},
	}
	from := (p.RequestPage - 1) * p.RequestRecordsAmount
	for i := from; i < len(match) && i < from+p.RequestRecordsAmount; i++ {
		resp.OrderNumberList = append(resp.OrderNumberList, match[i].number)
	}
	return http.StatusOK, resp
}

func (o *fOrder) hasRows() bool {
	for _, p := range o.packages {
		if len(p.rows) > 0 {
			return true
		}
	}
	return false
}

// ---- getOrder ----

type getRequest struct {
	OrderNumberList []string        `json:"orderNumberList"`
	Version         json.RawMessage `json:"version"`
}

const getErr = "ORDER_EXT_API_GET_ORDER_ERROR"

func (s *Server) getOrder(body []byte, _ *http.Request) (int, any) {
	var req getRequest
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(getErr, "リクエストが不正です: "+err.Error())
	}
	version, err := intOrString(req.Version)
	if err != nil || version < 3 || version > 10 {
		return http.StatusBadRequest, orderError(getErr, "version は 3 から 10 で指定してください")
	}
	if len(req.OrderNumberList) < 1 || len(req.OrderNumberList) > maxOrdersPerCall {
		return http.StatusBadRequest, orderError(getErr, "orderNumberList は 1 件以上 100 件以内で指定してください")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := struct {
		MessageModelList []MessageModel `json:"MessageModelList"`
		OrderModelList   []orderModel   `json:"OrderModelList"`
	}{OrderModelList: []orderModel{}}
	resp.MessageModelList = append(resp.MessageModelList, MessageModel{MessageType: "INFO", MessageCode: "ORDER_EXT_API_GET_ORDER_INFO_101", Message: "受注情報取得に成功しました。"})
	for _, num := range req.OrderNumberList {
		o := s.orders[num]
		if o == nil {
			resp.MessageModelList = append(resp.MessageModelList, MessageModel{MessageType: "ERROR", MessageCode: "ORDER_EXT_API_GET_ORDER_ERROR_006",
				Message: "指定された注文番号は存在しません。", OrderNumber: num})
			continue
		}
		resp.OrderModelList = append(resp.OrderModelList, o.model(version))
	}
	return http.StatusOK, resp
}

func intOrString(raw json.RawMessage) (int, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return 0, err
	}
	return strconv.Atoi(str)
}

// The getOrder answer's shapes, with RMS's field names.
type orderModel struct {
	OrderNumber             string          `json:"orderNumber"`
	OrderProgress           int             `json:"orderProgress"`
	SubStatusID             *int            `json:"subStatusId"`
	SubStatusName           *string         `json:"subStatusName"`
	OrderDatetime           string          `json:"orderDatetime"`
	ShopOrderCfmDatetime    *string         `json:"shopOrderCfmDatetime"`
	OrderFixDatetime        *string         `json:"orderFixDatetime"`
	ShippingInstDatetime    *string         `json:"shippingInstDatetime"`
	ShippingCmplRptDatetime *string         `json:"shippingCmplRptDatetime"`
	CancelDueDate           *string         `json:"cancelDueDate"`
	DeliveryDate            *string         `json:"deliveryDate"`
	ShippingTerm            *int            `json:"shippingTerm"`
	Remarks                 *string         `json:"remarks"`
	GiftCheckFlag           int             `json:"giftCheckFlag"`
	IsolatedIslandFlag      int             `json:"isolatedIslandFlag"`
	OrderType               int             `json:"orderType"`
	GoodsPrice              int             `json:"goodsPrice"`
	PostagePrice            int             `json:"postagePrice"`
	DeliveryPrice           int             `json:"deliveryPrice"`
	TotalPrice              int             `json:"totalPrice"`
	RequestPrice            int             `json:"requestPrice"`
	OrdererModel            personModel     `json:"OrdererModel"`
	SettlementModel         settlementModel `json:"SettlementModel"`
	DeliveryModel           deliveryModel   `json:"DeliveryModel"`
	PackageModelList        []packageModel  `json:"PackageModelList"`
	ChangeReasonModelList   []changeModel   `json:"ChangeReasonModelList"`
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
	IsolatedIslandFlag *int   `json:"isolatedIslandFlag,omitempty"`
}

type settlementModel struct {
	SettlementMethod string `json:"settlementMethod"`
}

type deliveryModel struct {
	DeliveryName  string `json:"deliveryName"`
	DeliveryClass *int   `json:"deliveryClass"`
}

type skuModel struct {
	VariantID            string  `json:"variantId"`
	MerchantDefinedSkuID *string `json:"merchantDefinedSkuId"`
	SkuInfo              *string `json:"skuInfo"`
}

type itemModel struct {
	ItemDetailID   int64      `json:"itemDetailId"`
	ItemName       string     `json:"itemName"`
	ItemID         int64      `json:"itemId"`
	ItemNumber     string     `json:"itemNumber"`
	ManageNumber   string     `json:"manageNumber"`
	Price          int        `json:"price"`
	Units          int        `json:"units"`
	SelectedChoice *string    `json:"selectedChoice"`
	DeleteItemFlag int        `json:"deleteItemFlag"`
	SkuModelList   []skuModel `json:"SkuModelList,omitempty"`
}

type shippingModel struct {
	ShippingDetailID    int64   `json:"shippingDetailId"`
	ShippingNumber      string  `json:"shippingNumber"`
	DeliveryCompany     string  `json:"deliveryCompany"`
	DeliveryCompanyName string  `json:"deliveryCompanyName"`
	ShippingDate        *string `json:"shippingDate"`
}

type packageModel struct {
	BasketID          int64           `json:"basketId"`
	PostagePrice      int             `json:"postagePrice"`
	GoodsPrice        int             `json:"goodsPrice"`
	TotalPrice        int             `json:"totalPrice"`
	Noshi             *string         `json:"noshi"`
	PackageDeleteFlag int             `json:"packageDeleteFlag"`
	SenderModel       personModel     `json:"SenderModel"`
	ItemModelList     []itemModel     `json:"ItemModelList"`
	ShippingModelList []shippingModel `json:"ShippingModelList"`
}

type changeModel struct {
	ChangeID            int64   `json:"changeId"`
	ChangeType          int     `json:"changeType"`
	ChangeTypeDetail    *int    `json:"changeTypeDetail"`
	ChangeReason        *int    `json:"changeReason"`
	ChangeReasonDetail  *int    `json:"changeReasonDetail"`
	ChangeApplyDatetime *string `json:"changeApplyDatetime"`
	ChangeFixDatetime   *string `json:"changeFixDatetime"`
	ChangeCmplDatetime  *string `json:"changeCmplDatetime"`
}

func person(p Person, island bool) personModel {
	m := personModel{Prefecture: p.Prefecture, City: p.City, SubAddress: p.Address, FamilyName: p.FamilyName,
		FirstName: p.FirstName, FamilyNameKana: p.FamilyNameKana, FirstNameKana: p.FirstNameKana}
	m.ZipCode1, m.ZipCode2 = split2(p.Zip)
	parts := splitN(p.Phone, 3)
	m.PhoneNumber1, m.PhoneNumber2, m.PhoneNumber3 = parts[0], parts[1], parts[2]
	if island {
		f := 0
		if p.IsolatedIsland {
			f = 1
		}
		m.IsolatedIslandFlag = &f
	}
	return m
}

func split2(s string) (string, string) {
	p := splitN(s, 2)
	return p[0], p[1]
}

func splitN(s string, n int) []string {
	out := make([]string, n)
	i := 0
	for _, r := range s {
		if r == '-' && i < n-1 {
			i++
			continue
		}
		out[i] += string(r)
	}
	return out
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (o *fOrder) model(version int) orderModel {
	m := orderModel{
		OrderNumber: o.number, OrderProgress: o.progress, OrderDatetime: fmtTime(o.placed),
		ShopOrderCfmDatetime: fmtTimePtr(o.cfm), OrderFixDatetime: fmtTimePtr(o.fix),
		ShippingCmplRptDatetime: fmtTimePtr(o.shipRpt), DeliveryDate: strPtr(o.deliveryDate),
		Remarks: strPtr(o.remarks), OrderType: 1, OrdererModel: person(o.orderer, false),
		SettlementModel:  settlementModel{SettlementMethod: "クレジットカード"},
		DeliveryModel:    deliveryModel{DeliveryName: "宅配便"},
		PackageModelList: []packageModel{}, ChangeReasonModelList: []changeModel{},
	}
	if !o.fix.IsZero() {
		m.ShippingInstDatetime = fmtTimePtr(o.fix)
	}
	term := o.shippingTerm
	m.ShippingTerm = &term
	if o.gift {
		m.GiftCheckFlag = 1
	}
	if o.cod {
		m.SettlementModel.SettlementMethod = "代金引換"
		m.RequestPrice = o.requestPrice
	}
	for _, p := range o.packages {
		pm := packageModel{BasketID: p.basketID, Noshi: strPtr(p.noshi), SenderModel: person(p.sender, true),
			ItemModelList: []itemModel{}, ShippingModelList: []shippingModel{}}
		if p.deleted {
			pm.PackageDeleteFlag = 1
		}
		if p.sender.IsolatedIsland {
			m.IsolatedIslandFlag = 1
		}
		for _, it := range p.items {
			im := itemModel{ItemDetailID: it.detailID, ItemName: it.name, ItemID: it.detailID % 100000,
				ItemNumber: it.manageNumber, ManageNumber: it.manageNumber, Price: it.price, Units: it.units}
			if it.deleted {
				im.DeleteItemFlag = 1
			}
			if version >= 7 {
				im.SkuModelList = []skuModel{{VariantID: it.variantID, MerchantDefinedSkuID: strPtr(it.mSKU)}}
			}
			pm.GoodsPrice += it.price * it.units
			pm.ItemModelList = append(pm.ItemModelList, im)
		}
		pm.TotalPrice = pm.GoodsPrice
		m.GoodsPrice += pm.GoodsPrice
		for _, r := range p.rows {
			pm.ShippingModelList = append(pm.ShippingModelList, shippingModel{ShippingDetailID: r.ID, ShippingNumber: r.Number,
				DeliveryCompany: r.Company, DeliveryCompanyName: carriers[r.Company], ShippingDate: strPtr(r.Date)})
		}
		m.PackageModelList = append(m.PackageModelList, pm)
	}
	m.TotalPrice = m.GoodsPrice
	if !o.cod {
		m.RequestPrice = m.TotalPrice
	}
	for _, c := range o.changes {
		m.ChangeReasonModelList = append(m.ChangeReasonModelList, changeModel{ChangeID: c.id, ChangeType: c.typ,
			ChangeApplyDatetime: fmtTimePtr(c.apply), ChangeFixDatetime: fmtTimePtr(c.fix), ChangeCmplDatetime: fmtTimePtr(c.cmpl)})
	}
	return m
}

// carriers are the deliveryCompany codes RMS accepts, with their names.
var carriers = map[string]string{
	"1000": "その他", "1001": "ヤマト運輸", "1002": "佐川急便", "1003": "日本郵便", "1004": "西濃運輸",
	"1005": "セイノースーパーエクスプレス", "1006": "福山通運", "1007": "名鉄運輸", "1008": "トナミ運輸",
	"1009": "第一貨物", "1010": "新潟運輸", "1011": "中越運送", "1012": "岡山県貨物運送", "1013": "久留米運送",
	"1014": "山陽自動車運送", "1015": "NXトランスポート", "1016": "エコ配", "1017": "EMS", "1018": "DHL",
	"1019": "FedEx", "1020": "UPS", "1021": "日本通運", "1022": "TNT", "1023": "OCS", "1024": "USPS",
	"1025": "SFエクスプレス", "1026": "Aramex", "1027": "SGHグローバル・ジャパン", "1028": "Rakuten EXPRESS",
	"1029": "日本郵便 楽天倉庫出荷", "1030": "ヤマト運輸 クロネコゆうパケット", "1031": "名鉄NX運輸",
}

// ---- confirmOrder ----

func (s *Server) confirmOrder(body []byte, _ *http.Request) (int, any) {
	var req struct {
		OrderNumberList []string `json:"orderNumberList"`
	}
	const code = "ORDER_EXT_API_CONFIRM_ORDER_ERROR"
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(code, "リクエストが不正です: "+err.Error())
	}
	if len(req.OrderNumberList) < 1 || len(req.OrderNumberList) > maxOrdersPerCall {
		return http.StatusBadRequest, orderError(code, "orderNumberList は 1 件以上 100 件以内で指定してください")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var resp messages
	for _, num := range req.OrderNumberList {
		o := s.orders[num]
		switch {
		case o == nil:
			resp.MessageModelList = append(resp.MessageModelList, MessageModel{MessageType: "ERROR", MessageCode: code + "_006", Message: "指定された注文番号は存在しません。", OrderNumber: num})
		case s.confirm(o) != nil:
			resp.MessageModelList = append(resp.MessageModelList, MessageModel{MessageType: "ERROR", MessageCode: code + "_012", Message: "注文確認待ちではありません。", OrderNumber: num})
		default:
			resp.MessageModelList = append(resp.MessageModelList, MessageModel{MessageType: "INFO", MessageCode: "ORDER_EXT_API_CONFIRM_ORDER_INFO_101", Message: "注文確認に成功しました。", OrderNumber: num})
		}
	}
	return http.StatusOK, resp
}

// ---- updateOrderShipping ----

type shippingIn struct {
	ShippingDetailID   *int64 `json:"shippingDetailId"`
	DeliveryCompany    string `json:"deliveryCompany"`
	ShippingNumber     string `json:"shippingNumber"`
	ShippingDate       string `json:"shippingDate"`
	ShippingDeleteFlag *int   `json:"shippingDeleteFlag"`
}

type basketIn struct {
	BasketID          int64        `json:"basketId"`
	ShippingModelList []shippingIn `json:"ShippingModelList"`
}

type shippingRequest struct {
	OrderNumber       string     `json:"orderNumber"`
	BasketidModelList []basketIn `json:"BasketidModelList"`
}

const shipErr = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR"

func (s *Server) updateShipping(body []byte, _ *http.Request) (int, any) {
	var req shippingRequest
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(shipErr, "リクエストが不正です: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, ok := s.applyShipping(req)
	if !ok {
		return http.StatusBadRequest, messages{MessageModelList: msgs}
	}
	return http.StatusOK, messages{MessageModelList: msgs}
}

// applyShipping validates the whole request, then applies it; nothing is applied when any row
// is refused.
func (s *Server) applyShipping(req shippingRequest) ([]MessageModel, bool) {
	fail := func(code, msg string) ([]MessageModel, bool) {
		return []MessageModel{{MessageType: "ERROR", MessageCode: shipErr + "_" + code, Message: msg, OrderNumber: req.OrderNumber}}, false
	}
	o := s.orders[req.OrderNumber]
	if o == nil {
		return fail("006", "指定された注文番号は存在しません。")
	}
	if o.progress != 300 && o.progress != 500 {
		return fail("012", "発送待ちまたは発送済の注文ではありません。")
	}
	if len(req.BasketidModelList) == 0 {
		return fail("001", "BasketidModelList を指定してください。")
	}
	type op struct {
		p   *fPackage
		in  shippingIn
		row int // index of the row updated or deleted, -1 to add
	}
	var ops []op
	counts := map[*fPackage]int{}
	for _, b := range req.BasketidModelList {
		var p *fPackage
		for _, q := range o.packages {
			if q.basketID == b.BasketID {
				p = q
			}
		}
		if p == nil || p.deleted {
			return fail("021", "指定された送付先IDは存在しません。")
		}
		if len(b.ShippingModelList) == 0 {
			return fail("001", "ShippingModelList を指定してください。")
		}
		if _, seen := counts[p]; !seen {
			counts[p] = len(p.rows)
		}
		for _, in := range b.ShippingModelList {
			row := -1
			if in.ShippingDetailID != nil {
				for i, r := range p.rows {
					if r.ID == *in.ShippingDetailID {
						row = i
					}
				}
				if row < 0 {
					return fail("022", "指定された発送明細IDは存在しません。")
				}
			}
			del := in.ShippingDeleteFlag != nil && *in.ShippingDeleteFlag == 1
			if in.ShippingDeleteFlag != nil && *in.ShippingDeleteFlag != 0 && !del {
				return fail("023", "shippingDeleteFlag は 0 か 1 で指定してください。")
			}
			switch {
			case del && row < 0:
				return fail("022", "削除する発送明細IDを指定してください。")
			case del:
				counts[p]--
			default:
				if _, ok := carriers[in.DeliveryCompany]; !ok {
					return fail("024", "deliveryCompany が不正です。")
				}
				if in.ShippingNumber == "" || utf8.RuneCountInString(in.ShippingNumber) > 64 {
					return fail("025", "shippingNumber が不正です。")
				}
				if _, err := time.Parse("2006-01-02", in.ShippingDate); err != nil {
					return fail("026", "shippingDate は yyyy-MM-dd で指定してください。")
				}
				if row < 0 {
					counts[p]++
				}
			}
			if counts[p] > maxRowsPerBasket {
				return fail("027", "発送明細は送付先ごとに 20 件までです。")
			}
			ops = append(ops, op{p, in, row})
		}
	}
	var msgs []MessageModel
	deleted := map[*fPackage]map[int]bool{}
	for i, x := range ops {
		n := i + 1
		var id int64
		switch {
		case x.in.ShippingDeleteFlag != nil && *x.in.ShippingDeleteFlag == 1:
			id = x.p.rows[x.row].ID
			if deleted[x.p] == nil {
				deleted[x.p] = map[int]bool{}
			}
			deleted[x.p][x.row] = true
		case x.row >= 0:
			r := &x.p.rows[x.row]
			r.Number, r.Company, r.Date = x.in.ShippingNumber, x.in.DeliveryCompany, x.in.ShippingDate
			id = r.ID
		default:
			id = s.next()
			x.p.rows = append(x.p.rows, ShippingRow{ID: id, Number: x.in.ShippingNumber, Company: x.in.DeliveryCompany, Date: x.in.ShippingDate})
		}
		msgs = append(msgs, MessageModel{MessageType: "INFO", MessageCode: "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101",
			Message: "発送情報の更新に成功しました。", OrderNumber: o.number, DataNumber: &n, ShippingDetailID: &id})
	}
	for p, rows := range deleted {
		var keep []ShippingRow
		for i, r := range p.rows {
			if !rows[i] {
				keep = append(keep, r)
			}
		}
		p.rows = keep
	}
	if o.progress == 300 {
		all := true
		for _, p := range o.packages {
			if !p.deleted && len(p.rows) == 0 {
				all = false
			}
		}
		if all {
			o.progress, o.shipRpt = 500, s.now().Truncate(time.Second)
		}
	}
	return msgs, true
}

// ---- updateOrderShippingAsync ----

type asyncResult struct {
	OrderNumber      string         `json:"orderNumber"`
	MessageModelList []MessageModel `json:"MessageModelList"`
}

func (s *Server) updateShippingAsync(body []byte, _ *http.Request) (int, any) {
	var req struct {
		OrderShippingModelList []shippingRequest `json:"OrderShippingModelList"`
	}
	const code = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC_ERROR"
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(code, "リクエストが不正です: "+err.Error())
	}
	if len(req.OrderShippingModelList) < 1 || len(req.OrderShippingModelList) > maxOrdersPerCall {
		return http.StatusBadRequest, orderError(code, "OrderShippingModelList は 1 件以上 100 件以内で指定してください")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []asyncResult
	for _, r := range req.OrderShippingModelList {
		msgs, _ := s.applyShipping(r)
		results = append(results, asyncResult{OrderNumber: r.OrderNumber, MessageModelList: msgs})
	}
	id := fmt.Sprintf("req-%d", s.next())
	s.async[id] = results
	return http.StatusOK, messages{MessageModelList: []MessageModel{{MessageType: "INFO",
		MessageCode: "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC_INFO_101", Message: "受付に成功しました。", RequestID: id}}}
}

func (s *Server) asyncResult(body []byte, _ *http.Request) (int, any) {
	var req struct {
		RequestID string `json:"requestId"`
	}
	const code = "ORDER_EXT_API_GET_RESULT_UPDATE_ORDERSHIPPING_ASYNC_ERROR"
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, orderError(code, "リクエストが不正です: "+err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, ok := s.async[req.RequestID]
	if !ok {
		return http.StatusBadRequest, orderError(code+"_001", "指定された requestId は存在しません。")
	}
	return http.StatusOK, struct {
		MessageModelList        []MessageModel `json:"MessageModelList"`
		ResultShippingModelList []asyncResult  `json:"ResultShippingModelList"`
	}{[]MessageModel{{MessageType: "INFO", MessageCode: "ORDER_EXT_API_GET_RESULT_UPDATE_ORDERSHIPPING_ASYNC_INFO_101", Message: "処理が完了しました。"}}, res}
}

// ---- inventories ----

type upsertRow struct {
	ManageNumber string `json:"manageNumber"`
	VariantID    string `json:"variantId"`
	Mode         string `json:"mode"`
	Quantity     *int   `json:"quantity"`
}

func (s *Server) bulkUpsert(body []byte, _ *http.Request) (int, any) {
	var req struct {
		Inventories []upsertRow `json:"inventories"`
	}
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, invErrors{[]invError{inventoryError("inventories", "リクエストが不正です")}}
	}
	if len(req.Inventories) < 1 || len(req.Inventories) > maxUpsert {
		return http.StatusBadRequest, invErrors{[]invError{inventoryError("inventories", "inventories は 1 件以上 400 件以内で指定してください")}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []invError
	for i, r := range req.Inventories {
		at := func(f string) string { return fmt.Sprintf("inventories[%d].%s", i, f) }
		switch {
		case r.ManageNumber == "" || len(r.ManageNumber) > 32:
			errs = append(errs, inventoryError(at("manageNumber"), "manageNumber が不正です"))
		case r.VariantID == "" || len(r.VariantID) > 32:
			errs = append(errs, inventoryError(at("variantId"), "variantId が不正です"))
		case r.Mode != "ABSOLUTE" && r.Mode != "RELATIVE":
			errs = append(errs, inventoryError(at("mode"), "mode は ABSOLUTE か RELATIVE で指定してください"))
		case r.Quantity == nil:
			errs = append(errs, inventoryError(at("quantity"), "quantity を指定してください"))
		case r.Mode == "ABSOLUTE" && (*r.Quantity < 0 || *r.Quantity > maxQuantity):
			errs = append(errs, inventoryError(at("quantity"), "quantity は 0 から 99999 で指定してください"))
		case r.Mode == "RELATIVE":
			st := s.stock[stockKey(r.ManageNumber, r.VariantID)]
			if st == nil {
				errs = append(errs, inventoryError(at("mode"), "新規登録は ABSOLUTE で指定してください"))
			} else if q := st.quantity + *r.Quantity; q < 0 || q > maxQuantity {
				errs = append(errs, inventoryError(at("quantity"), "在庫数が範囲外になります"))
			}
		}
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, invErrors{errs}
	}
	now := s.now()
	for _, r := range req.Inventories {
		k := stockKey(r.ManageNumber, r.VariantID)
		st := s.stock[k]
		if st == nil {
			st = &fStock{created: now}
			s.stock[k] = st
		}
		if r.Mode == "ABSOLUTE" {
			st.quantity = *r.Quantity
		} else {
			st.quantity += *r.Quantity
		}
		st.updated = now
	}
	return http.StatusNoContent, nil
}

type inventoryOut struct {
	ManageNumber string `json:"manageNumber"`
	VariantID    string `json:"variantId"`
	Quantity     int    `json:"quantity"`
	Created      string `json:"created"`
	Updated      string `json:"updated"`
}

func (s *Server) bulkGet(body []byte, _ *http.Request) (int, any) {
	var req struct {
		Inventories []struct {
			ManageNumber string `json:"manageNumber"`
			VariantID    string `json:"variantId"`
		} `json:"inventories"`
	}
	if err := strict(body, &req); err != nil {
		return http.StatusBadRequest, invErrors{[]invError{inventoryError("inventories", "リクエストが不正です")}}
	}
	if len(req.Inventories) < 1 || len(req.Inventories) > maxBulkGet {
		return http.StatusBadRequest, invErrors{[]invError{inventoryError("inventories", "inventories は 1 件以上 1000 件以内で指定してください")}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Inventories []inventoryOut `json:"inventories"`
	}{Inventories: []inventoryOut{}}
	for _, r := range req.Inventories {
		st := s.stock[stockKey(r.ManageNumber, r.VariantID)]
		if st == nil {
			continue
		}
		out.Inventories = append(out.Inventories, inventoryOut{ManageNumber: r.ManageNumber, VariantID: r.VariantID,
			Quantity: st.quantity, Created: fmtTime(st.created), Updated: fmtTime(st.updated)})
	}
	return http.StatusOK, out
}

// ---- license ----

func (s *Server) licenseExpiry(_ []byte, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Query().Get("licenseKey") != s.licenseKey {
		return http.StatusBadRequest, gatewayError("ES01-03", "licenseKey が不正です")
	}
	return http.StatusOK, struct {
		ExpiryDate string `json:"expiryDate"`
	}{fmtTime(s.keyExpires)}
}
