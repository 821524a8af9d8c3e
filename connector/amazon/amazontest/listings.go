package amazontest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Listing is one of the seller's listings (an offer on a SKU).
type Listing struct {
	SKU, ProductType string
	// Quantity is the merchant-fulfilled quantity (fulfillment channel DEFAULT).
	Quantity int
	// Reject, when set, makes every change to the listing's quantity fail with this message, as
	// a listing with a problem Amazon will not accept an update for.
	Reject string
}

// AddListing lists a SKU with a quantity.
func (s *Server) AddListing(sku, productType string, quantity int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listings[sku] = &Listing{SKU: sku, ProductType: productType, Quantity: quantity}
}

// Quantity returns the SKU's quantity and whether it is listed.
func (s *Server) Quantity(sku string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listings[sku]
	if l == nil {
		return 0, false
	}
	return l.Quantity, true
}

// SetQuantity changes the quantity behind the connector's back (the seller in Seller Central).
func (s *Server) SetQuantity(sku string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.listings[sku]; l != nil {
		l.Quantity = n
	}
}

// RejectUpdates makes Amazon refuse quantity updates of sku with message ("" accepts again).
func (s *Server) RejectUpdates(sku, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.listings[sku]; l != nil {
		l.Reject = message
	}
}

// Submissions counts the quantity changes Amazon accepted (patches and feed messages).
func (s *Server) Submissions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.submits
}

type patchOp struct {
	Op    string            `json:"op"`
	Path  string            `json:"path"`
	Value []json.RawMessage `json:"value,omitempty"`
}

type availability struct {
	Channel  string `json:"fulfillment_channel_code"`
	Quantity *int   `json:"quantity"`
}

type issue struct {
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Severity   string   `json:"severity"`
	Attributes []string `json:"attributeNames,omitempty"`
	Categories []string `json:"categories"`
}

// applyPatches applies patches to the SKU's listing and returns the issues that refused them;
// the caller holds s.mu.
func (s *Server) applyPatches(sku string, patches []patchOp) []issue {
	l := s.listings[sku]
	if l == nil {
		return []issue{{Code: "4000001", Message: "The SKU " + sku + " does not have a listing for this seller.", Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}}}
	}
	qty := -1
	for _, p := range patches {
		if p.Path != "/attributes/fulfillment_availability" || (p.Op != "replace" && p.Op != "merge") || len(p.Value) != 1 {
			return []issue{{Code: "90220", Message: "This fake supports only replacing fulfillment_availability.", Severity: "ERROR", Categories: []string{"INVALID_ATTRIBUTE"}}}
		}
		var a availability
		if err := json.Unmarshal(p.Value[0], &a); err != nil || a.Channel != "DEFAULT" || a.Quantity == nil || *a.Quantity < 0 {
			return []issue{{Code: "90220", Message: "'fulfillment_availability' requires fulfillment_channel_code DEFAULT and a quantity of 0 or more.",
				Severity: "ERROR", Attributes: []string{"fulfillment_availability"}, Categories: []string{"INVALID_ATTRIBUTE"}}}
		}
		qty = *a.Quantity
	}
	if l.Reject != "" {
		return []issue{{Code: "8541", Message: l.Reject, Severity: "ERROR", Attributes: []string{"fulfillment_availability"}, Categories: []string{"INVALID_ATTRIBUTE"}}}
	}
	if qty >= 0 {
		l.Quantity = qty
		s.submits++
	}
	return nil
}

