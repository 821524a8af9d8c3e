package openlogi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/connector/openlogi"
	"github.com/tobira-commerce/tobira/connector/openlogi/internal/openapicheck"
	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
	"github.com/tobira-commerce/tobira/sync/memstore"
)

func post(t *testing.T, r *rig, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.fake.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.fake.Token())
	req.Header.Set("X-Api-Version", openlogi.APIVersion)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestOpenlogiContract: requests are checked against OPENLOGI's OpenAPI file, so a request with
// a field the file lacks fails, while the same request without it passes; and every request the
// client makes in a whole story, and every answer of the fake, fits the file.
func TestOpenlogiContract(t *testing.T) {
	invalidOK.Store(t.Name(), true)
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.RequestAfterPicking = true })
	const valid = `{"identifier":"c-1","recipient":{"postcode":"150-0001","prefecture":"東京都","address1":"渋谷区神宮前1-2-3","name":"山田 太郎"},"items":[{"code":"TEA-01","quantity":1}],"delivery_time_slot":"14"}`
	extra := strings.Replace(valid, `"delivery_time_slot"`, `"noshi":"御歳暮","delivery_time_slot"`, 1)
	if status, body := post(t, r, "/shipments", extra); status != http.StatusUnprocessableEntity || !strings.Contains(body, "noshi") {
		t.Errorf("a request with a field the OpenAPI file lacks answered %d %s; want 422 naming the field", status, body)
	}
	nested := strings.Replace(valid, `"quantity":1}`, `"quantity":1,"sku":"TEA-01"}`, 1)
	if status, body := post(t, r, "/shipments", nested); status != http.StatusUnprocessableEntity || !strings.Contains(body, "items.0.sku") {
		t.Errorf("a request with an unknown field inside an item answered %d %s; want 422 naming it", status, body)
	}
	badSlot := strings.Replace(valid, `"14"`, `"1416"`, 1)
	if status, _ := post(t, r, "/shipments", badSlot); status != http.StatusUnprocessableEntity {
		t.Errorf("a delivery_time_slot outside the file's enum answered %d, want 422", status)
	}
	if status, body := post(t, r, "/shipments", valid); status != http.StatusCreated {
		t.Fatalf("the valid request answered %d %s, want 201: the check refuses too much", status, body)
	}
	if got := r.fake.Stats().Invalid; got != 3 {
		t.Errorf("the fake counted %d invalid requests, want 3", got)
	}

	// The checker also refuses an answer carrying a field the file lacks.
	chk := openapicheck.New(t)
	req, _ := http.NewRequest(http.MethodGet, r.fake.URL()+"/shipments/TS001/c-1", nil)
	req.URL.Path = "/api/shipments/TS001/c-1"
	if err := chk.ValidateResponse(req, nil, 200, http.Header{}, []byte(`{"id":"TS001-S000001","status":"waiting","colour":"red"}`)); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("an answer with an unknown field passed the check: %v", err)
	}

	// A whole story through the client: every request and answer is checked at the end.
	ctx := context.Background()
	o := sampleOrder("story")
	o.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(6100)}
	o.Gift = &order.Gift{Wrapping: true, Noshi: "御歳暮", Message: "いつもありがとう"}
	o.Delivery = order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 12, Day: 24}, Slot: order.Slot1214}
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "story", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	sh, _ := r.fake.Shipment("story")
	for k, want := range map[string]any{"delivery_time_slot": "12", "delivery_carrier": "SAGAWA", "delivery_date": "2026-12-24",
		"cash_on_delivery": true, "gift_wrapping_unit": "ORDER", "gift_wrapping_type": "NAVY", "message": "【のし】御歳暮 いつもありがとう"} {
		if got := sh.Fields[k]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if got := fmt.Sprint(sh.Fields["total_for_cash_on_delivery"]); got != "6100" {
		t.Errorf("total_for_cash_on_delivery = %s, want 6100", got)
	}
	o.ShipTo.Line1 = "神宮前9-9-9"
	if a, err := r.client.Change(ctx, connector.ChangeRequest{Key: "story", IdempotencyKey: "story/c1", Order: o}); err != nil || !a.Accepted {
		t.Fatalf("change before work: %+v, %v", a, err)
	}
	if err := r.fake.Pick("story"); err != nil {
		t.Fatal(err)
	}
	r.fake.SetDecision(openlogitest.AcceptAtOnce)
	o.ShipTo.Line1 = "神宮前7-7-7"
	if a, err := r.client.Change(ctx, connector.ChangeRequest{Key: "story", IdempotencyKey: "story/c2", Order: o}); err != nil || !a.Accepted {
		t.Fatalf("a modify request the staff accept: %+v, %v", a, err)
	}
	if _, err := r.fake.Ship("story", "1111-2222-3333", "1111-2222-4444"); err != nil {
		t.Fatal(err)
	}
	page, err := r.client.ListShipments(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Shipments) != 1 || len(page.Shipments[0].Parcels) != 2 || page.Shipments[0].Parcels[0].Carrier != shipment.Sagawa ||
		page.Shipments[0].RequestKey != "story" || page.Shipments[0].OrderID != "story" {
		t.Errorf("listed %+v, want the story shipment by Sagawa in two parcels", page.Shipments)
	}
	if _, err := r.client.ListStock(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.Cancel(ctx, connector.CancelRequest{Key: "story", IdempotencyKey: "story/x"}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenlogiChangeAfterPicking: once the warehouse picks, a change is refused at once and the
// host hears ChangeRefused (picked), while the parcel goes out as it was. With
// RequestAfterPicking the change goes as a modify request instead: while the staff have not
// decided nothing is sent twice and the host hears nothing, and when they refuse, the host hears
// ChangeRefused.
func TestOpenlogiChangeAfterPicking(t *testing.T) {
	for _, refuseAtOnce := range []bool{false, true} {
		t.Run(fmt.Sprintf("RequestAfterPicking=%v", !refuseAtOnce), func(t *testing.T) {
			clock := tobirasync.NewManualClock(time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC))
			r := newRig(t, openlogitest.Options{Now: clock.Now}, func(c *openlogi.Config) {
				c.Clock, c.RequestAfterPicking = clock, !refuseAtOnce
			})
			ch := &memory.Channel{Now: clock.Now}
			var mu sync.Mutex
			var refused []tobirasync.ChangeRefused
			engine := tobirasync.New(memstore.New(), tobirasync.Options{Clock: clock, Observer: tobirasync.ObserverFunc(func(e tobirasync.Event) {
				if ev, ok := e.(tobirasync.ChangeRefused); ok {
					mu.Lock()
					refused = append(refused, ev)
					mu.Unlock()
				}
			})})
			err := engine.PutMerchant(tobirasync.Merchant{ID: "m", Channels: []tobirasync.Channel{{ID: "shop", Source: ch}},
				Warehouses: []tobirasync.Warehouse{{ID: "openlogi", Fulfiller: r.client}}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			run := func() {
				clock.Advance(time.Minute)
				_, _ = engine.SyncOrders(ctx, "m", "shop") // a pending answer is a retryable error
			}
			o := sampleOrder("1001")
			ch.Place(o)
			run()
			id := openlogi.Identifier(tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: "shop", OrderID: "1001"}, "openlogi"))
			if sh, ok := r.fake.Shipment(id); !ok || sh.Status != "waiting" {
				t.Fatalf("after the first run the warehouse holds %+v, want a waiting shipment", sh)
			}
			if err := r.fake.Pick(id); err != nil {
				t.Fatal(err)
			}
			ch.Change("1001", func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" })
			run()
			run()
			modifies := r.fake.Stats().Operations["POST /shipments/{account_id}/{identifier}/modify"]
			if !refuseAtOnce {
				sh, _ := r.fake.Shipment(id)
				if sh.Status != "modify_request" || modifies != 1 {
					t.Fatalf("after the change the shipment is %s with %d modify requests; want modify_request, 1 (sent once while pending)", sh.Status, modifies)
				}
				if len(refused) != 0 {
					t.Fatalf("the host heard a refusal before the staff decided: %+v", refused)
				}
				if err := r.fake.RefuseRequest(id); err != nil {
					t.Fatal(err)
				}
				run()
				if n := r.fake.Stats().Operations["POST /shipments/{account_id}/{identifier}/modify"]; n != 1 {
					t.Errorf("%d modify requests in all, want 1", n)
				}
			} else if modifies != 0 {
				t.Errorf("without RequestAfterPicking the client sent %d modify requests", modifies)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(refused) != 1 || refused[0].Reason != connector.RefusedPicked || refused[0].Warehouse != "openlogi" {
				t.Fatalf("the host heard %+v, want one ChangeRefused (picked) from openlogi", refused)
			}
			sh, _ := r.fake.Shipment(id)
			if rc := sh.Fields["recipient"].(map[string]any); rc["address1"] != "渋谷区神宮前1-2-3" || sh.Status != "picking" {
				t.Errorf("after the refusal the shipment is %s to %v; want picking, to the old address", sh.Status, rc["address1"])
			}
		})
	}
}

// TestOpenlogiOutcomeUnknown: a POST whose answer was lost (held back until the client gave up,
// or a 504 after OPENLOGI created the shipment) is connector.ErrOutcomeUnknown; the next Submit
// reads the shipment back by identifier and posts nothing, so it is never sent twice.
func TestOpenlogiOutcomeUnknown(t *testing.T) {
	for _, lose := range []string{"stall", "504", "500"} {
		t.Run(lose, func(t *testing.T) {
			r := newRig(t, openlogitest.Options{}, nil)
			req := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1001")}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			switch lose {
			case "stall":
				r.fake.StallNext()
			case "504":
				r.fake.FailNext(http.StatusGatewayTimeout)
			case "500":
				r.fake.FailNext(http.StatusInternalServerError)
			}
			err := r.client.Submit(ctx, req)
			if !errors.Is(err, connector.ErrOutcomeUnknown) {
				t.Fatalf("a POST whose answer was lost returned %v, want connector.ErrOutcomeUnknown", err)
			}
			if connector.Classify(err) != connector.Retryable {
				t.Errorf("Classify = %v, want Retryable", connector.Classify(err))
			}
			posts := r.fake.Stats().Operations["POST /shipments"]
			gets := r.fake.Stats().Operations["GET /shipments/{account_id}/{identifier}"]
			if err := r.client.Submit(context.Background(), req); err != nil {
				t.Fatalf("the Submit after the unknown outcome: %v", err)
			}
			st := r.fake.Stats()
			if n := st.Operations["POST /shipments"] - posts; n != 0 {
				t.Errorf("the retry posted %d times; it must read back and find the shipment", n)
			}
			if n := st.Operations["GET /shipments/{account_id}/{identifier}"] - gets; n != 1 {
				t.Errorf("the retry read back %d times, want 1", n)
			}
			if sh, _ := r.fake.Shipment("k1"); sh.Copies != 1 {
				t.Errorf("the warehouse created %d shipments for k1, want 1", sh.Copies)
			}
			// Settled: a third Submit is a plain POST refused as a duplicate, read back, no copy.
			if err := r.client.Submit(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if sh, _ := r.fake.Shipment("k1"); sh.Copies != 1 || len(r.fake.Shipments()) != 1 {
				t.Errorf("after three submits the warehouse holds %d shipments", len(r.fake.Shipments()))
			}
		})
	}
	t.Run("not landed", func(t *testing.T) {
		// A 500 the fake answers before doing anything: the read-back finds nothing and the
		// retry posts once.
		r := newRig(t, openlogitest.Options{}, nil)
		r.fake.SetFaults(openlogitest.Faults{ServerError: 1})
		req := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1001")}
		if err := r.client.Submit(context.Background(), req); !errors.Is(err, connector.ErrOutcomeUnknown) {
			t.Fatalf("Submit answered 500: %v, want ErrOutcomeUnknown", err)
		}
		r.fake.SetFaults(openlogitest.Faults{})
		if err := r.client.Submit(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if sh, ok := r.fake.Shipment("k1"); !ok || sh.Copies != 1 {
			t.Errorf("the retry left %+v, want one shipment", sh)
		}
	})
}

// TestPendingCancel: a cancellation after picking is pending until the staff decide; accepted,
// the shipment is gone and the answer is accepted.
func TestPendingCancel(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.RequestAfterPicking = true })
	ctx := context.Background()
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1")}); err != nil {
		t.Fatal(err)
	}
	if err := r.fake.Pick("k1"); err != nil {
		t.Fatal(err)
	}
	c := connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel/0"}
	for range 2 {
		if _, err := r.client.Cancel(ctx, c); !errors.Is(err, openlogi.ErrPending) || connector.Classify(err) != connector.Retryable {
			t.Fatalf("cancel after picking: %v, want ErrPending (retryable)", err)
		}
	}
	if n := r.fake.Stats().Operations["POST /shipments/{account_id}/{identifier}/cancel"]; n != 1 {
		t.Errorf("%d cancel requests, want 1", n)
	}
	if err := r.fake.AcceptRequest("k1"); err != nil {
		t.Fatal(err)
	}
	if a, err := r.client.Cancel(ctx, c); err != nil || !a.Accepted {
		t.Errorf("after the staff accepted: %+v, %v", a, err)
	}
	if it, _ := r.fake.Item("TEA-01"); it.Shipping != 0 {
		t.Errorf("the cancelled shipment still holds %d units", it.Shipping)
	}
}

// TestHold: a request submitted on hold stays suspended until released.
func TestHold(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.SubmitSuspended = true })
	ctx := context.Background()
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1")}); err != nil {
		t.Fatal(err)
	}
	if sh, _ := r.fake.Shipment("k1"); sh.Status != "suspended" || !sh.Suspend {
		t.Fatalf("submitted on hold: %s", sh.Status)
	}
	if err := r.client.Release(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if sh, _ := r.fake.Shipment("k1"); sh.Status != "waiting" {
		t.Errorf("released: %s, want waiting", sh.Status)
	}
}

