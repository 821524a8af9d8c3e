package woocommerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// StockBatchLimit is the most objects one products/batch or variations/batch call takes.
const StockBatchLimit = 100

// ErrUnknownSKU is the result of an update for a SKU no product or variation of the shop
// carries, after the catalogue was scanned for it.
var ErrUnknownSKU = fmt.Errorf("woocommerce: no product or variation has this SKU: %w", connector.ErrPermanent)

// errStaleID is the result of an update whose product ID WooCommerce no longer knows (the
// product was deleted or recreated): the SKU is looked up again on the next call.
var errStaleID = fmt.Errorf("woocommerce: the product ID this SKU mapped to is gone; it is looked up again on the next call: %w", connector.ErrTemporary)

// target is where a SKU's stock lives: a product, or a variation of a parent product.
type target struct {
	ID, Parent int64
}

// skuMap is the SKU-to-ID map: filled by lookups, by scans of the catalogue, and by the
// product and variation IDs of listed orders' lines; entries WooCommerce refuses are dropped.
type skuMap struct {
	mu       sync.Mutex
	m        map[string]target
	lastScan time.Time
}

func newSKUMap() *skuMap { return &skuMap{m: map[string]target{}} }

func (s *skuMap) get(sku string) (target, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[sku]
	return t, ok
}

func (s *skuMap) put(sku string, t target) {
	if sku == "" || t.ID <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[sku] = t
}

// learn records what an order line says (product_id, and variation_id for a variation) for a
// SKU the map does not know yet. It never replaces an entry: an old order's line may name a
// product since deleted and listed again under a new ID.
func (s *skuMap) learn(sku string, product, variation int64) {
	t := target{ID: product}
	if variation > 0 {
		t = target{ID: variation, Parent: product}
	}
	if sku == "" || t.ID <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[sku]; !ok {
		s.m[sku] = t
	}
}

func (s *skuMap) forget(sku string, t target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[sku] == t {
		delete(s.m, sku)
	}
}

type wcProduct struct {
	ID            int64   `json:"id"`
	ParentID      int64   `json:"parent_id"`
	Type          string  `json:"type"`
	SKU           string  `json:"sku"`
	ManageStock   any     `json:"manage_stock"` // true, false, or "parent" for variations
	StockQuantity *int    `json:"stock_quantity"`
	Variations    []int64 `json:"variations"`
}

// BatchLimit implements connector.StockTarget.
func (c *Client) BatchLimit() int { return StockBatchLimit }

