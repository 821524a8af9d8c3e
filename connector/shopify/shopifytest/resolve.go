package shopifytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

type fields = map[string]func(map[string]any) any

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sortKey orders by a time then by numeric ID, fixed width so strings compare correctly.
func sortKey(t time.Time, id string) string {
	return fmt.Sprintf("%020d|%020d", t.UnixNano(), gidNum(id))
}

func idKey(id string) string { return fmt.Sprintf("%020d", gidNum(id)) }

func (s *Server) money(minor int64, currency string) object {
	m := &obj{typ: "MoneyV2", fields: fields{"amount": val(moneyString(minor, currency)), "currencyCode": val(currency)}}
	return &obj{typ: "MoneyBag", fields: fields{"shopMoney": val(m), "presentmentMoney": val(m)}}
}

func (s *Server) orderObj(o *fOrder) object {
	m := o.sums()
	money := func(minor int64) func(map[string]any) any { return val(s.money(minor, o.currency)) }
	return &obj{typ: "Order", fields: fields{
		"id": val(o.id), "legacyResourceId": val(legacyID(o.id)), "name": val(o.name),
		"createdAt": val(ts(o.createdAt)), "updatedAt": val(ts(o.updated)), "processedAt": val(ts(o.createdAt)),
		"cancelledAt": val(tsp(o.cancelledAt)), "cancelReason": val(nilIfEmpty(o.cancelReason)),
		"closed": val(false), "test": val(false), "email": val(nilIfEmpty(o.email)), "phone": val(nilIfEmpty(o.phone)),
		"note": val(nilIfEmpty(o.note)), "currencyCode": val(o.currency), "tags": val([]any{}),
		"displayFulfillmentStatus": val(o.displayFulfillState),
		"displayFinancialStatus":   val(o.financial),
		"paymentGatewayNames":      val(anySlice(o.gateways)),
		"taxesIncluded":            val(!o.taxExcluded),
		"fullyPaid":                val(m.outstanding == 0 && o.cancelledAt == nil),
		"unpaid":                   val(m.received == 0 && o.cancelledAt == nil),
		"totalPriceSet":            money(m.total),
		"currentTotalPriceSet":     money(m.currentTotal),
		"subtotalPriceSet":         money(m.lines - m.discount),
		"currentSubtotalPriceSet":  money(m.currentLines - m.discount),
		"totalShippingPriceSet":    money(m.shipping),
		"currentShippingPriceSet":  money(m.shipping),
		"totalTaxSet":              money(m.tax),
		"currentTotalTaxSet":       money(m.tax),
		"totalDiscountsSet":        money(m.discount),
		"currentTotalDiscountsSet": money(m.discount),
		"totalOutstandingSet":      money(m.outstanding),
		"totalReceivedSet":         money(m.received),
		"netPaymentSet":            money(m.received),
		"shippingLine": func(map[string]any) any {
			if len(o.shipping) == 0 {
				return nil
			}
			return s.shippingLineObj(o, 0)
		},
		"shippingLines": func(args map[string]any) any {
			nodes := make([]object, len(o.shipping))
			for i := range o.shipping {
				nodes[i] = s.shippingLineObj(o, i)
			}
			return newConn("ShippingLineConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
		"customAttributes": func(map[string]any) any {
			list := make([]object, len(o.attrs))
			for i, a := range o.attrs {
				list[i] = &obj{typ: "Attribute", fields: fields{"key": val(a.Key), "value": val(a.Value)}}
			}
			return list
		},
		"shippingAddress": func(map[string]any) any { return addressObj(o.addr) },
		"lineItems": func(args map[string]any) any {
			nodes := make([]object, len(o.lines))
			for i, l := range o.lines {
				nodes[i] = s.lineObj(o, l)
			}
			return newConn("LineItemConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
		"fulfillmentOrders": func(args map[string]any) any {
			nodes := make([]object, len(o.fos))
			for i, fo := range o.fos {
				nodes[i] = s.foObj(fo)
			}
			return newConn("FulfillmentOrderConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
		"fulfillments": func(args map[string]any) any {
			list := make([]object, len(o.fulfillments))
			for i, f := range o.fulfillments {
				list[i] = s.fulfillmentObj(f)
			}
			if n, ok := intArg(args, "first"); ok && n < len(list) {
				list = list[:n]
			}
			return list
		},
	}}
}

func (s *Server) shippingLineObj(o *fOrder, i int) object {
	sl := o.shipping[i]
	price := &obj{typ: "MoneyV2", fields: fields{"amount": val(moneyString(sl.Price, o.currency)), "currencyCode": val(o.currency)}}
	return &obj{typ: "ShippingLine", fields: fields{
		"id": val(o.shippingIDs[i]), "title": val(sl.Title), "code": val(nilIfEmpty(sl.Code)), "source": val("shopify"),
		"custom": val(false), "isRemoved": val(false), "carrierIdentifier": val(nil), "phone": val(nil),
		"originalPriceSet": val(s.money(sl.Price, o.currency)), "discountedPriceSet": val(s.money(sl.Price, o.currency)),
		"currentDiscountedPriceSet": val(s.money(sl.Price, o.currency)),
		"originalPrice":             val(price), "discountedPrice": val(price),
		"taxLines": val([]object{}), "discountAllocations": val([]object{}),
	}}
}

func anySlice(list []string) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

func addressObj(a Address) object {
	name := strings.TrimSpace(a.LastName + " " + a.FirstName)
	return &obj{typ: "MailingAddress", fields: fields{
		"firstName": val(nilIfEmpty(a.FirstName)), "lastName": val(nilIfEmpty(a.LastName)), "name": val(nilIfEmpty(name)),
		"company": val(nilIfEmpty(a.Company)), "phone": val(nilIfEmpty(a.Phone)),
		"address1": val(nilIfEmpty(a.Address1)), "address2": val(nilIfEmpty(a.Address2)), "city": val(nilIfEmpty(a.City)),
		"province": val(nilIfEmpty(a.Province)), "provinceCode": val(nilIfEmpty(a.ProvinceCode)), "zip": val(nilIfEmpty(a.Zip)),
		"countryCodeV2": val(nilIfEmpty(a.CountryCode)), "countryCode": val(nilIfEmpty(a.CountryCode)),
	}}
}

func (s *Server) lineObj(o *fOrder, l *fLine) object {
	return &obj{typ: "LineItem", fields: fields{
		"id": val(l.id), "sku": val(nilIfEmpty(l.sku)), "title": val(l.title), "name": val(l.title),
		"quantity": val(l.qty), "currentQuantity": val(l.current), "requiresShipping": val(true),
		"originalUnitPriceSet":   val(s.money(l.price, o.currency)),
		"discountedUnitPriceSet": val(s.money(l.price, o.currency)),
		"originalTotalSet":       val(s.money(l.price*int64(l.qty), o.currency)),
		"customAttributes": func(map[string]any) any {
			list := make([]object, len(l.props))
			for i, a := range l.props {
				list[i] = &obj{typ: "Attribute", fields: fields{"key": val(a.Key), "value": val(a.Value)}}
			}
			return list
		},
	}}
}

func (s *Server) foObj(fo *fOrderFO) object {
	return &obj{typ: "FulfillmentOrder", fields: fields{
		"id": val(fo.id), "orderId": val(fo.order.id), "orderName": val(fo.order.name),
		"status": val(fo.status), "requestStatus": val(fo.requestStatus),
		"createdAt": val(ts(fo.order.createdAt)), "updatedAt": val(ts(fo.updated)),
		"order": func(map[string]any) any { return s.orderObj(fo.order) },
		"assignedLocation": func(map[string]any) any {
			return &obj{typ: "FulfillmentOrderAssignedLocation", fields: fields{"location": val(s.locationObj(s.locationID)), "name": val(locationName)}}
		},
		"destination": func(map[string]any) any {
			a := fo.order.addr
			return &obj{typ: "FulfillmentOrderDestination", fields: fields{
				"id": val(fo.id + "/destination"), "firstName": val(nilIfEmpty(a.FirstName)), "lastName": val(nilIfEmpty(a.LastName)),
				"company": val(nilIfEmpty(a.Company)), "phone": val(nilIfEmpty(a.Phone)), "email": val(nilIfEmpty(fo.order.email)),
				"address1": val(nilIfEmpty(a.Address1)), "address2": val(nilIfEmpty(a.Address2)), "city": val(nilIfEmpty(a.City)),
				"province": val(nilIfEmpty(a.Province)), "zip": val(nilIfEmpty(a.Zip)), "countryCode": val(nilIfEmpty(a.CountryCode)),
			}}
		},
		"lineItems": func(args map[string]any) any {
			nodes := make([]object, len(fo.lines))
			for i, l := range fo.lines {
				nodes[i] = &obj{typ: "FulfillmentOrderLineItem", fields: fields{
					"id": val(l.id), "sku": val(nilIfEmpty(l.line.sku)), "totalQuantity": val(l.total),
					"remainingQuantity": val(l.remaining), "productTitle": val(l.line.title), "variantTitle": val(nil),
					"requiresShipping": val(true), "inventoryItemId": val(s.itemIDForSKU(l.line.sku)),
					"lineItem": val(s.lineObj(fo.order, l.line)),
				}}
			}
			return newConn("FulfillmentOrderLineItemConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
		"merchantRequests": func(args map[string]any) any {
			kind := strArg(args, "kind")
			var nodes []object
			for i, r := range fo.requests {
				if kind != "" && r.kind != kind {
					continue
				}
				id := fmt.Sprintf("gid://shopify/FulfillmentOrderMerchantRequest/%d%03d", gidNum(fo.id), i)
				nodes = append(nodes, &obj{typ: "FulfillmentOrderMerchantRequest", fields: fields{
					"id": val(id), "kind": val(r.kind), "message": val(nilIfEmpty(r.message)), "sentAt": val(ts(r.at)),
				}})
			}
			return newConn("FulfillmentOrderMerchantRequestConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
		"fulfillmentHolds": func(map[string]any) any {
			list := make([]object, len(fo.holds))
			for i, h := range fo.holds {
				list[i] = &obj{typ: "FulfillmentHold", fields: fields{"id": val(h.id), "reason": val(h.reason), "handle": val(nilIfEmpty(h.handle))}}
			}
			return list
		},
		"fulfillments": func(args map[string]any) any {
			var nodes []object
			for _, f := range fo.order.fulfillments {
				for foli := range f.lines {
					if strings.HasPrefix(foli, "gid://shopify/FulfillmentOrderLineItem/") && fo.hasLine(foli) {
						nodes = append(nodes, s.fulfillmentObj(f))
						break
					}
				}
			}
			return newConn("FulfillmentConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args)
		},
	}}
}

func (fo *fOrderFO) hasLine(id string) bool {
	for _, l := range fo.lines {
		if l.id == id {
			return true
		}
	}
	return false
}

func (s *Server) fulfillmentObj(f *fulfillment) object {
	return &obj{typ: "Fulfillment", fields: fields{
		"id": val(f.id), "legacyResourceId": val(legacyID(f.id)), "status": val(f.status), "createdAt": val(ts(f.createdAt)),
		"updatedAt": val(ts(f.createdAt)), "name": val(f.order.name + "-F"),
		"totalQuantity": func(map[string]any) any {
			n := 0
			for _, q := range f.lines {
				n += q
			}
			return n
		},
		"trackingInfo": func(args map[string]any) any {
			var list []object
			n := max(len(f.numbers), 1)
			for i := range n {
				num, url := "", ""
				if i < len(f.numbers) {
					num = f.numbers[i]
				}
				if i < len(f.urls) {
					url = f.urls[i]
				}
				list = append(list, &obj{typ: "FulfillmentTrackingInfo", fields: fields{
					"company": val(nilIfEmpty(f.company)), "number": val(nilIfEmpty(num)), "url": val(nilIfEmpty(url)),
				}})
			}
			if k, ok := intArg(args, "first"); ok && k < len(list) {
				list = list[:k]
			}
			return list
		},
	}}
}

// locationName is the name of the fake's one location.
const locationName = "Tobira warehouse"

func (s *Server) locationObj(id string) object {
	return &obj{typ: "Location", fields: fields{"id": val(id), "name": val(locationName), "legacyResourceId": val(legacyID(id)), "isActive": val(true)}}
}

func (s *Server) itemIDForSKU(sku string) any {
	for _, v := range s.variants {
		if v.sku == sku {
			return v.item.id
		}
	}
	return nil
}

func (s *Server) itemObj(it *invItem) object {
	level := func(loc string) object {
		n, ok := it.available[loc]
		if !ok {
			return nil
		}
		return &obj{typ: "InventoryLevel", fields: fields{
			"id": val(fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", gidNum(loc), gidNum(it.id))),
			"quantities": func(args map[string]any) any {
				names, _ := args["names"].([]any)
				var list []object
				for _, nm := range names {
					name, _ := nm.(string)
					q := 0
					if name == "available" || name == "on_hand" {
						q = n
					}
					list = append(list, &obj{typ: "InventoryQuantity", fields: fields{"name": val(name), "quantity": val(q)}})
				}
				return list
			},
			"location": val(s.locationObj(loc)),
		}}
	}
	return &obj{typ: "InventoryItem", fields: fields{
		"id": val(it.id), "sku": val(nilIfEmpty(it.sku)), "tracked": val(true), "legacyResourceId": val(legacyID(it.id)),
		"inventoryLevel": func(args map[string]any) any { return level(strArg(args, "locationId")) },
	}}
}

func (s *Server) variantObj(v *variant) object {
	return &obj{typ: "ProductVariant", fields: fields{
		"id": val(v.id), "sku": val(nilIfEmpty(v.sku)), "title": val(v.title), "displayName": val(v.title),
		"inventoryItem":     func(map[string]any) any { return s.itemObj(v.item) },
		"inventoryQuantity": func(map[string]any) any { return v.item.available[s.locationID] },
	}}
}

// ---- root query fields ----

// searchValues are an order's values for a search field.
func (o *fOrder) searchValues(field string) []any {
	switch field {
	case "updated_at":
		return []any{o.updated}
	case "created_at", "processed_at":
		return []any{o.createdAt}
	case "id":
		return []any{gidNum(o.id)}
	case "name":
		return []any{o.name, strings.TrimPrefix(o.name, "#")}
	case "email":
		return []any{o.email}
	case "financial_status":
		return []any{strings.ToLower(o.financial)}
	case "status":
		switch {
		case o.cancelledAt != nil:
			return []any{"cancelled"}
		}
		return []any{"open"}
	case "gateway":
		return anySlice(o.gateways)
	case "sku":
		var list []any
		for _, l := range o.lines {
			list = append(list, l.sku)
		}
		return list
	}
	return nil
}

func (v *variant) searchValues(field string) []any {
	switch field {
	case "id":
		return []any{gidNum(v.id)}
	case "product_id":
		return []any{gidNum(v.productID)}
	case "sku":
		return []any{v.sku}
	case "title":
		return []any{v.title}
	}
	return nil
}

func (s *Server) query(name string, args map[string]any) (any, error) {
	var search searchExpr = allExpr{}
	if fields, ok := searchFields[name]; ok {
		var err error
		if search, err = parseSearch(fields, strArg(args, "query")); err != nil {
			return nil, err // checkModelled refused it before; kept for callers inside the fake
		}
	}
	switch name {
	case "shop":
		return &obj{typ: "Shop", fields: fields{
			"id": val("gid://shopify/Shop/1"), "name": val(s.shopName), "myshopifyDomain": val(s.opts.Shop),
			"currencyCode": val("JPY"), "ianaTimezone": val("Asia/Tokyo"),
		}}, nil
	case "orders":
		var nodes []object
		byObj := map[object]*fOrder{}
		for _, o := range s.orders {
			if search.match(func(f string) []any { return o.searchValues(f) }) {
				n := &lazy{typ: "Order", build: func() object { return s.orderObj(o) }}
				byObj[n] = o
				nodes = append(nodes, n)
			}
		}
		key := func(n object) string { return idKey(byObj[n].id) }
		switch strArg(args, "sortKey") {
		case "UPDATED_AT":
			key = func(n object) string { return sortKey(byObj[n].updated, byObj[n].id) }
		case "CREATED_AT", "PROCESSED_AT":
			key = func(n object) string { return sortKey(byObj[n].createdAt, byObj[n].id) }
		}
		return newConn("OrderConnection", nodes, key, args), nil
	case "order":
		if o := s.orders[strArg(args, "id")]; o != nil {
			return s.orderObj(o), nil
		}
		return nil, nil
	case "fulfillmentOrder":
		if fo := s.fos[strArg(args, "id")]; fo != nil {
			return s.foObj(fo), nil
		}
		return nil, nil
	case "assignedFulfillmentOrders":
		want := strArg(args, "assignmentStatus")
		var nodes []object
		for _, fo := range s.fos {
			if fo.status == "CLOSED" || fo.status == "CANCELLED" {
				continue
			}
			status := map[string]string{"SUBMITTED": "FULFILLMENT_REQUESTED", "ACCEPTED": "FULFILLMENT_ACCEPTED",
				"CANCELLATION_REQUESTED": "CANCELLATION_REQUESTED", "UNSUBMITTED": "FULFILLMENT_UNSUBMITTED"}[fo.requestStatus]
			if want != "" && status != want {
				continue
			}
			nodes = append(nodes, s.foObj(fo))
		}
		return newConn("FulfillmentOrderConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args), nil
	case "productVariants":
		var nodes []object
		for _, v := range s.variants {
			if search.match(func(f string) []any { return v.searchValues(f) }) {
				nodes = append(nodes, s.variantObj(v))
			}
		}
		return newConn("ProductVariantConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args), nil
	case "inventoryItems":
		var nodes []object
		for _, v := range s.variants {
			if search.match(func(f string) []any {
				if f == "id" {
					return []any{gidNum(v.item.id)}
				}
				return v.searchValues(f)
			}) {
				nodes = append(nodes, s.itemObj(v.item))
			}
		}
		return newConn("InventoryItemConnection", nodes, func(n object) string { return idKey(n.field("id", nil).(string)) }, args), nil
	case "inventoryItem":
		if it := s.items[strArg(args, "id")]; it != nil {
			return s.itemObj(it), nil
		}
		return nil, nil
	case "nodes":
		ids, _ := args["ids"].([]any)
		list := make([]object, len(ids))
		for i, raw := range ids {
			id, _ := raw.(string)
			switch {
			case s.items[id] != nil:
				list[i] = s.itemObj(s.items[id])
			case s.orders[id] != nil:
				list[i] = s.orderObj(s.orders[id])
			case s.fos[id] != nil:
				list[i] = s.foObj(s.fos[id])
			}
		}
		return nilObjects(list), nil
	}
	return nil, nil
}

// nilObjects keeps missing nodes as JSON nulls in a list.
func nilObjects(list []object) []any {
	out := make([]any, len(list))
	for i, o := range list {
		if o != nil {
			out[i] = o
		}
	}
	return out
}

// ---- mutations ----

func userErrors(typ string, errs []map[string]any) []object {
	list := make([]object, len(errs))
	for i, e := range errs {
		f := fields{}
		for k, v := range e {
			f[k] = val(v)
		}
		list[i] = complete(typ, f)
	}
	return list
}

func payload(typ string, f fields) object { return complete(typ, f) }

// complete gives a payload or user error every field its type models (payloadModel), null
// where this answer has none: a refused mutation has no fulfillment order, an error no code.
func complete(typ string, f fields) object {
	for _, name := range payloadModel[typ] {
		if _, ok := f[name]; !ok {
			f[name] = val(nil)
		}
	}
	return &obj{typ: typ, fields: f}
}

// errIdempotencyRequired is Shopify's wording, kept for fidelity.
var errIdempotencyRequired = errors.New("the @idempotent directive is required for this mutation")

func (s *Server) mutate(f *ast.Field, args map[string]any, vars map[string]any) (any, error) {
	id := strArg(args, "id")
	fo := s.fos[id]
	notFound := func(typ string) object {
		return payload(typ, fields{"userErrors": val(userErrors("UserError", []map[string]any{{"field": []any{"id"}, "message": "Fulfillment order does not exist."}}))})
	}
	bad := func(typ, msg string) object {
		return payload(typ, fields{"fulfillmentOrder": val(s.foObj(fo)), "userErrors": val(userErrors("UserError", []map[string]any{{"field": []any{"id"}, "message": msg}}))})
	}
	ok := func(typ string) object {
		return payload(typ, fields{"fulfillmentOrder": val(s.foObj(fo)), "userErrors": val([]object{})})
	}
	now := s.stamp()
	switch f.Name {
	case "fulfillmentOrderAcceptFulfillmentRequest":
		typ := "FulfillmentOrderAcceptFulfillmentRequestPayload"
		if fo == nil {
			return notFound(typ), nil
		}
		if fo.requestStatus != "SUBMITTED" {
			return bad(typ, "Cannot accept a fulfillment request in state "+fo.requestStatus+"."), nil
		}
		fo.requestStatus, fo.status, fo.updated = "ACCEPTED", "IN_PROGRESS", now
		if t, err := time.Parse(time.RFC3339, strArg(args, "estimatedShippedAt")); err == nil {
			fo.estimatedShip = &t
		}
		return ok(typ), nil
	case "fulfillmentOrderRejectFulfillmentRequest":
		typ := "FulfillmentOrderRejectFulfillmentRequestPayload"
		if fo == nil {
			return notFound(typ), nil
		}
		if fo.requestStatus != "SUBMITTED" {
			return bad(typ, "Cannot reject a fulfillment request in state "+fo.requestStatus+"."), nil
		}
		fo.requestStatus, fo.status, fo.updated = "REJECTED", "OPEN", now
		return ok(typ), nil
	case "fulfillmentOrderAcceptCancellationRequest":
		typ := "FulfillmentOrderAcceptCancellationRequestPayload"
		if fo == nil {
			return notFound(typ), nil
		}
		if fo.requestStatus != "CANCELLATION_REQUESTED" {
			return bad(typ, "There is no cancellation request to accept."), nil
		}
		fo.requestStatus, fo.status, fo.updated = "CANCELLATION_ACCEPTED", "CLOSED", now
		return ok(typ), nil
	case "fulfillmentOrderRejectCancellationRequest":
		typ := "FulfillmentOrderRejectCancellationRequestPayload"
		if fo == nil {
			return notFound(typ), nil
		}
		if fo.requestStatus != "CANCELLATION_REQUESTED" {
			return bad(typ, "There is no cancellation request to reject."), nil
		}
		fo.requestStatus, fo.updated = "CANCELLATION_REJECTED", now
		return ok(typ), nil
	case "fulfillmentOrderHold":
		typ := "FulfillmentOrderHoldPayload"
		if fo == nil {
			return payload(typ, fields{"userErrors": val(userErrors("FulfillmentOrderHoldUserError", []map[string]any{{"field": []any{"id"}, "message": "Fulfillment order does not exist.", "code": "FULFILLMENT_ORDER_NOT_FOUND"}}))}), nil
		}
		in, _ := args["fulfillmentHold"].(map[string]any)
		h := hold{id: s.gid("FulfillmentHold"), reason: strArg(in, "reason"), handle: strArg(in, "handle")}
		fo.holds = append(fo.holds, h)
		if fo.status != "ON_HOLD" {
			fo.heldFrom = fo.status
		}
		fo.status, fo.updated = "ON_HOLD", now
		hobj := &obj{typ: "FulfillmentHold", fields: fields{"id": val(h.id), "reason": val(h.reason), "handle": val(nilIfEmpty(h.handle))}}
		return payload(typ, fields{"fulfillmentHold": val(hobj), "fulfillmentOrder": val(s.foObj(fo)), "remainingFulfillmentOrder": val(nil), "userErrors": val([]object{})}), nil
	case "fulfillmentOrderReleaseHold":
		typ := "FulfillmentOrderReleaseHoldPayload"
		if fo == nil {
			return payload(typ, fields{"userErrors": val(userErrors("FulfillmentOrderReleaseHoldUserError", []map[string]any{{"field": []any{"id"}, "message": "Fulfillment order does not exist.", "code": "FULFILLMENT_ORDER_NOT_FOUND"}}))}), nil
		}
		if fo.status == "ON_HOLD" {
			fo.status, fo.holds, fo.updated = fo.heldFrom, nil, now
		}
		return payload(typ, fields{"fulfillmentOrder": val(s.foObj(fo)), "userErrors": val([]object{})}), nil
	case "fulfillmentCreate":
		return s.fulfillmentCreate(args), nil
	case "inventorySetQuantities":
		key := ""
		for _, d := range f.Directives {
			if d.Name == "idempotent" {
				key, _ = d.ArgumentMap(vars)["key"].(string)
			}
		}
		if strings.TrimSpace(key) == "" {
			return nil, errIdempotencyRequired
		}
		return s.inventorySet(key, args), nil
	}
	return nil, fmt.Errorf("the fake shop does not implement %s", f.Name)
}

func (s *Server) fulfillmentCreate(args map[string]any) object {
	typ := "FulfillmentCreatePayload"
	fail := func(field []any, msg string) object {
		return payload(typ, fields{"fulfillment": val(nil), "userErrors": val(userErrors("UserError", []map[string]any{{"field": field, "message": msg}}))})
	}
	in, _ := args["fulfillment"].(map[string]any)
	groups, _ := in["lineItemsByFulfillmentOrder"].([]any)
	if len(groups) == 0 {
		return fail([]any{"fulfillment", "lineItemsByFulfillmentOrder"}, "Line items by fulfillment order must not be empty.")
	}
	want := map[*foLine]int{}
	var order *fOrder
	for gi, g := range groups {
		gm, _ := g.(map[string]any)
		fo := s.fos[strArg(gm, "fulfillmentOrderId")]
		if fo == nil {
			return fail([]any{"fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(gi), "fulfillmentOrderId"}, "Fulfillment order does not exist.")
		}
		if order != nil && fo.order != order {
			return fail([]any{"fulfillment"}, "All fulfillment orders must belong to the same order.")
		}
		order = fo.order
		if fo.status == "CLOSED" || fo.status == "CANCELLED" || fo.status == "ON_HOLD" {
			return fail([]any{"fulfillment"}, "Fulfillment order "+fo.id+" has an unfulfillable status= "+strings.ToLower(fo.status)+".")
		}
		items, present := gm["fulfillmentOrderLineItems"].([]any)
		if !present || items == nil {
			for _, l := range fo.lines {
				if l.remaining > 0 {
					want[l] += l.remaining
				}
			}
			continue
		}
		for _, it := range items {
			im, _ := it.(map[string]any)
			lid := strArg(im, "id")
			q, _ := intArg(im, "quantity")
			var line *foLine
			for _, l := range fo.lines {
				if l.id == lid {
					line = l
				}
			}
			if line == nil {
				return fail([]any{"fulfillment"}, "Invalid fulfillment order line item id "+lid+".")
			}
			want[line] += q
		}
	}
	for l, q := range want {
		if q <= 0 || q > l.remaining {
			return fail([]any{"fulfillment"}, "Invalid fulfillment order line item quantity requested.")
		}
	}
	tr, _ := in["trackingInfo"].(map[string]any)
	f := &fulfillment{id: s.gid("Fulfillment"), order: order, status: "SUCCESS", createdAt: s.stamp(), lines: map[string]int{}}
	if tr != nil {
		f.company = strArg(tr, "company")
		if n := strArg(tr, "number"); n != "" {
			f.numbers = append(f.numbers, n)
		}
		f.numbers = append(f.numbers, asStrings(tr["numbers"])...)
		if u := strArg(tr, "url"); u != "" {
			f.urls = append(f.urls, u)
		}
		f.urls = append(f.urls, asStrings(tr["urls"])...)
	}
	for l, q := range want {
		l.remaining -= q
		f.lines[l.id] += q
	}
	order.fulfillments = append(order.fulfillments, f)
	order.updated = f.createdAt
	all := true
	for _, fo := range order.fos {
		open := false
		for _, l := range fo.lines {
			if l.remaining > 0 {
				open, all = true, false
			}
		}
		if !open && fo.status != "CANCELLED" {
			fo.status, fo.requestStatus, fo.updated = "CLOSED", "CLOSED", f.createdAt
		}
	}
	order.displayFulfillState = "PARTIALLY_FULFILLED"
	if all {
		order.displayFulfillState = "FULFILLED"
	}
	return payload(typ, fields{"fulfillment": val(s.fulfillmentObj(f)), "userErrors": val([]object{})})
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var inventoryReasons = map[string]bool{"correction": true, "cycle_count_available": true, "damaged": true,
	"movement_created": true, "movement_updated": true, "movement_received": true, "movement_canceled": true,
	"other": true, "promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true, "shrinkage": true}

func (s *Server) inventorySet(key string, args map[string]any) object {
	typ := "InventorySetQuantitiesPayload"
	in, _ := args["input"].(map[string]any)
	fail := func(errs []map[string]any) object {
		return payload(typ, fields{"inventoryAdjustmentGroup": val(nil), "userErrors": val(userErrors("InventorySetQuantitiesUserError", errs))})
	}
	now := s.now()
	for k, e := range s.idempotent {
		if now.Sub(e.at) >= s.opts.IdempotencyRetention {
			delete(s.idempotent, k) // out of Shopify's retention window: the key is new again
		}
	}
	params, _ := json.Marshal(args)
	if e, ok := s.idempotent[key]; ok {
		if e.params != string(params) {
			return fail([]map[string]any{{"field": []any{"idempotent", "key"}, "message": "The same idempotency key cannot be used with different operation parameters.", "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}})
		}
		// The same request again: Shopify answers as the first call did, without applying it.
		return payload(typ, fields{"inventoryAdjustmentGroup": val(s.groupObj(e.group)), "userErrors": val([]object{})})
	}
	if n := strArg(in, "name"); n != "available" && n != "on_hand" {
		return fail([]map[string]any{{"field": []any{"input", "name"}, "message": "The quantity name must be either 'available' or 'on_hand'.", "code": "INVALID_NAME"}})
	}
	if !inventoryReasons[strArg(in, "reason")] {
		return fail([]map[string]any{{"field": []any{"input", "reason"}, "message": "The specified reason is invalid.", "code": "INVALID_REASON"}})
	}
	qs, _ := in["quantities"].([]any)
	if len(qs) > 250 {
		return fail([]map[string]any{{"field": []any{"input", "quantities"}, "message": "The quantities input exceeds the maximum of 250.", "code": "INVALID_QUANTITY_TOO_HIGH"}})
	}
	var errs []map[string]any
	type change struct {
		it  *invItem
		loc string
		q   int
	}
	var changes []change
	seen := map[string]bool{}
	for i, raw := range qs {
		q, _ := raw.(map[string]any)
		path := func(f string) []any { return []any{"input", "quantities", strconv.Itoa(i), f} }
		it := s.items[strArg(q, "inventoryItemId")]
		loc := strArg(q, "locationId")
		n, _ := intArg(q, "quantity")
		switch {
		case it == nil:
			errs = append(errs, map[string]any{"field": path("inventoryItemId"), "message": "The specified inventory item could not be found.", "code": "INVALID_INVENTORY_ITEM"})
			continue
		case loc != s.locationID:
			errs = append(errs, map[string]any{"field": path("locationId"), "message": "The specified location could not be found.", "code": "INVALID_LOCATION"})
			continue
		case seen[it.id]:
			errs = append(errs, map[string]any{"field": path("inventoryItemId"), "message": "The combination of inventoryItemId and locationId must be unique.", "code": "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"})
			continue
		case n < 0:
			errs = append(errs, map[string]any{"field": path("quantity"), "message": "The quantity can't be negative.", "code": "INVALID_QUANTITY_NEGATIVE"})
			continue
		}
		seen[it.id] = true
		from, present := q["changeFromQuantity"]
		if !present {
			errs = append(errs, map[string]any{"field": path("changeFromQuantity"), "message": "The changeFromQuantity argument must be provided, or null to opt out.", "code": "COMPARE_QUANTITY_REQUIRED"})
			continue
		}
		if from != nil {
			fq, _ := intArg(q, "changeFromQuantity")
			if fq != it.available[loc] {
				errs = append(errs, map[string]any{"field": path("changeFromQuantity"), "message": "The specified compare quantity does not match the current quantity.", "code": "CHANGE_FROM_QUANTITY_STALE"})
				continue
			}
		}
		changes = append(changes, change{it, loc, n})
	}
	if len(errs) > 0 {
		// The mutation is atomic: one bad quantity and nothing is applied.
		return fail(errs)
	}
	g := &adjGroup{id: s.gid("InventoryAdjustmentGroup"), reason: strArg(in, "reason"), uri: strArg(in, "referenceDocumentUri"), at: s.stamp()}
	for _, c := range changes {
		delta := c.q - c.it.available[c.loc]
		c.it.available[c.loc] = c.q
		// Setting "available" moves "on_hand" by the same delta, as Shopify records it.
		for _, name := range []string{"available", "on_hand"} {
			g.changes = append(g.changes, adjChange{item: c.it, loc: c.loc, name: name, delta: delta, after: c.q})
		}
	}
	s.idempotent[key] = &idemEntry{at: now, params: string(params), group: g}
	return payload(typ, fields{"inventoryAdjustmentGroup": val(s.groupObj(g)), "userErrors": val([]object{})})
}

// idemEntry is what the fake remembers of an applied @idempotent request.
type idemEntry struct {
	at     time.Time
	params string // the mutation's arguments, canonical JSON
	group  *adjGroup
}

type adjGroup struct {
	id, reason, uri string
	at              time.Time
	changes         []adjChange
}

type adjChange struct {
	item         *invItem
	loc, name    string
	delta, after int
}

func (s *Server) groupObj(g *adjGroup) object {
	return &obj{typ: "InventoryAdjustmentGroup", fields: fields{
		"id": val(g.id), "reason": val(g.reason), "createdAt": val(ts(g.at)), "referenceDocumentUri": val(nilIfEmpty(g.uri)),
		"staffMember": val(nil), // an app's adjustment has no staff member
		"changes": func(args map[string]any) any {
			items, locs, names := asStrings(args["inventoryItemIds"]), asStrings(args["locationIds"]), asStrings(args["quantityNames"])
			in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
			var list []object
			for _, c := range g.changes {
				if !in(items, c.item.id) || !in(locs, c.loc) || !in(names, c.name) {
					continue
				}
				list = append(list, &obj{typ: "InventoryChange", fields: fields{
					"name": val(c.name), "delta": val(c.delta), "quantityAfterChange": val(c.after),
					"ledgerDocumentUri": val(nil), // only for quantities other than available and on_hand
					"item":              val(s.itemObj(c.item)),
					"location":          val(s.locationObj(c.loc)),
				}})
			}
			return list
		},
	}}
}

// lazy builds its object on first use, so a connection over many nodes builds only its page.
type lazy struct {
	typ   string
	build func() object
	o     object
}

func (l *lazy) typeName() string { return l.typ }

func (l *lazy) fieldNames() []string {
	if l.o == nil {
		l.o = l.build()
	}
	return l.o.fieldNames()
}

func (l *lazy) field(name string, args map[string]any) any {
	if l.o == nil {
		l.o = l.build()
	}
	return l.o.field(name, args)
}