// TestMapping: orders OPENLOGI cannot take are refused with a reason that names no personal data.
func TestMapping(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.Carrier, c.Noshi = shipment.Yamato, openlogi.NoshiRefuse })
	for name, edit := range map[string]func(o *order.Order){
		"12 with Yamato": func(o *order.Order) { o.Delivery.Slot = order.Slot1214 },
		"noshi refused":  func(o *order.Order) { o.Gift = &order.Gift{Noshi: "御祝"} },
		"abroad":         func(o *order.Order) { o.ShipTo.Country = "US" },
		"cod in USD":     func(o *order.Order) { o.Payment = order.Payment{Method: order.PaymentCashOnDelivery} },
		"bad postcode":   func(o *order.Order) { o.ShipTo.PostalCode = "15-0001" },
	} {
		o := sampleOrder("1")
		edit(&o)
		err := r.client.Submit(context.Background(), connector.FulfillmentRequest{Key: "k-" + strings.ReplaceAll(name, " ", "-"), Channel: "shop", Order: o})
		if !errors.Is(err, connector.ErrPermanent) {
			t.Errorf("%s: %v, want ErrPermanent", name, err)
		}
		if err != nil && (strings.Contains(err.Error(), "山田") || strings.Contains(err.Error(), "神宮前")) {
			t.Errorf("%s: the error carries personal data: %v", name, err)
		}
	}
	if len(r.fake.Shipments()) != 0 {
		t.Errorf("refused orders reached the warehouse")
	}
	if got := openlogi.SlotCode(order.Slot2021); got != "19" {
		t.Errorf("20–21 maps to %q, want 19", got)
	}
}

