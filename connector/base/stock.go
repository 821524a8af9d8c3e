package base

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tobira-commerce/tobira/connector"
)

// skuRef is where a SKU lives on BASE: an item, and a variation of it when it has variations.
type skuRef struct {
	ItemID      int64
	VariationID int64 // 0 for an item without variations
}

type itemKey struct{ item, variation int64 }

type variationJSON struct {
	VariationID         int64   `json:"variation_id"`
	Variation           *string `json:"variation"`
	VariationStock      int     `json:"variation_stock"`
	VariationIdentifier *string `json:"variation_identifier"`
}

type itemJSON struct {
	ItemID     int64           `json:"item_id"`
	Title      string          `json:"title"`
	Stock      int             `json:"stock"`
	Identifier *string         `json:"identifier"`
	Variations []variationJSON `json:"variations"`
}

type itemsAnswer struct {
	Items []itemJSON `json:"items"`
}

type itemAnswer struct {
	Item *itemJSON `json:"item"`
}

// errUnknownSKU is the error of a SKU no item or variation of the shop carries as its code.
var errUnknownSKU = errors.New("base: no item or variation has this SKU as its identifier")

// maxCatalogPages bounds a catalog load (100 items a page).
const maxCatalogPages = 1000

// loadCatalog reads every item (GET /1/items, 100 a page) and indexes their codes.
func (c *Client) loadCatalog(ctx context.Context) error {
	cat := map[string]skuRef{}
	by := map[itemKey]string{}
	for page := 0; page < maxCatalogPages; page++ {
		q := url.Values{"limit": {strconv.Itoa(maxPageSize)}, "offset": {strconv.Itoa(page * maxPageSize)},
			"order": {"created"}, "sort": {"asc"}}
		var ans itemsAnswer
		if err := c.call(ctx, kindRead, http.MethodGet, "/1/items", q, &ans); err != nil {
			return err
		}
		for _, it := range ans.Items {
			if len(it.Variations) == 0 {
				if sku := str(it.Identifier); sku != "" {
					cat[sku] = skuRef{ItemID: it.ItemID}
					by[itemKey{it.ItemID, 0}] = sku
				}
				continue
			}
			for _, v := range it.Variations {
				if sku := str(v.VariationIdentifier); sku != "" {
					cat[sku] = skuRef{ItemID: it.ItemID, VariationID: v.VariationID}
					by[itemKey{it.ItemID, v.VariationID}] = sku
				}
			}
		}
		if len(ans.Items) < maxPageSize {
			c.mu.Lock()
			c.catalog, c.byItem, c.loadedAt = cat, by, c.clock.Now()
			c.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("base: items: more than %d pages: %w", maxCatalogPages, connector.ErrPermanent)
}

// lookup finds a SKU (or, with sku empty, the SKU of an item and variation), reloading the
// catalog when it does not know it and the last load is older than CatalogRefresh.
func (c *Client) lookup(ctx context.Context, sku string, key itemKey) (skuRef, string, error) {
	for reloaded := false; ; reloaded = true {
		c.mu.Lock()
		ref, okSKU := c.catalog[sku]
		found, okKey := c.byItem[key]
		stale := c.catalog == nil || c.clock.Now().Sub(c.loadedAt) >= c.cfg.CatalogRefresh
		c.mu.Unlock()
		if sku != "" && okSKU {
			return ref, sku, nil
		}
		if sku == "" && okKey {
			return skuRef{ItemID: key.item, VariationID: key.variation}, found, nil
		}
		if reloaded || !stale {
			return skuRef{}, "", fmt.Errorf("%w: %w", errUnknownSKU, connector.ErrPermanent)
		}
		if err := c.loadCatalog(ctx); err != nil {
			return skuRef{}, "", err
		}
	}
}

// skuOf names an order item's SKU: the code on the item itself when BASE gives one, else the
// catalog's code of its item and variation.
func (c *Client) skuOf(ctx context.Context, it orderItem) (string, error) {
	if it.VariationID != nil && str(it.VariationIdentifier) != "" {
		return *it.VariationIdentifier, nil
	}
	if it.VariationID == nil && str(it.ItemIdentifier) != "" {
		return *it.ItemIdentifier, nil
	}
	key := itemKey{item: it.ItemID}
	if it.VariationID != nil {
		key.variation = *it.VariationID
	}
	_, sku, err := c.lookup(ctx, "", key)
	if errors.Is(err, errUnknownSKU) {
		return "", fmt.Errorf("base: order item %d: its item has no identifier (商品コード): %w", it.OrderItemID, connector.ErrPermanent)
	}
	return sku, err
}

// StockBatch is SetStock's BatchLimit. BASE's edit_stock sets one item or variation per call,
// so a batch is that many calls, one after another.
const StockBatch = 20

// BatchLimit returns StockBatch.
func (c *Client) BatchLimit() int { return StockBatch }

// SetStock sets each SKU's stock with POST /1/items/edit_stock, one call per update, in order.
// An unknown SKU is a per-update connector.ErrPermanent. A failed call ends the batch with the
// returned error, although the updates before it landed: edit_stock sets absolute values, so
// the engine sending the whole batch again sets the same values again.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > c.BatchLimit() {
		return nil, fmt.Errorf("base: SetStock takes at most %d updates per call, got %d: %w", c.BatchLimit(), len(updates), connector.ErrPermanent)
	}
	out := make([]connector.StockResult, 0, len(updates))
	for _, u := range updates {
		if u.Available < 0 {
			out = append(out, connector.StockResult{SKU: u.SKU, Err: fmt.Errorf("base: negative stock: %w", connector.ErrPermanent)})
			continue
		}
		ref, _, err := c.lookup(ctx, u.SKU, itemKey{})
		if errors.Is(err, errUnknownSKU) {
			out = append(out, connector.StockResult{SKU: u.SKU, Err: err})
			continue
		} else if err != nil {
			return nil, err
		}
		form := url.Values{"item_id": {strconv.FormatInt(ref.ItemID, 10)}}
		if ref.VariationID != 0 {
			form.Set("variation_id", strconv.FormatInt(ref.VariationID, 10))
			form.Set("variation_stock", strconv.Itoa(u.Available))
		} else {
			form.Set("stock", strconv.Itoa(u.Available))
		}
		var ans itemAnswer
		err = c.call(ctx, kindStock, http.MethodPost, "/1/items/edit_stock", form, &ans)
		switch {
		case errors.Is(err, connector.ErrNotFound):
			// The item or variation was deleted since the catalog was read: forget it.
			c.mu.Lock()
			c.loadedAt = c.loadedAt.Add(-c.cfg.CatalogRefresh)
			c.mu.Unlock()
			out = append(out, connector.StockResult{SKU: u.SKU, Err: err})
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, connector.StockResult{SKU: u.SKU})
	}
	return out, nil
}

// ReadStock reads what BASE shows for each SKU (GET /1/items/detail/:item_id, once per item).
// SKUs BASE does not carry are left out of the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	out := map[string]int{}
	items := map[int64]*itemJSON{}
	for _, sku := range skus {
		ref, _, err := c.lookup(ctx, sku, itemKey{})
		if errors.Is(err, errUnknownSKU) {
			continue
		} else if err != nil {
			return nil, err
		}
		it, ok := items[ref.ItemID]
		if !ok {
			var ans itemAnswer
			err := c.call(ctx, kindRead, http.MethodGet, "/1/items/detail/"+strconv.FormatInt(ref.ItemID, 10), nil, &ans)
			if errors.Is(err, connector.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			it = ans.Item
			items[ref.ItemID] = it
		}
		if it == nil {
			continue
		}
		if ref.VariationID == 0 {
			out[sku] = it.Stock
			continue
		}
		for _, v := range it.Variations {
			if v.VariationID == ref.VariationID {
				out[sku] = v.VariationStock
			}
		}
	}
	return out, nil
}
