package amazon

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/httpclient"
)

// FeedLimit is the most messages one JSON_LISTINGS_FEED takes, and so SetStock's BatchLimit.
const FeedLimit = 25000

// feedContentType is the feed document's content type, named in createFeedDocument and sent
// with the upload (the presigned URL signs it).
const feedContentType = "application/json; charset=UTF-8"

// BatchLimit is the most updates one SetStock takes: one feed's messages.
func (c *Client) BatchLimit() int { return FeedLimit }

// pendingFeed is a submitted feed whose outcome SetStock did not see.
type pendingFeed struct {
	id   string
	skus map[string]bool
}

type availabilityValue struct {
	Channel  string `json:"fulfillment_channel_code"`
	Quantity int    `json:"quantity"`
}

type patch struct {
	Op    string              `json:"op"`
	Path  string              `json:"path"`
	Value []availabilityValue `json:"value"`
}

func quantityPatch(n int) []patch {
	return []patch{{Op: "replace", Path: "/attributes/fulfillment_availability", Value: []availabilityValue{{Channel: "DEFAULT", Quantity: n}}}}
}

// SetStock sets the merchant-fulfilled quantity of each SKU: through patchListingsItem for up
// to Config.PatchMax updates, through a JSON_LISTINGS_FEED for more, waiting for the feed's
// processing report to know what Amazon accepted.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > FeedLimit {
		return nil, fmt.Errorf("amazon: SetStock: %d updates, more than %d: %w", len(updates), FeedLimit, connector.ErrPermanent)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, u := range updates {
		if u.Available < 0 {
			return nil, fmt.Errorf("amazon: SetStock: negative quantity for %q: %w", truncate(u.SKU, 40), connector.ErrPermanent)
		}
	}
	if err := c.settlePending(ctx, updates); err != nil {
		return nil, err
	}
	if len(updates) <= c.cfg.PatchMax {
		return c.patch(ctx, updates)
	}
	return c.feed(ctx, updates)
}

func (c *Client) listingPath(sku string) string {
	return "/listings/2021-08-01/items/" + url.PathEscape(c.cfg.SellerID) + "/" + url.PathEscape(sku)
}

type submission struct {
	SKU    string `json:"sku"`
	Status string `json:"status"`
	Issues []struct {
		Code     string `json:"code"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"issues"`
}

// patch sends one patchListingsItem per update.
func (c *Client) patch(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	res := make([]connector.StockResult, len(updates))
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}}
	for i, u := range updates {
		res[i].SKU = u.SKU
		if u.SKU == "" {
			res[i].Err = fmt.Errorf("amazon: SetStock: empty SKU: %w", connector.ErrPermanent)
			continue
		}
		var out submission
		_, err := c.do(ctx, call{op: "patchListingsItem", method: http.MethodPatch, path: c.listingPath(u.SKU), query: q,
			body: map[string]any{"productType": c.cfg.ProductType, "patches": quantityPatch(u.Available)}}, &out)
		switch {
		case err != nil && connector.Classify(err) == connector.Permanent:
			res[i].Err = err
		case err != nil && i == 0:
			// Nothing applied yet: the call as a whole failed.
			return nil, err
		case err != nil:
			res[i].Err = err
		case out.Status == "INVALID":
			res[i].Err = rejected(u.SKU, issueMessages(out))
		}
	}
	return res, nil
}

func issueMessages(s submission) []string {
	var msgs []string
	for _, is := range s.Issues {
		if is.Severity == "ERROR" {
			msgs = append(msgs, is.Message)
		}
	}
	return msgs
}

// RejectedError is the per-SKU error of an update Amazon refused, with Amazon's messages. It
// matches connector.ErrPermanent.
type RejectedError struct {
	SKU      string
	Messages []string
}

func (e *RejectedError) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" {
		msg = "no reason given"
	}
	return fmt.Sprintf("amazon: Amazon refused the quantity of %s: %s", e.SKU, httpclient.Redact(truncate(msg, 500)))
}

// Unwrap makes it match connector.ErrPermanent.
func (e *RejectedError) Unwrap() error { return connector.ErrPermanent }

func rejected(sku string, msgs []string) error { return &RejectedError{SKU: sku, Messages: msgs} }

// ---- feeds ----