// TestSecretsStayOut: neither errors nor debug logs carry the token or the recipient.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	o := sampleOrder("1")
	_ = r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o})
	r.fake.SetFaults(openlogitest.Faults{ServerError: 1})
	err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k2", Channel: "shop", Order: o})
	_, err2 := r.client.ListShipments(ctx, "")
	bad, _ := openlogi.New(openlogi.Config{BaseURL: r.fake.URL(), Token: "wrong-secret-token", AccountID: "TS001", Channel: "shop"})
	err3 := bad.Submit(ctx, connector.FulfillmentRequest{Key: "k3", Channel: "shop", Order: o})
	if !errors.Is(err3, connector.ErrUnauthorized) {
		t.Errorf("a wrong token: %v, want ErrUnauthorized", err3)
	}
	all := fmt.Sprint(err, err2, err3) + logs.String()
	for _, secret := range []string{r.fake.Token(), "wrong-secret-token", "山田", "神宮前", "03-1234-5678"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q leaked into errors or logs: %s", secret, all)
		}
	}
}

// TestPacing: the client keeps to its requests a minute, and a 429 that still comes is a
// *connector.RateLimitError with OPENLOGI's wait after one request.
func TestPacing(t *testing.T) {
	r := newRig(t, openlogitest.Options{RequestsPerMinute: 3}, func(c *openlogi.Config) { c.RequestsPerMinute = 600 })
	ctx := context.Background()
	var err error
	for i := range 4 {
		if _, err = r.client.ListShipments(ctx, ""); err != nil {
			break
		}
		_ = i
	}
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait <= 0 || rl.Wait > time.Minute {
		t.Fatalf("the fourth request in a minute of three: %v, want a RateLimitError with a wait", err)
	}
	slow, _ := openlogi.New(openlogi.Config{BaseURL: r.fake.URL(), Token: r.fake.Token(), AccountID: "TS001", Channel: "shop", RequestsPerMinute: 120})
	start := time.Now()
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	n := 0
	for ctx2.Err() == nil {
		if _, err := slow.ListStock(ctx2, ""); err != nil {
			break
		}
		_, _ = slow.ListShipments(ctx2, "")
		n++
	}
	if el := time.Since(start); float64(n) > el.Seconds()*2+1 {
		t.Errorf("%d requests in %s at 120 a minute", n, el)
	}
}

