package shopify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
)

var start = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

type env struct {
	fake   *shopifytest.Server
	client *shopify.Client
	clock  *shopifytest.VirtualClock
}

// setup starts a fake on a virtual clock and a client sharing it. mod adjusts the options.
func setup(t *testing.T, opts shopifytest.Options, mod func(*shopify.Config)) *env {
	t.Helper()
	clock := shopifytest.NewVirtualClock(start)
	opts.Now = clock.Now
	fake := shopifytest.NewTest(t, opts)
	cfg := shopify.Config{
		Shop: fake.Shop(), BaseURL: fake.URL(), AccessToken: fake.Token(), AppSecret: fake.AppSecret(),
		LocationID: fake.LocationID(), Clock: clock, LinesPerOrder: 5,
		BucketSize: opts.BucketSize, RestoreRate: opts.RestoreRate,
		HTTP: httpclient.New(httpclient.Config{Throttle: shopify.Throttled, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond}),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := shopify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, client: c, clock: clock}
}

var tokyo = shopifytest.Address{LastName: "山田", FirstName: "太郎", Address1: "渋谷1-2-3", City: "渋谷区",
	Province: "Tokyo", ProvinceCode: "JP-13", Zip: "1500002", CountryCode: "JP", Phone: "090-1234-5678"}

func newOrder(i int) shopifytest.OrderInput {
	return shopifytest.OrderInput{
		Email: fmt.Sprintf("buyer%d@example.jp", i), ShipTo: tokyo,
		Attributes: []shopifytest.Attribute{{Key: "配送希望日", Value: "2026/07/10"}, {Key: "配送希望時間帯", Value: "14時～16時"}},
		Lines:      []shopifytest.LineInput{{SKU: "SKU-A", Quantity: 2, Price: 1200}, {SKU: "SKU-B", Quantity: 1, Price: 800}},
	}
}

// drain lists the window page by page, retrying a failed page as the engine would, and returns
// how often each order ID was returned.
func drain(t *testing.T, c *shopify.Client, from, to time.Time) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	req := connector.ListOrdersRequest{From: from, To: to}
	pages, failures := 0, 0
	for {
		page, err := c.ListOrders(context.Background(), req)
		if err != nil {
			if failures++; failures > 200 || connector.Classify(err) != connector.Retryable {
				t.Fatalf("ListOrders: %v", err)
			}
			continue
		}
		pages++
		for _, o := range page.Orders {
			seen[o.ID]++
		}
		for _, r := range page.Rejects {
			t.Errorf("reject %s: %v", r.ID, r.Err)
		}
		if page.Next == "" {
			return seen, pages
		}
		req.Page = page.Next
	}
}

func TestListOrders500UnderCostBucket(t *testing.T) {
	e := setup(t, shopifytest.Options{BucketSize: 100, RestoreRate: 50}, nil)
	for i := range 500 {
		e.fake.CreateOrder(newOrder(i))
		e.clock.Advance(time.Second)
	}
	seen, pages := drain(t, e.client, start, e.clock.Now().Add(time.Second))
	if len(seen) != 500 {
		t.Fatalf("%d orders seen, want 500", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("order %s returned %d times", id, n)
		}
	}
	st := e.fake.Stats()
	if st.Throttled != 0 {
		t.Fatalf("client received %d THROTTLED answers", st.Throttled)
	}
	t.Logf("%d pages, %d requests, virtual time %s", pages, st.Requests, e.clock.Now().Sub(start))
}

func TestListOrdersWithFaults(t *testing.T) {
	e := setup(t, shopifytest.Options{BucketSize: 100, RestoreRate: 50, Seed: 7}, func(c *shopify.Config) {
		c.HTTP = httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: 700 * time.Millisecond,
			RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	})
	for i := range 500 {
		e.fake.CreateOrder(newOrder(i))
		e.clock.Advance(time.Second)
	}
	e.fake.SetFaults(shopifytest.Faults{ServerError: 0.12, Timeout: 0.08, TimeoutDelay: time.Second, Malformed: 0.03})
	seen, _ := drain(t, e.client, start, e.clock.Now().Add(time.Second))
	if len(seen) != 500 {
		t.Fatalf("%d orders seen, want 500", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("order %s returned %d times", id, n)
		}
	}
	st := e.fake.Stats()
	if st.Faults == 0 || st.Throttled != 0 {
		t.Fatalf("faults %d, throttled %d", st.Faults, st.Throttled)
	}
	t.Logf("%d requests, %d faults injected", st.Requests, st.Faults)
}

