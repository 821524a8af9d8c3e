package amazontest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServe sends arbitrary requests, with a valid token, to every handler: the fake answers
// each, never panics.
func FuzzServe(f *testing.F) {
	s := New(Options{NoThrottle: true})
	defer s.Close()
	tok := "Atza|fuzz"
	s.tokens[tok] = time.Now().Add(time.Hour)
	s.AddListing("SKU", "PRODUCT", 1)
	id := s.CreateOrder(OrderInput{Items: []ItemInput{{SKU: "SKU", Quantity: 2, Price: 1}}})
	for _, seed := range []struct{ m, p, b string }{
		{"GET", "/orders/v0/orders?MarketplaceIds=" + Japan + "&LastUpdatedAfter=2026-01-01T00:00:00Z&MaxResultsPerPage=1", ""},
		{"GET", "/orders/v0/orders?MarketplaceIds=" + Japan + "&NextToken=eyJhIjoxfQ", ""},
		{"POST", "/orders/v0/orders/" + id + "/shipmentConfirmation", `{"marketplaceId":"` + Japan + `","packageDetail":{"packageReferenceId":"1","carrierCode":"Other","trackingNumber":"1","shipDate":"2026-01-01T00:00:00Z","orderItems":[{"orderItemId":"x","quantity":1}]}}`},
		{"PATCH", "/listings/2021-08-01/items/A2TOBIRATEST/SKU?marketplaceIds=" + Japan, `{"productType":"P","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"quantity":-1}]}]}`},
		{"GET", "/listings/2021-08-01/items/A2TOBIRATEST?marketplaceIds=" + Japan + "&identifiers=SKU,X&identifiersType=SKU&pageToken=-1", ""},
		{"POST", "/feeds/2021-06-30/feeds", `{"feedType":"JSON_LISTINGS_FEED","marketplaceIds":["` + Japan + `"],"inputFeedDocumentId":"x"}`},
		{"POST", "/tokens/2021-03-01/restrictedDataToken", `{"restrictedResources":[{"method":"GET","path":"/orders/v0/orders/{orderId}"}]}`},
		{"PUT", "/s3/x?X-Amz-Signature=y", "{}"},
		{"GET", "/orders/2026-01-01/orders/" + id + "?includedData=PACKAGES", ""},
	} {
		f.Add(seed.m, seed.p, seed.b)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") {
			return
		}
		req, err := http.NewRequest(method, "http://fake"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("x-amz-access-token", tok)
		w := httptest.NewRecorder()
		s.serve(w, req)
		if w.Code == 0 {
			t.Errorf("no answer to %s %s", method, path)
		}
	})
}

// TestAuth: a request without a token, or with one the fake never issued, is refused.
func TestAuth(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	req, _ := http.NewRequest("GET", s.URL()+"/orders/v0/orders?MarketplaceIds="+Japan+"&LastUpdatedAfter=2026-01-01T00:00:00Z", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", resp.StatusCode)
	}
	req.Header.Set("x-amz-access-token", "Atza|forged")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged token: %d, want 403", resp.StatusCode)
	}
}
