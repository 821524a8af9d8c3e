package openlogitest_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tobira-commerce/tobira/connector/openlogi/openlogitest"
)

// A test registers an item, lets a client create a shipment request, and moves it along as the
// warehouse staff would.
func Example() {
	fake := openlogitest.New(openlogitest.Options{})
	defer fake.Close()
	fake.AddItem("SENCHA-100G", "煎茶 100g", 10)

	body := `{"identifier":"order-1","recipient":{"postcode":"150-0001","prefecture":"東京都","address1":"渋谷区神宮前1-2-3","name":"山田 花子"},"items":[{"code":"SENCHA-100G","quantity":2}]}`
	req, _ := http.NewRequest(http.MethodPost, fake.URL()+"/shipments", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+fake.Token())
	req.Header.Set("X-Api-Version", openlogitest.APIVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("POST /shipments:", resp.StatusCode)

	sh, _ := fake.Shipment("order-1")
	fmt.Println(sh.ID, sh.Status)
	_ = fake.Pick("order-1")
	_, _ = fake.Ship("order-1", "4901-2345-6789")
	sh, _ = fake.Shipment("order-1")
	it, _ := fake.Item("SENCHA-100G")
	fmt.Println(sh.Status, sh.TrackingCodes, "on the shelf:", it.Quantity)
	// Output:
	// POST /shipments: 201
	// TS001-S000001 waiting
	// shipped [4901-2345-6789] on the shelf: 8
}
