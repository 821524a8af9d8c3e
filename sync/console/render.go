package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"orderLink": orderLink,
	"retryLink": func(merchant, id string) string {
		return "retry?" + url.Values{"merchant": {merchant}, "id": {id}}.Encode()
	},
	"releaseLink": func(k any) string { return "release" + strings.TrimPrefix(orderLink(asKey(k)), "order") },
	"skuLink": func(merchant, channel string) string {
		return "sku?" + url.Values{"merchant": {merchant}, "channel": {channel}}.Encode()
	},
	"describe": describe,
	"lines":    lines,
}

// describe says what an event means for an order's timeline.
func describe(ev tobirasync.Event) string {
	switch ev := ev.(type) {
	case tobirasync.OrderHeld:
		return "held: " + ev.Reason
	case tobirasync.OrderSent:
		return "sent to warehouse " + ev.Warehouse + " as request " + ev.Request
	case tobirasync.OrderChanged:
		return "change accepted by warehouse " + ev.Warehouse
	case tobirasync.OrderCancelled:
		if ev.Lines == nil {
			return "cancellation accepted by warehouse " + ev.Warehouse
		}
		return "cancellation of " + lines(ev.Lines) + " accepted by warehouse " + ev.Warehouse
	case tobirasync.ChangeRefused:
		return "change refused by warehouse " + ev.Warehouse + ": " + ev.Reason
	case tobirasync.CancelRefused:
		return "cancellation of " + lines(ev.Lines) + " refused by warehouse " + ev.Warehouse + ": " + ev.Reason
	case tobirasync.OrderShipped:
		return "every line routed to warehouses shipped"
	case tobirasync.ShipmentConfirmed:
		s := "channel told of shipment " + ev.Shipment
		if ev.Complete {
			s += " (order complete)"
		}
		return s
	case tobirasync.LinesRoutedAway:
		if len(ev.Lines) == 0 {
			return "nothing left going to " + ev.Destination
		}
		return lines(ev.Lines) + " go to " + ev.Destination
	case tobirasync.ItemQuarantined:
		return "quarantined: " + ev.Item.Reason
	}
	return ev.Kind()
}

// lines prints line quantities as "SKU×n (line ID)".
func lines(ls []connector.LineQuantity) string {
	if len(ls) == 0 {
		return "every line"
	}
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s×%d (line %s)", l.SKU, l.Quantity, l.LineID)
	}
	return strings.Join(parts, ", ")
}

var pages = template.Must(template.New("").Funcs(funcs).Parse(layout + pageTemplates))

// render writes a page with status 200.
func (h *handler) render(w http.ResponseWriter, name string, data map[string]any) {
	h.renderCode(w, http.StatusOK, name, data)
}

