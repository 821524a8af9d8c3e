package colorme

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// catalogEntry is where a SKU lives: a product, and its options when it has them.
type catalogEntry struct {
	SKU        string
	ProductID  int64
	Opt1, Opt2 string
	Variant    bool
	At         time.Time
}

type variantKey struct {
	product    int64
	opt1, opt2 string
}

// stockRow is a row of GET /v1/stocks: a product without options, or one variant.
type stockRow struct {
	ProductID          int64   `json:"product_id"`
	Option1Value       *string `json:"option1_value"`
	Option2Value       *string `json:"option2_value"`
	Stocks             *int    `json:"stocks"`
	ModelNumber        *string `json:"model_number"`
	VariantModelNumber *string `json:"variant_model_number"`
}

type stocksAnswer struct {
	Stocks []stockRow `json:"stocks"`
	Meta   *metaJSON  `json:"meta"`
}

func (r stockRow) variant() bool { return str(r.Option1Value) != "" || str(r.Option2Value) != "" }

// sku is the row's 型番: the variant's for a variant, the product's otherwise.
func (r stockRow) sku() string {
	if r.variant() {
		return str(r.VariantModelNumber)
	}
	return str(r.ModelNumber)
}

// errUnknownSKU is the error of a SKU no product or variant carries as its 型番.
var errUnknownSKU = errors.New("colorme: no product or variant has this SKU as its 型番 (model number)")

// maxStockPages bounds one stock listing (50 rows a page).
const maxStockPages = 200

// stockRows lists GET /v1/stocks with q, every page, and remembers what each row says.
func (c *Client) stockRows(ctx context.Context, q url.Values) ([]stockRow, error) {
	var rows []stockRow
	for page := 0; page < maxStockPages; page++ {
		q.Set("limit", strconv.Itoa(maxStockPage))
		q.Set("offset", strconv.Itoa(page*maxStockPage))
		if page == 0 {
			q.Del("offset")
		}
		var ans stocksAnswer
		if err := c.call(ctx, kindRead, "GET /v1/stocks", http.MethodGet, "/v1/stocks.json", q, nil, &ans); err != nil {
			return nil, err
		}
		rows = append(rows, ans.Stocks...)
		if len(ans.Stocks) < maxStockPage || ans.Meta == nil || (page+1)*maxStockPage >= ans.Meta.Total {
			c.remember(rows)
			return rows, nil
		}
	}
	return nil, fmt.Errorf("colorme: GET /v1/stocks: more than %d pages: %w", maxStockPages, connector.ErrPermanent)
}

// remember indexes rows by SKU and by product and options.
func (c *Client) remember(rows []stockRow) {
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rows {
		e := catalogEntry{SKU: r.sku(), ProductID: r.ProductID, Opt1: str(r.Option1Value), Opt2: str(r.Option2Value), Variant: r.variant(), At: now}
		c.variants[variantKey{e.ProductID, e.Opt1, e.Opt2}] = e
		if e.SKU != "" {
			c.skus[e.SKU] = e
		}
	}
}

func (c *Client) fresh(e catalogEntry) bool { return c.cfg.Now().Sub(e.At) < c.cfg.CatalogRefresh }

// forget drops what the client knows of a SKU (its product was changed or deleted).
func (c *Client) forget(sku string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.skus[sku]; ok {
		delete(c.skus, sku)
		delete(c.variants, variantKey{e.ProductID, e.Opt1, e.Opt2})
	}
}

// variantSKU returns the 型番 of a product's variant, reading the product's rows when the
// client does not know it (or not lately).
func (c *Client) variantSKU(ctx context.Context, productID int64, o1, o2 string) (string, error) {
	key := variantKey{productID, o1, o2}
	c.mu.Lock()
	e, ok := c.variants[key]
	c.mu.Unlock()
	if ok && c.fresh(e) && e.SKU != "" {
		return e.SKU, nil
	}
	if _, err := c.stockRows(ctx, url.Values{"ids": {strconv.FormatInt(productID, 10)}}); err != nil {
		return "", err
	}
	c.mu.Lock()
	e, ok = c.variants[key]
	c.mu.Unlock()
	if !ok || e.SKU == "" {
		return "", fmt.Errorf("colorme: product %d: the ordered option has no 型番 (model number) to use as SKU: %w", productID, connector.ErrPermanent)
	}
	return e.SKU, nil
}

