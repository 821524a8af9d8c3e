// Package shopifytest is a fake Shopify shop for tests: an httptest.Server speaking the GraphQL
// Admin API at /admin/api/2026-07/graphql.json, for connectors and for hosts that embed them.
//
// The fake is built from Shopify's official schema, the introspection result Shopify publishes
// (in this project: specs/shopify/admin_2026-07.json.gz, whose origin SOURCE.txt beside it
// records). Every incoming document is validated against that schema with gqlparser and
// rejected with a GraphQL error, as Shopify does, when it names a field, argument or type the
// schema lacks. The operations the Tobira connector uses are executed for real over an
// in-memory shop: orders, products and variants, inventory items and levels at one location,
// fulfillment orders with their request and cancellation lifecycle, holds, fulfillments with
// tracking. Orders carry what a Japanese shop's orders do: payment gateways (代金引換 for cash
// on delivery) and financial status, totals, shipping lines, note attributes and line
// properties (delivery date and slot, gift wrapping, のし, message cards). Responses hold
// exactly the selected fields under their aliases; connections page with opaque cursors and
// pageInfo; the query argument of orders, productVariants and inventoryItems is evaluated in
// Shopify's search syntax (search.go).
//
// The fake never answers null where Shopify would not. A document that selects a field the
// fake does not model, or a search it cannot evaluate, is refused whole with a GraphQL error
// whose extensions.code is UNSUPPORTED_BY_FAKE, before anything is applied (model.go);
// TestFakeNeverNullForNonNull walks every non-null position of every modelled field.
//
// It also models what makes Shopify hard to integrate with: the access-token check (401 with
// Shopify's body), the calculated-cost bucket (configurable size and restore rate, THROTTLED
// answers with Shopify's error shape and extensions.cost on every answer; the requested cost
// is taken up front and what the answer did not use refunded, and a query over 1,000 points
// is refused with MAX_COST_EXCEEDED whatever the bucket), @idempotent keys remembered for
// Shopify's 24-hour retention window, injected faults (5xx,
// slow answers that time clients out after a write was applied, malformed JSON), and webhooks
// signed with the app secret, sent to a URL the host registers.
//
// The schema is passed in by the host (Options.Schema or Options.SchemaPath): the fake carries
// no copy of it. In tests, NewTest finds it (TOBIRA_SHOPIFY_SCHEMA, or the project's shared
// specs beside the repository) and skips with the reason when it is missing, failing instead
// when the CI environment variable is set.
//
// # Stability
//
// The fake grows with the connector: new methods and Options fields may appear, and fields it
// does not model today may start to resolve. Existing methods keep their meaning.
package shopifytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2"

	"github.com/tobira-commerce/tobira/connector/shopify"
	"github.com/tobira-commerce/tobira/internal/gqlresult"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// APIVersion is the Admin API version the fake serves: the connector's, so the two move
// together (see shopify.APIVersion), with the schema file of that version.
const APIVersion = shopify.APIVersion

// MaxQueryCost is Shopify's single-query cost limit, the same for every bucket size.
const MaxQueryCost = shopify.MaxQueryCost

// GraphQLPath is where the fake answers GraphQL requests.
const GraphQLPath = "/admin/api/" + APIVersion + "/graphql.json"

// Options configure a Server. Schema or SchemaPath is required; the rest have defaults.
type Options struct {
	// Schema is the introspection result (gzip or plain JSON); read once by New.
	Schema io.Reader
	// SchemaPath is read when Schema is nil.
	SchemaPath string
	// Parsed reuses a schema already loaded (LoadSchema), which saves a second or so per fake.
	Parsed *Schema
	// Shop is the shop's myshopify domain; default "tobira-test.myshopify.com".
	Shop string
	// Token is the access token requests must carry in X-Shopify-Access-Token; default
	// "shpat_test".
	Token string
	// AppSecret signs webhooks; default "app-secret".
	AppSecret string
	// BucketSize and RestoreRate shape the cost bucket (points, points per second); defaults
	// 1000 and 50.
	BucketSize, RestoreRate float64
	// Now is the fake's clock; default time.Now. Tests pass a virtual clock shared with the
	// client so that waiting for the bucket takes no real time.
	Now func() time.Time
	// Seed makes fault injection reproducible.
	Seed uint64
	// IdempotencyRetention is how long the fake remembers an @idempotent key; default
	// DefaultIdempotencyRetention, Shopify's documented window. A key used again after it
	// is a new request and is applied.
	IdempotencyRetention time.Duration
}

