package memstore

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

var timeType = reflect.TypeFor[time.Time]()

// filler sets every exported field it reaches to a value of its own, none zero: strings, ints
// and times all differ, slices get two elements, maps two entries, pointers a value. A field of
// a kind it does not know fails the test, so that a new kind of field reaches the codec too.
type filler struct {
	tb  testing.TB
	n   int
	loc *time.Location
}

func (f *filler) fill(v reflect.Value, path string) {
	f.tb.Helper()
	f.n++
	n := f.n
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Date(1990+n, time.Month(n%12+1), n%28+1, n%24, n%60, 7, n*1001, f.loc)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("値%d", n)) // never one of the codec's usual values
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		// Negative and wide: zigzag and long varints.
		v.SetInt(-int64(n) * 1_000_003)
		if v.Kind() == reflect.Int64 {
			v.SetInt(-int64(n) << 40)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), path)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMapWithSize(v.Type(), 2)
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k, path+" key")
			f.fill(e, path+" value")
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			if !sf.IsExported() {
				f.tb.Fatalf("%s.%s is unexported: the codec cannot reach it", path, sf.Name)
			}
			f.fill(v.Field(i), path+"."+sf.Name)
		}
	default:
		f.tb.Fatalf("%s is a %s: teach pack.go (and this filler) that kind", path, v.Kind())
	}
}

// filledRecord returns a record with every exported field, nested ones included, set.
func filledRecord(tb testing.TB, loc *time.Location) *ledger.OrderRecord {
	rec := &ledger.OrderRecord{}
	(&filler{tb: tb, loc: loc}).fill(reflect.ValueOf(rec).Elem(), "OrderRecord")
	return rec
}

// usualRecord is a record whose strings are the codec's usual values (states, statuses,
// currencies) and whose order IDs are the key's.
func usualRecord(tb testing.TB) *ledger.OrderRecord {
	rec := filledRecord(tb, time.UTC)
	rec.State = ledger.StateShipped
	rec.Order.ID = rec.Key.OrderID
	rec.Order.Status = order.StatusOpen
	rec.Order.Payment.Method = order.PaymentCashOnDelivery
	rec.Order.Totals = order.Totals{Subtotal: order.Yen(4900), Total: order.Yen(4900)} // the others zero
	rec.Order.Gift.Wrapping = false
	for i := range rec.Order.Lines {
		rec.Order.Lines[i].UnitPrice = order.Money{Amount: 1234, Currency: "USD"}
	}
	rec.Requests[0].State = ledger.RequestSent
	rec.Requests[1].State = ledger.RequestNew
	rec.Requests[0].Replay.ID = rec.Key.OrderID
	rec.Requests[1].Replay = nil
	return rec
}

// packCases are records the codec must round-trip: every field set, in both locations a packed
// time may have, with the usual values, and the edges (zero times, empty but not nil, no order).
func packCases(tb testing.TB) map[string]*ledger.OrderRecord {
	empty := filledRecord(tb, time.UTC)
	empty.Order = &order.Order{Lines: []order.Line{}, Refs: map[string]string{}, Gift: &order.Gift{}}
	empty.Away, empty.Requests, empty.Shipments = map[string]string{}, []ledger.Request{}, []ledger.ShipmentEntry{}
	zeroTimes := filledRecord(tb, time.UTC)
	zeroTimes.UpdatedAt, zeroTimes.Order.PlacedAt = time.Time{}, time.Time{}.Local()
	return map[string]*ledger.OrderRecord{
		"every field":         filledRecord(tb, time.UTC),
		"every field, Local":  filledRecord(tb, time.Local),
		"usual values":        usualRecord(tb),
		"zero and Local zero": zeroTimes,
		"empty, not nil":      empty,
		"no order":            {Key: ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "o"}},
	}
}

