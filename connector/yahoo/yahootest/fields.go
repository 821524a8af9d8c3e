package yahootest

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
)

// orderInfo's answer holds only the fields the request's Field names, as Yahoo!'s does: a
// client that forgets to ask for a field does not get it here either.

// kv is one field of an answer.
type kv struct{ name, value string }

// infoDoc is orderInfo's answer rendered field by field: the order's own fields, then the Pay
// and Ship groups, then one Item group per line.
type infoDoc struct {
	top, pay, ship []kv
	items          [][]kv
}

// fieldsOf lists a struct's fields by their XML names, leaving out empty omitempty ones.
func fieldsOf(v any) []kv {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var out []kv
	for i := range rt.NumField() {
		f := rt.Field(i)
		tag := f.Tag.Get("xml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" || f.Type.Kind() == reflect.Struct || f.Type.Kind() == reflect.Slice {
			continue
		}
		val := fmt.Sprint(rv.Field(i).Interface())
		if strings.Contains(opts, "omitempty") && rv.Field(i).IsZero() {
			continue
		}
		out = append(out, kv{name, val})
	}
	return out
}

func (oi orderInfo) doc() infoDoc {
	d := infoDoc{top: fieldsOf(oi), pay: fieldsOf(oi.Pay), ship: fieldsOf(oi.Ship)}
	for _, it := range oi.Items {
		d.items = append(d.items, fieldsOf(it))
	}
	return d
}

// knownFields are the names Field may hold.
func knownFields() map[string]bool {
	all := map[string]bool{}
	dd := infoDocAll(orderInfo{})
	for _, g := range [][]kv{dd.top, dd.pay, dd.ship, dd.items[0]} {
		for _, f := range g {
			all[f.name] = true
		}
	}
	return all
}

// infoDocAll lists every field, omitempty ones included.
func infoDocAll(oi orderInfo) infoDoc {
	names := func(v any) []kv {
		rt := reflect.TypeOf(v)
		var out []kv
		for i := range rt.NumField() {
			f := rt.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
			if name != "" && name != "-" && f.Type.Kind() != reflect.Struct && f.Type.Kind() != reflect.Slice {
				out = append(out, kv{name: name})
			}
		}
		return out
	}
	return infoDoc{top: names(oi), pay: names(oi.Pay), ship: names(oi.Ship), items: [][]kv{names(item{})}}
}

var fieldNames = knownFields()

// only keeps the fields named in want; OrderId is always kept, as Yahoo! keys the answer by it.
func (d infoDoc) only(want map[string]bool) infoDoc {
	keep := func(in []kv) []kv {
		var out []kv
		for _, f := range in {
			if want[f.name] || f.name == "OrderId" {
				out = append(out, f)
			}
		}
		return out
	}
	out := infoDoc{top: keep(d.top), pay: keep(d.pay), ship: keep(d.ship)}
	for _, it := range d.items {
		if k := keep(it); len(k) > 0 {
			out.items = append(out.items, k)
		}
	}
	return out
}

// MarshalXML writes the fields in order, each group only when it has fields.
func (d infoDoc) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	write := func(fs []kv) error {
		for _, f := range fs {
			if err := e.EncodeElement(f.value, xml.StartElement{Name: xml.Name{Local: f.name}}); err != nil {
				return err
			}
		}
		return nil
	}
	group := func(name string, fs []kv) error {
		if len(fs) == 0 {
			return nil
		}
		g := xml.StartElement{Name: xml.Name{Local: name}}
		if err := e.EncodeToken(g); err != nil {
			return err
		}
		if err := write(fs); err != nil {
			return err
		}
		return e.EncodeToken(g.End())
	}
	if err := write(d.top); err != nil {
		return err
	}
	if err := group("Pay", d.pay); err != nil {
		return err
	}
	if err := group("Ship", d.ship); err != nil {
		return err
	}
	for _, it := range d.items {
		if err := group("Item", it); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}
