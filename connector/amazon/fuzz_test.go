package amazon_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/amazon"
	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
)

// FuzzMapOrder feeds arbitrary orders and items to the decoder ListOrders uses: it never
// panics, and an order it accepts is valid or cancelled.
func FuzzMapOrder(f *testing.F) {
	f.Add([]byte(`{"AmazonOrderId":"503-1","PurchaseDate":"2026-12-01T00:00:00Z","LastUpdateDate":"2026-12-01T00:00:00Z","OrderStatus":"Unshipped","FulfillmentChannel":"MFN","OrderTotal":{"CurrencyCode":"JPY","Amount":"2400"},"PaymentMethod":"COD","ShippingAddress":{"Name":"山田","AddressLine1":"神宮前1","PostalCode":"1500001","StateOrRegion":"東京都","CountryCode":"JP"}}`),
		[]byte(`[{"OrderItemId":"1","SellerSKU":"A","QuantityOrdered":2,"ItemPrice":{"CurrencyCode":"JPY","Amount":"2400"},"IsGift":"true","ScheduledDeliveryStartDate":"2026-12-02T05:00:00Z","ScheduledDeliveryEndDate":"2026-12-02T07:00:00Z","BuyerRequestedCancel":{"IsBuyerRequestedCancel":"true","BuyerCancelReason":"x"}}]`))
	f.Add([]byte(`{"AmazonOrderId":"x","OrderStatus":"Canceled","PurchaseDate":"2026-12-01T00:00:00Z","LastUpdateDate":"2026-12-01T00:00:00+09:00"}`), []byte(`[]`))
	f.Add([]byte(`{"OrderTotal":{"CurrencyCode":"JPY","Amount":"1e99999"}}`), []byte(`[{"ItemPrice":{"CurrencyCode":"USD","Amount":"0.001"},"QuantityOrdered":-1}]`))
	f.Fuzz(func(t *testing.T, o, items []byte) {
		got, err := amazon.MapOrderJSON(o, items)
		if err != nil {
			return
		}
		if v := got.Validate(); v != nil && got.Status != "cancelled" {
			t.Errorf("an accepted order is invalid: %v", v)
		}
	})
}

// FuzzNotification feeds arbitrary notification bodies to the parser.
func FuzzNotification(f *testing.F) {
	f.Add([]byte(`{"NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{"SellerId":"A","AmazonOrderId":"503-1","Summary":{"FulfillmentType":"MFN"}}},"NotificationMetadata":{"NotificationId":"n"}}`))
	f.Add([]byte(`{"detail":{"NotificationType":"ORDER_CHANGE"}}`))
	f.Add([]byte(`{"detail":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, orderID, _, _, err := amazon.ParseNotification(b)
		if err == nil && (id == "" || orderID == "") {
			t.Errorf("accepted a notification without IDs")
		}
	})
}

// FuzzProcessingReport feeds arbitrary reports, plain and gzipped.
func FuzzProcessingReport(f *testing.F) {
	f.Add([]byte(`{"header":{"sellerId":"A","version":"2.0","feedId":"1"},"issues":[{"messageId":1,"sku":"A","severity":"ERROR","message":"m"}],"summary":{"messagesProcessed":1}}`), false)
	f.Add([]byte(`{"issues":null}`), true)
	f.Fuzz(func(t *testing.T, b []byte, zip bool) {
		comp := ""
		if zip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(b)
			_ = zw.Close()
			b, comp = buf.Bytes(), "GZIP"
		}
		_, _ = amazon.DecodeReport(b, comp)
		_, _ = amazon.DecodeReport(b, "GZIP") // not gzip at all
	})
}

// FuzzCursor hands ListOrders arbitrary cursors: an error or a page, never a panic, and
// nothing but a permanent error for one it cannot read.
func FuzzCursor(f *testing.F) {
	f.Add(`{"n":"abc","b":"2026-01-01T00:00:00Z"}`)
	f.Add(`{"n":""}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, cur string) {
		if cur == "" {
			return
		}
		fake := amazontest.New(amazontest.Options{NoThrottle: true})
		defer fake.Close()
		c, err := amazon.New(amazon.Config{SellerID: fake.SellerID(), ClientID: fake.ClientID, ClientSecret: fake.ClientSecret,
			RefreshToken: fake.RefreshToken, Endpoint: fake.URL(), TokenEndpoint: fake.TokenURL(), RateScale: 1e6})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		_, err = c.ListOrders(context.Background(), connector.ListOrdersRequest{From: now.Add(-time.Hour), To: now, Page: connector.Cursor(cur)})
		if err != nil && connector.Classify(err) == connector.Unauthorized {
			t.Errorf("a cursor made the channel unauthorized: %v", err)
		}
	})
}