// TestShipmentDays: the listing walks the days (Japan time) with shipments, skipping empty ones
// with date_after, stops at today, and resumes without a gap, also for a shipment of the same
// second as the last one listed.
func TestShipmentDays(t *testing.T) {
	clock := tobirasync.NewManualClock(time.Date(2026, 11, 28, 0, 30, 0, 0, time.UTC)) // 09:30 JST
	r := newRig(t, openlogitest.Options{Now: clock.Now}, func(c *openlogi.Config) { c.Clock, c.ShipmentPageSize = clock, 2 })
	ctx := context.Background()
	submit := func(key string) {
		t.Helper()
		if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: key, Channel: "shop", Order: sampleOrder(key)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		submit(k)
	}
	ship := func(k string) {
		t.Helper()
		if _, err := r.fake.Ship(k); err != nil {
			t.Fatal(err)
		}
	}
	ship("a")
	ship("b")
	clock.Advance(15 * time.Hour) // 00:30 JST the next day
	ship("c")
	clock.Advance(48 * time.Hour) // two days on; the day between has nothing
	ship("e")
	listAll := func(cur connector.Cursor) ([]string, connector.Cursor) {
		t.Helper()
		var ids []string
		for range 20 {
			p, err := r.client.ListShipments(ctx, cur)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Shipments {
				ids = append(ids, s.RequestKey)
			}
			cur = p.Next
			if !p.More {
				return ids, cur
			}
		}
		t.Fatal("the listing did not end")
		return nil, ""
	}
	ids, cur := listAll("")
	if strings.Join(ids, "") != "abce" {
		t.Fatalf("listed %v, want a b c e", ids)
	}
	// d ships in the same second as e, with a smaller ID; then f, later.
	ship("d")
	clock.Advance(time.Second)
	ship("f")
	ids, _ = listAll(cur)
	if strings.Join(ids, "") != "df" {
		t.Errorf("resumed with %v, want d f", ids)
	}
	if n := r.fake.Stats().Operations["GET /shipments/shipped"]; n == 0 {
		t.Errorf("date_after was never used to skip days")
	}
}

