package amazontest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Address is a buyer's shipping address.
type Address struct {
	Name, Phone                  string
	PostalCode, Prefecture, City string
	Line1, Line2                 string
	// Country defaults to JP.
	Country string
}

// ItemInput is one line of an order being placed.
type ItemInput struct {
	SKU, Title string
	Quantity   int
	// Price is the unit price in yen.
	Price int64
	// Gift marks the item as a gift (IsGift).
	Gift bool
}

// OrderInput describes an order a buyer places.
type OrderInput struct {
	Items  []ItemInput
	ShipTo Address
	// AFN makes the order fulfilled by Amazon.
	AFN bool
	// PaymentMethod is "" (Other), "COD" or "CVS".
	PaymentMethod string
	// DeliveryStart and DeliveryEnd, when set, are the buyer's scheduled delivery window
	// (ScheduledDeliveryStartDate and EndDate on every item).
	DeliveryStart, DeliveryEnd time.Time
	// Pending places the order in Pending (payment not yet authorised).
	Pending bool
	// PlacedAt, when set, is the purchase time instead of Options.Now.
	PlacedAt time.Time
}

// Order is an order as the fake holds it.
type Order struct {
	ID                 string
	Purchased, Updated time.Time
	Status             string
	AFN                bool
	PaymentMethod      string
	ShipTo             Address
	Items              []Item
	Packages           []Package
	DeliveryStart, End time.Time
}

// Item is one order item.
type Item struct {
	ID, SKU, Title    string
	Quantity, Shipped int
	Price             int64
	Gift              bool
	CancelRequested   bool
	CancelReason      string
}

// Package is one confirmed package.
type Package struct {
	ReferenceID, CarrierCode, CarrierName, ShippingMethod, TrackingNumber string
	ShipDate                                                              time.Time
	Items                                                                 []PackageItem
}

// PackageItem is a quantity of one order item in a package.
type PackageItem struct {
	OrderItemID string `json:"orderItemId"`
	Quantity    int    `json:"quantity"`
}

// CreateOrder places an order now (Options.Now) and returns its AmazonOrderId.
func (s *Server) CreateOrder(in OrderInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	now := s.opts.Now().UTC().Truncate(time.Second)
	if !in.PlacedAt.IsZero() {
		now = in.PlacedAt.UTC().Truncate(time.Second)
	}
	id := fmt.Sprintf("503-%07d-%07d", 1000000+s.seq, (s.seq*7919)%10000000)
	o := &Order{ID: id, Purchased: now, Updated: now, Status: "Unshipped", AFN: in.AFN, PaymentMethod: in.PaymentMethod,
		ShipTo: in.ShipTo, DeliveryStart: in.DeliveryStart, End: in.DeliveryEnd}
	if in.Pending {
		o.Status = "Pending"
	}
	if o.ShipTo.Country == "" {
		o.ShipTo.Country = "JP"
	}
	for i, it := range in.Items {
		o.Items = append(o.Items, Item{ID: fmt.Sprintf("%014d", s.seq*1000+i+1), SKU: it.SKU, Title: it.Title,
			Quantity: it.Quantity, Price: it.Price, Gift: it.Gift})
	}
	s.orders[id] = o
	return id
}

func (s *Server) touch(o *Order) {
	now := s.opts.Now().UTC().Truncate(time.Second)
	if !now.After(o.Updated) {
		now = o.Updated.Add(time.Second)
	}
	o.Updated = now
}

// CancelOrder cancels an unshipped order, as the seller or Amazon does.
func (s *Server) CancelOrder(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		o.Status = "Canceled"
		s.touch(o)
	}
}

// RequestCancel records the buyer's request to cancel every unshipped item of the order.
func (s *Server) RequestCancel(id, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		for i := range o.Items {
			o.Items[i].CancelRequested, o.Items[i].CancelReason = true, reason
		}
		s.touch(o)
	}
}

