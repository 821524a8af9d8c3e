module github.com/tobira-commerce/tobira/examples/wms-host/browsertest

go 1.26.0

replace github.com/tobira-commerce/tobira => ../../..

require (
	github.com/chromedp/chromedp v0.23.1
	github.com/tobira-commerce/tobira v0.0.0-00010101000000-000000000000
)

require (
	github.com/agnivade/levenshtein v1.2.2 // indirect
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/vektah/gqlparser/v2 v2.5.58 // indirect
	golang.org/x/time v0.14.0 // indirect
)