// renderCode writes a page; a template that fails gives a plain 500 rather than half a page.
func (h *handler) renderCode(w http.ResponseWriter, code int, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "console: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

const layout = `
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.Title}} · Tobira</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
nav{background:#234;padding:.5em 1em}nav a{color:#fff;margin-right:1.5em;text-decoration:none}
main{padding:1em}table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.stopped{color:#b00;font-weight:bold}.paused{color:#a60}.running{color:#070}
.muted{color:#777}td.usage{font-size:12px}form.inline{display:inline}button{cursor:pointer}
</style></head><body>
<nav><a href="./">Overview</a><a href="attention">Attention</a><a href="order">Order</a><a href="sku">SKU</a></nav>
<main><h1>{{.Title}}</h1>{{end}}
{{define "foot"}}</main></body></html>{{end}}
{{define "pager"}}{{if gt .Pages 1}}<p>Page {{.Page}} of {{.Pages}} ({{.Total}})
{{if .Prev}}<a href="{{.Prev}}">previous</a>{{end}} {{if .Next}}<a href="{{.Next}}">next</a>{{end}}</p>
{{else}}<p class="muted">{{.Total}} in all</p>{{end}}{{end}}
`

const pageTemplates = `
{{define "overview"}}{{template "head" .}}
<form><input name="q" value="{{.Q}}" placeholder="merchant ID contains"><button>Filter</button></form>
{{template "pager" .Pager}}
<table><tr><th>Merchant</th><th>Waiting</th><th>Channel / warehouse</th><th>State</th><th>Credential expires</th>
<th>Last orders</th><th>Last shipments</th><th>Last stock</th><th>Usage against budget and caps</th></tr>
{{range $m := .Merchants}}{{if not .Channels}}<tr><td>{{$m.ID}}</td><td>{{template "waiting" $m}}</td><td colspan="7" class="muted">no channel known yet</td></tr>{{end}}
{{range .Channels}}<tr><td><a href="attention?merchant={{$m.ID}}">{{$m.ID}}</a></td><td>{{template "waiting" $m}}</td>
<td>{{if eq .Kind "channel"}}<a href="{{skuLink $m.ID .Channel}}">{{.Channel}}</a>{{else}}{{.Channel}}{{end}} <span class="muted">{{.Kind}}</span></td>
<td class="{{.State}}">{{.State}}{{if .Stopped}}: {{.Stopped}} (since {{when .StoppedAt}}){{end}}</td>
<td>{{when .Expires}}</td><td>{{when .LastOrders}}</td><td>{{when .LastShipments}}</td><td>{{when .LastStock}}</td>
<td class="usage">{{range .Usage}}<div>{{if .Key}}<span class="muted">{{.Key}}:</span> {{end}}{{.Counts}}, {{.Rate}}
{{if .Budget}}<br><span class="muted">budget</span> {{.Budget}}{{end}}
{{range .Caps}}<br><span class="{{if .Over}}stopped{{else}}muted{{end}}">cap {{.Text}}</span>{{end}}</div>{{else}}<span class="muted">not counted</span>{{end}}</td></tr>{{end}}
{{end}}</table>
<p class="muted">States and times come from the engine's events since the console's recorder started; usage counts each connector's calls since it was made, with each cap's forecast at the current rate.</p>
{{template "foot"}}{{end}}

{{define "waiting"}}{{if or .Quarantined .Held}}<a class="stopped" href="attention?merchant={{.ID}}">{{.Quarantined}} quarantined, {{.Held}} held</a>{{else}}<span class="muted">nothing</span>{{end}}{{if .Unsent}}<br><span class="{{if gt .Lag 600000000000}}stopped{{else}}muted{{end}}">{{.Unsent}} to send, oldest {{.Lag}}</span>{{end}}{{end}}

{{define "attention"}}{{template "head" .}}
<form><input name="merchant" value="{{.Merchant}}" placeholder="merchant ID"><button>Filter</button></form>
<h2>Quarantined</h2>{{template "pager" .QPager}}
<table><tr><th>Since</th><th>Merchant</th><th>Kind</th><th>From</th><th>Item</th><th>Reason</th><th></th></tr>
{{range .Quarantine}}<tr><td>{{when .At}}</td><td>{{.Merchant}}</td><td>{{.Kind}}</td><td>{{.Source}}</td>
<td>{{if eq .Kind "order"}}<a href="order?merchant={{.Merchant}}&amp;channel={{.Source}}&amp;order={{.ItemID}}">{{.ItemID}}</a>{{else}}{{.ItemID}}{{end}}</td>
<td>{{.Reason}}</td><td><a href="{{retryLink .Merchant .ID}}">Retry…</a></td></tr>{{end}}</table>
<h2>Held</h2>{{template "pager" .HPager}}
<table><tr><th>Since</th><th>Order</th><th>Reason</th><th>Now</th><th></th></tr>
{{range .Held}}<tr><td>{{when .At}}</td><td><a href="{{orderLink .Key}}">{{.Key.Merchant}} / {{.Key.Channel}} / {{.Key.OrderID}}</a></td>
<td>{{.Reason}}</td><td>{{.State}}{{if .Current}}: {{.Current}}{{end}}</td>
<td>{{if .Manual}}<a href="{{releaseLink .Key}}">Release…</a>{{end}}</td></tr>{{end}}</table>
<p class="muted">Held orders as the ledger holds them; only a hold placed by hand can be released here, the others wait for the channel or their date.</p>
<h2>Shipments no channel confirmed</h2>{{template "pager" .UPager}}
<table><tr><th>Left the warehouse</th><th>Order</th><th>Warehouse</th><th>Shipment</th><th>Tracking</th></tr>
{{range .Unconfirmed}}<tr><td>{{when .CreatedAt}}</td><td><a href="order?merchant={{.Merchant}}&amp;channel={{.Shipment.Channel}}&amp;order={{.Shipment.OrderID}}">{{.Merchant}} / {{.Shipment.Channel}} / {{.Shipment.OrderID}}</a></td>
<td>{{.Warehouse}}</td><td>{{.Shipment.ID}}</td><td>{{range .Shipment.Parcels}}{{.TrackingNumber}} {{end}}</td></tr>{{end}}</table>
<p class="muted">Waiting longer than {{.UnconfirmedAfter}} for their channel. {{if .Merchant}}<a href="drift?merchant={{.Merchant}}">Check this merchant's channels for stock drift</a> (reads every channel's stock).{{else}}Filter by merchant to check its channels for stock drift.{{end}}</p>
<h2>Refused changes and cancellations</h2>{{template "pager" .RPager}}
<table><tr><th>When</th><th>Order</th><th>Refused</th><th>Warehouse</th><th>Reason</th></tr>
{{range .Refusals}}<tr><td>{{when .At}}</td><td><a href="{{orderLink .Key}}">{{.Key.Merchant}} / {{.Key.Channel}} / {{.Key.OrderID}}</a></td>
<td>{{.Kind}}</td><td>{{.Warehouse}}</td><td>{{.Reason}}</td></tr>{{end}}</table>
{{template "foot"}}{{end}}

{{define "order"}}{{template "head" .}}
<form><input name="merchant" value="{{.Key.Merchant}}" placeholder="merchant ID">
<input name="channel" value="{{.Key.Channel}}" placeholder="channel ID">
<input name="order" value="{{.Key.OrderID}}" placeholder="channel order ID">
<input name="number" value="{{.Number}}" placeholder="or order number (#1001)"><button>Find</button></form>
{{if .Missing}}<p>No order {{if .Key.OrderID}}{{.Key.OrderID}}{{else}}numbered {{.Number}}{{end}} of {{.Key.Merchant}} on {{.Key.Channel}} in the ledger.</p>{{end}}
{{if .Matches}}<p>Orders numbered {{.Number}}:</p><ul>{{range .Matches}}<li><a href="{{orderLink .Key}}">{{.Key.OrderID}}</a> {{.State}}</li>{{end}}</ul>{{end}}
{{with .Record}}
<h2>{{.Key.OrderID}}{{with .Order.Number}} (#{{.}}){{end}}: {{.State}}</h2>
<p>Record version {{.Version}}, updated {{when .UpdatedAt}}{{if .Pending}}, work pending{{end}}.
Channel status {{.Order.Status}}{{with .Order.ChannelStatus}} ({{.}}){{end}}, placed {{when .Order.PlacedAt}}, last changed on the channel {{when .Order.UpdatedAt}}, fingerprint <code>{{.Fingerprint}}</code>.</p>
{{if .HoldReason}}<p>Held: {{.HoldReason}}</p>{{end}}
{{if .ManualHold}}<p>Held by hand: {{.ManualReason}} <a href="{{releaseLink .Key}}">Release…</a></p>{{end}}
<h3>Lines (latest version)</h3>
<table><tr><th>Line</th><th>SKU</th><th>Quantity</th><th>Cancelled</th><th>Shipped</th></tr>
{{range .Order.Lines}}<tr><td>{{.ID}}</td><td>{{.SKU}}</td><td>{{.Quantity}}</td><td>{{.Cancelled}}</td><td>{{index $.Shipped .ID}}</td></tr>{{end}}</table>
<h3>Requests per warehouse</h3>
<table><tr><th>Warehouse</th><th>Key</th><th>State</th><th>Lines held there</th><th>Changes sent</th><th>Refused</th></tr>
{{range .Requests}}<tr><td>{{.Target}}</td><td><code>{{.Key}}</code></td><td>{{.State}}</td><td>{{lines .Lines}}</td><td>{{.Seq}}</td><td>{{.RefusedReason}}</td></tr>{{end}}</table>
<h3>Shipments</h3>
<table><tr><th>When</th><th>Warehouse</th><th>Shipment</th><th>Lines</th></tr>
{{range .Shipments}}<tr><td>{{when .At}}</td><td>{{.Warehouse}}</td><td>{{.ID}}</td><td>{{range $l, $n := .Lines}}line {{$l}} ×{{$n}} {{end}}</td></tr>{{end}}</table>
{{end}}
{{if .Events}}<h3>Timeline</h3>
<table><tr><th>When</th><th>Event</th><th>What happened</th></tr>
{{range .Events}}<tr><td>{{when .At}}</td><td>{{.Event.Kind}}</td><td>{{describe .Event}}</td></tr>{{end}}</table>
<p class="muted">The timeline holds the events the console's recorder kept since it started; "channel told of shipment" rows are what the channel acknowledged.</p>{{end}}
{{template "foot"}}{{end}}

{{define "drift"}}{{template "head" .}}
<form><input name="merchant" value="{{.Merchant}}" placeholder="merchant ID"><button>Check drift</button></form>
{{range .Rows}}<h2>{{.Channel}}</h2>
{{if .Err}}<p class="muted">{{.Err}}</p>{{else if .Drift}}<table><tr><th>SKU</th><th>Channel shows</th><th>Planned</th><th></th></tr>
{{range .Drift}}<tr><td>{{.SKU}}</td><td>{{.Channel}}</td><td>{{.Planned}}</td><td><a href="sku?merchant={{$.Merchant}}&amp;sku={{.SKU}}">Why?</a></td></tr>{{end}}</table>
{{else}}<p>No drift: the channel shows what the engine planned.</p>{{end}}{{end}}
{{template "foot"}}{{end}}

{{define "sku"}}{{template "head" .}}
<form><input name="merchant" value="{{.Merchant}}" placeholder="merchant ID">
<input name="channel" value="{{.Channel}}" placeholder="channel ID (all if empty)">
<input name="sku" value="{{.SKU}}" placeholder="channel SKU"><button>Explain</button></form>
{{range .Rows}}<h2>{{.Channel}}</h2>
{{if .Err}}<p class="stopped">{{.Err}}</p>{{else}}{{with .Explanation}}
<p><strong>{{.Available}}</strong> may be sold. <code>{{.String}}</code></p>
<table><tr><th>Component</th><th>Per unit</th><th>On hand</th><th>As of</th><th>Reserved</th><th>Free</th><th>Allows</th></tr>
{{range .Components}}<tr><td>{{.SKU}}</td><td>{{.Quantity}}</td><td>{{if .HasLevel}}{{.OnHand}}{{else}}no level yet{{end}}</td><td>{{when .AsOf}}</td>
<td>{{.Reserved}}{{range .Reservations}}<br><span class="muted">{{.Quantity}} by {{.Key}} ({{.Channel}})</span>{{end}}</td>
<td>{{.Free}}</td><td>{{.Available}}</td></tr>{{end}}</table>
<p>Stock {{.Stock}} − buffer {{.Policy.Buffer}} = {{.AfterBuffer}}; share {{.Policy.Share}}% = {{.AfterShare}}; cap {{if .Policy.Max}}{{.Policy.Max}}{{else}}none{{end}}{{if .Override}} (per-SKU policy){{end}}.</p>
{{end}}{{end}}{{end}}
{{template "foot"}}{{end}}

{{define "confirm"}}{{template "head" .}}
<p>{{.Question}}</p>
<form method="post" action="{{.Action}}">{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button>{{.Title}}</button> <a href="attention">Cancel</a></form>
{{template "foot"}}{{end}}

{{define "result"}}{{template "head" .}}
<p>{{.Message}}</p><p><a href="attention">Back to attention</a></p>
{{template "foot"}}{{end}}
`
