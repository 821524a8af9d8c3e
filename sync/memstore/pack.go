package memstore

// The packed form of an order record.
//
// Why: a record as the engine builds it is a tree of some thirty objects (the record, its order,
// lines, requests, shipment entries, maps and every string), about 1.7 KB of heap for a typical
// order, all of which the garbage collector traces on every cycle. The store keeps most records
// only to recognise the order when a channel lists it again and to answer the odd read: every
// record without work pending (cold, memstore.go), sent and waiting for its shipment, held, or
// settled and waiting for compaction. It keeps each of those packed into one string: one object
// without pointers, about a quarter of the size (issue 23: at most 1 KB per open order). A read
// decodes it; a listing that only asks whether an order is news reads the head (OrderDigests).
// The strings of a decoded record are substrings of the packed one, so decoding allocates only
// the structs, slices and maps, and a record handed out is the caller's own (the packed string
// is never written, only replaced).
//
// The form lives only in this process's memory, so it need not stay stable across versions.
// Every field of ledger.OrderRecord and of what it holds is in it (TestPackEveryField fails when
// a field is added to one of those types and not here), and decoding is canonical: a string it
// accepts is exactly what packing its result gives (FuzzUnpack).
//
// Layout: unsigned integers as uvarints, signed ones zigzag varints (encoding/binary), strings
// as their length and bytes, counts of slices and maps as n+1 (0: nil), map entries sorted by
// key, booleans as bits of a flags value. Some strings have a table of usual values (states,
// statuses, currencies): a value in it is its index, any other its length plus the table's and
// its bytes. Times are UTC or Local with no monotonic reading (a record with a time in another
// location is not packed: the store keeps it whole). The record key is not packed: the store
// knows it from where the string sits. Fields come in this order, so that the head (up to the
// order's UpdatedAt) can be read without decoding the rest:
//
//	record: Version, flags, State, HoldReason, ManualReason, Parked, Fingerprint, UpdatedAt,
//	        [order head], [order body], Away, Requests, Shipments
//	order head: ID (0: the key's order ID), Number, Status, ChannelStatus, PlacedAt, UpdatedAt
//	order body: flags, Lines, ShipTo, [Delivery.Date], Delivery.Slot, Payment, [Gift], Totals, Refs

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// errPacked reports a packed record that does not decode. The store only decodes what it
// packed, so it means a bug; it is an error rather than a panic all the same.
var errPacked = errors.New("memstore: packed order record is corrupt")

// Flags of a record, an order and a request.
const (
	recPending    = 1 << 0
	recManualHold = 1 << 1
	recOrder      = 1 << 2
	recAllFlags   = recPending | recManualHold | recOrder

	ordGift        = 1 << 0
	ordGiftWrap    = 1 << 1
	ordDate        = 1 << 2
	ordTaxIncluded = 1 << 3
	ordAllFlags    = ordGift | ordGiftWrap | ordDate | ordTaxIncluded

	reqReplay   = 1 << 0
	reqUnsure   = 1 << 1
	reqAllFlags = reqReplay | reqUnsure
)

// Tables of usual values, each starting with "".
var (
	recordStates = []ledger.OrderState{"", ledger.StateRecorded, ledger.StateHeld, ledger.StateSent,
		ledger.StateShipped, ledger.StateCancelled, ledger.StateQuarantined, ledger.StateNotRouted}
	requestStates  = []ledger.RequestState{"", ledger.RequestNew, ledger.RequestSent, ledger.RequestCancelled}
	paymentMethods = []order.PaymentMethod{"", order.PaymentPrepaid, order.PaymentCashOnDelivery}
	currencies     = []string{"", "JPY", "USD", "EUR", "GBP", "CNY", "KRW", "TWD", "HKD", "AUD", "CAD", "SGD"}
	// statusCodes (retention.go) is the table of order statuses.
)

// Times: the low two bits of the first uvarint say which kind, the rest is the nanosecond; the
// Unix second follows for timeUTC and timeLocal.
const (
	timeUTC   = 0
	timeLocal = 1
	timeZero  = 2 // time.Time{}: nothing follows
)

