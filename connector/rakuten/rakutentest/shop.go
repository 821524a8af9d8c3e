package rakutentest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"time"
)

// Person is a buyer (注文者) or a recipient (送付先) as RMS holds them.
type Person struct {
	FamilyName, FirstName         string
	FamilyNameKana, FirstNameKana string
	// Zip is "NNN-NNNN"; it is split into zipCode1 and zipCode2.
	Zip                       string
	Prefecture, City, Address string
	Phone                     string // "NN-NNNN-NNNN", split into phoneNumber1..3
	IsolatedIsland            bool   // 離島
}

// Item is one product line as a buyer orders it.
type Item struct {
	Name string
	// ManageNumber (商品管理番号) and VariantID (SKU管理番号) identify the SKU; MerchantSKU is
	// the システム連携用SKU番号 (merchantDefinedSkuId), empty when the shop sets none.
	ManageNumber, VariantID, MerchantSKU string
	Price, Units                         int
}

// Package is one destination (送付先) of an order with its items.
type Package struct {
	Sender Person
	Items  []Item
	// Noshi is the のし requested for this destination ("御歳暮").
	Noshi string
}

// OrderInput is an order a buyer places.
type OrderInput struct {
	Orderer  Person
	Packages []Package
	// DeliveryDate is "YYYY-MM-DD" or empty; ShippingTerm is RMS's お届け時間帯 (0, 1, 2, 9 or
	// h1h2 such as 1416).
	DeliveryDate string
	ShippingTerm int
	Remarks      string
	Gift         bool
	// COD makes the order 代金引換; RequestPrice is then what the carrier collects (default the
	// goods total).
	COD          bool
	RequestPrice int
	// Confirmed places the order already confirmed by the shop (300 発送待ち).
	Confirmed bool
}

// ShippingRow is one shipping record (one parcel) of a basket as RMS shows it.
type ShippingRow struct {
	ID      int64
	Number  string
	Company string
	Date    string
}

// Basket is one destination of an order as RMS shows it.
type Basket struct {
	BasketID int64
	Rows     []ShippingRow
	Deleted  bool
}

// OrderView is what RMS shows of an order.
type OrderView struct {
	Number   string
	Progress int
	Baskets  []Basket
	Updated  time.Time
}

type fItem struct {
	detailID                            int64
	name, manageNumber, variantID, mSKU string
	price, units                        int
	deleted                             bool
}

type fPackage struct {
	basketID int64
	sender   Person
	noshi    string
	items    []*fItem
	rows     []ShippingRow
	deleted  bool
}

type fChange struct {
	id               int64
	typ              int
	apply, fix, cmpl time.Time
}

type fOrder struct {
	number                    string
	progress                  int
	placed, cfm, fix, shipRpt time.Time
	deliveryDate              string
	shippingTerm              int
	remarks                   string
	gift, cod                 bool
	requestPrice              int
	orderer                   Person
	packages                  []*fPackage
	changes                   []fChange
}

type fStock struct {
	quantity         int
	created, updated time.Time
}

// ErrUnknownOrder is returned by the shop's methods for an order number the shop lacks.
var ErrUnknownOrder = errors.New("rakutentest: unknown order")

// ErrState is returned for an action the order's progress does not allow.
var ErrState = errors.New("rakutentest: not allowed in this progress")

func (s *Server) next() int64 { s.seq++; return s.seq }

// PlaceOrder places a buyer's order at the fake's Now and returns its order number. The order
// waits in 100 (注文確認待ち) unless in.Confirmed.
func (s *Server) PlaceOrder(in OrderInput) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Truncate(time.Second)
	o := &fOrder{
		number:   fmt.Sprintf("%s-%s-%010d", s.opts.ShopID, now.In(JST).Format("20060102"), len(s.orderList)+1),
		progress: 100, placed: now, deliveryDate: in.DeliveryDate, shippingTerm: in.ShippingTerm,
		remarks: in.Remarks, gift: in.Gift, cod: in.COD, requestPrice: in.RequestPrice, orderer: in.Orderer,
	}
	total := 0
	for _, p := range in.Packages {
		fp := &fPackage{basketID: s.next(), sender: p.Sender, noshi: p.Noshi}
		for _, it := range p.Items {
			fp.items = append(fp.items, &fItem{detailID: s.next(), name: it.Name, manageNumber: strings.ToLower(it.ManageNumber),
				variantID: it.VariantID, mSKU: it.MerchantSKU, price: it.Price, units: it.Units})
			total += it.Price * it.Units
		}
		o.packages = append(o.packages, fp)
	}
	if o.cod && o.requestPrice == 0 {
		o.requestPrice = total
	}
	if in.Confirmed {
		o.progress, o.cfm, o.fix = 300, now, now
	}
	s.orders[o.number] = o
	s.orderList = append(s.orderList, o)
	return o.number
}

func (s *Server) order(num string) (*fOrder, error) {
	o := s.orders[num]
	if o == nil {
		return nil, ErrUnknownOrder
	}
	return o, nil
}

