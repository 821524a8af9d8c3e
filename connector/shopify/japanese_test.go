package shopify_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/connector/shopify/shopifytest"
	"github.com/tobira-commerce/tobira/order"
)

// giftOrder is a cash-on-delivery gift as Japanese shops take them: the delivery request, the
// wrapping, message and のし name in the order's attributes (a theme's cart form), the のし type
// on the line (a product-page option), the COD fee as a second shipping line.
func giftOrder() shopifytest.OrderInput {
	return shopifytest.OrderInput{
		Email: "buyer@example.jp", ShipTo: tokyo, Gateways: []string{"代金引換"},
		Attributes: []shopifytest.Attribute{
			{Key: "配送希望日", Value: "２０２６／０７／１０"}, {Key: "配送希望時間帯", Value: "14時～16時"},
			{Key: "ギフトラッピング", Value: "希望する"}, {Key: "ギフトメッセージ", Value: "いつもありがとうございます"},
			{Key: "のし名入れ", Value: "山田"},
		},
		Lines: []shopifytest.LineInput{
			{SKU: "SENCHA", Quantity: 2, Price: 1200, Properties: []shopifytest.Attribute{{Key: "のし", Value: "御中元"}}},
			{SKU: "HOUJI", Quantity: 1, Price: 800},
		},
		Shipping: []shopifytest.ShippingLine{{Title: "通常配送", Code: "standard", Price: 880}, {Title: "代引き手数料", Code: "cod-fee", Price: 330}},
		Tax:      400,
	}
}