type feedHeader struct {
	SellerID    string `json:"sellerId"`
	Version     string `json:"version"`
	IssueLocale string `json:"issueLocale,omitempty"`
}

type feedMessage struct {
	MessageID     int     `json:"messageId"`
	SKU           string  `json:"sku"`
	OperationType string  `json:"operationType"`
	ProductType   string  `json:"productType"`
	Patches       []patch `json:"patches"`
}

// FeedDocument returns the JSON_LISTINGS_FEED document SetStock uploads for updates: message i+1
// sets update i.
func (c *Client) FeedDocument(updates []connector.StockUpdate) ([]byte, error) {
	doc := struct {
		Header   feedHeader    `json:"header"`
		Messages []feedMessage `json:"messages"`
	}{Header: feedHeader{SellerID: c.cfg.SellerID, Version: "2.0", IssueLocale: "ja_JP"}}
	doc.Messages = make([]feedMessage, len(updates))
	for i, u := range updates {
		doc.Messages[i] = feedMessage{MessageID: i + 1, SKU: u.SKU, OperationType: "PATCH", ProductType: c.cfg.ProductType, Patches: quantityPatch(u.Available)}
	}
	return json.Marshal(doc)
}

func (c *Client) feed(ctx context.Context, all []connector.StockUpdate) ([]connector.StockResult, error) {
	// An update Amazon's feed schema would refuse (an empty SKU) is answered here, and the
	// feed carries the others.
	res := make([]connector.StockResult, len(all))
	var updates []connector.StockUpdate
	var index []int // message i+1 is update index[i]
	for i, u := range all {
		res[i].SKU = u.SKU
		if u.SKU == "" {
			res[i].Err = fmt.Errorf("amazon: SetStock: empty SKU: %w", connector.ErrPermanent)
			continue
		}
		updates = append(updates, u)
		index = append(index, i)
	}
	if len(updates) == 0 {
		return res, nil
	}
	doc, err := c.FeedDocument(updates)
	if err != nil {
		return nil, fmt.Errorf("amazon: SetStock: %w", connector.ErrPermanent)
	}
	var created struct {
		ID  string `json:"feedDocumentId"`
		URL string `json:"url"`
	}
	if _, err := c.do(ctx, call{op: "createFeedDocument", method: http.MethodPost, path: "/feeds/2021-06-30/documents",
		body: map[string]string{"contentType": feedContentType}, safe: true}, &created); err != nil {
		return nil, err
	}
	if _, err := c.transfer(ctx, http.MethodPut, created.URL, doc); err != nil {
		return nil, err
	}
	var feed struct {
		ID string `json:"feedId"`
	}
	if _, err := c.do(ctx, call{op: "createFeed", method: http.MethodPost, path: "/feeds/2021-06-30/feeds",
		body: map[string]any{"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": []string{c.cfg.MarketplaceID}, "inputFeedDocumentId": created.ID}}, &feed); err != nil {
		return nil, err
	}
	if feed.ID == "" {
		return nil, fmt.Errorf("amazon: createFeed: no feedId in the answer: %w", connector.ErrOutcomeUnknown)
	}
	p := &pendingFeed{id: feed.ID, skus: make(map[string]bool, len(updates))}
	for _, u := range updates {
		p.skus[u.SKU] = true
	}
	c.mu.Lock()
	c.pending[feed.ID] = p
	c.mu.Unlock()
	report, err := c.awaitFeed(ctx, feed.ID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	delete(c.pending, feed.ID)
	c.mu.Unlock()
	for i, r := range results(updates, report) {
		res[index[i]] = r
	}
	return res, nil
}

// processingReport is the JSON listings feed processing report (v2), as far as SetStock reads it.
type processingReport struct {
	Issues []struct {
		MessageID int    `json:"messageId"`
		SKU       string `json:"sku"`
		Code      string `json:"code"`
		Severity  string `json:"severity"`
		Message   string `json:"message"`
	} `json:"issues"`
	Summary struct {
		MessagesProcessed int `json:"messagesProcessed"`
		MessagesAccepted  int `json:"messagesAccepted"`
		MessagesInvalid   int `json:"messagesInvalid"`
	} `json:"summary"`
}

// errFeedFatal marks a feed Amazon could not process at all.
var errFeedFatal = errors.New("the feed was not processed")

// results gives each update the outcome the report states for its message.
func results(updates []connector.StockUpdate, r *processingReport) []connector.StockResult {
	msgs := map[int][]string{}
	for _, is := range r.Issues {
		if is.Severity == "ERROR" && is.MessageID > 0 {
			msgs[is.MessageID] = append(msgs[is.MessageID], is.Message)
		}
	}
	res := make([]connector.StockResult, len(updates))
	for i, u := range updates {
		res[i].SKU = u.SKU
		if m, ok := msgs[i+1]; ok {
			res[i].Err = rejected(u.SKU, m)
		}
	}
	return res
}

// awaitFeed polls the feed until it is done and returns its processing report.
func (c *Client) awaitFeed(ctx context.Context, id string) (*processingReport, error) {
	for {
		var f struct {
			Status string `json:"processingStatus"`
			Result string `json:"resultFeedDocumentId"`
		}
		if _, err := c.do(ctx, call{op: "getFeed", method: http.MethodGet, path: "/feeds/2021-06-30/feeds/" + url.PathEscape(id)}, &f); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("amazon: feed %s submitted, its outcome unseen: %w", id, connector.WriteFailed(context.DeadlineExceeded))
			}
			return nil, fmt.Errorf("amazon: feed %s submitted, its status unreadable: %w: %w", id, connector.ErrOutcomeUnknown, err)
		}
		switch f.Status {
		case "DONE":
			return c.report(ctx, id, f.Result)
		case "FATAL":
			if f.Result != "" {
				if r, err := c.report(ctx, id, f.Result); err == nil && len(r.Issues) > 0 {
					return nil, fmt.Errorf("amazon: feed %s: %w: %s: %w", id, errFeedFatal, httpclient.Redact(truncate(r.Issues[0].Message, 300)), connector.ErrPermanent)
				}
			}
			return nil, fmt.Errorf("amazon: feed %s: %w: %w", id, errFeedFatal, connector.ErrPermanent)
		case "CANCELLED":
			return nil, fmt.Errorf("amazon: feed %s was cancelled: %w", id, connector.ErrTemporary)
		}
		t := time.NewTimer(c.cfg.FeedPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("amazon: feed %s submitted, still processing: %w", id, connector.WriteFailed(context.DeadlineExceeded))
		case <-t.C:
		}
	}
}