// DefaultIdempotencyRetention is the retention window of @idempotent keys: Shopify keeps a key
// for 24 hours, after which the same key is treated as a new request. Shopify's "Implementing
// idempotency" guide (https://shopify.dev/docs/api/usage/implementing-idempotency) documents the
// retention window for the mutations that take the @idempotent directive (inventorySetQuantities
// among them) together with the IDEMPOTENCY_* error codes the fake answers.
const DefaultIdempotencyRetention = 24 * time.Hour

// Faults are failure rates (0 to 1) applied to each GraphQL request after authentication.
type Faults struct {
	// ServerError answers 500, 502 or 503 without doing anything.
	ServerError float64
	// Timeout applies the operation, then waits TimeoutDelay (or until the client gives up)
	// before answering: a client sees a timeout after its write landed.
	Timeout      float64
	TimeoutDelay time.Duration
	// Malformed answers 200 with a truncated JSON body, after applying the operation.
	Malformed float64
}

// Stats count what the fake answered.
type Stats struct {
	Requests  int
	Throttled int
	Invalid   int // documents rejected by schema validation
	// Unsupported counts documents refused because they select what the fake does not model.
	Unsupported  int
	Unauthorized int
	Faults       int
	// Operations counts executed root fields by name ("orders", "fulfillmentCreate").
	Operations map[string]int
}

// Server is a fake Shopify shop. Its methods are safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	schema *Schema
	opts   Options

	mu          sync.Mutex
	now         func() time.Time
	rnd         *rand.Rand
	faults      Faults
	stats       Stats
	available   float64
	lastRefill  time.Time
	seq         int64
	shopName    string
	locationID  string
	variants    []*variant
	items       map[string]*invItem
	orders      map[string]*fOrder
	fos         map[string]*fOrderFO
	fulfills    map[string]*fulfillment
	idempotent  map[string]*idemEntry
	webhookURL  string
	callbackURL string
	client      *http.Client
	throttleFor time.Duration // answer the next request THROTTLED, asking for this wait
	stallWrite  bool          // hold the next mutation's answer until the client gives up
}

// ThrottleNext makes the fake answer its next GraphQL request THROTTLED, with a cost extension
// from which a client computes a wait of about wait.
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleFor = max(wait, time.Millisecond)
}

// StallNext makes the fake apply its next mutation and then hold the answer back until the
// client abandons the request, as a platform whose answer is lost to a timeout does.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallWrite = true
}

