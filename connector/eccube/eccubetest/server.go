// Package eccubetest is a fake EC-CUBE 4 shop with the Web API plugin (eccube-api4), for tests of
// connector/eccube and of hosts that use it.
//
// It is built from the plugin's own documentation and code, not from what the connector sends:
//
//   - ../shared/specs/eccube4/SOURCE.txt (beside the repository): the schema page docs/_pages/schema.md of
//     github.com/EC-CUBE/eccube-api4 at 6ce2dab8d0719f116126e1504f093249bde4676b, read at load
//     time (LoadSchema extracts its SDL; nothing of it is copied here). Every document the fake
//     receives is parsed and validated against it with gqlparser, as the plugin's
//     webonyx/graphql-php validates it, and refused with the same kind of GraphQL error.
//   - The plugin's pages at that commit: index.md (endpoints https://<host>/api for queries and
//     mutations, https://<host>/token for tokens; OAuth 2.0 not fully RFC 6749), authZ_code_grant.md
//     (token answer {token_type, expires_in: 3600, access_token, refresh_token}, scopes "read"
//     and "write", write needed for mutations), query/orders.md (page/limit paging with
//     totalCount and pageInfo{hasNextPage hasPreviousPage}), mutation/update_shipped.md,
//     mutation/product_stock.md, webhook.md (a JSON array of {entity, id, action}, signed in
//     X-ECCUBE-Signature with HMAC-SHA256 of the body under the webhook's secret).
//   - The plugin's code at that commit, for what the pages leave open: SearchFormQuery (page and
//     limit must be positive; argument errors are "<field>: <problem>;" with category
//     "Invalid argument"), UpdateShippedMutation ("id: No Shipping found;", "id: Already shipped;",
//     "id: The associated order cannot be shipped;", the order becomes 発送済み when every Shipping
//     has shipped), UpdateProductStockMutation ("code: No ProductClass found;", "code: Multiple
//     ProductClass found;", "stock: stock is required when stock limited;", "stock: stock must be
//     a positive integer;"), DateTimeType (DATE_ATOM only), ScopeValidationRule ("Insufficient
//     permission. (read,write)"), WebHookService (hex hash_hmac('sha256', body, secret)) and
//     ApiController (HTTP 200 for every GraphQL answer, errors included).
//   - EC-CUBE 4 core for the order search the API calls (OrderRepository's admin search: newest
//     update first; orders in 購入処理中 and 決済処理中 left out unless asked for), the
//     update_datetime_end bound taken as inclusive (as EC-CUBE's CustomerRepository does), and the
//     status IDs (OrderStatus master). These come from EC-CUBE's core, not from the plugin's
//     pages: confirmed in one source only. The order of equal update times is the database's;
//     Options.TiesAscending flips it so tests show a client does not depend on it.
//
// The plugin enables only the authorization code grant (with refresh tokens) in the admin screen;
// the client credentials grant is off unless the shop's OAuth2 server config turns it on.
// Options.ClientCredentials chooses which the fake accepts; refresh tokens always work and
// rotate, as league/oauth2-server's do.
//
// The fake keeps state: orders with their Shippings move through EC-CUBE's statuses as buyers and
// staff act (PlaceOrder, ChangeAddress, SetStatus) and as updateShipped ships them; product
// classes hold stock. It checks the bearer token (401 without a valid one) and its scope, pages
// as the schema allows, and injects faults: ThrottleNext (HTTP 429 with Retry-After, as a
// web server in front of a self-hosted shop answers), FailNext (an HTTP status), StallNext (apply
// the next mutation, then hold the answer until the client gives up), SlowNext, ExpireTokens.
package eccubetest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/internal/gqlresult"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// TokenTTL is the access token's lifetime the plugin answers (expires_in 3600).
const TokenTTL = time.Hour

// Options configures a fake shop. The zero value, with a Schema, works.
type Options struct {
	// Schema validates every document; required (NewTest loads it).
	Schema *Schema
	// Now is the shop's clock, stamping create and update dates; nil is time.Now. EC-CUBE keeps
	// them to the second.
	Now func() time.Time
	// ClientCredentials makes the token endpoint accept grant_type=client_credentials, as a shop
	// whose OAuth2 server config enables it does. Off, only refresh_token works (the plugin's
	// default, after the authorization code flow in the admin screen).
	ClientCredentials bool
	// ReadOnly issues tokens with the "read" scope only.
	ReadOnly bool
	// TiesAscending lists orders updated in the same second by ascending ID; by default they
	// come by descending ID. The plugin leaves it to the database, and clients must not care.
	TiesAscending bool
	// MaxBody caps a request body (default 1 MiB).
	MaxBody int64
}

