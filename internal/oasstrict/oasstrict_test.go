package oasstrict_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tobira-commerce/tobira/internal/oasstrict"
)

func TestCloseObjectsRefusesUndefinedFields(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{},
"components":{"schemas":{"Order":{"type":"object","properties":{"id":{"type":"string"},
"lines":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"}}}}}},
"Free":{"type":"object","additionalProperties":true,"properties":{"a":{"type":"string"}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	order := doc.Components.Schemas["Order"].Value
	if err := order.VisitJSON(map[string]any{"id": "1", "extra": 1}); err != nil {
		t.Fatalf("before closing, an extra field passes as the file allows: %v", err)
	}
	oasstrict.CloseObjects(doc)
	if err := order.VisitJSON(map[string]any{"id": "1", "extra": 1}); err == nil {
		t.Error("an undefined top-level field passed a closed schema")
	}
	if err := order.VisitJSON(map[string]any{"lines": []any{map[string]any{"sku": "A", "qty": 1}}}); err == nil {
		t.Error("an undefined field in a nested item passed")
	}
	if err := order.VisitJSON(map[string]any{"id": "1", "lines": []any{map[string]any{"sku": "A"}}}); err != nil {
		t.Errorf("a valid object was refused: %v", err)
	}
	if err := doc.Components.Schemas["Free"].Value.VisitJSON(map[string]any{"b": "x"}); err != nil {
		t.Errorf("a schema that allows additional properties was closed: %v", err)
	}
}