// packOrder appends rec's packed form to b. It reports false, with b as it was, when rec holds a
// time the form cannot hold exactly (a location other than UTC and Local).
func packOrder(b []byte, rec *ledger.OrderRecord) ([]byte, bool) {
	p := packer{b: b, ok: true}
	p.int(rec.Version)
	var flags uint64
	if rec.Pending {
		flags |= recPending
	}
	if rec.ManualHold {
		flags |= recManualHold
	}
	if rec.Order != nil {
		flags |= recOrder
	}
	p.uint(flags)
	enum(&p, rec.State, recordStates)
	p.str(rec.HoldReason)
	p.str(rec.ManualReason)
	p.str(rec.Parked)
	p.str(rec.Fingerprint)
	p.time(rec.UpdatedAt)
	if rec.Order != nil {
		p.order(rec.Order, rec.Key.OrderID)
	}
	p.strMap(rec.Away)
	p.count(len(rec.Requests), rec.Requests == nil)
	for i := range rec.Requests {
		p.request(&rec.Requests[i], rec.Key.OrderID)
	}
	p.count(len(rec.Shipments), rec.Shipments == nil)
	for i := range rec.Shipments {
		x := &rec.Shipments[i]
		p.str(x.ID)
		p.str(x.Warehouse)
		p.time(x.At)
		p.intMap(x.Lines)
	}
	if !p.ok {
		return b, false
	}
	return p.b, true
}

type packer struct {
	b  []byte
	ok bool
}

func (p *packer) uint(v uint64) { p.b = binary.AppendUvarint(p.b, v) }
func (p *packer) int(v int64)   { p.b = binary.AppendVarint(p.b, v) }

func (p *packer) str(s string) {
	p.uint(uint64(len(s)))
	p.b = append(p.b, s...)
}

// enum packs s as its index in table, or as a string after the table's codes.
func enum[S ~string](p *packer, s S, table []S) {
	if i := slices.Index(table, s); i >= 0 {
		p.uint(uint64(i))
		return
	}
	p.uint(uint64(len(table) + len(s)))
	p.b = append(p.b, s...)
}

// count packs the length of a slice or map, telling nil from empty.
func (p *packer) count(n int, isNil bool) {
	if isNil {
		p.uint(0)
		return
	}
	p.uint(uint64(n) + 1)
}

func (p *packer) time(t time.Time) {
	var kind uint64
	switch t.Location() {
	case time.UTC:
		if t.IsZero() {
			p.uint(timeZero)
			return
		}
		kind = timeUTC
	case time.Local:
		kind = timeLocal
	default:
		p.ok = false
		return
	}
	p.uint(uint64(t.Nanosecond())<<2 | kind)
	p.int(t.Unix())
}

func (p *packer) money(m order.Money) {
	enum(p, m.Currency, currencies)
	p.int(m.Amount)
}

// sortedKeys returns m's keys in order; buf spares an allocation for small maps.
func sortedKeys[V any](m map[string]V, buf []string) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (p *packer) strMap(m map[string]string) {
	p.count(len(m), m == nil)
	var buf [8]string
	for _, k := range sortedKeys(m, buf[:]) {
		p.str(k)
		p.str(m[k])
	}
}

func (p *packer) intMap(m map[string]int) {
	p.count(len(m), m == nil)
	var buf [8]string
	for _, k := range sortedKeys(m, buf[:]) {
		p.str(k)
		p.int(int64(m[k]))
	}
}

// order packs o; keyID is the record key's order ID, which o.ID usually is.
func (p *packer) order(o *order.Order, keyID string) {
	if o.ID == keyID {
		p.uint(0)
	} else {
		p.uint(uint64(len(o.ID)) + 1)
		p.b = append(p.b, o.ID...)
	}
	p.str(o.Number)
	enum(p, o.Status, statusCodes)
	p.str(o.ChannelStatus)
	p.time(o.PlacedAt)
	p.time(o.UpdatedAt)

	var flags uint64
	if o.Gift != nil {
		flags |= ordGift
		if o.Gift.Wrapping {
			flags |= ordGiftWrap
		}
	}
	if !o.Delivery.Date.IsZero() {
		flags |= ordDate
	}
	if o.Totals.TaxIncluded {
		flags |= ordTaxIncluded
	}
	p.uint(flags)
	p.count(len(o.Lines), o.Lines == nil)
	for i := range o.Lines {
		l := &o.Lines[i]
		p.str(l.ID)
		p.str(l.SKU)
		p.str(l.Name)
		p.int(int64(l.Quantity))
		p.money(l.UnitPrice)
		p.int(int64(l.Cancelled))
		p.strMap(l.Refs)
	}
	a := &o.ShipTo
	for _, s := range [...]string{a.Name, a.Company, a.Phone, a.Email, a.Country, a.PostalCode, a.Prefecture, a.City, a.Line1, a.Line2} {
		p.str(s)
	}
	if flags&ordDate != 0 {
		d := o.Delivery.Date
		p.int(int64(d.Year))
		p.int(int64(d.Month))
		p.int(int64(d.Day))
	}
	p.str(string(o.Delivery.Slot))
	enum(p, o.Payment.Method, paymentMethods)
	p.money(o.Payment.CollectAmount)
	if o.Gift != nil {
		p.str(o.Gift.Noshi)
		p.str(o.Gift.Message)
	}
	// Most of the totals are zero: a mask says which follow.
	money := totals(&o.Totals)
	var mask uint64
	for i, m := range money {
		if !m.IsZero() {
			mask |= 1 << i
		}
	}
	p.uint(mask)
	for _, m := range money {
		if !m.IsZero() {
			p.money(*m)
		}
	}
	p.strMap(o.Refs)
}