// TestValidationFailed: a 422 names the fields OPENLOGI found wrong, not their values, and is
// permanent.
func TestValidationFailed(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, nil)
	o := sampleOrder("1")
	o.Lines[0].SKU = "NOT-AT-OPENLOGI"
	err := r.client.Submit(context.Background(), connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o})
	if !errors.Is(err, connector.ErrPermanent) || !strings.Contains(err.Error(), "items.0.code") || strings.Contains(err.Error(), "神宮前") {
		t.Errorf("an unknown item: %v; want a permanent error naming items.0.code", err)
	}
}

// TestStockAddsBackOwnRequests: OnHand is what OPENLOGI has available plus what the engine's own
// open requests hold, since the engine reserves those itself; a request made elsewhere (in the
// portal) stays counted out, and a shipped one is gone from the shelf.
func TestStockAddsBackOwnRequests(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, nil)
	ctx := context.Background()
	r.fake.AddItem("TEA-01", "煎茶", 10)
	own := tobirasync.RequestKey(ledger.OrderKey{Merchant: "m", Channel: "shop", OrderID: "1"}, "openlogi")
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: own, Channel: "shop", Order: sampleOrder("1")}); err != nil {
		t.Fatal(err)
	}
	manual := sampleOrder("portal")
	manual.Lines = manual.Lines[:1]
	manual.Lines[0].Quantity = 2
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "portal-1", Channel: "shop", Order: manual}); err != nil {
		t.Fatal(err)
	}
	onHand := func() int {
		t.Helper()
		p, err := r.client.ListStock(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Levels {
			if l.SKU == "TEA-01" {
				return l.OnHand
			}
		}
		t.Fatal("TEA-01 not listed")
		return 0
	}
	if it, _ := r.fake.Item("TEA-01"); it.Available() != 5 {
		t.Fatalf("OPENLOGI shows %d available, want 10 - 3 - 2", it.Available())
	}
	if got := onHand(); got != 8 {
		t.Errorf("OnHand %d, want 5 available + the engine's own 3", got)
	}
	if _, err := r.fake.Ship(openlogi.Identifier(own)); err != nil {
		t.Fatal(err)
	}
	if got := onHand(); got != 5 {
		t.Errorf("after the engine's request shipped OnHand is %d, want 7 on the shelf - 2 for the portal's", got)
	}
}

