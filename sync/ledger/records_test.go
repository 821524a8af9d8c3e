package ledger_test

import (
	"testing"

	"github.com/tobira-commerce/tobira/sync/ledger"
)

func TestKeysNeverPrintAlike(t *testing.T) {
	keys := []ledger.OrderKey{
		{Merchant: "a/b", Channel: "c", OrderID: "d"},
		{Merchant: "a", Channel: "b/c", OrderID: "d"},
		{Merchant: "a", Channel: "b", OrderID: "c/d"},
		{Merchant: "a%2Fb", Channel: "c", OrderID: "d"},
	}
	seen := map[string]ledger.OrderKey{}
	for _, k := range keys {
		s := k.String()
		if other, ok := seen[s]; ok {
			t.Fatalf("%+v and %+v both print %q", k, other, s)
		}
		seen[s] = k
		if got := string(k.Append(nil)); got != s {
			t.Errorf("Append gives %q, String %q", got, s)
		}
	}
	if got := ledger.JoinKey("m", "shop/jp", "100%"); got != "m/shop%2Fjp/100%25" {
		t.Errorf("JoinKey = %q", got)
	}
}
