// Package oas validates HTTP exchanges against Amazon's official Selling Partner API models with
// github.com/getkin/kin-openapi. It is imported by tests only (the amazon and amazontest test
// files), so neither the connector nor the fake makes importers build kin-openapi.
//
// The models in specs/amazon-sp-api are Swagger 2.0. Each is unmarshalled into openapi2.T,
// converted with openapi2conv.ToV3 (body parameters become request bodies, definitions become
// component schemas) and routed with kin-openapi's legacy router. Two things are made stricter
// than kin-openapi's defaults, because the fake must refuse what Amazon would not accept:
//
//   - every object schema that lists properties and says nothing about additionalProperties is
//     closed (additionalProperties: false), so a request or response with a field the model does
//     not define fails;
//   - a query parameter the operation does not declare fails.
package oas

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tobira-commerce/tobira/internal/oasstrict"
	"github.com/tobira-commerce/tobira/internal/specs"
)

// Files are the models loaded, by the path prefix their operations live under.
var Files = map[string]string{
	"/orders/v0/":           "ordersV0.json",
	"/orders/2026-01-01/":   "orders_2026-01-01.json",
	"/listings/2021-08-01/": "listingsItems_2021-08-01.json",
	"/feeds/2021-06-30/":    "feeds_2021-06-30.json",
	"/tokens/2021-03-01/":   "tokens_2021-03-01.json",
	"/notifications/v1/":    "notifications.json",
}

// specHost is the host the models name; requests are matched as if sent there.
const specHost = "sellingpartnerapi-na.amazon.com"

// Models holds the converted models and a router for each.
type Models struct {
	routers      map[string]routers.Router
	feed, report *jsonschema.Schema
}

// Load reads the models from dir (specs/amazon-sp-api).
func Load(dir string) (*Models, error) {
	m := &Models{routers: map[string]routers.Router{}}
	for prefix, name := range Files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		var doc2 openapi2.T
		if err := json.Unmarshal(data, &doc2); err != nil {
			return nil, fmt.Errorf("oas: %s: %w", name, err)
		}
		doc3, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			return nil, fmt.Errorf("oas: converting %s: %w", name, err)
		}
		oasstrict.CloseObjects(doc3)
		// The models' own examples are not checked: some do not fit their schemas once closed
		// (getOrderItemsBuyerInfo's puts item fields at the payload's level).
		r, err := legacy.NewRouter(doc3, openapi3.DisableExamplesValidation())
		if err != nil {
			return nil, fmt.Errorf("oas: routing %s: %w", name, err)
		}
		m.routers[prefix] = r
	}
	// The listings feed document and its processing report are JSON Schema (draft-07)
	// documents, validated with the JSON Schema library kin-openapi itself uses.
	var err error
	if m.feed, err = compile(dir, "listings-feed-schema-v2.json"); err != nil {
		return nil, err
	}
	if m.report, err = compile(dir, "listings-feed-processing-report-schema-v2.json"); err != nil {
		return nil, err
	}
	return m, nil
}

func compile(dir, name string) (*jsonschema.Schema, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("oas: %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		return nil, fmt.Errorf("oas: %s: %w", name, err)
	}
	return c.Compile(name)
}

func validateJSON(s *jsonschema.Schema, doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// ValidateFeedDocument checks a JSON_LISTINGS_FEED document against listings-feed-schema-v2.json.
func (m *Models) ValidateFeedDocument(doc []byte) error { return validateJSON(m.feed, doc) }

// ValidateProcessingReport checks a processing report against its schema.
func (m *Models) ValidateProcessingReport(doc []byte) error { return validateJSON(m.report, doc) }

// route finds the operation of r, matching it as if sent to the models' host.
func (m *Models) route(r *http.Request) (*routers.Route, map[string]string, *http.Request, error) {
	for prefix, rt := range m.routers {
		if !strings.HasPrefix(r.URL.Path, prefix) {
			continue
		}
		u := *r.URL
		u.Scheme, u.Host = "https", specHost
		rr := r.Clone(context.Background())
		rr.URL = &u
		rr.Host = specHost
		route, params, err := rt.FindRoute(rr)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("oas: %s %s: %w", r.Method, r.URL.Path, err)
		}
		return route, params, rr, nil
	}
	return nil, nil, nil, fmt.Errorf("oas: %s %s: no model covers this path", r.Method, r.URL.Path)
}

var options = &openapi3filter.Options{
	MultiError:          false,
	SkipSettingDefaults: true,
	// The models declare no security schemes (auth is the x-amz-access-token header).
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
}

// Operation returns the operationId of r, or "" when no model has it.
func (m *Models) Operation(r *http.Request) string {
	route, _, _, err := m.route(r)
	if err != nil {
		return ""
	}
	return route.Operation.OperationID
}

// ValidateRequest checks r (whose body is body) against its operation in the models.
func (m *Models) ValidateRequest(r *http.Request, body []byte) error {
	route, params, rr, err := m.route(r)
	if err != nil {
		return err
	}
	declared := map[string]bool{}
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	for name := range r.URL.Query() {
		if !declared[name] {
			return fmt.Errorf("oas: %s: query parameter %q is not in the model", route.Operation.OperationID, name)
		}
	}
	rr.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: options}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("oas: %s request: %w", route.Operation.OperationID, err)
	}
	return nil
}

// ValidateResponse checks a response to r against its operation in the models: the status must
// be one the operation declares and the body must fit the status's schema.
func (m *Models) ValidateResponse(r *http.Request, reqBody []byte, status int, h http.Header, body []byte) error {
	route, params, rr, err := m.route(r)
	if err != nil {
		return err
	}
	if route.Operation.Responses.Status(status) == nil {
		return fmt.Errorf("oas: %s: status %d is not in the model", route.Operation.OperationID, status)
	}
	rr.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: options},
		Status:                 status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Options: options,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("oas: %s response %d: %w", route.Operation.OperationID, status, err)
	}
	return nil
}

// Find returns the models directory, shared/specs/amazon-sp-api in the nearest directory above
// the working directory that holds it.
func Find() (string, error) { return specs.Find(models.Env, models.Name) }

var models = specs.Once[*Models]{What: "Amazon SP-API models (shared/specs/amazon-sp-api)", Name: "amazon-sp-api",
	Load: Load}

// ForTest loads the models once per test binary: it skips the test when they are missing, or
// fails it when the CI environment variable is set.
func ForTest(t testing.TB) *Models {
	t.Helper()
	return models.Get(t)
}