// Authorize moves a Pending order to Unshipped, as Amazon does once payment clears.
func (s *Server) Authorize(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil && o.Status == "Pending" {
		o.Status = "Unshipped"
		s.touch(o)
	}
}

// ChangeAddress replaces the order's shipping address (a buyer's change before shipping).
func (s *Server) ChangeAddress(id string, a Address) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		if a.Country == "" {
			a.Country = "JP"
		}
		o.ShipTo = a
		s.touch(o)
	}
}

// Order returns a copy of the order.
func (s *Server) Order(id string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		return Order{}, false
	}
	c := *o
	c.Items = slices.Clone(o.Items)
	c.Packages = slices.Clone(o.Packages)
	return c, true
}

// Packages returns the packages confirmed for the order.
func (s *Server) Packages(id string) []Package {
	o, _ := s.Order(id)
	return o.Packages
}

// ---- JSON shapes (Orders v0) ----

type money struct {
	CurrencyCode string `json:"CurrencyCode"`
	Amount       string `json:"Amount"`
}

func yen(n int64) *money { return &money{CurrencyCode: "JPY", Amount: strconv.FormatInt(n, 10)} }

type v0Address struct {
	Name          string `json:"Name,omitempty"`
	AddressLine1  string `json:"AddressLine1,omitempty"`
	AddressLine2  string `json:"AddressLine2,omitempty"`
	City          string `json:"City,omitempty"`
	StateOrRegion string `json:"StateOrRegion,omitempty"`
	PostalCode    string `json:"PostalCode,omitempty"`
	CountryCode   string `json:"CountryCode,omitempty"`
	Phone         string `json:"Phone,omitempty"`
	AddressType   string `json:"AddressType,omitempty"`
}

type v0Order struct {
	AmazonOrderId                string     `json:"AmazonOrderId"`
	PurchaseDate                 string     `json:"PurchaseDate"`
	LastUpdateDate               string     `json:"LastUpdateDate"`
	OrderStatus                  string     `json:"OrderStatus"`
	FulfillmentChannel           string     `json:"FulfillmentChannel"`
	SalesChannel                 string     `json:"SalesChannel"`
	ShipServiceLevel             string     `json:"ShipServiceLevel"`
	OrderTotal                   *money     `json:"OrderTotal,omitempty"`
	NumberOfItemsShipped         int        `json:"NumberOfItemsShipped"`
	NumberOfItemsUnshipped       int        `json:"NumberOfItemsUnshipped"`
	PaymentMethod                string     `json:"PaymentMethod,omitempty"`
	PaymentMethodDetails         []string   `json:"PaymentMethodDetails,omitempty"`
	MarketplaceId                string     `json:"MarketplaceId"`
	ShipmentServiceLevelCategory string     `json:"ShipmentServiceLevelCategory"`
	OrderType                    string     `json:"OrderType"`
	EarliestShipDate             string     `json:"EarliestShipDate,omitempty"`
	LatestShipDate               string     `json:"LatestShipDate,omitempty"`
	IsBusinessOrder              bool       `json:"IsBusinessOrder"`
	IsPrime                      bool       `json:"IsPrime"`
	IsPremiumOrder               bool       `json:"IsPremiumOrder"`
	IsGlobalExpressEnabled       bool       `json:"IsGlobalExpressEnabled"`
	IsReplacementOrder           bool       `json:"IsReplacementOrder"`
	IsSoldByAB                   bool       `json:"IsSoldByAB"`
	IsISPU                       bool       `json:"IsISPU"`
	IsAccessPointOrder           bool       `json:"IsAccessPointOrder"`
	ShippingAddress              *v0Address `json:"ShippingAddress,omitempty"`
	BuyerInfo                    *struct {
		BuyerName string `json:"BuyerName,omitempty"`
	} `json:"BuyerInfo,omitempty"`
}