// Stats counts what the fake received.
type Stats struct {
	Requests       int // every request, refused ones included
	TokenRequests  int // POST /token
	TokensIssued   int
	Mutations      int // mutations executed
	ShippedCalls   int // updateShipped fields executed
	StockCalls     int // updateProductStock fields executed
	Unauthorized   int // API calls refused for their token
	InvalidQueries int // documents refused by validation
}

// Server is a running fake shop.
type Server struct {
	opts  Options
	ts    *httptest.Server
	clock func() time.Time

	mu           sync.Mutex
	nextID       int
	orders       map[int]*shopOrder
	classes      map[string][]*productClass
	clientID     string
	clientSecret string
	tokens       map[string]token
	refresh      map[string]bool
	stats        Stats
	throttle     []time.Duration
	fail         []int
	stall        int
	slow         time.Duration
	events       []WebhookEvent
	queries      []string
}

type token struct {
	expires time.Time
	write   bool
}

// WebhookEvent is one entry of a webhook's payload.
type WebhookEvent struct {
	Entity string `json:"entity"`
	ID     int    `json:"id"`
	Action string `json:"action"`
}

// New starts a fake shop.
func New(opts Options) (*Server, error) {
	if opts.Schema == nil {
		return nil, errors.New("eccubetest: Options.Schema is nil")
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 1 << 20
	}
	s := &Server{opts: opts, orders: map[int]*shopOrder{}, classes: map[string][]*productClass{},
		clientID: randomHex(16), clientSecret: randomHex(32), tokens: map[string]token{}, refresh: map[string]bool{}}
	s.clock = opts.Now
	if s.clock == nil {
		s.clock = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.handleToken)
	mux.HandleFunc("/api", s.handleAPI)
	s.ts = httptest.NewServer(s.count(mux))
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// now is the shop's clock to the second, as EC-CUBE's datetimetz columns keep it.
func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

// URL is the shop's base URL (https://<host> in production).
func (s *Server) URL() string { return s.ts.URL }

// ClientID and ClientSecret are the API client's credentials registered in the admin screen.
func (s *Server) ClientID() string     { return s.clientID }
func (s *Server) ClientSecret() string { return s.clientSecret }

// IssueRefreshToken returns a refresh token, as the authorization code flow in the admin
// screen ends with.
func (s *Server) IssueRefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := "def50200" + randomHex(32)
	s.refresh[rt] = true
	return rt
}

// Close stops the server.
func (s *Server) Close() { s.ts.Close() }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Queries returns every document the fake received, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// ThrottleNext makes the next request answer 429 with Retry-After: wait.
func (s *Server) ThrottleNext(wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = append(s.throttle, wait)
}

// FailNext makes the next request answer status with EC-CUBE's error page.
func (s *Server) FailNext(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, status)
}

// StallNext makes the next mutation apply and then hold its answer until the client gives up.
func (s *Server) StallNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall++
}

// SlowNext delays the next answer by d (or until the client gives up).
func (s *Server) SlowNext(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slow = d
}

// ExpireTokens revokes every access token issued so far, as their hour running out does.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]token{}
}

// TakeWebhook returns the webhook the plugin would send for the changes since the last call,
// signed with secret, or nil when nothing changed. The request targets target.
func (s *Server) TakeWebhook(target, secret string) *http.Request {
	s.mu.Lock()
	evs := s.events
	s.events = nil
	s.mu.Unlock()
	if len(evs) == 0 {
		return nil
	}
	body, _ := json.Marshal(evs)
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-ECCUBE-URL", s.ts.URL+"/")
	if secret != "" {
		req.Header.Set("X-ECCUBE-Signature", Sign(body, secret))
	}
	return req
}

// Sign is the plugin's webhook signature: hex HMAC-SHA256 of the body under the secret.
func Sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// event records a change for the next webhook; the plugin sends one per entity and action.
func (s *Server) event(entity string, id int, action string) {
	for _, e := range s.events {
		if e.Entity == entity && e.ID == id && e.Action == action {
			return
		}
	}
	s.events = append(s.events, WebhookEvent{Entity: entity, ID: id, Action: action})
}