// TestReplicasSubmitOnce: two processes (two clients, no shared memory) submitting one key at
// once create one shipment: OPENLOGI refuses the second identifier and the loser reads it back.
func TestReplicasSubmitOnce(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, nil)
	other, err := openlogi.New(openlogi.Config{BaseURL: r.fake.URL(), Token: r.fake.Token(), AccountID: r.fake.AccountID(),
		Channel: "shop", RequestsPerMinute: 60000})
	if err != nil {
		t.Fatal(err)
	}
	req := connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: sampleOrder("1")}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		c := r.client
		if i%2 == 1 {
			c = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Submit(context.Background(), req)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("submit %d: %v", i, err)
		}
	}
	if n := len(r.fake.Shipments()); n != 1 {
		t.Errorf("two replicas created %d shipments for one key, want 1", n)
	}
}

// TestRememberIsBounded: the client remembers at most Config.Remember answers; a forgotten one
// is answered again from the shipment.
func TestRememberIsBounded(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, func(c *openlogi.Config) { c.Remember = 1 })
	ctx := context.Background()
	o := sampleOrder("1")
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	o.ShipTo.Line1 = "神宮前5-5-5"
	change := func(key string) {
		t.Helper()
		if a, err := r.client.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: key, Order: o}); err != nil || !a.Accepted {
			t.Fatalf("change %s: %+v, %v", key, a, err)
		}
	}
	change("c1")
	puts := r.fake.Stats().Operations["PUT /shipments/{account_id}/{identifier}"]
	change("c1") // remembered: no call at all
	if got := r.fake.Stats().Operations["GET /shipments/{account_id}/{identifier}"]; got != 1 {
		t.Errorf("%d reads, want 1: the first change's, and none for its repeat", got)
	}
	change("c2") // evicts c1
	change("c1") // forgotten: read again, already carried, no PUT
	if got := r.fake.Stats().Operations["GET /shipments/{account_id}/{identifier}"]; got != 3 {
		t.Errorf("%d reads, want 3: c1 was forgotten when c2 came and is read again", got)
	}
	if got := r.fake.Stats().Operations["PUT /shipments/{account_id}/{identifier}"]; got != puts {
		t.Errorf("%d PUTs after the first change, want none: the shipment already carries it", got-puts)
	}
}

// TestLostChangeAndCancel: a PUT or DELETE whose answer was lost is connector.ErrOutcomeUnknown;
// repeated with its key, the client reads the shipment and answers from it without writing again.
func TestLostChangeAndCancel(t *testing.T) {
	r := newRig(t, openlogitest.Options{}, nil)
	ctx := context.Background()
	o := sampleOrder("1")
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	o.ShipTo.Line1 = "神宮前8-8-8"
	ch := connector.ChangeRequest{Key: "k1", IdempotencyKey: "k1/change/0", Order: o}
	r.fake.StallNext()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := r.client.Change(short, ch)
	cancel()
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("a PUT whose answer was lost: %v, want ErrOutcomeUnknown", err)
	}
	if a, err := r.client.Change(ctx, ch); err != nil || !a.Accepted {
		t.Fatalf("repeating the change: %+v, %v", a, err)
	}
	if n := r.fake.Stats().Operations["PUT /shipments/{account_id}/{identifier}"]; n != 1 {
		t.Errorf("%d PUTs, want 1: the repeat finds the change landed", n)
	}
	cx := connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel/1"}
	r.fake.FailNext(http.StatusGatewayTimeout)
	if _, err := r.client.Cancel(ctx, cx); !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("a DELETE answered 504: %v, want ErrOutcomeUnknown", err)
	}
	if a, err := r.client.Cancel(ctx, cx); err != nil || !a.Accepted {
		t.Fatalf("repeating the cancellation: %+v, %v", a, err)
	}
	if n := r.fake.Stats().Operations["DELETE /shipments/{account_id}/{identifier}"]; n != 1 {
		t.Errorf("%d DELETEs, want 1", n)
	}
	if err := r.client.Submit(ctx, connector.FulfillmentRequest{Key: "k1", Channel: "shop", Order: o}); err != nil {
		t.Fatal(err)
	}
	if sh, _ := r.fake.Shipment("k1"); !sh.Deleted || len(r.fake.Shipments()) != 1 {
		t.Errorf("a Submit after the cancellation created a live shipment")
	}
}