// Confirm confirms an order as the shop does in RMS (注文確認): 100 → 300. The fake does
// Rakuten's own processing (200 楽天処理中) at once.
func (s *Server) Confirm(num string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(num)
	if err != nil {
		return err
	}
	return s.confirm(o)
}

func (s *Server) confirm(o *fOrder) error {
	if o.progress != 100 {
		return ErrState
	}
	now := s.now().Truncate(time.Second)
	o.progress, o.cfm, o.fix = 300, now, now
	return nil
}

// ChangeUnits changes the quantity of the order's line (counted across its baskets, from 0) as
// the shop does on the buyer's request: the order moves to 400 (変更確定待ち) with a change row
// (changeType 4, 変更申請).
func (s *Server) ChangeUnits(num string, line, units int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(num)
	if err != nil {
		return err
	}
	if o.progress >= 500 && o.progress != 400 {
		return ErrState
	}
	i := 0
	for _, p := range o.packages {
		for _, it := range p.items {
			if i == line {
				it.units = units
				o.progress = 400
				o.changes = append(o.changes, fChange{id: s.next(), typ: 4, apply: s.now().Truncate(time.Second)})
				return nil
			}
			i++
		}
	}
	return fmt.Errorf("rakutentest: order has no line %d", line)
}

// FixChange confirms a pending change (変更確定): 400 → 300.
func (s *Server) FixChange(num string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(num)
	if err != nil {
		return err
	}
	if o.progress != 400 {
		return ErrState
	}
	now := s.now().Truncate(time.Second)
	o.progress = 300
	c := &o.changes[len(o.changes)-1]
	c.fix, c.cmpl = now, now
	return nil
}

// RequestCancel files a cancellation (キャンセル申請): the order moves to 800.
func (s *Server) RequestCancel(num string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(num)
	if err != nil {
		return err
	}
	if o.progress == 900 {
		return ErrState
	}
	o.progress = 800
	o.changes = append(o.changes, fChange{id: s.next(), typ: 0, apply: s.now().Truncate(time.Second)})
	return nil
}

// Cancel cancels the order for good (キャンセル確定): 900.
func (s *Server) Cancel(num string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.order(num)
	if err != nil {
		return err
	}
	now := s.now().Truncate(time.Second)
	if o.progress != 800 {
		o.changes = append(o.changes, fChange{id: s.next(), typ: 0, apply: now})
	}
	o.progress = 900
	c := &o.changes[len(o.changes)-1]
	c.fix, c.cmpl = now, now
	return nil
}

// Order returns what RMS shows of an order.
func (s *Server) Order(num string) (OrderView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[num]
	if o == nil {
		return OrderView{}, false
	}
	v := OrderView{Number: o.number, Progress: o.progress, Updated: o.updated()}
	for _, p := range o.packages {
		v.Baskets = append(v.Baskets, Basket{BasketID: p.basketID, Rows: append([]ShippingRow(nil), p.rows...), Deleted: p.deleted})
	}
	return v, true
}

// Orders returns the numbers of every order, in the order they were placed.
func (s *Server) Orders() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.orderList))
	for i, o := range s.orderList {
		out[i] = o.number
	}
	return out
}

func (o *fOrder) updated() time.Time {
	t := o.placed
	for _, u := range []time.Time{o.cfm, o.fix, o.shipRpt} {
		if u.After(t) {
			t = u
		}
	}
	for _, c := range o.changes {
		for _, u := range []time.Time{c.apply, c.fix, c.cmpl} {
			if u.After(t) {
				t = u
			}
		}
	}
	return t
}

// AddVariant lists a SKU (manage number and variant) with no stock, as the shop does in RMS.
func (s *Server) AddVariant(manageNumber, variantID string) {
	s.SetStock(manageNumber, variantID, 0)
}

// SetStock sets a SKU's quantity by hand, as the shop does in RMS.
func (s *Server) SetStock(manageNumber, variantID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := stockKey(manageNumber, variantID)
	if st := s.stock[k]; st != nil {
		st.quantity, st.updated = n, now
		return
	}
	s.stock[k] = &fStock{quantity: n, created: now, updated: now}
}

// Stock returns a SKU's quantity and whether RMS has a row for it.
func (s *Server) Stock(manageNumber, variantID string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stock[stockKey(manageNumber, variantID)]
	if st == nil {
		return 0, false
	}
	return st.quantity, true
}

func stockKey(mn, vid string) string { return strings.ToLower(mn) + "\x00" + vid }

// capPick orders matches in an order unrelated to their dates, as the platform's cap is.
func capPick(list []*fOrder, limit int) []*fOrder {
	h := func(s string) uint64 { f := fnv.New64a(); f.Write([]byte(s)); return f.Sum64() }
	sort.Slice(list, func(i, j int) bool { return h(list[i].number) < h(list[j].number) })
	return list[:limit]
}