type v0Item struct {
	ASIN                       string `json:"ASIN"`
	SellerSKU                  string `json:"SellerSKU"`
	OrderItemId                string `json:"OrderItemId"`
	Title                      string `json:"Title"`
	QuantityOrdered            int    `json:"QuantityOrdered"`
	QuantityShipped            int    `json:"QuantityShipped"`
	ItemPrice                  *money `json:"ItemPrice,omitempty"`
	IsGift                     string `json:"IsGift"`
	ScheduledDeliveryStartDate string `json:"ScheduledDeliveryStartDate,omitempty"`
	ScheduledDeliveryEndDate   string `json:"ScheduledDeliveryEndDate,omitempty"`
	BuyerRequestedCancel       *struct {
		IsBuyerRequestedCancel string `json:"IsBuyerRequestedCancel"`
		BuyerCancelReason      string `json:"BuyerCancelReason,omitempty"`
	} `json:"BuyerRequestedCancel,omitempty"`
}

const iso = "2006-01-02T15:04:05Z"

func (s *Server) v0(o *Order, x *exchange) v0Order {
	out := v0Order{AmazonOrderId: o.ID, PurchaseDate: o.Purchased.Format(iso), LastUpdateDate: o.Updated.Format(iso),
		OrderStatus: o.Status, FulfillmentChannel: "MFN", SalesChannel: "Amazon.co.jp", ShipServiceLevel: "Std JP Kanto8",
		MarketplaceId: s.opts.MarketplaceID, ShipmentServiceLevelCategory: "Standard", OrderType: "StandardOrder",
		EarliestShipDate: o.Purchased.Add(24 * time.Hour).Format(iso), LatestShipDate: o.Purchased.Add(48 * time.Hour).Format(iso)}
	if o.AFN {
		out.FulfillmentChannel = "AFN"
	}
	if o.Status == "Pending" {
		return out // Amazon shows neither totals nor the address of an order not yet authorised
	}
	var total int64
	for _, it := range o.Items {
		total += it.Price * int64(it.Quantity)
		out.NumberOfItemsShipped += it.Shipped
		if o.Status != "Canceled" {
			out.NumberOfItemsUnshipped += it.Quantity - it.Shipped
		}
	}
	out.OrderTotal = yen(total)
	out.PaymentMethod = "Other"
	if o.PaymentMethod != "" {
		out.PaymentMethod = o.PaymentMethod
		out.PaymentMethodDetails = []string{o.PaymentMethod}
	} else {
		out.PaymentMethodDetails = []string{"Standard"}
	}
	switch o.Status {
	case "Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed":
	default:
		return out // the model: ShippingAddress only for these statuses
	}
	a := o.ShipTo
	addr := &v0Address{City: a.City, StateOrRegion: a.Prefecture, PostalCode: a.PostalCode, CountryCode: a.Country}
	if x.grants("shippingAddress") {
		addr.Name, addr.AddressLine1, addr.AddressLine2, addr.Phone = a.Name, a.Line1, a.Line2, a.Phone
		addr.AddressType = "Residential"
	}
	out.ShippingAddress = addr
	return out
}

func (s *Server) items(o *Order) []v0Item {
	var out []v0Item
	for _, it := range o.Items {
		vi := v0Item{ASIN: "B0" + strings.ToUpper(fmt.Sprintf("%08x", len(it.SKU)*7919+int(it.Price))), SellerSKU: it.SKU,
			OrderItemId: it.ID, Title: it.Title, QuantityOrdered: it.Quantity, QuantityShipped: it.Shipped,
			ItemPrice: yen(it.Price * int64(it.Quantity)), IsGift: strconv.FormatBool(it.Gift)}
		if !o.DeliveryStart.IsZero() {
			vi.ScheduledDeliveryStartDate = o.DeliveryStart.UTC().Format(iso)
			vi.ScheduledDeliveryEndDate = o.End.UTC().Format(iso)
		}
		if it.CancelRequested {
			vi.BuyerRequestedCancel = &struct {
				IsBuyerRequestedCancel string `json:"IsBuyerRequestedCancel"`
				BuyerCancelReason      string `json:"BuyerCancelReason,omitempty"`
			}{"true", it.CancelReason}
		}
		out = append(out, vi)
	}
	return out
}

