package yahoo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

const sampleInfo = `<?xml version="1.0" encoding="UTF-8"?>
<ResultSet totalResultsAvailable="1" totalResultsReturned="1" firstResultPosition="1"><Result><Status>OK</Status>
<OrderInfo><OrderId>sakura-tea-10000001</OrderId><Version>1</Version><OrderTime>2026-12-01T10:00:00+09:00</OrderTime>
<LastUpdateTime>2026-12-01T10:05:00+09:00</LastUpdateTime><OrderStatus>2</OrderStatus>
<Pay><PayMethod>payment_d1</PayMethod><TotalPrice>2400</TotalPrice></Pay>
<Ship><ShipStatus>1</ShipStatus><ShipRequestDate>20261224</ShipRequestDate><ShipRequestTime>午前中</ShipRequestTime>
<ShipFirstName>太郎</ShipFirstName><ShipLastName>山田</ShipLastName><ShipZipCode>1500001</ShipZipCode>
<ShipPrefecture>東京都</ShipPrefecture><ShipCity>渋谷区</ShipCity><ShipAddress1>神宮前1-2-3</ShipAddress1>
<ShipPhoneNumber>0312345678</ShipPhoneNumber></Ship>
<Item><LineId>1</LineId><ItemId>sencha</ItemId><Title>煎茶</Title><SubCode>100g</SubCode><Quantity>2</Quantity><UnitPrice>1200</UnitPrice></Item>
</OrderInfo></Result></ResultSet>`

const sampleList = `<ResultSet totalResultsAvailable="1" totalResultsReturned="1" firstResultPosition="1"><Result><Status>OK</Status>
<Search><TotalCount>1</TotalCount><OrderInfo><Index>1</Index><OrderId>sakura-tea-10000001</OrderId>
<OrderTime>2026-12-01T10:00:00+09:00</OrderTime><LastUpdateTime>2026-12-01T10:05:00+09:00</LastUpdateTime></OrderInfo></Search></Result></ResultSet>`

const sampleHistory = `<ResultSet totalResultsAvailable="1" totalResultsReturned="1" firstResultPosition="1"><Result><Status>OK</Status>
<OrderChangeHistory><HistoryId>1</HistoryId><OperationType>orderChange</OperationType><UpdateTime>2026-12-01T10:05:00+09:00</UpdateTime></OrderChangeHistory>
</Result></ResultSet>`

const sampleStock = `<ResultSet totalResultsAvailable="2" totalResultsReturned="2" firstResultPosition="1">
<Result><ItemCode>item_01</ItemCode><SubCode>sub_01</SubCode><Status>1</Status><Quantity>11</Quantity></Result>
<Result><ItemCode>item_02</ItemCode><Status>0</Status></Result></ResultSet>`

