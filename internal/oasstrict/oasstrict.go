// Package oasstrict makes an OpenAPI document refuse what it does not define. Platforms' files
// mostly leave additionalProperties unsaid, which lets any extra field through; the fakes'
// validators (imported by tests only, so importers never build kin-openapi) close them so that a
// request with a field the platform does not define fails a test.
package oasstrict

import "github.com/getkin/kin-openapi/openapi3"

// CloseObjects sets additionalProperties: false on every object schema of doc that lists
// properties and leaves additional ones unsaid: in the components, and in every operation's
// request and response bodies.
func CloseObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			f := false
			s.AdditionalProperties.Has = &f
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, l := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, x := range l {
				walk(x)
			}
		}
	}
	content := func(c openapi3.Content) {
		for _, mt := range c {
			walk(mt.Schema)
		}
	}
	if doc.Components != nil {
		for _, s := range doc.Components.Schemas {
			walk(s)
		}
		for _, rb := range doc.Components.RequestBodies {
			if rb.Value != nil {
				content(rb.Value.Content)
			}
		}
	}
	if doc.Paths == nil {
		return
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				content(op.RequestBody.Value.Content)
			}
			if op.Responses == nil {
				continue
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					content(resp.Value.Content)
				}
			}
		}
	}
}