// ---- getOrders ----

// pageToken is the fake's NextToken: the query and the last (LastUpdateDate, AmazonOrderId)
// returned, so paging is stable while orders are added or updated.
type pageToken struct {
	After    time.Time `json:"a"`
	Before   time.Time `json:"b"`
	At       time.Time `json:"t"`
	ID       string    `json:"i"`
	Max      int       `json:"m"`
	Channels []string  `json:"c,omitempty"`
	Statuses []string  `json:"s,omitempty"`
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func csv(q string) []string {
	if q == "" {
		return nil
	}
	return strings.Split(q, ",")
}

func (s *Server) getOrders(x *exchange) {
	q := x.r.URL.Query()
	if !slices.Contains(csv(q.Get("MarketplaceIds")), s.opts.MarketplaceID) {
		x.fail(http.StatusBadRequest, "InvalidInput", "Invalid Input: MarketplaceIds")
		return
	}
	now := s.opts.Now()
	var pt pageToken
	if tok := q.Get("NextToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || json.Unmarshal(b, &pt) != nil {
			x.fail(http.StatusBadRequest, "InvalidInput", "Invalid NextToken.")
			return
		}
	} else {
		after, ok := parseTime(q.Get("LastUpdatedAfter"))
		if !ok || q.Get("CreatedAfter") != "" {
			x.fail(http.StatusBadRequest, "InvalidInput", "Either CreatedAfter or LastUpdatedAfter must be specified; this fake supports LastUpdatedAfter.")
			return
		}
		before := now.Add(-2 * time.Minute)
		if v := q.Get("LastUpdatedBefore"); v != "" {
			b, ok := parseTime(v)
			if !ok {
				x.fail(http.StatusBadRequest, "InvalidInput", "Invalid LastUpdatedBefore.")
				return
			}
			if b.After(now.Add(-2 * time.Minute)) {
				x.fail(http.StatusBadRequest, "InvalidInput", "LastUpdatedBefore must be at least two minutes before the current time.")
				return
			}
			before = b
		}
		if before.Before(after) {
			x.fail(http.StatusBadRequest, "InvalidInput", "LastUpdatedBefore must be equal to or after LastUpdatedAfter.")
			return
		}
		pt = pageToken{After: after, Before: before, Max: 100, Channels: csv(q.Get("FulfillmentChannels")), Statuses: csv(q.Get("OrderStatuses"))}
		if v := q.Get("MaxResultsPerPage"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				x.fail(http.StatusBadRequest, "InvalidInput", "MaxResultsPerPage must be between 1 and 100.")
				return
			}
			pt.Max = n
		}
	}
	s.mu.Lock()
	var list []*Order
	for _, o := range s.orders {
		if o.Updated.Before(pt.After) || o.Updated.After(pt.Before) {
			continue
		}
		ch := "MFN"
		if o.AFN {
			ch = "AFN"
		}
		if len(pt.Channels) > 0 && !slices.Contains(pt.Channels, ch) {
			continue
		}
		if len(pt.Statuses) > 0 && !slices.Contains(pt.Statuses, o.Status) {
			continue
		}
		if !pt.At.IsZero() && (o.Updated.Before(pt.At) || o.Updated.Equal(pt.At) && o.ID <= pt.ID) {
			continue
		}
		list = append(list, o)
	}
	slices.SortFunc(list, func(a, b *Order) int {
		if c := a.Updated.Compare(b.Updated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	type payload struct {
		Orders            []v0Order `json:"Orders"`
		NextToken         string    `json:"NextToken,omitempty"`
		LastUpdatedBefore string    `json:"LastUpdatedBefore,omitempty"`
	}
	p := payload{Orders: []v0Order{}, LastUpdatedBefore: pt.Before.UTC().Format(iso)}
	for i, o := range list {
		if i == pt.Max {
			last := list[i-1]
			next := pt
			next.At, next.ID = last.Updated, last.ID
			b, _ := json.Marshal(next)
			p.NextToken = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		p.Orders = append(p.Orders, s.v0(o, x))
	}
	s.mu.Unlock()
	x.json(http.StatusOK, map[string]any{"payload": p})
}

func (s *Server) orderFor(x *exchange, id string) *Order {
	o := s.orders[id]
	if o == nil {
		x.fail(http.StatusNotFound, "NotFound", "Order not found.")
	}
	return o
}

func (s *Server) getOrder(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orderFor(x, id); o != nil {
		x.json(http.StatusOK, map[string]any{"payload": s.v0(o, x)})
	}
}

func (s *Server) getOrderItems(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFor(x, id)
	if o == nil {
		return
	}
	items := s.items(o)
	start := 0
	if tok := x.r.URL.Query().Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "items-"))
		if err != nil || n < 0 || n > len(items) || !strings.HasPrefix(tok, "items-") {
			x.fail(http.StatusBadRequest, "InvalidInput", "Invalid NextToken.")
			return
		}
		start = n
	}
	end := min(start+s.opts.ItemsPerPage, len(items))
	payload := map[string]any{"AmazonOrderId": o.ID, "OrderItems": items[start:end]}
	if end < len(items) {
		payload["NextToken"] = "items-" + strconv.Itoa(end)
	}
	x.json(http.StatusOK, map[string]any{"payload": payload})
}