// New starts a fake shop. Close it when done.
func New(opts Options) (*Server, error) {
	schema := opts.Parsed
	if schema == nil {
		var err error
		switch {
		case opts.Schema != nil:
			schema, err = LoadSchema(opts.Schema)
		case opts.SchemaPath != "":
			schema, err = LoadSchemaFile(opts.SchemaPath)
		default:
			err = errors.New("shopifytest: Options.Schema or SchemaPath is required")
		}
		if err != nil {
			return nil, err
		}
	}
	if opts.Shop == "" {
		opts.Shop = "tobira-test.myshopify.com"
	}
	if opts.Token == "" {
		opts.Token = "shpat_test"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "app-secret"
	}
	if opts.BucketSize <= 0 {
		opts.BucketSize = 1000
	}
	if opts.RestoreRate <= 0 {
		opts.RestoreRate = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.IdempotencyRetention <= 0 {
		opts.IdempotencyRetention = DefaultIdempotencyRetention
	}
	s := &Server{
		schema: schema, opts: opts, now: opts.Now,
		rnd:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		available: opts.BucketSize, lastRefill: opts.Now(),
		seq: 1000, shopName: strings.TrimSuffix(opts.Shop, ".myshopify.com"),
		items: map[string]*invItem{}, orders: map[string]*fOrder{}, fos: map[string]*fOrderFO{},
		fulfills: map[string]*fulfillment{}, idempotent: map[string]*idemEntry{},
		stats:  Stats{Operations: map[string]int{}},
		client: &http.Client{Timeout: 10 * time.Second},
	}
	s.locationID = s.gid("Location")
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s, nil
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// URL is the shop's base URL (the fake's address), to which connectors append GraphQLPath.
func (s *Server) URL() string { return s.srv.URL }

// GraphQLURL is the full GraphQL endpoint.
func (s *Server) GraphQLURL() string { return s.srv.URL + GraphQLPath }

// Token is the access token the fake accepts.
func (s *Server) Token() string { return s.opts.Token }

// Shop is the shop's myshopify domain.
func (s *Server) Shop() string { return s.opts.Shop }

// AppSecret is the secret webhooks are signed with.
func (s *Server) AppSecret() string { return s.opts.AppSecret }

// LocationID is the GraphQL ID of the fulfillment service's location, where stock is kept and
// fulfillment orders are assigned.
func (s *Server) LocationID() string { return s.locationID }

// SetFaults replaces the fault rates.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Operations = make(map[string]int, len(s.stats.Operations))
	for k, v := range s.stats.Operations {
		st.Operations[k] = v
	}
	return st
}

func (s *Server) gid(kind string) string {
	s.seq++
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(s.seq, 10)
}

// stamp is Shopify's timestamp precision: whole seconds, UTC.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }

// ---- HTTP ----

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != GraphQLPath {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	if !hmac.Equal([]byte(r.Header.Get("X-Shopify-Access-Token")), []byte(s.opts.Token)) {
		s.mu.Lock()
		s.stats.Unauthorized++
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
		return
	}
	s.mu.Lock()
	f := s.faults
	roll := s.rnd.Float64()
	s.mu.Unlock()
	if roll < f.ServerError {
		s.count(func(st *Stats) { st.Faults++ })
		codes := []int{500, 502, 503}
		w.WriteHeader(codes[int(roll*1000)%3])
		io.WriteString(w, "<html><body>Internal Server Error</body></html>")
		return
	}
	var req gqlRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": "Bad Request: query is required"})
		return
	}
	if r.Context().Err() != nil {
		return // the client gave up before the request was processed
	}
	status, body, mutation := s.handle(&req)
	s.mu.Lock()
	stall := mutation && s.stallWrite
	if stall {
		s.stallWrite = false
	}
	s.mu.Unlock()
	if stall {
		<-r.Context().Done()
		return
	}
	switch {
	case roll < f.ServerError+f.Timeout:
		s.count(func(st *Stats) { st.Faults++ })
		delay := f.TimeoutDelay
		if delay <= 0 {
			delay = 5 * time.Second
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	case roll < f.ServerError+f.Timeout+f.Malformed:
		s.count(func(st *Stats) { st.Faults++ })
		body = body[:len(body)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func gqlErrors(list gqlerror.List) []any {
	out := make([]any, 0, len(list))
	for _, e := range list {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			locs := make([]any, len(e.Locations))
			for i, l := range e.Locations {
				locs[i] = map[string]int{"line": l.Line, "column": l.Column}
			}
			m["locations"] = locs
		}
		code := e.Rule
		if code == "" {
			code = "GRAPHQL_VALIDATION_FAILED"
		}
		m["extensions"] = map[string]any{"code": code}
		out = append(out, m)
	}
	return out
}

// handle validates, charges the bucket and executes one request.
func (s *Server) handle(req *gqlRequest) (status int, body []byte, mutation bool) {
	doc, errs := gqlparser.LoadQueryWithRules(s.schema.ast, req.Query, rules.NewDefaultRules())
	if len(errs) > 0 {
		s.count(func(st *Stats) { st.Invalid++ })
		b, _ := json.Marshal(map[string]any{"errors": gqlErrors(errs)})
		return http.StatusOK, b, false
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": "An operation name is required", "extensions": map[string]any{"code": "OPERATION_NAME_REQUIRED"}}}})
		return http.StatusOK, b, op != nil && op.Operation == ast.Mutation
	}
	vars, err := validator.VariableValues(s.schema.ast, op, normalizeNumbers(req.Variables).(map[string]any))
	if err != nil {
		b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": err.Error(), "extensions": map[string]any{"code": "INVALID_VARIABLE"}}}})
		return http.StatusOK, b, op != nil && op.Operation == ast.Mutation
	}
	root := s.schema.ast.Query
	if op.Operation == ast.Mutation {
		root = s.schema.ast.Mutation
	}
	if err := s.checkModelled(op.SelectionSet, root, op.Operation == ast.Mutation, vars); err != nil {
		s.count(func(st *Stats) { st.Unsupported++ })
		b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{"message": err.Error(), "extensions": map[string]any{"code": "UNSUPPORTED_BY_FAKE"}}}})
		return http.StatusOK, b, false
	}
	requested := cost(s.schema.ast, op.SelectionSet, root, vars, op.Operation == ast.Mutation)

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if el := now.Sub(s.lastRefill).Seconds(); el > 0 {
		s.available = min(s.opts.BucketSize, s.available+el*s.opts.RestoreRate)
	}
	s.lastRefill = now
	if maxCost := min(float64(MaxQueryCost), s.opts.BucketSize); float64(requested) > maxCost {
		// Shopify's limit is MaxQueryCost whatever the bucket; a toy bucket smaller than that
		// (a test's) refuses what it could never hold rather than throttling it forever.
		b, _ := json.Marshal(map[string]any{
			"errors":     []any{map[string]any{"message": fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%g).", requested, maxCost), "extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxCost, "documentation": "https://shopify.dev/api/usage/limits#rate-limits"}}},
			"extensions": s.costExt(requested, nil),
		})
		return http.StatusOK, b, op != nil && op.Operation == ast.Mutation
	}
	if s.throttleFor > 0 {
		// Report a bucket that needs throttleFor to hold this request's cost.
		s.available = max(0, float64(requested)-s.throttleFor.Seconds()*s.opts.RestoreRate)
		s.throttleFor = 0
		if float64(requested) <= s.available {
			s.available = float64(requested) - 1
		}
	}
	if float64(requested) > s.available {
		s.stats.Throttled++
		b, _ := json.Marshal(map[string]any{
			"errors":     []any{map[string]any{"message": "Throttled", "extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			"extensions": s.costExt(requested, nil),
		})
		return http.StatusOK, b, op != nil && op.Operation == ast.Mutation
	}
	s.available -= float64(requested)

	ex := &executor{schema: s.schema.ast, vars: vars}
	data := gqlresult.Object{}
	var gerrs []any
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || !ex.included(f.Directives) {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		if f.Name == "__typename" {
			data.Set(key, root.Name)
			continue
		}
		s.stats.Operations[f.Name]++
		args := f.ArgumentMap(vars)
		var v any
		var err error
		if op.Operation == ast.Mutation {
			v, err = s.mutate(f, args, vars)
		} else {
			v, err = s.query(f.Name, args)
		}
		if err != nil {
			gerrs = append(gerrs, map[string]any{"message": err.Error(), "path": []string{key}, "extensions": map[string]any{"code": "BAD_REQUEST"}})
			data.Set(key, nil)
			continue
		}
		data.Set(key, ex.exec(f.SelectionSet, v))
		if got, _ := data.Get(key); f.Definition != nil && nullAt(f.Definition.Type, got) {
			ex.nulls = append(ex.nulls, root.Name+"."+f.Name)
		}
	}
	if len(ex.nulls) > 0 {
		// Never answer null where Shopify cannot: a fault of the fake, reported as one.
		b, _ := json.Marshal(map[string]any{"errors": []any{map[string]any{
			"message":    "shopifytest: the fake shop would answer null for non-null " + strings.Join(ex.nulls, ", "),
			"extensions": map[string]any{"code": "INTERNAL_SERVER_ERROR"}}}})
		return http.StatusOK, b, op.Operation == ast.Mutation
	}
	// Shopify charges the requested cost up front and, once the query ran, refunds what the
	// answer did not use (connections shorter than first, for instance).
	actual := requested
	if op.Operation != ast.Mutation {
		actual = min(requested, actualCost(s.schema.ast, op.SelectionSet, data))
	}
	s.available = min(s.opts.BucketSize, s.available+float64(requested-actual))
	resp := gqlresult.Object{{Key: "data", Value: data}}
	if len(gerrs) > 0 {
		resp = append(gqlresult.Object{{Key: "errors", Value: gerrs}}, resp...)
	}
	resp = append(resp, gqlresult.Field{Key: "extensions", Value: s.costExt(requested, &actual)})
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"errors": []any{map[string]any{"message": "Internal error"}}})
		return http.StatusInternalServerError, b, true
	}
	return http.StatusOK, b, op != nil && op.Operation == ast.Mutation
}