// totals lists the amounts of t in their packed order.
func totals(t *order.Totals) [6]*order.Money {
	return [6]*order.Money{&t.Subtotal, &t.Shipping, &t.Fees, &t.Tax, &t.Discount, &t.Total}
}

func (p *packer) request(r *ledger.Request, keyID string) {
	var flags uint64
	if r.Replay != nil {
		flags |= reqReplay
	}
	if r.Unsure {
		flags |= reqUnsure
	}
	p.uint(flags)
	p.str(r.Target)
	p.str(r.Key)
	enum(p, r.State, requestStates)
	p.count(len(r.Lines), r.Lines == nil)
	for _, l := range r.Lines {
		p.str(l.LineID)
		p.str(l.SKU)
		p.int(int64(l.Quantity))
	}
	p.str(r.ShippingFP)
	p.int(int64(r.Seq))
	p.str(r.Refused)
	p.str(r.RefusedReason)
	if r.Replay != nil {
		p.order(r.Replay, keyID)
	}
}

// unpackOrder decodes the record packed in s under key. The record is the caller's; its strings
// share s's memory.
func unpackOrder(key ledger.OrderKey, s string) (*ledger.OrderRecord, error) {
	d := &decoded{}
	u := unpacker{s: s, lines: d.lines[:], qty: d.qty[:]}
	u.head(key, &d.rec, &d.o)
	rec := &d.rec
	if rec.Order != nil {
		u.orderBody(rec.Order)
	}
	rec.Away = u.strMap()
	if n, ok := u.count(); ok {
		rec.Requests = d.reqs[:]
		if n != len(d.reqs) {
			rec.Requests = make([]ledger.Request, n)
		}
		for i := range rec.Requests {
			u.request(&rec.Requests[i], key.OrderID)
		}
	}
	if n, ok := u.count(); ok {
		rec.Shipments = make([]ledger.ShipmentEntry, n)
		for i := range rec.Shipments {
			x := &rec.Shipments[i]
			x.ID = u.str()
			x.Warehouse = u.str()
			x.At = u.time()
			x.Lines = u.intMap()
		}
	}
	if u.bad || len(u.s) != 0 {
		return nil, errPacked
	}
	return rec, nil
}

// unpackHead decodes the head of the record packed in s into rec: every field of the record
// but Away, Requests and Shipments, and of its order (o, when it has one) ID, Number, Status,
// ChannelStatus, PlacedAt and UpdatedAt; the rest stays zero. It is what the store filters its
// records on (State, Number, Settled, TombstoneOf) without decoding them whole. rec's strings
// share s's memory.
func unpackHead(key ledger.OrderKey, s string, rec *ledger.OrderRecord, o *order.Order) error {
	*rec, *o = ledger.OrderRecord{}, order.Order{}
	u := unpacker{s: s}
	u.head(key, rec, o)
	if u.bad {
		return errPacked
	}
	return nil
}

// unpackDigest returns the digest (ledger.DigestOf) of the record packed in s, read from its
// head as unpackHead reads it, but without building the record: a page listed again asks for a
// digest of each of its orders (OrderDigests). Its strings share s's memory.
func unpackDigest(s string) (ledger.OrderDigest, error) {
	u := unpacker{s: s}
	var d ledger.OrderDigest
	d.Version = u.int()
	flags := u.flags(recAllFlags)
	unenum(&u, recordStates)
	u.str() // HoldReason
	u.str() // ManualReason
	d.Parked = u.str()
	d.Fingerprint = u.str()
	u.time() // the record's UpdatedAt
	if flags&recOrder != 0 {
		d.HasOrder = true
		if v := u.uint(); v != 0 { // the order's ID, when not the key's
			u.bytes(v - 1)
		}
		u.str() // Number
		d.Status = unenum(&u, statusCodes)
		d.ChannelStatus = u.str()
		u.time() // PlacedAt
		d.UpdatedAt = u.time()
	}
	if u.bad {
		return ledger.OrderDigest{}, errPacked
	}
	return d, nil
}