// ---- confirmShipment ----

func (s *Server) confirmShipment(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	var req struct {
		MarketplaceID string `json:"marketplaceId"`
		PackageDetail struct {
			PackageReferenceID string        `json:"packageReferenceId"`
			CarrierCode        string        `json:"carrierCode"`
			CarrierName        string        `json:"carrierName"`
			ShippingMethod     string        `json:"shippingMethod"`
			TrackingNumber     string        `json:"trackingNumber"`
			ShipDate           string        `json:"shipDate"`
			OrderItems         []PackageItem `json:"orderItems"`
		} `json:"packageDetail"`
		CodCollectionMethod string `json:"codCollectionMethod"`
	}
	if err := json.Unmarshal(x.body, &req); err != nil {
		x.fail(http.StatusBadRequest, "InvalidInput", "Request body cannot be parsed.")
		return
	}
	pd := req.PackageDetail
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFor(x, id)
	if o == nil {
		return
	}
	ref, err := strconv.ParseUint(pd.PackageReferenceID, 10, 63)
	shipDate, okDate := parseTime(pd.ShipDate)
	switch {
	case req.MarketplaceID != s.opts.MarketplaceID:
		x.fail(http.StatusBadRequest, "InvalidInput", "Invalid marketplaceId.")
		return
	case err != nil || ref == 0:
		x.fail(http.StatusBadRequest, "InvalidInput", "packageReferenceId must be a positive number.")
		return
	case pd.CarrierCode == "" || pd.TrackingNumber == "" || !okDate || len(pd.OrderItems) == 0:
		x.fail(http.StatusBadRequest, "InvalidInput", "carrierCode, trackingNumber, shipDate and orderItems are required.")
		return
	case pd.CarrierCode == "Other" && pd.CarrierName == "":
		x.fail(http.StatusBadRequest, "InvalidInput", "carrierName is required when carrierCode is Other.")
		return
	case o.AFN:
		x.fail(http.StatusBadRequest, "InvalidInput", "The order is fulfilled by Amazon.")
		return
	case o.Status != "Unshipped" && o.Status != "PartiallyShipped":
		x.fail(http.StatusBadRequest, "InvalidInput", "The order status "+o.Status+" does not allow shipment confirmation.")
		return
	}
	for _, p := range o.Packages {
		if p.ReferenceID == pd.PackageReferenceID {
			x.fail(http.StatusBadRequest, "InvalidInput", "packageReferenceId "+pd.PackageReferenceID+" has already been confirmed for this order.")
			return
		}
	}
	want := map[string]int{}
	for _, it := range pd.OrderItems {
		want[it.OrderItemID] += it.Quantity
	}
	for itemID, n := range want {
		i := slices.IndexFunc(o.Items, func(it Item) bool { return it.ID == itemID })
		if i < 0 {
			x.fail(http.StatusBadRequest, "InvalidInput", "Invalid orderItemId "+itemID+".")
			return
		}
		if n <= 0 || n > o.Items[i].Quantity-o.Items[i].Shipped {
			x.fail(http.StatusBadRequest, "InvalidInput", "The quantity for orderItemId "+itemID+" exceeds the unshipped quantity.")
			return
		}
	}
	for itemID, n := range want {
		i := slices.IndexFunc(o.Items, func(it Item) bool { return it.ID == itemID })
		o.Items[i].Shipped += n
	}
	o.Packages = append(o.Packages, Package{ReferenceID: pd.PackageReferenceID, CarrierCode: pd.CarrierCode, CarrierName: pd.CarrierName,
		ShippingMethod: pd.ShippingMethod, TrackingNumber: pd.TrackingNumber, ShipDate: shipDate, Items: slices.Clone(pd.OrderItems)})
	o.Status = "Shipped"
	for _, it := range o.Items {
		if it.Shipped < it.Quantity {
			o.Status = "PartiallyShipped"
		}
	}
	s.touch(o)
	x.status = http.StatusNoContent
}