func (s *Server) sellerPath(x *exchange) (sku string, ok bool) {
	p := strings.Split(x.r.URL.Path, "/")
	if p[4] != s.opts.SellerID {
		x.fail(http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.")
		return "", false
	}
	if !slices.Contains(csv(x.r.URL.Query().Get("marketplaceIds")), s.opts.MarketplaceID) {
		x.fail(http.StatusBadRequest, "InvalidInput", "Invalid marketplaceIds.")
		return "", false
	}
	if len(p) > 5 {
		return p[5], true
	}
	return "", true
}

func (s *Server) patchListingsItem(x *exchange) {
	sku, ok := s.sellerPath(x)
	if !ok {
		return
	}
	var req struct {
		ProductType string    `json:"productType"`
		Patches     []patchOp `json:"patches"`
	}
	if err := json.Unmarshal(x.body, &req); err != nil || req.ProductType == "" || len(req.Patches) == 0 {
		x.fail(http.StatusBadRequest, "InvalidInput", "productType and patches are required.")
		return
	}
	s.mu.Lock()
	issues := s.applyPatches(sku, req.Patches)
	s.mu.Unlock()
	status := "ACCEPTED"
	if len(issues) > 0 {
		status = "INVALID"
	} else {
		issues = []issue{}
	}
	x.json(http.StatusOK, map[string]any{"sku": sku, "status": status, "submissionId": randHex(16), "issues": issues})
}

func (s *Server) item(l *Listing, included []string) map[string]any {
	out := map[string]any{"sku": l.SKU}
	if slices.Contains(included, "fulfillmentAvailability") {
		out["fulfillmentAvailability"] = []map[string]any{{"fulfillmentChannelCode": "DEFAULT", "quantity": l.Quantity}}
	}
	if slices.Contains(included, "summaries") || len(included) == 0 {
		out["summaries"] = []map[string]any{{"marketplaceId": s.opts.MarketplaceID, "productType": l.ProductType,
			"status": []string{"BUYABLE"}, "createdDate": "2026-01-05T00:00:00Z", "lastUpdatedDate": "2026-01-05T00:00:00Z",
			"asin": "B0FAKE" + fmt.Sprintf("%04d", len(l.SKU))}}
	}
	return out
}

func (s *Server) getListingsItem(x *exchange) {
	sku, ok := s.sellerPath(x)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.listings[sku]
	if l == nil {
		x.fail(http.StatusNotFound, "NOT_FOUND", "SKU '"+sku+"' not found in marketplace "+s.opts.MarketplaceID)
		return
	}
	x.json(http.StatusOK, s.item(l, csv(x.r.URL.Query().Get("includedData"))))
}

func (s *Server) searchListingsItems(x *exchange) {
	if _, ok := s.sellerPath(x); !ok {
		return
	}
	q := x.r.URL.Query()
	ids := csv(q.Get("identifiers"))
	if len(ids) == 0 || q.Get("identifiersType") != "SKU" || len(ids) > 20 {
		x.fail(http.StatusBadRequest, "InvalidInput", "This fake searches by identifiersType SKU with 1 to 20 identifiers.")
		return
	}
	size := 10
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			x.fail(http.StatusBadRequest, "InvalidInput", "pageSize must be between 1 and 20.")
			return
		}
		size = n
	}
	start := 0
	if v := q.Get("pageToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			x.fail(http.StatusBadRequest, "InvalidInput", "Invalid pageToken.")
			return
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*Listing
	for _, id := range ids {
		if l := s.listings[id]; l != nil {
			found = append(found, l)
		}
	}
	items := []map[string]any{}
	for i := start; i < len(found) && i < start+size; i++ {
		items = append(items, s.item(found[i], csv(q.Get("includedData"))))
	}
	out := map[string]any{"numberOfResults": len(found), "items": items}
	if start+size < len(found) {
		out["pagination"] = map[string]string{"nextToken": strconv.Itoa(start + size)}
	}
	x.json(http.StatusOK, out)
}

// ---- feeds ----

type document struct {
	id          string
	contentType string
	content     []byte
	uploaded    bool
	secret      string
	expires     time.Time
	gzip        bool
}

type feed struct {
	id, feedType, docID string
	created             time.Time
	polls               int
	status              string
	result              string
}

func (s *Server) presigned(d *document) string {
	return s.srv.URL + "/s3/" + d.id + "?X-Amz-Expires=300&X-Amz-Signature=" + d.secret
}

func (s *Server) createFeedDocument(x *exchange) {
	var req struct {
		ContentType string `json:"contentType"`
	}
	if err := json.Unmarshal(x.body, &req); err != nil || req.ContentType == "" {
		x.fail(http.StatusBadRequest, "InvalidInput", "contentType is required.")
		return
	}
	d := &document{id: "amzn1.tortuga.4." + randHex(12), contentType: req.ContentType, secret: randHex(16), expires: time.Now().Add(5 * time.Minute)}
	s.mu.Lock()
	s.docs[d.id] = d
	s.mu.Unlock()
	x.json(http.StatusCreated, map[string]string{"feedDocumentId": d.id, "url": s.presigned(d)})
}

