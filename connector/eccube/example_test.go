package eccube_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/eccube"
	"github.com/tobira-commerce/tobira/connector/eccube/eccubetest"
)

// A host lists a shop's orders with the Japanese delivery request from its Shipping. The shop
// here is the eccubetest fake, which reads the plugin's schema page (eccubetest.FindSchema).
func ExampleClient_ListOrders() {
	path, err := eccubetest.FindSchema()
	if err != nil {
		log.Fatal(err)
	}
	schema, err := eccubetest.LoadSchemaFile(path)
	if err != nil {
		log.Fatal(err)
	}
	shop, err := eccubetest.New(eccubetest.Options{Schema: schema, ClientCredentials: true})
	if err != nil {
		log.Fatal(err)
	}
	defer shop.Close()
	jst := time.FixedZone("JST", 9*3600)
	shop.PlaceOrder(eccubetest.OrderInput{
		Buyer:        eccubetest.Address{Name01: "山田", Name02: "花子", PostalCode: "1500001", PrefID: 13, Addr01: "渋谷区神宮前", Addr02: "1-2-3"},
		Lines:        []eccubetest.LineInput{{Code: "SENCHA", Name: "煎茶", Quantity: 2, Price: 1000}},
		DeliveryDate: time.Date(2026, 12, 24, 0, 0, 0, 0, jst), DeliveryTime: "午前中",
	})

	client, err := eccube.New(eccube.Config{BaseURL: shop.URL(), ClientID: shop.ClientID(), ClientSecret: shop.ClientSecret()})
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.ListOrders(context.Background(), connector.ListOrdersRequest{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	o := page.Orders[0]
	fmt.Println(o.Lines[0].SKU, o.Lines[0].Quantity, o.Lines[0].UnitPrice, o.ShipTo.Prefecture, o.ShipTo.PostalCode, o.Delivery.Date, o.Delivery.Slot)
	// Output: SENCHA 2 JPY 1100 東京都 150-0001 2026-12-24 0812
}

func ExampleParseTimeSlot() {
	for _, label := range []string{"午前中", "14時～16時", "１９時〜２１時", "指定なし"} {
		fmt.Printf("%s → %q\n", label, eccube.ParseTimeSlot(label))
	}
	// Output:
	// 午前中 → "0812"
	// 14時～16時 → "1416"
	// １９時〜２１時 → "1921"
	// 指定なし → ""
}

func ExampleVerify() {
	body := []byte(`[{"entity":"order","id":13,"action":"updated"}]`)
	sig := eccubetest.Sign(body, "secret")
	fmt.Println(eccube.Verify([]byte("secret"), body, sig), eccube.Verify([]byte("other"), body, sig))
	// Output: true false
}