// lookup finds where a SKU lives: GET /v1/stocks?model_number= searches by partial match, and
// only an exact 型番 counts.
func (c *Client) lookup(ctx context.Context, sku string) (catalogEntry, error) {
	c.mu.Lock()
	e, ok := c.skus[sku]
	c.mu.Unlock()
	if ok && c.fresh(e) {
		return e, nil
	}
	rows, err := c.stockRows(ctx, url.Values{"model_number": {sku}})
	if err != nil {
		return catalogEntry{}, err
	}
	var found []stockRow
	for _, r := range rows {
		if r.sku() == sku {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return catalogEntry{}, fmt.Errorf("%w: %w", errUnknownSKU, connector.ErrPermanent)
	case 1:
		r := found[0]
		return catalogEntry{SKU: sku, ProductID: r.ProductID, Opt1: str(r.Option1Value), Opt2: str(r.Option2Value), Variant: r.variant(), At: c.cfg.Now()}, nil
	}
	return catalogEntry{}, fmt.Errorf("colorme: %d products or variants share this 型番 (model number): %w", len(found), connector.ErrPermanent)
}

// StockBatch is SetStock's BatchLimit. updateProduct sets one product per call, so a batch is
// that many calls, one after another.
const StockBatch = 20

// BatchLimit returns StockBatch.
func (c *Client) BatchLimit() int { return StockBatch }

type variantStock struct {
	Option1Value string `json:"option1_value"`
	Option2Value string `json:"option2_value,omitempty"`
	Stocks       int    `json:"stocks"`
}

type productUpdate struct {
	StockManaged bool           `json:"stock_managed"`
	Stocks       *int           `json:"stocks,omitempty"`
	Variants     []variantStock `json:"variants,omitempty"`
}

type productAnswer struct {
	Product *struct {
		ID       int64 `json:"id"`
		Stocks   *int  `json:"stocks"`
		Variants []struct {
			Option1Value *string `json:"option1_value"`
			Option2Value *string `json:"option2_value"`
			Stocks       *int    `json:"stocks"`
		} `json:"variants"`
	} `json:"product"`
}

// shows returns the stock the answer shows for e.
func (a productAnswer) shows(e catalogEntry) (int, bool) {
	if a.Product == nil {
		return 0, false
	}
	if !e.Variant {
		if a.Product.Stocks == nil {
			return 0, false
		}
		return *a.Product.Stocks, true
	}
	for _, v := range a.Product.Variants {
		if str(v.Option1Value) == e.Opt1 && str(v.Option2Value) == e.Opt2 && v.Stocks != nil {
			return *v.Stocks, true
		}
	}
	return 0, false
}

// SetStock sets each SKU's stock with PUT /v1/products/{product_id}, one call per update, in
// order, as an absolute value. An unknown SKU is a per-update connector.ErrPermanent. A failed
// call ends the batch with the returned error, although the updates before it landed: the
// values are absolute, so sending the whole batch again sets the same values again.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > c.BatchLimit() {
		return nil, fmt.Errorf("colorme: SetStock takes at most %d updates per call, got %d: %w", c.BatchLimit(), len(updates), connector.ErrPermanent)
	}
	out := make([]connector.StockResult, 0, len(updates))
	for _, u := range updates {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if u.Available < 0 {
			out = append(out, connector.StockResult{SKU: u.SKU, Err: fmt.Errorf("colorme: negative stock: %w", connector.ErrPermanent)})
			continue
		}
		e, err := c.lookup(ctx, u.SKU)
		if errors.Is(err, connector.ErrPermanent) {
			out = append(out, connector.StockResult{SKU: u.SKU, Err: err})
			continue
		} else if err != nil {
			return nil, err
		}
		up := productUpdate{StockManaged: true}
		if e.Variant {
			up.Variants = []variantStock{{Option1Value: e.Opt1, Option2Value: e.Opt2, Stocks: u.Available}}
		} else {
			n := u.Available
			up.Stocks = &n
		}
		var ans productAnswer
		err = c.call(ctx, kindWrite, "PUT /v1/products/{id}", http.MethodPut, "/v1/products/"+strconv.FormatInt(e.ProductID, 10)+".json",
			nil, map[string]any{"product": up}, &ans)
		switch {
		case errors.Is(err, connector.ErrNotFound):
			// The product or option was deleted since it was looked up.
			c.forget(u.SKU)
			out = append(out, connector.StockResult{SKU: u.SKU, Err: err})
			continue
		case err != nil:
			return nil, err
		}
		if got, ok := ans.shows(e); !ok || got != u.Available {
			// The product gained or lost options since it was looked up: the value went nowhere.
			c.forget(u.SKU)
			out = append(out, connector.StockResult{SKU: u.SKU, Err: fmt.Errorf("colorme: the product does not show the stock set (its options changed?): %w", connector.ErrTemporary)})
			continue
		}
		c.log.DebugContext(ctx, "colorme: stock set", "shop", c.cfg.Shop, "sku", u.SKU, "available", u.Available)
		out = append(out, connector.StockResult{SKU: u.SKU})
	}
	return out, nil
}

// ReadStock reads what the shop shows for each SKU (GET /v1/stocks by product IDs, 50 products
// a call). SKUs the shop does not carry are left out of the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	entries := map[string]catalogEntry{}
	var ids []string
	seen := map[int64]bool{}
	for _, sku := range skus {
		e, err := c.lookup(ctx, sku)
		if errors.Is(err, connector.ErrPermanent) {
			continue
		} else if err != nil {
			return nil, err
		}
		entries[sku] = e
		if !seen[e.ProductID] {
			seen[e.ProductID] = true
			ids = append(ids, strconv.FormatInt(e.ProductID, 10))
		}
	}
	out := map[string]int{}
	for len(ids) > 0 {
		n := min(len(ids), maxStockPage)
		rows, err := c.stockRows(ctx, url.Values{"ids": {strings.Join(ids[:n], ",")}})
		if err != nil {
			return nil, err
		}
		ids = ids[n:]
		for sku, e := range entries {
			for _, r := range rows {
				if r.ProductID == e.ProductID && str(r.Option1Value) == e.Opt1 && str(r.Option2Value) == e.Opt2 && r.sku() == sku {
					if r.Stocks != nil {
						out[sku] = *r.Stocks
					} else {
						out[sku] = 0
					}
				}
			}
		}
	}
	return out, nil
}
