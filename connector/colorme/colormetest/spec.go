package colormetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tobira-commerce/tobira/internal/specs"
)

// SpecEnv names the environment variable that points tests at the tool manifest; it wins over
// the default location.
const SpecEnv = "TOBIRA_COLORME_SPEC"

// SpecFile is the manifest's path relative to the directory that holds the project's shared
// material: the official Color Me Shop MCP server's tools.json, kept beside the repository and
// never copied into it.
const SpecFile = "shared/specs/colormeshop/tools.json"

// Spec is the request side of Color Me Shop's official tool manifest: each tool's JSON-Schema
// input, which mirrors the REST API's parameters. A fake built with a Spec validates every
// request against the tool it serves.
type Spec struct {
	tools map[string]*schema
}

// schema is the subset of JSON Schema (draft 7) the manifest uses.
type schema struct {
	Type                 string             `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties json.RawMessage    `json:"additionalProperties"`
	Required             []string           `json:"required"`
	Enum                 []any              `json:"enum"`
	AnyOf                []*schema          `json:"anyOf"`
	Items                *schema            `json:"items"`
	MaxLength            *int               `json:"maxLength"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
}

// LoadSpec reads a tools.json manifest.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSpec(data)
}

// ParseSpec parses a tools.json manifest.
func ParseSpec(data []byte) (*Spec, error) {
	var doc struct {
		Tools []struct {
			Name        string  `json:"name"`
			InputSchema *schema `json:"inputSchema"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("colormetest: tool manifest: %w", err)
	}
	s := &Spec{tools: map[string]*schema{}}
	for _, t := range doc.Tools {
		if t.Name != "" && t.InputSchema != nil {
			s.tools[t.Name] = t.InputSchema
		}
	}
	if len(s.tools) == 0 {
		return nil, errors.New("colormetest: tool manifest lists no tools")
	}
	return s, nil
}

// Has reports whether the manifest describes the tool.
func (s *Spec) Has(tool string) bool { _, ok := s.tools[tool]; return ok }

// Params returns the names of the tool's top-level parameters, sorted.
func (s *Spec) Params(tool string) []string {
	sc := s.tools[tool]
	if sc == nil {
		return nil
	}
	var out []string
	for k := range sc.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Property returns the names of the properties of the object at path below the tool's input
// ("sale", "sale_deliveries[]" for an array's items), sorted; nil when there is none.
func (s *Spec) Property(tool string, path ...string) []string {
	sc := s.tools[tool]
	for _, p := range path {
		if sc == nil {
			return nil
		}
		if name, ok := strings.CutSuffix(p, "[]"); ok {
			sc = sc.Properties[name]
			if sc == nil {
				return nil
			}
			sc = sc.Items
			continue
		}
		sc = sc.Properties[p]
	}
	if sc == nil {
		return nil
	}
	var out []string
	for k := range sc.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidateQuery checks a GET request's query string (plus the path's parameters) against the
// tool's input schema: every name must be a parameter, every value of its type and enum.
func (s *Spec) ValidateQuery(tool string, q url.Values, path map[string]string) error {
	sc := s.tools[tool]
	if sc == nil {
		return fmt.Errorf("the manifest has no tool %s", tool)
	}
	obj := map[string]any{}
	var errs []string
	add := func(k, v string) {
		p := sc.Properties[k]
		if p == nil {
			obj[k] = v // reported as an unknown parameter below
			return
		}
		switch p.Type {
		case "integer":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not an integer", k, v))
				return
			}
			obj[k] = float64(n)
		case "boolean":
			b, err := strconv.ParseBool(v)
			if err != nil || (v != "true" && v != "false") {
				errs = append(errs, fmt.Sprintf("%s: %q is not true or false", k, v))
				return
			}
			obj[k] = b
		default:
			obj[k] = v
		}
	}
	for k, vs := range q {
		if len(vs) != 1 {
			errs = append(errs, fmt.Sprintf("%s: given %d times", k, len(vs)))
			continue
		}
		add(k, vs[0])
	}
	for k, v := range path {
		add(k, v)
	}
	errs = append(errs, sc.validate("", obj)...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("%s: %s", tool, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateBody checks a write's JSON body (plus the path's parameters) against the tool's
// input schema.
func (s *Spec) ValidateBody(tool string, body []byte, path map[string]string) error {
	sc := s.tools[tool]
	if sc == nil {
		return fmt.Errorf("the manifest has no tool %s", tool)
	}
	obj := map[string]any{}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &obj); err != nil {
			return fmt.Errorf("%s: the body is not a JSON object: %v", tool, err)
		}
	}
	var errs []string
	for k, v := range path {
		if _, dup := obj[k]; dup {
			errs = append(errs, fmt.Sprintf("%s: given in the path and the body", k))
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not an integer", k, v))
			continue
		}
		obj[k] = float64(n)
	}
	errs = append(errs, sc.validate("", obj)...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("%s: %s", tool, strings.Join(errs, "; "))
	}
	return nil
}

func (sc *schema) closed() bool {
	return strings.TrimSpace(string(sc.AdditionalProperties)) == "false"
}

// validate returns what is wrong with v, one entry per problem, each naming its path.
func (sc *schema) validate(path string, v any) []string {
	name := path
	if name == "" {
		name = "(input)"
	}
	if len(sc.AnyOf) > 0 {
		for _, alt := range sc.AnyOf {
			if len(alt.validate(path, v)) == 0 {
				return nil
			}
		}
		return []string{name + ": matches none of the allowed forms"}
	}
	var errs []string
	if len(sc.Enum) > 0 {
		ok := false
		for _, e := range sc.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				ok = true
			}
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", name, v, sc.Enum))
		}
	}
	switch sc.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return append(errs, name+": not an object")
		}
		for _, r := range sc.Required {
			if _, ok := obj[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: %s is required", name, r))
			}
		}
		for k, val := range obj {
			child := sc.Properties[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			if child == nil {
				if sc.closed() {
					errs = append(errs, p+": not a parameter of the API")
				}
				continue
			}
			errs = append(errs, child.validate(p, val)...)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return append(errs, name+": not an array")
		}
		if sc.Items != nil {
			for i, it := range arr {
				errs = append(errs, sc.Items.validate(fmt.Sprintf("%s[%d]", path, i), it)...)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(errs, name+": not a string")
		}
		if sc.MaxLength != nil && utf8.RuneCountInString(str) > *sc.MaxLength {
			errs = append(errs, fmt.Sprintf("%s: longer than %d characters", name, *sc.MaxLength))
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok {
			return append(errs, name+": not a number")
		}
		if sc.Type == "integer" && f != float64(int64(f)) {
			errs = append(errs, name+": not an integer")
		}
		if sc.Minimum != nil && f < *sc.Minimum {
			errs = append(errs, fmt.Sprintf("%s: below the minimum %v", name, *sc.Minimum))
		}
		if sc.Maximum != nil && f > *sc.Maximum {
			errs = append(errs, fmt.Sprintf("%s: above the maximum %v", name, *sc.Maximum))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, name+": not a boolean")
		}
	}
	return errs
}

// FindSpec returns the manifest's path: $TOBIRA_COLORME_SPEC if set, else SpecFile under the
// nearest directory above the working directory that holds shared/.
func FindSpec() (string, error) { return specs.Find(spec.Env, spec.Name) }

var spec = specs.Once[*Spec]{What: "Color Me Shop tool manifest", Env: SpecEnv, Name: "colormeshop/tools.json",
	Load: LoadSpec}

// TestSpec loads the manifest once per test binary (FindSpec). When it is missing, the test is
// skipped with the reason, or fails if the CI environment variable is set: CI must never pass
// by skipping the fake's checks.
func TestSpec(tb testing.TB) *Spec {
	tb.Helper()
	return spec.Get(tb)
}

// NewTest starts a fake for a test, validating every request against the manifest from
// TestSpec, and closes it at the end. A request the manifest does not allow fails the test.
func NewTest(tb testing.TB, opts Options) *Server {
	tb.Helper()
	opts.Spec = TestSpec(tb)
	s := New(opts)
	tb.Cleanup(func() {
		s.Close()
		for _, v := range s.SpecViolations() {
			tb.Errorf("colormetest: a request the API does not take: %s", v)
		}
	})
	return s
}