func testClient(t testing.TB) *Client {
	c, err := New(Config{SellerID: "sakura-tea", AccessToken: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzOrderInfo feeds orderInfo answers through the decoder and the mapping: no panic, and an
// answer either maps to a valid order or fails with an error (a Reject), never both.
func FuzzOrderInfo(f *testing.F) {
	f.Add([]byte(sampleInfo))
	f.Add([]byte(`<ResultSet><Result><Status>NG</Status></Result></ResultSet>`))
	f.Add([]byte(`<ResultSet><Result><OrderInfo><Item><Quantity>-1</Quantity></Item></OrderInfo></Result></ResultSet>`))
	f.Add([]byte(`<Error><Message>x</Message><Code>od-1</Code></Error>`))
	c := testClient(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		oi, err := decodeInfo(data)
		if err != nil {
			if !errors.Is(err, errUnreadable) {
				t.Fatalf("decodeInfo error %v does not match errUnreadable", err)
			}
			return
		}
		o, err := c.toOrder(oi)
		if err != nil {
			if !errors.Is(err, connector.ErrPermanent) {
				t.Fatalf("toOrder error %v is not permanent", err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("toOrder returned an invalid order: %v", err)
		}
	})
}

func FuzzOrderList(f *testing.F) {
	f.Add([]byte(sampleList))
	f.Add([]byte(`<ResultSet><Result><Search><OrderInfo></OrderInfo></Search></Result></ResultSet>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeList(data); err != nil && !errors.Is(err, errUnreadable) {
			t.Fatal(err)
		}
	})
}

func FuzzHistory(f *testing.F) {
	f.Add([]byte(sampleHistory))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeHistory(data); err != nil && !errors.Is(err, errUnreadable) {
			t.Fatal(err)
		}
	})
}

func FuzzStock(f *testing.F) {
	f.Add([]byte(sampleStock))
	f.Add([]byte(`<Error xmlns="urn:yahoo:api"><Message>item_code() is invalid format.</Message><Code>st-02101</Code></Error>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := decodeStock(data); err != nil && !errors.Is(err, errUnreadable) {
			t.Fatal(err)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add("v1|20261201100000|a,b")
	f.Add("v1||")
	f.Fuzz(func(t *testing.T, s string) {
		cu, err := parseCursor(connector.Cursor(s))
		if err != nil {
			if !errors.Is(err, connector.ErrPermanent) {
				t.Fatal(err)
			}
			return
		}
		back, err := parseCursor(cu.encode())
		if err != nil || !back.Time.Equal(cu.Time) {
			t.Fatalf("cursor %q does not survive a round trip: %v", s, err)
		}
	})
}

func FuzzSlot(f *testing.F) {
	for _, s := range []string{"14:00-16:00", "午前中", "19時～21時", "", "24:99-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sl, ok := Slot(s); ok && !sl.Valid() {
			t.Fatalf("Slot(%q) = %q, not a valid slot", s, sl)
		}
	})
}

func TestSampleInfo(t *testing.T) {
	oi, err := decodeInfo([]byte(sampleInfo))
	if err != nil {
		t.Fatal(err)
	}
	o, err := testClient(t).toOrder(oi)
	if err != nil {
		t.Fatal(err)
	}
	if o.ShipTo.PostalCode != "150-0001" || o.Lines[0].SKU != "sencha:100g" || o.Delivery.Slot != "0812" {
		t.Errorf("order = %+v", o)
	}
}

// TestListRejects: entries and orders Yahoo! describes badly become Rejects without personal
// data, and the rest of the page goes on.
func TestListRejects(t *testing.T) {
	list := `<ResultSet><Result><Status>OK</Status><Search><TotalCount>4</TotalCount>
<OrderInfo><OrderId>no-time</OrderId><OrderTime>yesterday</OrderTime><LastUpdateTime>2026-12-01T10:05:00+09:00</LastUpdateTime></OrderInfo>
<OrderInfo><OrderId>sakura-tea-10000001</OrderId><OrderTime>2026-12-01T10:00:00+09:00</OrderTime><LastUpdateTime>2026-12-01T10:00:00+09:00</LastUpdateTime></OrderInfo>
<OrderInfo><OrderId>bad-update</OrderId><OrderTime>2026-12-01T10:01:00+09:00</OrderTime><LastUpdateTime>soon</LastUpdateTime></OrderInfo>
<OrderInfo><OrderId>bad-qty</OrderId><OrderTime>2026-12-01T10:02:00+09:00</OrderTime><LastUpdateTime>2026-12-01T10:02:00+09:00</LastUpdateTime></OrderInfo>
</Search></Result></ResultSet>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.HasSuffix(r.URL.Path, "/orderList"):
			_, _ = io.WriteString(w, list)
		case strings.Contains(string(body), "bad-qty"):
			_, _ = io.WriteString(w, strings.Replace(strings.Replace(sampleInfo, "<Quantity>2</Quantity>", "<Quantity>two</Quantity>", 1),
				"sakura-tea-10000001", "bad-qty", 1))
		default:
			_, _ = io.WriteString(w, strings.Replace(sampleInfo, "10:05:00", "10:00:00", 1))
		}
	}))
	defer srv.Close()
	c, err := New(Config{SellerID: "sakura-tea", AccessToken: "x", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, JST)
	page, err := c.ListOrders(context.Background(), connector.ListOrdersRequest{From: from, To: from.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Orders) != 1 || page.Orders[0].ID != "sakura-tea-10000001" {
		t.Errorf("orders = %v, want sakura-tea-10000001 alone", page.Orders)
	}
	ids := map[string]bool{}
	for _, r := range page.Rejects {
		ids[r.ID] = true
		if !errors.Is(r.Err, connector.ErrPermanent) {
			t.Errorf("reject %s: %v is not permanent", r.ID, r.Err)
		}
		for _, pii := range []string{"山田", "神宮前", "0312345678", "two"} {
			if strings.Contains(r.Err.Error(), pii) {
				t.Errorf("reject %s names %q: %v", r.ID, pii, r.Err)
			}
		}
	}
	for _, want := range []string{"no-time", "bad-update", "bad-qty"} {
		if !ids[want] {
			t.Errorf("no reject for %s (rejects %v)", want, page.Rejects)
		}
	}
}
