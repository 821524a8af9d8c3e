package yahootest_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector/yahoo/yahootest"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func sign(t testing.TB, s *yahootest.Server, seller string, at time.Time) string {
	t.Helper()
	blk, _ := pem.Decode(s.PublicKeyPEM())
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := rsa.EncryptPKCS1v15(rand.Reader, k.(*rsa.PublicKey), []byte(seller+":"+strconv.FormatInt(at.Unix(), 10)))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(enc)
}

type req struct {
	method, api, body, ctype string
	token, sig               string
}

func send(t testing.TB, s *yahootest.Server, r req) (int, string) {
	t.Helper()
	hr, _ := http.NewRequest(r.method, s.URL()+"/"+r.api, strings.NewReader(r.body))
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.sig != "" {
		hr.Header.Set("X-sws-signature", r.sig)
		hr.Header.Set("X-sws-signature-version", s.KeyVersion())
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAuth(t *testing.T) {
	c := &clock{now: time.Now()}
	s := yahootest.NewTest(t, yahootest.Options{Now: c.Now, PublicKeyAuth: true})
	count := req{method: "GET", api: "orderCount?sellerId=" + s.SellerID()}
	if st, body := send(t, s, count); st != 401 || !strings.Contains(body, "invalid_token") {
		t.Errorf("no token: %d %s", st, body)
	}
	count.token = s.AccessToken()
	if st, body := send(t, s, count); st != 403 || !strings.Contains(body, "X-sws-signature") {
		t.Errorf("no signature: %d %s", st, body)
	}
	count.sig = sign(t, s, "other-store", c.Now())
	if st, _ := send(t, s, count); st != 403 {
		t.Errorf("another store's signature: %d", st)
	}
	count.sig = sign(t, s, s.SellerID(), c.Now().Add(-time.Hour))
	if st, _ := send(t, s, count); st != 403 {
		t.Errorf("an old signature: %d", st)
	}
	count.sig = sign(t, s, s.SellerID(), c.Now())
	if st, body := send(t, s, count); st != 200 || !strings.Contains(body, "<NewOrder>0</NewOrder>") {
		t.Errorf("signed: %d %s", st, body)
	}
	// Stock APIs take the bearer token alone.
	if st, body := send(t, s, req{method: "POST", api: "getStock", token: s.AccessToken(), ctype: "application/x-www-form-urlencoded",
		body: "seller_id=" + s.SellerID() + "&item_code=a"}); st != 200 {
		t.Errorf("getStock: %d %s", st, body)
	}
	c.add(2 * time.Hour)
	count.sig = sign(t, s, s.SellerID(), c.Now())
	if st, body := send(t, s, count); st != 401 || !strings.Contains(body, "expired token") {
		t.Errorf("expired token: %d %s", st, body)
	}
}

func refresh(t testing.TB, s *yahootest.Server, rt string, sig string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	hr, _ := http.NewRequest("POST", s.TokenURL(), strings.NewReader(form.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.SetBasicAuth(s.ClientID(), s.ClientSecret())
	if sig != "" {
		hr.Header.Set("X-sws-signature", sig)
		hr.Header.Set("X-sws-signature-version", s.KeyVersion())
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRefreshTokenLife(t *testing.T) {
	c := &clock{now: time.Now()}
	s := yahootest.NewTest(t, yahootest.Options{Now: c.Now})
	rt, _ := s.RefreshToken()
	if st, body := refresh(t, s, rt, ""); st != 200 || !strings.Contains(body, "access_token") {
		t.Fatalf("refresh: %d %s", st, body)
	}
	if st, _ := refresh(t, s, "wrong", ""); st != 400 {
		t.Errorf("a wrong refresh token: %d", st)
	}
	c.add(12 * time.Hour)
	if st, body := refresh(t, s, rt, ""); st != 400 || !strings.Contains(body, "invalid_grant") {
		t.Errorf("a refresh token 12 hours old without public-key auth: %d %s", st, body)
	}
	if s.Refreshes() != 1 {
		t.Errorf("Refreshes = %d, want 1", s.Refreshes())
	}
	pk := yahootest.NewTest(t, yahootest.Options{Now: c.Now, PublicKeyAuth: true})
	prt, _ := pk.RefreshToken()
	if st, _ := refresh(t, pk, prt, ""); st != 400 {
		t.Errorf("an unsigned refresh under public-key auth: %d", st)
	}
	c.add(13 * time.Hour)
	if st, body := refresh(t, pk, prt, sign(t, pk, pk.SellerID(), c.Now())); st != 200 {
		t.Errorf("a signed refresh 13 hours on under public-key auth: %d %s", st, body)
	}
}

func stock(s *yahootest.Server, codes, qs string) req {
	return req{method: "POST", api: "setStock", token: s.AccessToken(), ctype: "application/x-www-form-urlencoded",
		body: url.Values{"seller_id": {s.SellerID()}, "item_code": {codes}, "quantity": {qs}}.Encode()}
}

func TestSetStock(t *testing.T) {
	s := yahootest.NewTest(t, yahootest.Options{})
	s.ListItem("tea:red", 5)
	if st, body := send(t, s, stock(s, "tea:red,cup", "7,3")); st != 200 || !strings.Contains(body, "<SubCode>red</SubCode>") {
		t.Fatalf("setStock: %d %s", st, body)
	}
	if s.Stock("tea:red") != 7 || s.Stock("cup") != 3 {
		t.Errorf("stock = %d, %d; want 7, 3", s.Stock("tea:red"), s.Stock("cup"))
	}
	send(t, s, stock(s, "cup", "+2")) // Encode sends it as %2B2, as Yahoo! requires
	if s.Stock("cup") != 5 {
		t.Errorf("+2 on 3 = %d, want 5", s.Stock("cup"))
	}
	if st, body := send(t, s, stock(s, "cup", "INI")); st != 400 || !strings.Contains(body, "st-02104") {
		t.Errorf("INI: %d %s", st, body)
	}
	if st, body := send(t, s, stock(s, "c u p", "1")); st != 400 || !strings.Contains(body, "st-02101") {
		t.Errorf("a malformed code: %d %s", st, body)
	}
	var codes, qs []string
	for i := range 1001 {
		codes, qs = append(codes, fmt.Sprint("c", i)), append(qs, "1")
	}
	if st, _ := send(t, s, stock(s, strings.Join(codes, ","), strings.Join(qs, ","))); st != 400 {
		t.Errorf("1,001 codes: %d, want 400", st)
	}
	if st, _ := send(t, s, stock(s, strings.Join(codes[:1000], ","), strings.Join(qs[:1000], ","))); st != 200 {
		t.Errorf("1,000 codes: %d, want 200", st)
	}
}

func TestRateLimit(t *testing.T) {
	s := yahootest.NewTest(t, yahootest.Options{})
	throttled := 0
	for range 30 {
		if st, body := send(t, s, req{method: "POST", api: "getStock", token: s.AccessToken(), ctype: "application/x-www-form-urlencoded",
			body: "seller_id=" + s.SellerID() + "&item_code=a"}); st == 429 {
			throttled++
			if !strings.Contains(body, "<Error>") {
				t.Errorf("throttle body %s is not Yahoo!'s <Error>", body)
			}
		}
	}
	if throttled == 0 {
		t.Errorf("30 calls in a burst were never throttled")
	}
	day := yahootest.NewTest(t, yahootest.Options{DailyCap: 2, Rate: -1})
	var last int
	for range 3 {
		last, _ = send(t, day, req{method: "POST", api: "getStock", token: day.AccessToken(), ctype: "application/x-www-form-urlencoded",
			body: "seller_id=" + day.SellerID() + "&item_code=a"})
	}
	if last != 429 {
		t.Errorf("the call past the daily cap: %d, want 429", last)
	}
}

func TestOrders(t *testing.T) {
	s := yahootest.NewTest(t, yahootest.Options{Rate: -1})
	id := s.PlaceOrder(yahootest.OrderInput{Lines: []yahootest.LineInput{{ItemID: "tea", Quantity: 1}}})
	list := `<Req><Search><Result>10</Result><Condition><OrderTimeFrom>20000101000000</OrderTimeFrom></Condition><Field>OrderId,LastUpdateTime</Field></Search><SellerId>` + s.SellerID() + `</SellerId></Req>`
	if st, body := send(t, s, req{method: "POST", api: "orderList", token: s.AccessToken(), body: list}); st != 200 || !strings.Contains(body, id) || strings.Contains(body, "<OrderTime>") {
		t.Errorf("orderList: %d %s", st, body)
	}
	info := `<Req><Target><OrderId>` + id + `</OrderId><Field>OrderId,Quantity,ShipStatus</Field></Target><SellerId>` + s.SellerID() + `</SellerId></Req>`
	if st, body := send(t, s, req{method: "POST", api: "orderInfo", token: s.AccessToken(), body: info}); st != 200 ||
		!strings.Contains(body, "<Quantity>1</Quantity>") || !strings.Contains(body, "<Ship><ShipStatus>1</ShipStatus></Ship>") ||
		strings.Contains(body, "ItemId") || strings.Contains(body, "OrderTime") || strings.Contains(body, "<Pay>") {
		t.Errorf("orderInfo answers only the fields asked for: %d %s", st, body)
	}
	badField := strings.Replace(info, "OrderId,Quantity", "OrderId,Nonsense", 1)
	if st, _ := send(t, s, req{method: "POST", api: "orderInfo", token: s.AccessToken(), body: badField}); st != 400 {
		t.Errorf("orderInfo with an unknown field: %d, want 400", st)
	}
	noField := strings.Replace(list, "<Field>OrderId,LastUpdateTime</Field>", "", 1)
	if st, _ := send(t, s, req{method: "POST", api: "orderList", token: s.AccessToken(), body: noField}); st != 400 {
		t.Errorf("orderList without Field: %d, want 400", st)
	}
	ship := `<Req><Target><OrderId>` + id + `</OrderId><IsPointFix>false</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus><ShipCompanyCode>1001</ShipCompanyCode><ShipInvoiceNumber1>1</ShipInvoiceNumber1></Ship></Order><SellerId>` + s.SellerID() + `</SellerId></Req>`
	for range 2 {
		if st, body := send(t, s, req{method: "POST", api: "orderShipStatusChange", token: s.AccessToken(), body: ship}); st != 200 {
			t.Errorf("orderShipStatusChange: %d %s", st, body)
		}
	}
	if si, _ := s.Ship(id); si.Status != 3 || si.Writes != 1 {
		t.Errorf("ship = %+v, want status 3 and one write", si)
	}
	s.Cancel(id)
	if st, _ := send(t, s, req{method: "POST", api: "orderShipStatusChange", token: s.AccessToken(), body: ship}); st != 400 {
		t.Errorf("shipping a cancelled order: %d, want 400", st)
	}
	if st, body := send(t, s, req{method: "GET", api: "orderChangeHistory?sellerId=" + s.SellerID() + "&orderId=" + id, token: s.AccessToken()}); st != 200 || !strings.Contains(body, "<OperationType>orderStatusChange</OperationType>") {
		t.Errorf("orderChangeHistory: %d %s", st, body)
	}
}

// FuzzHandlers posts arbitrary bodies to every API: the fake answers 200 or Yahoo!'s 400
// <Error>, never panics, and goes on serving.
func FuzzHandlers(f *testing.F) {
	s := yahootest.NewTest(f, yahootest.Options{Rate: -1})
	s.PlaceOrder(yahootest.OrderInput{Lines: []yahootest.LineInput{{ItemID: "tea", Quantity: 1}}})
	f.Add(uint8(0), []byte(`<Req><Search><Field>OrderId</Field></Search><SellerId>sakura-tea</SellerId></Req>`))
	f.Add(uint8(1), []byte(`<Req><Target><OrderId>sakura-tea-10000001</OrderId><Field>OrderId</Field></Target><SellerId>sakura-tea</SellerId></Req>`))
	f.Add(uint8(2), []byte(`<Req><Target><OrderId>sakura-tea-10000001</OrderId><IsPointFix>true</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus></Ship></Order><SellerId>sakura-tea</SellerId></Req>`))
	f.Add(uint8(3), []byte(`seller_id=sakura-tea&item_code=a,b&quantity=1,-2`))
	apis := []string{"orderList", "orderInfo", "orderShipStatusChange", "setStock", "getStock"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		api := apis[int(which)%len(apis)]
		ctype := "application/xml"
		if api == "setStock" || api == "getStock" {
			ctype = "application/x-www-form-urlencoded"
		}
		st, resp := send(t, s, req{method: "POST", api: api, token: s.AccessToken(), ctype: ctype, body: string(body)})
		if st != 200 && st != 400 {
			t.Fatalf("%s answered %d: %s", api, st, resp)
		}
		if st == 400 && !bytes.Contains([]byte(resp), []byte("<Error>")) {
			t.Fatalf("%s answered 400 without <Error>: %s", api, resp)
		}
	})
}