func TestPackEveryField(t *testing.T) {
	for name, rec := range packCases(t) {
		want := rec.Clone()
		b, ok := packOrder(nil, rec)
		if !ok {
			t.Fatalf("%s: not packed", name)
		}
		got, err := unpackOrder(rec.Key, string(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the unpacked record differs at %s", name, firstDiff(reflect.ValueOf(got), reflect.ValueOf(want), "OrderRecord"))
		}
		if again, _ := packOrder(nil, got); string(again) != string(b) {
			t.Errorf("%s: packing the unpacked record gives other bytes", name)
		}
	}
}

// firstDiff names the first place where a and b, which are not DeepEqual, differ.
func firstDiff(a, b reflect.Value, path string) string {
	switch {
	case a.Type() == timeType:
	case a.Kind() == reflect.Pointer && !a.IsNil() && !b.IsNil():
		return firstDiff(a.Elem(), b.Elem(), path)
	case a.Kind() == reflect.Slice && a.Len() == b.Len() && a.IsNil() == b.IsNil():
		for i := range a.Len() {
			if !reflect.DeepEqual(a.Index(i).Interface(), b.Index(i).Interface()) {
				return firstDiff(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case a.Kind() == reflect.Struct:
		for i := range a.NumField() {
			if !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
				return firstDiff(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
	return fmt.Sprintf("%s: %#v, want %#v", path, a.Interface(), b.Interface())
}

// TestPackUsualSmaller checks that the usual values take the short forms.
func TestPackUsualSmaller(t *testing.T) {
	rec := usualRecord(t)
	short, _ := packOrder(nil, rec)
	rec.State = "shipped!"
	long, _ := packOrder(nil, rec)
	if len(long) != len(short)+len("shipped!") {
		t.Errorf("a usual state takes %d bytes less than another of 8 letters, want 8", len(long)-len(short))
	}
}

// TestPackOtherLocation: a time in a location other than UTC and Local comes back as another
// location (a fixed zone of the same offset) if packed, so the record is not packed.
func TestPackOtherLocation(t *testing.T) {
	jst := time.FixedZone("JST", 9*60*60)
	for _, set := range []func(*ledger.OrderRecord){
		func(r *ledger.OrderRecord) { r.UpdatedAt = r.UpdatedAt.In(jst) },
		func(r *ledger.OrderRecord) { r.Order.PlacedAt = r.Order.PlacedAt.In(jst) },
		func(r *ledger.OrderRecord) { r.Requests[1].Replay.UpdatedAt = time.Time{}.In(jst) },
		func(r *ledger.OrderRecord) { r.Shipments[1].At = r.Shipments[1].At.In(jst) },
	} {
		rec := filledRecord(t, time.UTC)
		set(rec)
		if b, ok := packOrder([]byte("kept"), rec); ok || string(b) != "kept" {
			t.Errorf("packed a record with a time in JST: %q, %v", b, ok)
		}
	}

	// The store keeps it whole instead.
	s := New()
	rec := filledRecord(t, jst)
	rec.State, rec.Pending, rec.Version = ledger.StateShipped, false, 0
	want := rec.Clone()
	want.Version = 1
	if err := s.PutOrder(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetOrder(context.Background(), rec.Key)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GetOrder = %+v, %v; want %+v", got, err, want)
	}
}

// TestPackHead checks that the head of a packed record is the record's own, and that the store
// judges a head as it would the whole record (Settled, TombstoneOf): each field is dropped in
// turn from a settled record, so that a field Settled comes to depend on and the head lacks
// makes the two differ.
func TestPackHead(t *testing.T) {
	base := filledRecord(t, time.UTC)
	base.State, base.Pending, base.ManualHold, base.Parked = ledger.StateShipped, false, false, ""
	if !base.Settled() {
		t.Fatal("the base record is not settled")
	}
	var cases []*ledger.OrderRecord
	for i := range reflect.TypeFor[ledger.OrderRecord]().NumField() {
		rec := base.Clone()
		reflect.ValueOf(rec).Elem().Field(i).SetZero()
		cases = append(cases, rec)
	}
	for i := range reflect.TypeFor[order.Order]().NumField() {
		rec := base.Clone()
		o := *rec.Order
		reflect.ValueOf(&o).Elem().Field(i).SetZero()
		rec.Order = &o
		cases = append(cases, rec)
	}
	for _, rec := range append(cases, base) {
		b, ok := packOrder(nil, rec)
		if !ok {
			t.Fatal("not packed")
		}
		var (
			h ledger.OrderRecord
			o order.Order
		)
		if err := unpackHead(rec.Key, string(b), &h, &o); err != nil {
			t.Fatal(err)
		}
		want := *rec
		want.Away, want.Requests, want.Shipments = nil, nil, nil
		if rec.Order != nil {
			want.Order = &order.Order{ID: rec.Order.ID, Number: rec.Order.Number, Status: rec.Order.Status,
				ChannelStatus: rec.Order.ChannelStatus, PlacedAt: rec.Order.PlacedAt, UpdatedAt: rec.Order.UpdatedAt}
		}
		if !reflect.DeepEqual(&h, &want) {
			t.Errorf("head\n\t%+v\nwant\n\t%+v", h, want)
		}
		if h.Settled() != rec.Settled() || ledger.TombstoneOf(&h) != ledger.TombstoneOf(rec) {
			t.Errorf("head: settled %v, tombstone %+v; record: %v, %+v", h.Settled(), ledger.TombstoneOf(&h), rec.Settled(), ledger.TombstoneOf(rec))
		}
		if v, err := packedVersion(string(b)); err != nil || v != rec.Version {
			t.Errorf("packedVersion = %d, %v; want %d", v, err, rec.Version)
		}
	}
}

// TestStoreKeepsPacked checks where the store keeps what: every record without work pending
// packed, those with work pending whole, that what it hands out of a packed record is the
// caller's, and that its digest is the record's.
func TestStoreKeepsPacked(t *testing.T) {
	ctx := context.Background()
	s := New()
	rec := usualRecord(t)
	rec.Version = 0
	cell := func() orderVal { return s.orders[partition{rec.Key.Merchant, rec.Key.Channel}][rec.Key.OrderID].rec }
	for _, c := range []struct {
		state   ledger.OrderState
		pending bool
		packed  bool
	}{
		{ledger.StateRecorded, true, false},
		{ledger.StateSent, false, true},
		{ledger.StateHeld, false, true},
		{ledger.StateShipped, true, false},
		{ledger.StateNotRouted, false, true},
		{ledger.StateQuarantined, false, true},
		{ledger.StateRecorded, false, true},
		{ledger.StateCancelled, false, true},
		{ledger.StateSent, true, false},
		{ledger.StateShipped, false, true},
	} {
		rec.State, rec.Pending = c.state, c.pending
		if err := s.PutOrder(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if v := cell(); (v.rec == nil) != c.packed || (v.packed != "") != c.packed {
			t.Fatalf("%s, pending %v: packed %v, want %v", c.state, c.pending, v.rec == nil, c.packed)
		}
		ds, err := s.OrderDigests(ctx, []ledger.OrderKey{rec.Key, {Merchant: rec.Key.Merchant, Channel: rec.Key.Channel, OrderID: "none"}})
		if want := ledger.DigestOf(rec); err != nil || len(ds) != 2 || ds[0] != want || ds[1] != (ledger.OrderDigest{}) {
			t.Fatalf("%s, pending %v: OrderDigests = %+v, %v; want %+v", c.state, c.pending, ds, err, want)
		}
	}
	want := rec.Clone()
	got, err := s.GetOrder(ctx, rec.Key)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GetOrder = %+v, %v", got, err)
	}
	got.Requests[0].Lines[0].Quantity = 99
	got.Order.Lines[0].Refs["x"] = "y"
	got.Shipments[0].Lines["x"] = 1
	got.Away["x"] = "y"
	many, err := s.GetOrders(ctx, []ledger.OrderKey{rec.Key})
	if err != nil || !reflect.DeepEqual(many[rec.Key], want) {
		t.Fatalf("after changing what GetOrder returned, GetOrders = %+v, %v", many[rec.Key], err)
	}
	if held, err := s.OrdersByNumber(ctx, rec.Key.Merchant, rec.Key.Channel, rec.Order.Number, -1); err != nil || len(held) != 1 || !reflect.DeepEqual(held[0], want) {
		t.Fatalf("OrdersByNumber = %+v, %v", held, err)
	}
}

// FuzzUnpack: decoding any string returns an error or a record, never panics; a record it
// returns packs to exactly that string, and its head is the record's.
func FuzzUnpack(f *testing.F) {
	key := ledger.OrderKey{Merchant: "m", Channel: "c", OrderID: "o"}
	for _, rec := range packCases(f) {
		rec.Key = key
		b, _ := packOrder(nil, rec)
		f.Add(string(b))
	}
	f.Add("")
	f.Add("\x02\x80")
	f.Add(strings.Repeat("\xff", 12))
	f.Fuzz(func(t *testing.T, s string) {
		var (
			h ledger.OrderRecord
			o order.Order
		)
		headErr := unpackHead(key, s, &h, &o)
		v, vErr := packedVersion(s)
		d, dErr := unpackDigest(s)
		rec, err := unpackOrder(key, s)
		if err != nil {
			return
		}
		if headErr != nil || vErr != nil || v != rec.Version || dErr != nil {
			t.Fatalf("the record decodes but not its head (%v), version (%d, %v) or digest (%v)", headErr, v, vErr, dErr)
		}
		if want := ledger.DigestOf(rec); d != want {
			t.Fatalf("digest %+v differs from its record's %+v", d, want)
		}
		b, ok := packOrder(nil, rec)
		if !ok {
			t.Fatal("a decoded record does not pack")
		}
		if string(b) != s {
			t.Fatalf("packing the decoded record gives %q, want %q", b, s)
		}
		if h.State != rec.State || h.Fingerprint != rec.Fingerprint || !h.UpdatedAt.Equal(rec.UpdatedAt) ||
			(h.Order == nil) != (rec.Order == nil) || h.Order != nil && h.Order.Number != rec.Order.Number {
			t.Fatalf("head %+v differs from its record %+v", h, rec)
		}
	})
}

// BenchmarkPack and BenchmarkUnpack pack and decode BenchmarkHeap's typical record.
func BenchmarkPack(b *testing.B) {
	rec := heapRecord(1, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = packOrder(buf[:0], rec)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}

func BenchmarkUnpack(b *testing.B) {
	rec := heapRecord(1, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	p, _ := packOrder(nil, rec)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := unpackOrder(rec.Key, string(p)); err != nil {
			b.Fatal(err)
		}
	}
}