// resolve finds each SKU's product or variation: from the map, then by GET /products?sku=
// (comma-separated, 100 at a time), then, at most once per Config.SKURescan, by scanning every
// variable product's variations. SKUs still unknown are absent from the result.
func (c *Client) resolve(ctx context.Context, skus []string) (map[string]target, error) {
	out := map[string]target{}
	var missing []string
	for _, s := range skus {
		if t, ok := c.skus.get(s); ok {
			out[s] = t
		} else if !slices.Contains(missing, s) && s != "" && !strings.Contains(s, ",") {
			missing = append(missing, s)
		}
	}
	for rest := missing; len(rest) > 0; {
		n := min(len(rest), 100)
		batch := rest[:n]
		rest = rest[n:]
		q := url.Values{"sku": {strings.Join(batch, ",")}, "per_page": {"100"}}
		err := c.eachPage(ctx, "find products by SKU", APIPath+"/products", q, func(p wcProduct) {
			if slices.Contains(batch, p.SKU) {
				c.skus.put(p.SKU, target{ID: p.ID, Parent: p.ParentID})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	var still []string
	for _, s := range missing {
		if t, ok := c.skus.get(s); ok {
			out[s] = t
		} else {
			still = append(still, s)
		}
	}
	if len(still) == 0 {
		return out, nil
	}
	c.skus.mu.Lock()
	due := c.now().Sub(c.skus.lastScan) >= c.cfg.SKURescan
	if due {
		c.skus.lastScan = c.now()
	}
	c.skus.mu.Unlock()
	if due {
		if err := c.scanVariations(ctx); err != nil {
			c.skus.mu.Lock()
			c.skus.lastScan = time.Time{}
			c.skus.mu.Unlock()
			return nil, err
		}
	}
	for _, s := range still {
		if t, ok := c.skus.get(s); ok {
			out[s] = t
		}
	}
	return out, nil
}

// scanVariations lists every variable product's variations into the map.
func (c *Client) scanVariations(ctx context.Context) error {
	var parents []int64
	err := c.eachPage(ctx, "list variable products", APIPath+"/products", url.Values{"type": {"variable"}, "per_page": {"100"}}, func(p wcProduct) {
		parents = append(parents, p.ID)
	})
	if err != nil {
		return err
	}
	for _, parent := range parents {
		path := APIPath + "/products/" + strconv.FormatInt(parent, 10) + "/variations"
		err := c.eachPage(ctx, "list variations", path, url.Values{"per_page": {"100"}}, func(v wcProduct) {
			c.skus.put(v.SKU, target{ID: v.ID, Parent: parent})
		})
		if err != nil && !errors.Is(err, connector.ErrNotFound) {
			return err
		}
	}
	return nil
}

// eachPage follows a product listing's pages by X-WP-TotalPages. Items that do not decode are
// skipped: one broken product must not hide the others.
func (c *Client) eachPage(ctx context.Context, op, path string, q url.Values, f func(wcProduct)) error {
	for page := 1; page <= 1000; page++ {
		q.Set("page", strconv.Itoa(page))
		resp, err := c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: q})
		if err != nil {
			return err
		}
		var raws []json.RawMessage
		if err := decode(op, resp, &raws, false); err != nil {
			return err
		}
		for _, raw := range raws {
			var p wcProduct
			if json.Unmarshal(raw, &p) == nil && p.ID > 0 {
				f(p)
			}
		}
		pages, err := strconv.Atoi(resp.Header.Get("X-WP-TotalPages"))
		if err != nil || page >= pages || len(raws) == 0 {
			return nil
		}
	}
	return nil
}

// SetStock implements connector.StockTarget: one products/batch call for simple products and
// one products/<parent>/variations/batch call per parent for variations, each update setting
// manage_stock and stock_quantity. WooCommerce applies each object on its own and answers per
// object; an object it refuses gets its error, the rest apply.
//
// WooCommerce takes no idempotency key, and StockUpdate.Key is not sent: the quantities are
// absolute, so a batch sent again after a lost answer sets the same values. When one call of
// several fails, its updates get the error and the others their results; when every call fails,
// SetStock returns the error.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > StockBatchLimit {
		return nil, fmt.Errorf("woocommerce: %d updates exceed the batch limit %d: %w", len(updates), StockBatchLimit, connector.ErrPermanent)
	}
	results := make([]connector.StockResult, len(updates))
	skus := make([]string, len(updates))
	for i, u := range updates {
		results[i].SKU = u.SKU
		skus[i] = u.SKU
	}
	targets, err := c.resolve(ctx, skus)
	if err != nil {
		return nil, err
	}
	groups := map[int64][]int{} // parent (0 for products) → update indexes
	var parents []int64
	seen := map[string]bool{}
	for i, u := range updates {
		t, ok := targets[u.SKU]
		switch {
		case !ok:
			results[i].Err = ErrUnknownSKU
		case seen[u.SKU]:
			results[i].Err = fmt.Errorf("woocommerce: SKU repeated in one batch: %w", connector.ErrPermanent)
		case u.Available < 0:
			results[i].Err = fmt.Errorf("woocommerce: negative quantity: %w", connector.ErrPermanent)
		default:
			seen[u.SKU] = true
			if _, ok := groups[t.Parent]; !ok {
				parents = append(parents, t.Parent)
			}
			groups[t.Parent] = append(groups[t.Parent], i)
		}
	}
	var firstErr error
	applied := 0
	for _, parent := range parents {
		idx := groups[parent]
		err := c.batch(ctx, parent, updates, idx, targets, results)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			for _, i := range idx {
				results[i].Err = err
			}
			continue
		}
		applied++
	}
	if firstErr != nil && applied == 0 {
		return nil, firstErr
	}
	return results, nil
}