// ---- Orders 2026-01-01 getOrder (packages) ----

func (s *Server) getOrder2026(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFor(x, id)
	if o == nil {
		return
	}
	type product struct {
		SellerSku string `json:"sellerSku,omitempty"`
		Title     string `json:"title,omitempty"`
	}
	type item struct {
		OrderItemID     string  `json:"orderItemId"`
		QuantityOrdered int     `json:"quantityOrdered"`
		Product         product `json:"product"`
	}
	type pkgStatus struct {
		Status string `json:"status"`
	}
	type pkg struct {
		PackageReferenceID string        `json:"packageReferenceId"`
		Carrier            string        `json:"carrier,omitempty"`
		TrackingNumber     string        `json:"trackingNumber,omitempty"`
		ShipTime           string        `json:"shipTime,omitempty"`
		PackageStatus      *pkgStatus    `json:"packageStatus,omitempty"`
		PackageItems       []PackageItem `json:"packageItems,omitempty"`
	}
	out := map[string]any{"orderId": o.ID, "createdTime": o.Purchased.Format(iso), "lastUpdatedTime": o.Updated.Format(iso),
		"salesChannel": map[string]string{"channelName": "Amazon.co.jp", "marketplaceId": s.opts.MarketplaceID}}
	items := []item{}
	for _, it := range o.Items {
		items = append(items, item{OrderItemID: it.ID, QuantityOrdered: it.Quantity, Product: product{SellerSku: it.SKU, Title: it.Title}})
	}
	out["orderItems"] = items
	if slices.Contains(csv(x.r.URL.Query().Get("includedData")), "PACKAGES") {
		pkgs := []pkg{}
		for _, p := range o.Packages {
			carrier := p.CarrierCode
			if carrier == "Other" {
				carrier = p.CarrierName
			}
			pkgs = append(pkgs, pkg{PackageReferenceID: p.ReferenceID, Carrier: carrier, TrackingNumber: p.TrackingNumber,
				ShipTime: p.ShipDate.UTC().Format(iso), PackageStatus: &pkgStatus{Status: "SHIPPED"}, PackageItems: p.Items})
		}
		out["packages"] = pkgs
	}
	x.json(http.StatusOK, map[string]any{"order": out})
}