// A cash-on-delivery gift order with のし and a delivery slot decodes to the same order whether
// it arrives by webhook (REST orders/create body) or by polling (GraphQL), with the amount to
// collect, the gift and the のし set.
func TestShopifyJapaneseOrderWhole(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	in := &intake{}
	srv := httptest.NewServer(e.client.WebhookHandler(in))
	defer srv.Close()
	e.fake.RegisterWebhooks(srv.URL+"/webhooks", "")
	ctx := context.Background()

	id := e.fake.CreateOrder(giftOrder())
	if _, err := e.fake.SendOrderWebhook(ctx, shopify.TopicOrdersCreate, id); err != nil {
		t.Fatal(err)
	}
	if in.count() != 1 {
		t.Fatalf("webhook ingested %d orders", in.count())
	}
	pushed := in.orders[0]
	page, err := e.client.ListOrders(ctx, connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || len(page.Rejects) != 0 {
		t.Fatalf("polled %d orders, %v", len(page.Orders), page.Rejects)
	}
	polled := page.Orders[0]
	if !reflect.DeepEqual(pushed, polled) {
		a, _ := json.MarshalIndent(pushed, "", " ")
		b, _ := json.MarshalIndent(polled, "", " ")
		t.Fatalf("webhook and polling differ:\nwebhook %s\npolled  %s", a, b)
	}

	o := polled
	if o.Payment != (order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(2400 + 800 + 880 + 330)}) {
		t.Errorf("payment %+v", o.Payment)
	}
	if o.Gift == nil || *o.Gift != (order.Gift{Wrapping: true, Noshi: "御中元（山田）", Message: "いつもありがとうございます"}) {
		t.Errorf("gift %+v", o.Gift)
	}
	if o.Delivery != (order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 7, Day: 10}, Slot: order.Slot1416}) {
		t.Errorf("delivery %+v", o.Delivery)
	}
	want := order.Totals{Subtotal: order.Yen(3200), Shipping: order.Yen(1210), Tax: order.Yen(400), TaxIncluded: true, Total: order.Yen(4410)}
	if o.Totals != want {
		t.Errorf("totals %+v, want %+v", o.Totals, want)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

// What decides cash on delivery and the gift, one rule at a time, through the webhook decoder
// and polling alike.
func TestGiftAndPaymentRules(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(*shopifytest.OrderInput)
		cfg     func(*shopify.Config)
		payment order.Payment
		gift    *order.Gift
	}{
		{name: "card payment is prepaid", mod: func(in *shopifytest.OrderInput) {
			in.Gateways = []string{"shopify_payments"}
			in.Attributes = nil
			in.Lines[0].Properties = nil
		},
			payment: order.Payment{Method: order.PaymentPrepaid}},
		{name: "COD marked paid collects nothing", mod: func(in *shopifytest.OrderInput) { in.FinancialStatus = "PAID" },
			payment: order.Payment{Method: order.PaymentPrepaid}, gift: &order.Gift{Wrapping: true, Noshi: "御中元（山田）", Message: "いつもありがとうございます"}},
		{name: "a renamed COD gateway is configured", mod: func(in *shopifytest.OrderInput) {
			in.Gateways = []string{"代引き（ヤマト）"}
			in.Attributes = nil
			in.Lines[0].Properties = nil
		},
			cfg:     func(c *shopify.Config) { c.CODGateways = []string{"代引き（ヤマト）"} },
			payment: order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(4410)}},
		{name: "refusals are no gift", mod: func(in *shopifytest.OrderInput) {
			in.Gateways = nil
			in.Attributes = []shopifytest.Attribute{{Key: "ギフトラッピング", Value: "不要"}, {Key: "メッセージカード/のし", Value: "なし"}, {Key: "のし", Value: "なし"}}
			in.Lines[0].Properties = nil
		}, payment: order.Payment{Method: order.PaymentPrepaid}},
		{name: "のし その他 gives way to the free text", mod: func(in *shopifytest.OrderInput) {
			in.Gateways = nil
			in.Attributes = []shopifytest.Attribute{{Key: "メッセージカード/のし", Value: "のし"}, {Key: "のし表書", Value: "その他"}, {Key: "のし表書 (その他)", Value: "祝 還暦"}}
			in.Lines[0].Properties = nil
		}, payment: order.Payment{Method: order.PaymentPrepaid}, gift: &order.Gift{Noshi: "祝 還暦"}},
		{name: "a shop's own keys", mod: func(in *shopifytest.OrderInput) {
			in.Gateways = nil
			in.Attributes = []shopifytest.Attribute{{Key: "_noshi", Value: "内祝"}, {Key: "のし", Value: "御中元"}}
			in.Lines[0].Properties = nil
		}, cfg: func(c *shopify.Config) { c.Attributes = shopify.AttributeKeys{Noshi: []string{"_noshi"}} },
			payment: order.Payment{Method: order.PaymentPrepaid}, gift: &order.Gift{Noshi: "内祝"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, shopifytest.Options{}, tc.cfg)
			in := giftOrder()
			tc.mod(&in)
			id := e.fake.CreateOrder(in)
			page, err := e.client.ListOrders(context.Background(), connector.ListOrdersRequest{From: start, To: start.Add(time.Hour)})
			if err != nil || len(page.Orders) != 1 {
				t.Fatalf("ListOrders: %v %+v", err, page)
			}
			body, err := e.fake.WebhookBody(id)
			if err != nil {
				t.Fatal(err)
			}
			pushed, err := e.client.DecodeOrderWebhook(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []order.Order{page.Orders[0], pushed} {
				if o.Payment != tc.payment {
					t.Errorf("payment %+v, want %+v", o.Payment, tc.payment)
				}
				if !reflect.DeepEqual(o.Gift, tc.gift) {
					t.Errorf("gift %+v, want %+v", o.Gift, tc.gift)
				}
			}
		})
	}
}

// A fulfillment service reads the same gift and delivery request from the fulfillment request.
func TestFulfillmentRequestCarriesGift(t *testing.T) {
	e := setup(t, shopifytest.Options{}, nil)
	id := e.fake.CreateOrder(giftOrder())
	if err := e.fake.RequestFulfillment(e.fake.FulfillmentOrderIDs(id)[0], ""); err != nil {
		t.Fatal(err)
	}
	page, err := e.client.FulfillmentRequests(context.Background(), "")
	if err != nil || len(page.Orders) != 1 {
		t.Fatalf("FulfillmentRequests: %v %+v", err, page)
	}
	o := page.Orders[0]
	if o.Gift == nil || *o.Gift != (order.Gift{Wrapping: true, Noshi: "御中元（山田）", Message: "いつもありがとうございます"}) || o.Delivery.Slot != order.Slot1416 {
		t.Fatalf("gift %+v delivery %+v", o.Gift, o.Delivery)
	}
}