func (c *Client) batch(ctx context.Context, parent int64, updates []connector.StockUpdate, idx []int, targets map[string]target, results []connector.StockResult) error {
	items := make([]map[string]any, len(idx))
	for j, i := range idx {
		items[j] = map[string]any{"id": targets[updates[i].SKU].ID, "manage_stock": true, "stock_quantity": updates[i].Available}
	}
	path, op := APIPath+"/products/batch", "update stock"
	if parent != 0 {
		path, op = APIPath+"/products/"+strconv.FormatInt(parent, 10)+"/variations/batch", "update variation stock"
	}
	resp, err := c.do(ctx, call{op: op, method: http.MethodPost, path: path, body: map[string]any{"update": items}, safe: true})
	if err != nil {
		if parent != 0 && errors.Is(err, connector.ErrNotFound) {
			// The parent is gone: every variation under it is stale.
			for _, i := range idx {
				c.skus.forget(updates[i].SKU, targets[updates[i].SKU])
			}
			return fmt.Errorf("%w (%w)", errStaleID, err)
		}
		return err
	}
	var out struct {
		Update []json.RawMessage `json:"update"`
	}
	if err := decode(op, resp, &out, true); err != nil {
		return err
	}
	if len(out.Update) != len(idx) {
		return fmt.Errorf("woocommerce: %s: answered %d objects for %d sent: %w", op, len(out.Update), len(idx), connector.ErrOutcomeUnknown)
	}
	for j, i := range idx {
		var item struct {
			ID            int64 `json:"id"`
			StockQuantity *int  `json:"stock_quantity"`
			Error         *struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(out.Update[j], &item); err != nil {
			results[i].Err = fmt.Errorf("woocommerce: %s: unreadable item: %w", op, connector.ErrOutcomeUnknown)
			continue
		}
		switch {
		case item.Error != nil && strings.HasSuffix(item.Error.Code, "_invalid_id"):
			c.skus.forget(updates[i].SKU, targets[updates[i].SKU])
			results[i].Err = errStaleID
		case item.Error != nil:
			results[i].Err = fmt.Errorf("woocommerce: %s: %s: %w", op, sanitizeCode(item.Error.Code), connector.ErrPermanent)
		case item.StockQuantity == nil || *item.StockQuantity != updates[i].Available:
			results[i].Err = fmt.Errorf("woocommerce: %s: the answer shows another quantity than was sent: %w", op, connector.ErrOutcomeUnknown)
		}
	}
	return nil
}

// ReadStock implements connector.StockReader: the stock quantity of each SKU, read with
// GET /products?include= and GET /products/<parent>/variations?include=. SKUs the shop does
// not carry, or whose stock it does not manage, are absent.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	targets, err := c.resolve(ctx, skus)
	if err != nil {
		return nil, err
	}
	byParent := map[int64][]int64{}
	var parents []int64
	for _, s := range skus {
		t, ok := targets[s]
		if !ok {
			continue
		}
		if _, ok := byParent[t.Parent]; !ok {
			parents = append(parents, t.Parent)
		}
		if !slices.Contains(byParent[t.Parent], t.ID) {
			byParent[t.Parent] = append(byParent[t.Parent], t.ID)
		}
	}
	out := map[string]int{}
	for _, parent := range parents {
		ids := byParent[parent]
		for len(ids) > 0 {
			n := min(len(ids), 100)
			chunk := ids[:n]
			ids = ids[n:]
			strs := make([]string, len(chunk))
			for i, id := range chunk {
				strs[i] = strconv.FormatInt(id, 10)
			}
			path := APIPath + "/products"
			if parent != 0 {
				path += "/" + strconv.FormatInt(parent, 10) + "/variations"
			}
			q := url.Values{"include": {strings.Join(strs, ",")}, "per_page": {"100"}}
			err := c.eachPage(ctx, "read stock", path, q, func(p wcProduct) {
				if p.StockQuantity != nil && p.ManageStock == true && slices.Contains(skus, p.SKU) {
					out[p.SKU] = *p.StockQuantity
				}
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
