package oas

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFeedSchemas(t *testing.T) {
	m := ForTest(t)
	good := `{"header":{"sellerId":"A2","version":"2.0","issueLocale":"ja_JP"},"messages":[{"messageId":1,"sku":"S","operationType":"PATCH","productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":3}]}]}]}`
	if err := m.ValidateFeedDocument([]byte(good)); err != nil {
		t.Errorf("a valid feed: %v", err)
	}
	for _, bad := range []string{
		`{"messages":[]}`,
		strings.Replace(good, `"messageId":1`, `"messageId":0`, 1),
		strings.Replace(good, `"PATCH"`, `"UPSERT"`, 1),
		strings.Replace(good, `"2.0"`, `"1.0"`, 1),
	} {
		if err := m.ValidateFeedDocument([]byte(bad)); err == nil {
			t.Errorf("an invalid feed passed: %s", bad)
		}
	}
	report := `{"header":{"sellerId":"A2","version":"2.0","feedId":"1"},"issues":[{"messageId":1,"sku":"S","code":"8541","severity":"ERROR","message":"m"}],"summary":{"errors":1,"warnings":0,"messagesProcessed":1,"messagesAccepted":0,"messagesInvalid":1}}`
	if err := m.ValidateProcessingReport([]byte(report)); err != nil {
		t.Errorf("a valid report: %v", err)
	}
	if err := m.ValidateProcessingReport([]byte(strings.Replace(report, `"ERROR"`, `"FATAL"`, 1))); err == nil {
		t.Error("a report with an unknown severity passed")
	}
}

func TestUnknownPath(t *testing.T) {
	m := ForTest(t)
	if err := m.ValidateRequest(httptest.NewRequest("GET", "http://x/orders/v0/nothing", nil), nil); err == nil {
		t.Error("a path no model has passed")
	}
	if err := m.ValidateRequest(httptest.NewRequest("GET", "http://x/catalog/2022-04-01/items", nil), nil); err == nil {
		t.Error("a model not loaded passed")
	}
}
