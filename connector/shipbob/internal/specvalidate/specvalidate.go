// Package specvalidate checks requests to and answers from the ShipBob fake against ShipBob's
// OpenAPI file with kin-openapi. Only tests import it.
//
// The file is OpenAPI 3.1, which kin-openapi v0.153 loads and validates as is; it is never
// edited. One in-memory adaptation is applied after loading: every object schema that lists
// properties and says nothing of additional ones gets additionalProperties: false, so that a
// request or answer carrying a field the file does not name fails. ShipBob itself may ignore
// such a field; the point is that neither the connector nor the fake may rely on one.
//
// Answers that are not ShipBob's documented operations' statuses are left out of response
// validation: 429 (documented on ShipBob's rate-limit page, not in the file) and the 5xx the
// tests inject.
package specvalidate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/tobira-commerce/tobira/internal/oasstrict"
	"github.com/tobira-commerce/tobira/internal/specs"
)

// SpecFile is the spec's path below the directory that holds the shared material.
const SpecFile = "shared/specs/shipbob/shipbob-openapi.json"

// Find returns the spec's path, in shared/ in the nearest directory above the working directory
// that holds it.
func Find() (string, error) { return specs.Find(spec.Env, spec.Name) }

// Validator checks exchanges against the spec.
type Validator struct {
	doc    *openapi3.T
	routes []route
}

type route struct {
	re    *regexp.Regexp
	names []string
	path  string
	item  *openapi3.PathItem
	fixed int // literal characters, to prefer the most specific template
}

var spec = specs.Once[*Validator]{What: "ShipBob OpenAPI file (" + SpecFile + ")",
	Name: "shipbob/shipbob-openapi.json", Load: LoadFile}

// Load returns the validator, loading the spec once per test binary. Without the spec the test
// is skipped, or fails when the CI environment variable is set.
func Load(tb testing.TB) *Validator {
	tb.Helper()
	return spec.Get(tb)
}

// LoadFile loads and adapts the spec at path.
func LoadFile(path string) (*Validator, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the spec does not validate: %w", err)
	}
	oasstrict.CloseObjects(doc)
	v := &Validator{doc: doc}
	for tmpl, item := range doc.Paths.Map() {
		var names []string
		var b strings.Builder
		b.WriteString("^")
		fixed := 0
		rest := tmpl
		for {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				b.WriteString(regexp.QuoteMeta(rest))
				fixed += len(rest)
				break
			}
			j := strings.IndexByte(rest[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("bad path template %q", tmpl)
			}
			b.WriteString(regexp.QuoteMeta(rest[:i]))
			fixed += i
			names = append(names, rest[i+1:i+j])
			b.WriteString("([^/:]+)")
			rest = rest[i+j+1:]
		}
		b.WriteString("$")
		v.routes = append(v.routes, route{re: regexp.MustCompile(b.String()), names: names, path: tmpl, item: item, fixed: fixed})
	}
	sort.Slice(v.routes, func(i, j int) bool { return v.routes[i].fixed > v.routes[j].fixed })
	return v, nil
}

func (v *Validator) find(method, path string) (*routers.Route, map[string]string, error) {
	for _, r := range v.routes {
		m := r.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		op := r.item.GetOperation(method)
		if op == nil {
			continue
		}
		params := map[string]string{}
		for i, n := range r.names {
			params[n] = m[i+1]
		}
		return &routers.Route{Spec: v.doc, Path: r.path, PathItem: r.item, Method: method, Operation: op}, params, nil
	}
	return nil, nil, fmt.Errorf("%s %s: no such operation in the spec", method, path)
}

// Check validates one request and, for a documented status, its answer.
func (v *Validator) Check(method string, u *url.URL, header http.Header, body []byte,
	status int, respHeader http.Header, respBody []byte) error {
	rt, params, err := v.find(method, u.Path)
	if err != nil {
		return err
	}
	req := httptest.NewRequest(method, u.RequestURI(), bytes.NewReader(body))
	req.Header = header.Clone()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	var errs []error
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		errs = append(errs, fmt.Errorf("request %s %s: %w", method, u.Path, err))
	}
	if status != http.StatusTooManyRequests && status < 500 {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: respHeader,
			Body:    io.NopCloser(bytes.NewReader(respBody)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			errs = append(errs, fmt.Errorf("response %d to %s %s: %w", status, method, u.Path, err))
		}
	}
	return errors.Join(errs...)
}

// Recorder collects the failures of checks made from any goroutine and reports them when the
// test ends.
type Recorder struct {
	v    *Validator
	mu   sync.Mutex
	errs []error
	n    int
}

// NewRecorder returns a recorder that fails tb at cleanup if any check failed.
func NewRecorder(tb testing.TB, v *Validator) *Recorder {
	r := &Recorder{v: v}
	tb.Cleanup(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, err := range r.errs {
			tb.Errorf("spec: %v", err)
		}
	})
	return r
}

// Check validates one exchange and keeps its failure.
func (r *Recorder) Check(method string, u *url.URL, header http.Header, body []byte,
	status int, respHeader http.Header, respBody []byte) {
	err := r.v.Check(method, u, header, body, status, respHeader, respBody)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// Errors returns the failures so far.
func (r *Recorder) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// Checked returns how many exchanges were checked.
func (r *Recorder) Checked() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Forget drops the failures after the first n, for a test that provoked them on purpose.
func (r *Recorder) Forget(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n < len(r.errs) {
		r.errs = r.errs[:n]
	}
}

// WaitChecked waits, up to five seconds, until n exchanges have been checked: the fake answers
// before its observer runs, so a test reads the failures of its last request only once they
// are in.
func (r *Recorder) WaitChecked(n int) {
	for deadline := time.Now().Add(5 * time.Second); r.Checked() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}