func TestPagingCapMovesWindow(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) { c.PagingCap = 20; c.PageSize = 7 })
	for i := range 100 {
		e.fake.CreateOrder(newOrder(i))
		if i%3 == 0 {
			e.clock.Advance(time.Second) // several orders share a second
		}
	}
	seen, _ := drain(t, e.client, start, e.clock.Now().Add(time.Second))
	if len(seen) != 100 {
		t.Fatalf("%d orders seen, want 100 (duplicates allowed, gaps never)", len(seen))
	}
}

func TestOrderMapping(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	id := e.fake.CreateOrder(newOrder(1))
	cancelled := e.fake.CreateOrder(newOrder(2))
	e.fake.CancelOrder(cancelled, "CUSTOMER")
	page, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 2 {
		t.Fatalf("orders %d rejects %v", len(page.Orders), page.Rejects)
	}
	o := page.Orders[0]
	if o.ID != id || o.Number != "#1001" || o.Status != order.StatusOpen || o.Refs[shopify.RefOrderID] != id {
		t.Fatalf("order %+v", o)
	}
	if o.ShipTo.Prefecture != "東京都" || o.ShipTo.PostalCode != "150-0002" || o.ShipTo.Name != "山田 太郎" {
		t.Fatalf("address %#v", o.ShipTo)
	}
	if o.Delivery != (order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 7, Day: 10}, Slot: order.Slot1416}) {
		t.Fatalf("delivery %+v", o.Delivery)
	}
	if len(o.Lines) != 2 || o.Lines[0].UnitPrice != order.Yen(1200) || o.Lines[0].Quantity != 2 {
		t.Fatalf("lines %+v", o.Lines)
	}
	if page.Orders[1].Status != order.StatusCancelled {
		t.Fatalf("cancelled order is %s", page.Orders[1].Status)
	}
}

func TestUnauthorized(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) { c.AccessToken = "shpat_wrong" })
	_, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if !errors.Is(err, connector.ErrUnauthorized) || connector.Classify(err) != connector.Unauthorized {
		t.Fatalf("err = %v", err)
	}
	if containsAny(err.Error(), "shpat_wrong") {
		t.Fatalf("error leaks the token: %v", err)
	}
}

