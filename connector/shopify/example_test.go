package shopify_test

import (
	"fmt"
	"log"

	"github.com/tobira-commerce/tobira/connector/shopify"
)

// A cash-on-delivery gift order, as Shopify's orders/create webhook carries it: the gateway
// says 代金引換, the theme put the delivery request and のし name in note attributes and the
// のし type on the line.
func ExampleClient_DecodeOrderWebhook() {
	client, err := shopify.New(shopify.Config{Shop: "sakura-tea.myshopify.com", AccessToken: "shpat_example"})
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{
  "admin_graphql_api_id": "gid://shopify/Order/820982911946154508", "name": "#1001", "currency": "JPY",
  "created_at": "2026-07-01T10:00:00+09:00", "updated_at": "2026-07-01T10:00:00+09:00",
  "gateway": "代金引換", "payment_gateway_names": ["代金引換"], "financial_status": "pending", "taxes_included": true,
  "total_price_set": {"shop_money": {"amount": "3610.00", "currency_code": "JPY"}},
  "total_shipping_price_set": {"shop_money": {"amount": "1210.00", "currency_code": "JPY"}},
  "total_tax_set": {"shop_money": {"amount": "328.00", "currency_code": "JPY"}},
  "total_discounts_set": {"shop_money": {"amount": "0.00", "currency_code": "JPY"}},
  "total_outstanding": "3610.00",
  "note_attributes": [{"name": "配送希望日", "value": "2026/07/10"}, {"name": "配送希望時間帯", "value": "14時～16時"},
    {"name": "ギフトラッピング", "value": "希望する"}, {"name": "のし名入れ", "value": "山田"}],
  "line_items": [{"admin_graphql_api_id": "gid://shopify/LineItem/1", "sku": "SENCHA", "name": "煎茶 100g",
    "quantity": 2, "price": "1200.00", "properties": [{"name": "のし", "value": "御中元"}]}],
  "shipping_address": {"last_name": "山田", "first_name": "花子", "address1": "神宮前1-2-3", "city": "渋谷区",
    "province_code": "JP-13", "zip": "1500001", "country_code": "JP"}
}`)
	o, err := client.DecodeOrderWebhook(body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.Payment.Method, o.Payment.CollectAmount)
	fmt.Println(o.Gift.Wrapping, o.Gift.Noshi)
	fmt.Println(o.Delivery.Date, o.Delivery.Slot)
	fmt.Println(o.Totals.Subtotal, o.Totals.Shipping, o.Totals.Total)
	// Output:
	// cod JPY 3610
	// true 御中元（山田）
	// 2026-07-10 1416
	// JPY 2400 JPY 1210 JPY 3610
}