// count applies the request-level faults.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.Requests++
		var wait time.Duration
		throttled := len(s.throttle) > 0
		if throttled {
			wait, s.throttle = s.throttle[0], s.throttle[1:]
		}
		status := 0
		if !throttled && len(s.fail) > 0 {
			status, s.fail = s.fail[0], s.fail[1:]
		}
		slow := s.slow
		s.slow = 0
		s.mu.Unlock()
		if slow > 0 {
			t := time.NewTimer(slow)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case throttled:
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		case status != 0:
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.WriteHeader(status)
			fmt.Fprintf(w, "<!doctype html><title>システムエラーが発生しました</title><h1>%d</h1>", status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ---- OAuth2 token endpoint ----

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc, "message": desc})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "The request method must be POST.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter.")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	grant := r.PostForm.Get("grant_type")
	if grant == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", `The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. Check the "grant_type" parameter.`)
		return
	}
	if grant != "client_credentials" && grant != "refresh_token" && grant != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if grant == "client_credentials" && !s.opts.ClientCredentials {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if !hmac.Equal([]byte(id), []byte(s.clientID)) || !hmac.Equal([]byte(secret), []byte(s.clientSecret)) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	answer := map[string]any{"token_type": "Bearer", "expires_in": int(TokenTTL / time.Second)}
	switch grant {
	case "authorization_code":
		oauthError(w, http.StatusBadRequest, "invalid_grant", "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
		return
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !s.refresh[rt] {
			oauthError(w, http.StatusUnauthorized, "invalid_grant", "The refresh token is invalid.")
			return
		}
		delete(s.refresh, rt) // rotated: a refresh token works once
		next := "def50200" + randomHex(32)
		s.refresh[next] = true
		answer["refresh_token"] = next
	}
	at := "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + randomHex(24)
	// The token lives an hour by the wall clock: the fake's Now may be a seeding clock in the past.
	s.tokens[at] = token{expires: time.Now().Add(TokenTTL), write: !s.opts.ReadOnly}
	s.stats.TokensIssued++
	answer["access_token"] = at
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(answer)
}

// ---- the GraphQL endpoint ----

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func errorsOnly(list gqlerror.List) map[string]any {
	out := make([]gqlError, 0, len(list))
	for _, e := range list {
		ge := gqlError{Message: e.Message, Extensions: map[string]any{"category": "graphql"}}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, location{Line: l.Line, Column: l.Column})
		}
		out = append(out, ge)
	}
	return map[string]any{"errors": out}
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// webonyx turns an unexpected exception into a generic error; the fake must not crash.
		if p := recover(); p != nil {
			writeJSON(w, map[string]any{"errors": []gqlError{{Message: "Internal server error", Extensions: map[string]any{"category": "internal"}}}})
		}
	}()
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	s.mu.Lock()
	t, known := s.tokens[tok]
	valid := ok && known && time.Now().Before(t.expires)
	if !valid {
		s.stats.Unauthorized++
	}
	s.mu.Unlock()
	if !valid {
		// The OAuth2 firewall refuses before the controller runs.
		w.Header().Set("WWW-Authenticate", `Bearer realm="eccube"`)
		oauthError(w, http.StatusUnauthorized, "access_denied", "The resource owner or authorization server denied the request.")
		return
	}
	var req gqlRequest
	if r.Method == http.MethodGet {
		req.Query = r.URL.Query().Get("query")
		if v := r.URL.Query().Get("variables"); v != "" {
			_ = json.Unmarshal([]byte(v), &req.Variables)
		}
	} else {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
		if err != nil {
			http.Error(w, "Request Entity Too Large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, map[string]any{"errors": []gqlError{{Message: "Syntax Error: Unexpected <EOF>", Extensions: map[string]any{"category": "graphql"}}}})
			return
		}
	}
	s.mu.Lock()
	s.queries = append(s.queries, req.Query)
	s.mu.Unlock()
	doc, errs := gqlparser.LoadQueryWithRules(s.opts.Schema.ast, req.Query, rules.NewDefaultRules())
	if len(errs) > 0 {
		s.mu.Lock()
		s.stats.InvalidQueries++
		s.mu.Unlock()
		writeJSON(w, errorsOnly(errs))
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		writeJSON(w, map[string]any{"errors": []gqlError{{Message: "Unknown operation named \"" + req.OperationName + "\".", Extensions: map[string]any{"category": "graphql"}}}})
		return
	}
	vars, verr := validator.VariableValues(s.opts.Schema.ast, op, req.Variables)
	if verr != nil {
		var ge *gqlerror.Error
		if !errors.As(verr, &ge) {
			ge = gqlerror.Errorf("%s", verr.Error())
		}
		writeJSON(w, errorsOnly(gqlerror.List{ge}))
		return
	}
	if op.Operation == ast.Mutation && !t.write {
		writeJSON(w, map[string]any{"errors": []gqlError{{Message: "Insufficient permission. (read,write)", Extensions: map[string]any{"category": "graphql"}}}})
		return
	}
	data, gerrs := s.execute(op, vars)
	stalled := false
	if op.Operation == ast.Mutation {
		s.mu.Lock()
		if s.stall > 0 {
			s.stall--
			stalled = true
		}
		s.mu.Unlock()
	}
	if stalled {
		<-r.Context().Done() // applied; the answer is lost
		return
	}
	out := gqlresult.Object{}
	if len(gerrs) > 0 {
		out.Set("errors", gerrs)
	}
	out.Set("data", data)
	writeJSON(w, out)
}