// report downloads and reads a feed's processing report.
func (c *Client) report(ctx context.Context, feedID, docID string) (*processingReport, error) {
	if docID == "" {
		return nil, fmt.Errorf("amazon: feed %s is done without a report: %w", feedID, connector.ErrOutcomeUnknown)
	}
	var d struct {
		URL         string `json:"url"`
		Compression string `json:"compressionAlgorithm"`
	}
	if _, err := c.do(ctx, call{op: "getFeedDocument", method: http.MethodGet, path: "/feeds/2021-06-30/documents/" + url.PathEscape(docID)}, &d); err != nil {
		return nil, fmt.Errorf("amazon: feed %s: %w: %w", feedID, connector.ErrOutcomeUnknown, err)
	}
	body, err := c.transfer(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("amazon: feed %s: %w: %w", feedID, connector.ErrOutcomeUnknown, err)
	}
	data, err := decodeReport(body, d.Compression)
	if err != nil {
		return nil, fmt.Errorf("amazon: feed %s: %w: %w", feedID, connector.ErrOutcomeUnknown, err)
	}
	return data, nil
}

// maxReport caps a decompressed processing report.
const maxReport = 256 << 20

// decodeReport reads a processing report, gunzipping it when Amazon compressed it.
func decodeReport(body []byte, compression string) (*processingReport, error) {
	if compression == "GZIP" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("report: %w", connector.ErrPermanent)
		}
		body, err = io.ReadAll(io.LimitReader(zr, maxReport+1))
		if err != nil || len(body) > maxReport {
			return nil, fmt.Errorf("report: unreadable or too large: %w", connector.ErrPermanent)
		}
	}
	var r processingReport
	if err := httpclient.Decode(body, &r, httpclient.DecodeOptions{}); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return &r, nil
}

