package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/time/rate"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

func Example() {
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"orders":[{"id":"1001"}]}`)
	}))
	defer platform.Close()

	// Two requests a second per credential, as the platform publishes.
	c := httpclient.New(httpclient.Config{Rate: rate.Limit(2), Burst: 2, Timeout: 10 * time.Second})

	resp, err := c.Do(context.Background(), &httpclient.Request{URL: platform.URL + "/orders", Key: "shop-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	var page struct {
		Orders []struct {
			ID string `json:"id"`
		} `json:"orders"`
	}
	if err := httpclient.Decode(resp.Body, &page, httpclient.DecodeOptions{DisallowUnknownFields: true}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("order", page.Orders[0].ID)

	_, err = c.Do(context.Background(), &httpclient.Request{URL: platform.URL + "/busy", Key: "shop-1"})
	if wait, ok := connector.RetryAfter(err); ok {
		fmt.Println("rate limited, retry after", wait, errors.Is(err, connector.ErrTemporary))
	}
	// Output:
	// order 1001
	// rate limited, retry after 2s true
}