// transfer serves the presigned URLs: PUT uploads a feed document, GET downloads a report.
func (s *Server) transfer(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.TrimPrefix(r.URL.Path, "/s3/")
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[id]
	s3err := func(status int, code string) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code></Error>", code)
	}
	switch {
	case d == nil || r.URL.Query().Get("X-Amz-Signature") != d.secret:
		s3err(http.StatusForbidden, "SignatureDoesNotMatch")
	case time.Now().After(d.expires):
		s3err(http.StatusForbidden, "AccessDenied")
	case r.Method == http.MethodPut && d.result():
		s3err(http.StatusForbidden, "AccessDenied")
	case r.Method == http.MethodPut:
		if r.Header.Get("Content-Type") != d.contentType {
			s3err(http.StatusForbidden, "SignatureDoesNotMatch") // the content type is signed
			return
		}
		d.content, d.uploaded = body, true
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && d.result():
		w.Header().Set("Content-Type", d.contentType)
		_, _ = w.Write(d.content)
	default:
		s3err(http.StatusForbidden, "AccessDenied")
	}
}

// result reports whether the document is a processing report (downloadable, not uploadable).
func (d *document) result() bool { return strings.HasPrefix(d.id, "amzn1.tortuga.result.") }

func (s *Server) createFeed(x *exchange) {
	var req struct {
		FeedType            string            `json:"feedType"`
		MarketplaceIDs      []string          `json:"marketplaceIds"`
		InputFeedDocumentID string            `json:"inputFeedDocumentId"`
		FeedOptions         map[string]string `json:"feedOptions"`
	}
	if err := json.Unmarshal(x.body, &req); err != nil {
		x.fail(http.StatusBadRequest, "InvalidInput", "Request body cannot be parsed.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[req.InputFeedDocumentID]
	switch {
	case req.FeedType != "JSON_LISTINGS_FEED":
		x.fail(http.StatusBadRequest, "InvalidInput", "This fake processes JSON_LISTINGS_FEED only.")
		return
	case !slices.Equal(req.MarketplaceIDs, []string{s.opts.MarketplaceID}):
		x.fail(http.StatusBadRequest, "InvalidInput", "Invalid marketplaceIds.")
		return
	case d == nil || !d.uploaded:
		x.fail(http.StatusBadRequest, "InvalidInput", "The feed document "+req.InputFeedDocumentID+" has no content.")
		return
	}
	f := &feed{id: strconv.Itoa(50000000000 + len(s.feeds) + 1), feedType: req.FeedType, docID: d.id, created: time.Now().UTC(), status: "IN_QUEUE"}
	s.feeds[f.id] = f
	x.status = http.StatusAccepted
	x.json(http.StatusAccepted, map[string]string{"feedId": f.id})
}

func (s *Server) getFeed(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[id]
	if f == nil {
		x.fail(http.StatusNotFound, "NotFound", "Feed "+id+" not found.")
		return
	}
	f.polls++
	out := map[string]any{"feedId": f.id, "feedType": f.feedType, "marketplaceIds": []string{s.opts.MarketplaceID},
		"createdTime": f.created.Format(time.RFC3339)}
	if f.status == "IN_QUEUE" {
		f.status = "IN_PROGRESS"
	}
	s.processDue()
	out["processingStatus"] = f.status
	if f.status != "IN_QUEUE" {
		out["processingStartTime"] = f.created.Format(time.RFC3339)
	}
	if f.status == "DONE" || f.status == "FATAL" {
		out["processingEndTime"] = time.Now().UTC().Format(time.RFC3339)
		out["resultFeedDocumentId"] = f.result
	}
	x.json(http.StatusOK, out)
}

// processDue processes every feed whose time has come, whether or not anyone polls it, as Amazon
// does: FeedDelay after its creation, or with no delay on its second getFeed (so a client sees it
// IN_PROGRESS first). The caller holds s.mu.
func (s *Server) processDue() {
	for _, f := range s.feeds {
		if f.status != "IN_QUEUE" && f.status != "IN_PROGRESS" {
			continue
		}
		if s.opts.FeedDelay > 0 && time.Since(f.created) >= s.opts.FeedDelay || s.opts.FeedDelay == 0 && f.polls >= 2 {
			s.process(f)
		}
	}
}

type feedMessage struct {
	MessageID     int       `json:"messageId"`
	SKU           string    `json:"sku"`
	OperationType string    `json:"operationType"`
	ProductType   string    `json:"productType"`
	Patches       []patchOp `json:"patches"`
}

type reportIssue struct {
	MessageID     int    `json:"messageId,omitempty"`
	SKU           string `json:"sku,omitempty"`
	Code          string `json:"code,omitempty"`
	Severity      string `json:"severity"`
	Message       string `json:"message"`
	AttributeName string `json:"attributeName,omitempty"`
}

// process applies a feed's messages and writes its processing report; the caller holds s.mu.
func (s *Server) process(f *feed) {
	d := s.docs[f.docID]
	content := d.content
	if fv, ok := s.opts.Validator.(FeedValidator); ok {
		if err := fv.ValidateFeedDocument(content); err != nil {
			s.violations = append(s.violations, fmt.Sprintf("feed document %s does not fit the listings feed schema: %v", d.id, err))
		}
	}
	var doc struct {
		Header struct {
			SellerID string `json:"sellerId"`
			Version  string `json:"version"`
		} `json:"header"`
		Messages []feedMessage `json:"messages"`
	}
	var issues []reportIssue
	accepted, invalid := 0, 0
	if err := json.Unmarshal(content, &doc); err != nil || doc.Header.Version != "2.0" || doc.Header.SellerID != s.opts.SellerID {
		f.status = "FATAL"
		issues = append(issues, reportIssue{Code: "4000003", Severity: "ERROR", Message: "The feed document could not be read as a JSON listings feed (v2)."})
	} else {
		f.status = "DONE"
		for _, m := range doc.Messages {
			var got []issue
			if m.OperationType != "PATCH" || m.ProductType == "" {
				got = []issue{{Code: "90220", Message: "This fake processes PATCH messages with a productType.", Severity: "ERROR"}}
			} else {
				got = s.applyPatches(m.SKU, m.Patches)
			}
			if len(got) > 0 {
				invalid++
				for _, is := range got {
					ri := reportIssue{MessageID: m.MessageID, SKU: m.SKU, Code: is.Code, Severity: is.Severity, Message: is.Message}
					if len(is.Attributes) > 0 {
						ri.AttributeName = is.Attributes[0]
					}
					issues = append(issues, ri)
				}
				continue
			}
			accepted++
		}
	}
	report := map[string]any{
		"header":  map[string]string{"sellerId": s.opts.SellerID, "version": "2.0", "feedId": f.id},
		"issues":  append([]reportIssue{}, issues...),
		"summary": map[string]int{"errors": len(issues), "warnings": 0, "messagesProcessed": accepted + invalid, "messagesAccepted": accepted, "messagesInvalid": invalid},
	}
	b, _ := json.Marshal(report)
	if fv, ok := s.opts.Validator.(FeedValidator); ok {
		if err := fv.ValidateProcessingReport(b); err != nil {
			s.violations = append(s.violations, fmt.Sprintf("processing report of feed %s does not fit its schema: %v", f.id, err))
		}
	}
	// Amazon compresses large reports; the fake does too, above 64 KiB.
	r := &document{id: "amzn1.tortuga.result." + randHex(12), contentType: "application/json", secret: randHex(16), uploaded: true}
	if len(b) > 64<<10 {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b, r.gzip = buf.Bytes(), true
	}
	r.content = b
	s.docs[r.id] = r
	f.result = r.id
}

func (s *Server) getFeedDocument(x *exchange) {
	id := strings.Split(x.r.URL.Path, "/")[4]
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[id]
	if d == nil || !d.result() {
		x.fail(http.StatusNotFound, "NotFound", "Feed document "+id+" not found.")
		return
	}
	d.expires = time.Now().Add(5 * time.Minute)
	out := map[string]string{"feedDocumentId": d.id, "url": s.presigned(d)}
	if d.gzip {
		out["compressionAlgorithm"] = "GZIP"
	}
	x.json(http.StatusOK, out)
}

// FeedReport returns a feed's processing report (decompressed) for tests.
func (s *Server) FeedReport(feedID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[feedID]
	if f == nil || f.result == "" {
		return nil
	}
	d := s.docs[f.result]
	if !d.gzip {
		return d.content
	}
	zr, err := gzip.NewReader(bytes.NewReader(d.content))
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(zr)
	return b
}