// transfer moves a document to or from its presigned URL (not SP-API: no token, no usage plan).
func (c *Client) transfer(ctx context.Context, method, u string, body []byte) ([]byte, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") {
		return nil, fmt.Errorf("amazon: feed document URL is not an HTTP URL: %w", connector.ErrPermanent)
	}
	h := http.Header{}
	if body != nil {
		h.Set("Content-Type", feedContentType)
	}
	// Uploading the same bytes again is harmless: the request is marked safe to retry.
	resp, err := c.http.Do(ctx, &httpclient.Request{Method: method, URL: u, Header: h, Body: body, Key: c.cfg.SellerID + "/documents", Safe: true})
	if err != nil {
		return nil, fmt.Errorf("amazon: feed document %s: %w", strings.ToLower(method), err)
	}
	return resp.Body, nil
}

// settlePending waits for submitted feeds whose outcome is unknown and that hold one of the
// updates' SKUs, so an older value never lands after a newer one.
func (c *Client) settlePending(ctx context.Context, updates []connector.StockUpdate) error {
	c.mu.Lock()
	var ids []string
	for id, p := range c.pending {
		for _, u := range updates {
			if p.skus[u.SKU] {
				ids = append(ids, id)
				break
			}
		}
	}
	c.mu.Unlock()
	for _, id := range ids {
		if _, err := c.awaitFeed(ctx, id); err != nil && !errors.Is(err, connector.ErrPermanent) {
			return fmt.Errorf("amazon: SetStock waits for an earlier feed: %w", err)
		}
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}
	return nil
}

// ReadStock reads the merchant-fulfilled quantity Amazon shows for each SKU; SKUs without a
// listing are left out.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := c.search(ctx, batch, out)
		batch = batch[:0]
		return err
	}
	for _, sku := range skus {
		if sku == "" {
			continue
		}
		if strings.Contains(sku, ",") || len(skus) == 1 {
			// identifiers is comma-separated: such a SKU is read alone.
			n, ok, err := c.readOne(ctx, sku)
			if err != nil {
				return nil, err
			}
			if ok {
				out[sku] = n
			}
			continue
		}
		if batch = append(batch, sku); len(batch) == 20 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

type listingItem struct {
	SKU          string `json:"sku"`
	Availability []struct {
		Channel  string `json:"fulfillmentChannelCode"`
		Quantity *int   `json:"quantity"`
	} `json:"fulfillmentAvailability"`
}

func (l listingItem) quantity() (int, bool) {
	for _, a := range l.Availability {
		if a.Channel == "DEFAULT" {
			if a.Quantity == nil {
				return 0, true
			}
			return *a.Quantity, true
		}
	}
	return 0, true // listed, no merchant-fulfilled quantity: nothing to sell
}

func (c *Client) readOne(ctx context.Context, sku string) (int, bool, error) {
	var it listingItem
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {"fulfillmentAvailability"}}
	if _, err := c.do(ctx, call{op: "getListingsItem", method: http.MethodGet, path: c.listingPath(sku), query: q}, &it); err != nil {
		if errors.Is(err, connector.ErrNotFound) {
			return 0, false, nil
		}
		return 0, false, err
	}
	n, ok := it.quantity()
	return n, ok, nil
}

func (c *Client) search(ctx context.Context, skus []string, out map[string]int) error {
	want := map[string]bool{}
	for _, s := range skus {
		want[s] = true
	}
	q := url.Values{"marketplaceIds": {c.cfg.MarketplaceID}, "includedData": {"fulfillmentAvailability"},
		"identifiers": {strings.Join(skus, ",")}, "identifiersType": {"SKU"}, "pageSize": {strconv.Itoa(20)}}
	for range 100 {
		var res struct {
			Items      []listingItem `json:"items"`
			Pagination *struct {
				Next string `json:"nextToken"`
			} `json:"pagination"`
		}
		if _, err := c.do(ctx, call{op: "searchListingsItems", method: http.MethodGet,
			path: "/listings/2021-08-01/items/" + url.PathEscape(c.cfg.SellerID), query: q}, &res); err != nil {
			if errors.Is(err, connector.ErrNotFound) {
				return nil
			}
			return err
		}
		for _, it := range res.Items {
			if want[it.SKU] {
				out[it.SKU], _ = it.quantity()
			}
		}
		if res.Pagination == nil || res.Pagination.Next == "" {
			return nil
		}
		q.Set("pageToken", res.Pagination.Next)
	}
	return fmt.Errorf("amazon: searchListingsItems: too many pages: %w", connector.ErrPermanent)
}
