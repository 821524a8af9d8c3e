// Package openapicheck validates OPENLOGI requests and answers against OPENLOGI's OpenAPI
// document with kin-openapi, and adds the one check the document cannot express by itself: no
// object carries a field the document does not name (its schemas leave additionalProperties
// open, and compose with allOf, so kin-openapi alone accepts any extra field).
//
// Only tests import it (the openlogi and openlogitest tests): importers of the connector never
// build kin-openapi.
package openapicheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/tobira-commerce/tobira/internal/specs"
)

// SpecEnv names the environment variable that points tests at the OpenAPI file.
const SpecEnv = "TOBIRA_OPENLOGI_SPEC"

// SpecFile is the file's path relative to the directory that holds shared/ beside the
// repository (or its worktree).
const SpecFile = "shared/specs/openlogi/openapi.json"

// origin is the production server the document names; requests are matched as if sent there.
const origin = "https://api.openlogi.com"

// Checker validates exchanges. It implements openlogitest.Validator.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
}

// FindSpec returns the OpenAPI file's path: $TOBIRA_OPENLOGI_SPEC, or SpecFile under the nearest
// directory above the working directory that holds it.
func FindSpec() (string, error) { return specs.Find(spec.Env, spec.Name) }

// Load reads the document.
func Load(path string) (*Checker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	doc.Servers = openapi3.Servers{{URL: origin + "/api"}}
	// gorillamux does not validate the document, which has flaws kin-openapi refuses (examples
	// of the wrong type, a path parameter declared in the query) that do not touch what is checked.
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &Checker{doc: doc, router: router}, nil
}

var spec = specs.Once[*Checker]{What: "OpenLogi OpenAPI file", Env: SpecEnv, Name: "openlogi/openapi.json",
	Load: Load}

// New returns the Checker for a test, loading the document once per test binary. When the file
// is missing the test is skipped with the reason, or fails when the CI variable is set.
func New(tb testing.TB) *Checker {
	tb.Helper()
	return spec.Get(tb)
}

func (c *Checker) route(r *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	u, err := url.Parse(origin + r.URL.RequestURI())
	if err != nil {
		return nil, err
	}
	req := r.Clone(context.Background())
	req.URL, req.Host, req.RequestURI = u, u.Host, ""
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}, nil
}

// ValidateRequest checks a request: its route, parameters and body, and that the body names no
// field the document lacks.
func (c *Checker) ValidateRequest(r *http.Request, body []byte) error {
	in, err := c.route(r, body)
	if err != nil {
		return err
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("request does not match the OpenAPI file: %w", err)
	}
	if op := in.Route.Operation; op.RequestBody != nil && op.RequestBody.Value != nil && len(body) > 0 {
		if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			if err := Unknown(body, mt.Schema); err != nil {
				return fmt.Errorf("request body: %w", err)
			}
		}
	}
	return nil
}

// ValidateResponse checks an answer against the operation's responses, and that it names no
// field the document lacks.
func (c *Checker) ValidateResponse(r *http.Request, body []byte, status int, header http.Header, respBody []byte) error {
	in, err := c.route(r, body)
	if err != nil {
		return err
	}
	h := header.Clone()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: h,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: &openapi3filter.Options{MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("answer does not match the OpenAPI file: %w", err)
	}
	if ref := in.Route.Operation.Responses.Status(status); ref != nil && ref.Value != nil {
		if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			if err := Unknown(respBody, mt.Schema); err != nil {
				return fmt.Errorf("answer body: %w", err)
			}
		}
	}
	return nil
}

// Unknown reports the fields of a JSON document that schema does not name anywhere (through
// allOf, oneOf, anyOf, items and additionalProperties).
func Unknown(doc []byte, schema *openapi3.SchemaRef) error {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return err
	}
	var bad []string
	walk(v, []*openapi3.Schema{schema.Value}, "", &bad)
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("fields the OpenAPI file does not define: %s", strings.Join(bad, ", "))
}

// flatten collects a schema and every schema it composes.
func flatten(s *openapi3.Schema, out *[]*openapi3.Schema) {
	if s == nil || slices.Contains(*out, s) {
		return
	}
	*out = append(*out, s)
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil {
				flatten(r.Value, out)
			}
		}
	}
}

func walk(v any, schemas []*openapi3.Schema, path string, bad *[]string) {
	var all []*openapi3.Schema
	for _, s := range schemas {
		flatten(s, &all)
	}
	switch x := v.(type) {
	case map[string]any:
		known, open := map[string][]*openapi3.Schema{}, false
		defines := false
		for _, s := range all {
			for name, p := range s.Properties {
				defines = true
				if p != nil && p.Value != nil {
					known[name] = append(known[name], p.Value)
				}
			}
			for _, name := range s.Required {
				defines = true
				if _, ok := known[name]; !ok {
					known[name] = nil
				}
			}
			if ap := s.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
				open = true
			}
		}
		if !defines || open {
			return // a free-form object: anything goes
		}
		for k, sub := range x {
			ss, ok := known[k]
			if !ok {
				*bad = append(*bad, path+k)
				continue
			}
			walk(sub, ss, path+k+".", bad)
		}
	case []any:
		var items []*openapi3.Schema
		for _, s := range all {
			if s.Items != nil && s.Items.Value != nil {
				items = append(items, s.Items.Value)
			}
		}
		if len(items) == 0 {
			return
		}
		for i, e := range x {
			walk(e, items, fmt.Sprintf("%s%d.", path, i), bad)
		}
	}
}