// execute runs an operation's root fields in order, as webonyx runs mutations: one failing
// field is null with an error, the others go on.
func (s *Server) execute(op *ast.OperationDefinition, vars map[string]any) (data gqlresult.Object, errs []gqlError) {
	e := &executor{vars: vars}
	data = gqlresult.Object{}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch f := sel.(type) {
			case *ast.InlineFragment:
				walk(f.SelectionSet)
				continue
			case *ast.FragmentSpread:
				if f.Definition != nil {
					walk(f.Definition.SelectionSet)
				}
				continue
			case *ast.Field:
				if !e.included(f.Directives) {
					continue
				}
				key := f.Alias
				if key == "" {
					key = f.Name
				}
				if f.Name == "__typename" {
					data.Set(key, f.ObjectDefinition.Name)
					continue
				}
				v, err := s.resolveRoot(op.Operation, f, vars)
				if err != nil {
					ge := gqlError{Message: "Internal server error", Extensions: map[string]any{"category": "internal"},
						Locations: []location{{Line: f.Position.Line, Column: f.Position.Column}}, Path: []any{key}}
					var ae argError
					if errors.As(err, &ae) {
						ge.Message, ge.Extensions["category"] = string(ae), "Invalid argument"
					}
					errs = append(errs, ge)
					data.Set(key, nil)
					continue
				}
				s.mu.Lock()
				out := e.value(f.SelectionSet, v)
				s.mu.Unlock()
				data.Set(key, out)
			}
		}
	}
	walk(op.SelectionSet)
	return data, errs
}

func (s *Server) resolveRoot(kind ast.Operation, f *ast.Field, vars map[string]any) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	args := f.ArgumentMap(vars)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case kind == ast.Query && f.Name == "orders":
		return s.resolveOrders(args)
	case kind == ast.Query && f.Name == "order":
		id, _ := toString(args["id"])
		if o := s.orderByID(id); o != nil {
			return s.orderNode(o), nil
		}
		return nil, nil
	case kind == ast.Query && f.Name == "products":
		q, _ := toString(args["id"])
		nodes := s.products(q)
		return s.connection(nodes, args)
	case kind == ast.Query && f.Name == "hello":
		return "hello", nil
	case kind == ast.Mutation && f.Name == "updateShipped":
		s.stats.Mutations++
		s.stats.ShippedCalls++
		return s.updateShipped(args)
	case kind == ast.Mutation && f.Name == "updateProductStock":
		s.stats.Mutations++
		s.stats.StockCalls++
		return s.updateProductStock(args)
	}
	return nil, nil // customers, customer, product: not modelled
}

func pageArgs(args map[string]any) (page, limit int, err error) {
	p, ok := toInt(args["page"])
	if !ok {
		p = 1
	}
	l, ok := toInt(args["limit"])
	if !ok {
		l = 50
	}
	var msg string
	if p <= 0 {
		msg += "page: 0より大きな値を入力してください。;"
	}
	if l <= 0 {
		msg += "limit: 0より大きな値を入力してください。;"
	}
	if msg != "" {
		return 0, 0, argError(msg)
	}
	return int(min(p, 1<<30)), int(min(l, 1<<30)), nil
}

func (s *Server) connection(nodes []node, args map[string]any) (any, error) {
	page, limit, err := pageArgs(args)
	if err != nil {
		return nil, err
	}
	total := len(nodes)
	start := min((page-1)*limit, total)
	if page-1 > total/max(limit, 1) {
		start = total
	}
	end := min(start+limit, total)
	slice := nodes[start:end]
	edges := make([]node, len(slice))
	for i, n := range slice {
		edges[i] = node{"node": n}
	}
	return node{
		"nodes": slice, "edges": edges, "totalCount": total,
		"pageInfo": node{"hasNextPage": end < total, "hasPreviousPage": page > 1},
	}, nil
}

