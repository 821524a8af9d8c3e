package gqlresult_test

import (
	"encoding/json"
	"testing"

	"github.com/tobira-commerce/tobira/internal/gqlresult"
)

func TestObjectKeepsOrderAndMergesSelections(t *testing.T) {
	var o gqlresult.Object
	o.Set("z", 1)
	o.Set("a", gqlresult.Object{{Key: "id", Value: "1"}})
	o.Set("a", gqlresult.Object{{Key: "name", Value: "x"}, {Key: "id", Value: "1"}})
	o.Set("z", 2)
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":2,"a":{"id":"1","name":"x"}}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}
