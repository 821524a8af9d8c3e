package amazontest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/tobira-commerce/tobira/connector/amazon/amazontest"
)

// The fake speaks SP-API to any client: get an LWA token, then call an operation with it.
func Example() {
	fake := amazontest.New(amazontest.Options{})
	defer fake.Close()
	fake.AddListing("SENCHA", "GROCERY", 12)

	resp, _ := http.PostForm(fake.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fake.RefreshToken},
		"client_id": {fake.ClientID}, "client_secret": {fake.ClientSecret}})
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ := http.NewRequest("GET", fake.URL()+"/listings/2021-08-01/items/"+fake.SellerID()+"/SENCHA?marketplaceIds="+amazontest.Japan+"&includedData=fulfillmentAvailability", nil)
	req.Header.Set("x-amz-access-token", tok.AccessToken)
	resp, _ = http.DefaultClient.Do(req)
	var item struct {
		SKU          string `json:"sku"`
		Availability []struct {
			Quantity int `json:"quantity"`
		} `json:"fulfillmentAvailability"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&item)
	resp.Body.Close()
	fmt.Println(tok.ExpiresIn, resp.StatusCode, resp.Header.Get("x-amzn-RateLimit-Limit"), item.SKU, item.Availability[0].Quantity)
	// Output: 3600 200 5 SENCHA 12
}