func (s *Server) costExt(requested int, actual *int) map[string]any {
	var a any
	if actual != nil {
		a = *actual
	}
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested, "actualQueryCost": a,
		"throttleStatus": map[string]any{
			"maximumAvailable": s.opts.BucketSize, "currentlyAvailable": int(s.available), "restoreRate": s.opts.RestoreRate,
		},
	}}
}

// normalizeNumbers turns json.Number into int or float64, as gqlparser's coercion expects.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case nil:
		return map[string]any{}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e == nil {
				out[k] = nil
				continue
			}
			out[k] = normalizeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if e == nil {
				continue
			}
			out[i] = normalizeNumbers(e)
		}
		return out
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// ---- webhooks ----

// RegisterWebhooks sets where order webhooks go (one URL for every topic, as a host's handler
// takes them all) and the fulfillment service's callback URL ("" to leave unchanged).
func (s *Server) RegisterWebhooks(webhookURL, callbackURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if webhookURL != "" {
		s.webhookURL = webhookURL
	}
	if callbackURL != "" {
		s.callbackURL = callbackURL
	}
}

// Sign returns the X-Shopify-Hmac-SHA256 value for body.
func (s *Server) Sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(s.opts.AppSecret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SendOrderWebhook posts the order as a REST-style JSON webhook of topic ("orders/create",
// "orders/updated", "orders/cancelled") to the registered URL, signed, and returns the webhook
// ID it used (send the same delivery twice with Deliver).
func (s *Server) SendOrderWebhook(ctx context.Context, topic, orderID string) (string, error) {
	s.mu.Lock()
	o := s.orders[orderID]
	if o == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("shopifytest: no order %s", orderID)
	}
	body, _ := json.Marshal(o.restPayload())
	id := fmt.Sprintf("wh-%d", s.seq+1)
	s.seq++
	url := s.webhookURL
	s.mu.Unlock()
	return id, s.Deliver(ctx, url, topic, id, body)
}

// WebhookBody returns the order as an orders/* webhook would carry it, unsigned, for tests of a
// decoder.
func (s *Server) WebhookBody(orderID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[orderID]
	if o == nil {
		return nil, fmt.Errorf("shopifytest: no order %s", orderID)
	}
	return json.Marshal(o.restPayload())
}

// NotifyFulfillmentService posts a fulfillment_order_notification with kind
// ("FULFILLMENT_REQUEST" or "CANCELLATION_REQUEST") to the callback URL, as Shopify does when a
// merchant sends a request.
func (s *Server) NotifyFulfillmentService(ctx context.Context, kind string) error {
	s.mu.Lock()
	url := strings.TrimSuffix(s.callbackURL, "/") + "/fulfillment_order_notification"
	s.seq++
	id := fmt.Sprintf("wh-%d", s.seq)
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"kind": kind})
	return s.Deliver(ctx, url, "fulfillment_orders/notification", id, body)
}

// Deliver posts body to url with Shopify's webhook headers and a correct HMAC.
func (s *Server) Deliver(ctx context.Context, url, topic, webhookID string, body []byte) error {
	if url == "" || url == "/fulfillment_order_notification" {
		return errors.New("shopifytest: no webhook URL registered")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Hmac-SHA256", s.Sign(body))
	req.Header.Set("X-Shopify-Shop-Domain", s.opts.Shop)
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-API-Version", APIVersion)
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("shopifytest: webhook answered %d", resp.StatusCode)
	}
	return nil
}