// packedVersion returns the Version of the record packed in s.
func packedVersion(s string) (int64, error) {
	u := unpacker{s: s}
	v := u.int()
	if u.bad {
		return 0, errPacked
	}
	return v, nil
}

// decoded is what decoding a record allocates at once: the record, its order and room for the
// lines and requests of a typical one, which are read and dropped together, so that decoding
// takes one allocation rather than one per slice.
type decoded struct {
	rec   ledger.OrderRecord
	o     order.Order
	lines [2]order.Line
	reqs  [1]ledger.Request
	qty   [2]connector.LineQuantity
}

// unpacker reads a packed record. A read past what is there, or of a value packing would not
// have written, sets bad and returns a zero value; the caller checks bad at the end.
type unpacker struct {
	s   string
	bad bool
	// lines and qty are the room decoded has left for order lines and request lines.
	lines []order.Line
	qty   []connector.LineQuantity
}

// take returns a slice of n elements: the first n of room, which it takes from room, if there
// are enough, or else a new one. Its capacity is n, so an append never reaches into the room
// given to another slice.
func take[T any](room *[]T, n int) []T {
	if n > len(*room) {
		return make([]T, n)
	}
	s := (*room)[:n:n]
	*room = (*room)[n:]
	return s
}

func (u *unpacker) fail() { u.bad, u.s = true, "" }

// uint reads a uvarint in its shortest form.
func (u *unpacker) uint() uint64 {
	if len(u.s) > 0 && u.s[0] < 0x80 {
		v := u.s[0]
		u.s = u.s[1:]
		return uint64(v)
	}
	return u.longUint()
}

func (u *unpacker) longUint() uint64 {
	var v uint64
	for i := 0; i < len(u.s) && i < binary.MaxVarintLen64; i++ {
		c := u.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // more than 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				break // not the shortest form
			}
			u.s = u.s[i+1:]
			return v
		}
	}
	u.fail()
	return 0
}

func (u *unpacker) int() int64 {
	v := u.uint()
	return int64(v>>1) ^ -int64(v&1)
}

// integer reads an int. Packing only writes ints, so a value wider than int is corrupt.
func (u *unpacker) integer() int {
	v := u.int()
	if int64(int(v)) != v {
		u.fail()
		return 0
	}
	return int(v)
}

// bytes returns the next n bytes.
func (u *unpacker) bytes(n uint64) string {
	if n > uint64(len(u.s)) {
		u.fail()
		return ""
	}
	s := u.s[:n]
	u.s = u.s[n:]
	return s
}

func (u *unpacker) str() string { return u.bytes(u.uint()) }

// flags reads a flags value, refusing bits outside all.
func (u *unpacker) flags(all uint64) uint64 {
	f := u.uint()
	if f&^all != 0 {
		u.fail()
		return 0
	}
	return f
}

func unenum[S ~string](u *unpacker, table []S) S {
	v := u.uint()
	if v < uint64(len(table)) {
		return table[v]
	}
	s := S(u.bytes(v - uint64(len(table))))
	if slices.Contains(table, s) {
		u.fail() // packing writes a value of the table as its index
		return ""
	}
	return s
}

// count reads the length of a slice or map: ok is false for nil. A length longer than what
// is left cannot be right (every element takes a byte at least), so none is made.
func (u *unpacker) count() (n int, ok bool) {
	v := u.uint()
	if v == 0 {
		return 0, false
	}
	if v-1 > uint64(len(u.s)) {
		u.fail()
		return 0, false
	}
	return int(v - 1), true
}

func (u *unpacker) time() time.Time {
	h := u.uint()
	kind, nsec := h&3, h>>2
	switch {
	case kind == timeZero && nsec == 0:
		return time.Time{}
	case (kind == timeUTC || kind == timeLocal) && nsec < 1e9:
		t := time.Unix(u.int(), int64(nsec))
		if kind == timeUTC {
			if t = t.UTC(); t.IsZero() {
				break // packing writes the zero time as timeZero
			}
		}
		return t
	}
	u.fail()
	return time.Time{}
}

func (u *unpacker) money() order.Money {
	return order.Money{Currency: unenum(u, currencies), Amount: u.int()}
}

// key reads a map key, which must come after prev.
func (u *unpacker) key(i int, prev string) string {
	k := u.str()
	if i > 0 && k <= prev {
		u.fail()
	}
	return k
}

func (u *unpacker) strMap() map[string]string {
	n, ok := u.count()
	if !ok {
		return nil
	}
	m := make(map[string]string, n)
	k := ""
	for i := 0; i < n && !u.bad; i++ {
		k = u.key(i, k)
		m[k] = u.str()
	}
	return m
}