func TestThrottledIsRateLimitError(t *testing.T) {
	// Two apps share one bucket; the second client's picture of it is stale.
	e := setup(t, shopifytest.Options{BucketSize: 200, RestoreRate: 10}, nil)
	for i := range 30 {
		e.fake.CreateOrder(newOrder(i))
	}
	other, err := shopify.New(shopify.Config{BaseURL: e.fake.URL(), AccessToken: e.fake.Token(), Clock: e.clock, LinesPerOrder: 5, PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	req := connector.ListOrdersRequest{From: start, To: start.Add(time.Hour), Limit: 4}
	if _, err := other.ListOrders(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.ListOrders(context.Background(), req)
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Reason != "throttled" && rl.Reason != "THROTTLED" {
		t.Fatalf("err = %v", err)
	}
	// The other app's page was charged 2+4×35=142 points up front; its orders have 2 lines,
	// not 5, so it actually cost 2+4×23=94 and 48 were refunded: the bucket holds 200-94=106
	// points, this page asks for 142, and at 10 points/s the missing 36 take 3.6 s.
	if rl.Wait < 3500*time.Millisecond || rl.Wait > 3700*time.Millisecond {
		t.Fatalf("wait %s, want about 3.6s", rl.Wait)
	}
	if e.fake.Stats().Throttled != 1 {
		t.Fatalf("throttled %d", e.fake.Stats().Throttled)
	}
	// The client learnt the bucket from the answer: the next call waits instead of failing.
	if _, err := e.client.ListOrders(context.Background(), req); err != nil {
		t.Fatalf("after learning the bucket: %v", err)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

func TestFulfillmentServiceLifecycle(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	ctx := context.Background()
	id := e.fake.CreateOrder(newOrder(1))
	rejectID := e.fake.CreateOrder(newOrder(2))
	fo := e.fake.FulfillmentOrderIDs(id)[0]
	fo2 := e.fake.FulfillmentOrderIDs(rejectID)[0]
	if err := e.fake.RequestFulfillment(fo, "please ship"); err != nil {
		t.Fatal(err)
	}
	if err := e.fake.RequestFulfillment(fo2, ""); err != nil {
		t.Fatal(err)
	}
	page, err := e.client.FulfillmentRequests(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 2 || len(page.Rejects) != 0 {
		t.Fatalf("requests %d rejects %v", len(page.Orders), page.Rejects)
	}
	o := page.Orders[0]
	if o.Refs[shopify.RefFulfillmentOrderID] != fo || o.Lines[0].Refs[shopify.RefFulfillmentOrderLineID] == "" ||
		o.Delivery.Slot != order.Slot1416 || o.Refs[shopify.RefFulfillmentRequestMessage] != "please ship" {
		t.Fatalf("fulfillment order as order: %+v", o)
	}
	eta := start.Add(24 * time.Hour)
	if err := e.client.AcceptFulfillment(ctx, fo, "accepted", eta); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RejectFulfillment(ctx, fo2, shopify.RejectOutOfStock, "no stock"); err != nil {
		t.Fatal(err)
	}
	st, _ := e.fake.FulfillmentOrder(fo)
	if st.RequestStatus != "ACCEPTED" || st.EstimatedShippedAt == nil || !st.EstimatedShippedAt.Equal(eta) {
		t.Fatalf("accepted state %+v", st)
	}
	if st2, _ := e.fake.FulfillmentOrder(fo2); st2.RequestStatus != "REJECTED" {
		t.Fatalf("rejected state %+v", st2)
	}
	// Accepting twice is refused by Shopify: a permanent error, not a retry loop.
	if err := e.client.AcceptFulfillment(ctx, fo, "", time.Time{}); !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("second accept: %v", err)
	}
	// Hold and release.
	if err := e.client.Hold(ctx, fo, "OTHER", "tobira-check", "address check"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.fake.FulfillmentOrder(fo); st.Status != "ON_HOLD" {
		t.Fatalf("hold: %+v", st)
	}
	if err := e.client.ReleaseHold(ctx, fo); err != nil {
		t.Fatal(err)
	}
	// The merchant asks to cancel after the parcel left: the warehouse refuses.
	if err := e.fake.RequestCancellation(fo, "customer changed mind"); err != nil {
		t.Fatal(err)
	}
	cpage, err := e.client.CancellationRequests(ctx, "")
	if err != nil || len(cpage.Orders) != 1 || cpage.Orders[0].Status != order.StatusCancelled {
		t.Fatalf("cancellation requests: %v %+v", err, cpage)
	}
	if err := e.client.AnswerCancellation(ctx, fo, connector.Answer{Accepted: false, Reason: connector.RefusedShipped}); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.fake.FulfillmentOrder(fo); st.RequestStatus != "CANCELLATION_REJECTED" {
		t.Fatalf("after refusal: %+v", st)
	}
}

func confirm(order order.Order, s shipment.Shipment) connector.ShipmentConfirmation {
	return connector.ShipmentConfirmation{Order: order, Shipment: s, IdempotencyKey: "ship-" + s.ID}
}

func TestConfirmShipmentPartialAndIdempotent(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	ctx := context.Background()
	id := e.fake.CreateOrder(newOrder(1))
	page, err := e.client.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	o := page.Orders[0]
	first := shipment.Shipment{ID: "S1", OrderID: id, Lines: []shipment.Line{{LineID: o.Lines[0].ID, Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "1234-5678-9012"}}}
	for range 2 { // the second call must change nothing
		if err := e.client.ConfirmShipment(ctx, confirm(o, first)); err != nil {
			t.Fatal(err)
		}
	}
	fs := e.fake.Fulfillments(id)
	if len(fs) != 1 || fs[0].Quantities["SKU-A"] != 1 || fs[0].Company != "Yamato (JA)" || fs[0].Numbers[0] != "1234-5678-9012" || len(fs[0].URLs) != 1 {
		t.Fatalf("after the first shipment: %+v", fs)
	}
	st, _ := e.fake.FulfillmentOrder(e.fake.FulfillmentOrderIDs(id)[0])
	if st.Remaining["SKU-A"] != 1 || st.Remaining["SKU-B"] != 1 || st.Status == "CLOSED" {
		t.Fatalf("partial: %+v", st)
	}
	rest := shipment.Shipment{ID: "S2", OrderID: id, Lines: []shipment.Line{{SKU: "SKU-A", Quantity: 1}, {LineID: o.Lines[1].ID, Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "S-2"}}}
	if err := e.client.ConfirmShipment(ctx, confirm(o, rest)); err != nil {
		t.Fatal(err)
	}
	if err := e.client.ConfirmShipment(ctx, confirm(o, first)); err != nil {
		t.Fatalf("repeating the first after the second: %v", err)
	}
	if fs := e.fake.Fulfillments(id); len(fs) != 2 {
		t.Fatalf("fulfillments %+v", fs)
	}
	if st, _ := e.fake.FulfillmentOrder(e.fake.FulfillmentOrderIDs(id)[0]); st.Status != "CLOSED" {
		t.Fatalf("complete: %+v", st)
	}
	// More than remains is refused before anything is sent.
	over := shipment.Shipment{ID: "S3", OrderID: id, Lines: []shipment.Line{{SKU: "SKU-A", Quantity: 1}}, Parcels: []shipment.Parcel{{Carrier: shipment.Yamato, TrackingNumber: "X"}}}
	if err := e.client.ConfirmShipment(ctx, confirm(o, over)); !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("over-shipment: %v", err)
	}
	if !e.client.SupportsPartialShipments() {
		t.Fatal("partial shipments not supported")
	}
}

func TestSetStockBatchingAndConflict(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	ctx := context.Background()
	var updates []connector.StockUpdate
	for i := range 250 {
		sku := fmt.Sprintf("S-%03d", i)
		e.fake.AddVariant(sku, 5)
		updates = append(updates, connector.StockUpdate{SKU: sku, Available: 10 + i})
	}
	if e.client.BatchLimit() != 250 || !e.client.ComparesStock() {
		t.Fatal("capabilities")
	}
	res, err := e.client.SetStock(ctx, updates)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.SKU, r.Err)
		}
	}
	if n, _ := e.fake.Available("S-249"); n != 259 {
		t.Fatalf("S-249 = %d", n)
	}
	if ops := e.fake.Stats().Operations["inventorySetQuantities"]; ops != 1 {
		t.Fatalf("250 updates took %d calls, want 1", ops)
	}
	if _, err := e.client.SetStock(ctx, append(updates, connector.StockUpdate{SKU: "S-000"})); !errors.Is(err, connector.ErrPermanent) {
		t.Fatalf("251 updates: %v", err)
	}

	// Compare-and-set: the merchant changed S-001 meanwhile.
	e.fake.SetAvailable("S-001", 99)
	ten, eleven := 10, 11
	res, err = e.client.SetStock(ctx, []connector.StockUpdate{
		{SKU: "S-000", Available: 3, Compare: &ten},
		{SKU: "S-001", Available: 4, Compare: &eleven},
		{SKU: "NOPE", Available: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !errors.Is(res[1].Err, connector.ErrConflict) || !errors.Is(res[2].Err, shopify.ErrUnknownSKU) {
		t.Fatalf("results %+v", res)
	}
	if n, _ := e.fake.Available("S-000"); n != 3 {
		t.Fatalf("S-000 = %d", n)
	}
	if n, _ := e.fake.Available("S-001"); n != 99 {
		t.Fatalf("S-001 overwritten: %d", n)
	}
	got, err := e.client.ReadStock(ctx, []string{"S-000", "S-001", "NOPE"})
	if err != nil || got["S-000"] != 3 || got["S-001"] != 99 || len(got) != 2 {
		t.Fatalf("ReadStock = %v, %v", got, err)
	}
}

func TestSetStockRetriedWithIdempotencyKey(t *testing.T) {
	e := setup(t, shopifytest.Options{Seed: 3}, func(c *shopify.Config) {
		c.HTTP = httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: 50 * time.Millisecond,
			RetryMax: 10, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	})
	e.fake.AddVariant("A", 1)
	// Warm the SKU cache, then make every answer slow once in a while.
	if _, err := e.client.ReadStock(context.Background(), []string{"A"}); err != nil {
		t.Fatal(err)
	}
	e.fake.SetFaults(shopifytest.Faults{Timeout: 0.5, TimeoutDelay: 200 * time.Millisecond, ServerError: 0.2})
	one := 1
	res, err := e.client.SetStock(context.Background(), []connector.StockUpdate{{SKU: "A", Available: 7, Compare: &one}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("%v %+v", err, res)
	}
	// Applied once: a replay with the same key did not see a stale compare value.
	if n, _ := e.fake.Available("A"); n != 7 {
		t.Fatalf("A = %d", n)
	}
}

func TestConfirmShipmentTimeoutThenRetry(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) {
		c.HTTP = httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: 100 * time.Millisecond,
			RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	})
	ctx := context.Background()
	id := e.fake.CreateOrder(newOrder(1))
	page, err := e.client.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s := shipment.Shipment{ID: "S1", OrderID: id, Lines: []shipment.Line{{SKU: "SKU-A", Quantity: 2}, {SKU: "SKU-B", Quantity: 1}},
		Parcels: []shipment.Parcel{{Carrier: shipment.JapanPost, TrackingNumber: "JP-1"}}}
	// Every answer is late: the fulfillment lands but the client cannot know.
	e.fake.SetFaults(shopifytest.Faults{Timeout: 1, TimeoutDelay: time.Second})
	err = e.client.ConfirmShipment(ctx, confirm(page.Orders[0], s))
	if err == nil {
		t.Fatal("no error while every answer timed out")
	}
	// The state query timed out (a read: retried, then temporary) or the create did (a write:
	// outcome unknown); either way the engine tries again.
	if connector.Classify(err) != connector.Retryable {
		t.Fatalf("err = %v is not retryable", err)
	}
	e.fake.SetFaults(shopifytest.Faults{})
	for range 2 {
		if err := e.client.ConfirmShipment(ctx, confirm(page.Orders[0], s)); err != nil {
			t.Fatal(err)
		}
	}
	if fs := e.fake.Fulfillments(id); len(fs) != 1 {
		t.Fatalf("%d fulfillments, want 1", len(fs))
	}
}

func TestConfirmShipmentWriteTimeoutIsOutcomeUnknown(t *testing.T) {
	var fake *shopifytest.Server
	// Make only the mutation's answer late: the state query goes through.
	tr := &peekTransport{peek: func(body []byte) {
		if bytes.Contains(body, []byte("fulfillmentCreate")) {
			fake.SetFaults(shopifytest.Faults{Timeout: 1, TimeoutDelay: time.Second})
		}
	}}
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) {
		c.HTTP = httpclient.New(httpclient.Config{Throttle: shopify.Throttled, Timeout: 100 * time.Millisecond,
			RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, Transport: tr})
	})
	fake = e.fake
	ctx := context.Background()
	id := e.fake.CreateOrder(newOrder(1))
	page, err := e.client.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s := shipment.Shipment{ID: "S1", OrderID: id, Lines: []shipment.Line{{SKU: "SKU-A", Quantity: 2}},
		Parcels: []shipment.Parcel{{Carrier: shipment.Sagawa, TrackingNumber: "SG-1"}}}
	err = e.client.ConfirmShipment(ctx, confirm(page.Orders[0], s))
	if !errors.Is(err, connector.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if n := e.fake.Stats().Operations["fulfillmentCreate"]; n != 1 || len(e.fake.Fulfillments(id)) != 1 {
		t.Fatalf("the mutation was sent %d times (a write without a key must not be retried)", n)
	}
}

// peekTransport shows each request body to peek before sending it.
type peekTransport struct{ peek func([]byte) }

func (p *peekTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		p.peek(body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestAcknowledgeAcceptsPendingRequests(t *testing.T) {
	e := setup(t, shopifytest.Options{}, func(c *shopify.Config) { c.AcceptOnAcknowledge = true })
	ctx := context.Background()
	id := e.fake.CreateOrder(newOrder(1))
	fo := e.fake.FulfillmentOrderIDs(id)[0]
	if err := e.fake.RequestFulfillment(fo, ""); err != nil {
		t.Fatal(err)
	}
	page, err := e.client.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second acknowledgement finds nothing pending and does nothing
		if err := e.client.AcknowledgeOrder(ctx, page.Orders[0]); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := e.fake.FulfillmentOrder(fo)
	if st.RequestStatus != "ACCEPTED" || st.EstimatedShippedAt == nil || !st.EstimatedShippedAt.Equal(start.Add(24*time.Hour)) {
		t.Fatalf("state %+v", st)
	}
}

// A shop with a larger bucket (Plus) still refuses queries over 1,000 points: pages are sized
// by the single-query limit, not by the bucket.
func TestListOrdersLargeBucketStaysUnderQueryLimit(t *testing.T) {
	e := setup(t, shopifytest.Options{BucketSize: 2000, RestoreRate: 100}, func(c *shopify.Config) { c.PageSize = 250 })
	for i := range 120 {
		e.fake.CreateOrder(newOrder(i))
	}
	seen, _ := drain(t, e.client, start, start.Add(time.Hour))
	if len(seen) != 120 {
		t.Fatalf("listed %d orders, want 120", len(seen))
	}
	if n := e.fake.Stats().Invalid; n != 0 {
		t.Fatalf("%d queries refused", n)
	}
}