func (s *Server) resolveOrders(args map[string]any) (any, error) {
	var f orderFilter
	var msg string
	for _, k := range []string{"update_datetime_start", "update_datetime_end"} {
		t, ok, err := toTime(args[k])
		if err != nil {
			msg += k + ": 有効な値ではありません。;"
			continue
		}
		if ok {
			if k == "update_datetime_start" {
				f.from = &t
			} else {
				f.to = &t
			}
		}
	}
	if list, ok := args["status"].([]any); ok {
		f.statuses = map[int]bool{}
		for _, v := range list {
			n, ok := toInt(v)
			if !ok || statusNames[int(n)] == "" {
				msg += "status: 選択した値は無効です。;"
				break
			}
			f.statuses[int(n)] = true
		}
	}
	if msg != "" {
		return nil, argError(msg)
	}
	list := s.searchOrders(f)
	nodes := make([]node, len(list))
	for i, o := range list {
		nodes[i] = s.orderNode(o)
	}
	return s.connection(nodes, args)
}

// mtextLen is eccube_mtext_len, the longest shipping_delivery_name and tracking_number.
const mtextLen = 200

func (s *Server) updateShipped(args map[string]any) (any, error) {
	var msg string
	id, _ := toInt(args["id"])
	if id <= 0 {
		msg += "id: This value should be greater than 0.;"
	}
	var date time.Time
	if v, present := args["shipping_date"]; present && v != nil {
		t, _, err := toTime(v)
		if err != nil {
			return nil, err
		}
		date = t
	}
	for _, k := range []string{"shipping_delivery_name", "tracking_number"} {
		if v, _ := args[k].(string); len([]rune(v)) > mtextLen {
			msg += fmt.Sprintf("%s: This value is too long. It should have %d characters or less.;", k, mtextLen)
		}
	}
	if msg != "" {
		return nil, argError(msg)
	}
	var sh *shipping
	for _, o := range s.orders {
		for _, x := range o.shippings {
			if int64(x.id) == id {
				sh = x
			}
		}
	}
	if sh == nil {
		return nil, invalid("id: No Shipping found;")
	}
	if sh.shippingDate != nil {
		return nil, invalid("id: Already shipped;")
	}
	o := sh.order
	switch o.status {
	case StatusNew, StatusPaid, StatusInProgress, StatusDelivered:
	default:
		return nil, invalid("id: The associated order cannot be shipped;")
	}
	now := s.now()
	if date.IsZero() {
		date = now
	}
	sh.shippingDate = &date
	if v, present := args["shipping_delivery_name"]; present {
		sh.deliveryName, _ = v.(string)
	}
	if v, present := args["tracking_number"]; present {
		sh.tracking, _ = v.(string)
	}
	if v, present := args["note"]; present {
		sh.note, _ = v.(string)
	}
	if send, _ := args["is_send_mail"].(bool); send {
		sh.mailSendDate = &now
	}
	sh.updated, o.updated = now, now
	all := true
	for _, x := range o.shippings {
		all = all && x.shippingDate != nil
	}
	if all {
		o.status = StatusDelivered
	}
	s.event("order", o.id, "updated")
	return s.shippingNode(sh), nil
}

func (s *Server) updateProductStock(args map[string]any) (any, error) {
	code, _ := args["code"].(string)
	pcs := s.classes[code]
	switch {
	case len(pcs) < 1:
		return nil, invalid("code: No ProductClass found;")
	case len(pcs) > 1:
		return nil, invalid("code: Multiple ProductClass found;")
	}
	pc := pcs[0]
	unlimited, _ := args["stock_unlimited"].(bool)
	raw, present := args["stock"]
	if unlimited {
		if present {
			return nil, invalid("stock: Cannot update stock with stock unlimited;")
		}
		pc.unlimited, pc.stock = true, 0
	} else {
		if !present || raw == nil {
			return nil, invalid("stock: stock is required when stock limited;")
		}
		n, _ := toInt(raw)
		if n < 0 {
			return nil, invalid("stock: stock must be a positive integer;")
		}
		pc.unlimited, pc.stock = false, int(n)
	}
	pc.updated = s.now()
	s.event("product", pc.id, "updated")
	return classNode(pc), nil
}