func (u *unpacker) intMap() map[string]int {
	n, ok := u.count()
	if !ok {
		return nil
	}
	m := make(map[string]int, n)
	k := ""
	for i := 0; i < n && !u.bad; i++ {
		k = u.key(i, k)
		m[k] = u.integer()
	}
	return m
}

// head reads what unpackHead describes, o becoming rec's order if it has one.
func (u *unpacker) head(key ledger.OrderKey, rec *ledger.OrderRecord, o *order.Order) {
	rec.Key = key
	rec.Version = u.int()
	flags := u.flags(recAllFlags)
	rec.Pending = flags&recPending != 0
	rec.ManualHold = flags&recManualHold != 0
	rec.State = unenum(u, recordStates)
	rec.HoldReason = u.str()
	rec.ManualReason = u.str()
	rec.Parked = u.str()
	rec.Fingerprint = u.str()
	rec.UpdatedAt = u.time()
	if flags&recOrder != 0 {
		u.orderHead(o, key.OrderID)
		rec.Order = o
	}
}

func (u *unpacker) orderHead(o *order.Order, keyID string) {
	if v := u.uint(); v == 0 {
		o.ID = keyID
	} else if o.ID = u.bytes(v - 1); o.ID == keyID {
		u.fail() // packing writes the key's ID as 0
	}
	o.Number = u.str()
	o.Status = unenum(u, statusCodes)
	o.ChannelStatus = u.str()
	o.PlacedAt = u.time()
	o.UpdatedAt = u.time()
}

func (u *unpacker) orderBody(o *order.Order) {
	flags := u.flags(ordAllFlags)
	if flags&ordGiftWrap != 0 && flags&ordGift == 0 {
		u.fail()
	}
	if n, ok := u.count(); ok {
		o.Lines = take(&u.lines, n)
		for i := range o.Lines {
			l := &o.Lines[i]
			l.ID = u.str()
			l.SKU = u.str()
			l.Name = u.str()
			l.Quantity = u.integer()
			l.UnitPrice = u.money()
			l.Cancelled = u.integer()
			l.Refs = u.strMap()
		}
	}
	a := &o.ShipTo
	for _, s := range [...]*string{&a.Name, &a.Company, &a.Phone, &a.Email, &a.Country, &a.PostalCode, &a.Prefecture, &a.City, &a.Line1, &a.Line2} {
		*s = u.str()
	}
	if flags&ordDate != 0 {
		d := &o.Delivery.Date
		d.Year = u.integer()
		d.Month = time.Month(u.integer())
		d.Day = u.integer()
		if d.IsZero() {
			u.fail() // packing writes no zero date
		}
	}
	o.Delivery.Slot = order.TimeSlot(u.str())
	o.Payment.Method = unenum(u, paymentMethods)
	o.Payment.CollectAmount = u.money()
	if flags&ordGift != 0 {
		o.Gift = &order.Gift{Wrapping: flags&ordGiftWrap != 0, Noshi: u.str(), Message: u.str()}
	}
	o.Totals.TaxIncluded = flags&ordTaxIncluded != 0
	money := totals(&o.Totals)
	mask := u.flags(1<<len(money) - 1)
	for i, m := range money {
		if mask&(1<<i) != 0 {
			if *m = u.money(); m.IsZero() {
				u.fail() // packing leaves zero amounts out
			}
		}
	}
	o.Refs = u.strMap()
}

func (u *unpacker) request(r *ledger.Request, keyID string) {
	flags := u.flags(reqAllFlags)
	r.Unsure = flags&reqUnsure != 0
	r.Target = u.str()
	r.Key = u.str()
	r.State = unenum(u, requestStates)
	if n, ok := u.count(); ok {
		r.Lines = take(&u.qty, n)
		for i := range r.Lines {
			l := &r.Lines[i]
			l.LineID = u.str()
			l.SKU = u.str()
			l.Quantity = u.integer()
		}
	}
	r.ShippingFP = u.str()
	r.Seq = u.integer()
	r.Refused = u.str()
	r.RefusedReason = u.str()
	if flags&reqReplay != 0 {
		o := &order.Order{}
		u.orderHead(o, keyID)
		u.orderBody(o)
		r.Replay = o
	}
}

// ownStrings returns t with strings of its own, for keeping when it was read from a packed
// record: a substring would keep the whole record's memory.
func ownStrings(t ledger.Tombstone) ledger.Tombstone {
	t.Fingerprint = strings.Clone(t.Fingerprint)
	t.Status = order.Status(strings.Clone(string(t.Status)))
	return t
}
