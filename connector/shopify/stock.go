package shopify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// StockBatchLimit is the most quantities one inventorySetQuantities call takes.
const StockBatchLimit = 250

// BatchLimit implements connector.StockTarget.
func (c *Client) BatchLimit() int { return StockBatchLimit }

// ComparesStock implements connector.ComparingTarget: StockUpdate.Compare becomes
// changeFromQuantity, and Shopify refuses a stale one.
func (c *Client) ComparesStock() bool { return true }

// ErrUnknownSKU is the result of an update for a SKU no variant of the shop carries.
var ErrUnknownSKU = fmt.Errorf("shopify: no variant has this SKU: %w", connector.ErrPermanent)

const variantsBySKU = `query VariantsBySKU($first: Int!, $query: String!) {
  productVariants(first: $first, query: $query) { nodes { sku inventoryItem { id } } }
}`

// resolve finds the inventory item of each SKU, from the cache or with one productVariants
// search per 50 SKUs. SKUs no variant carries are absent from the result.
func (c *Client) resolve(ctx context.Context, skus []string) (map[string]string, error) {
	out := make(map[string]string, len(skus))
	var missing []string
	c.mu.Lock()
	for _, s := range skus {
		if id, ok := c.items[s]; ok {
			out[s] = id
		} else if !contains(missing, s) {
			missing = append(missing, s)
		}
	}
	c.mu.Unlock()
	for len(missing) > 0 {
		n := min(len(missing), 50)
		batch := missing[:n]
		missing = missing[n:]
		terms := make([]string, len(batch))
		for i, s := range batch {
			terms[i] = "sku:" + quoteSearch(s)
		}
		var data struct {
			ProductVariants struct {
				Nodes []struct {
					SKU           *string `json:"sku"`
					InventoryItem struct {
						ID string `json:"id"`
					} `json:"inventoryItem"`
				} `json:"nodes"`
			} `json:"productVariants"`
		}
		// Ask for more than the batch: a SKU carried by two variants shows up twice.
		vars := map[string]any{"first": 2 * n, "query": strings.Join(terms, " OR ")}
		if err := c.do(ctx, op{name: "VariantsBySKU", query: variantsBySKU, vars: vars, estimate: 2 + 2*n*2}, &data); err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, v := range data.ProductVariants.Nodes {
			if v.SKU == nil || !contains(batch, *v.SKU) {
				continue // the search matches prefixes and tokens; keep exact SKUs only
			}
			out[*v.SKU] = v.InventoryItem.ID
			c.items[*v.SKU] = v.InventoryItem.ID
		}
		c.mu.Unlock()
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// quoteSearch quotes a value for Shopify's search syntax.
func quoteSearch(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}

const setQuantities = `mutation SetStock($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`

// SetStock implements connector.StockTarget with inventorySetQuantities (name "available") at
// Config.LocationID. Each update's Compare becomes changeFromQuantity (null when nil, which
// opts out of the check as 2026-07 requires explicitly). The call's @idempotent key is derived
// from its updates' keys (StockUpdate.Key), so the engine's retry of a batch whose answer was
// lost is applied once, while a new write of a value the shop showed before is a new call. A
// batch with an update that has no key gets a key of its own, never reused.
//
// Shopify applies a call entirely or not at all. When it refuses only because some quantities
// were stale (or some SKUs unknown), those items get connector.ErrConflict (ErrUnknownSKU) and
// the rest are sent again in a second call, so one stale SKU does not hold back the batch.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > StockBatchLimit {
		return nil, fmt.Errorf("shopify: %d updates exceed the batch limit %d: %w", len(updates), StockBatchLimit, connector.ErrPermanent)
	}
	if c.cfg.LocationID == "" {
		return nil, fmt.Errorf("shopify: Config.LocationID is empty: %w", connector.ErrPermanent)
	}
	results := make([]connector.StockResult, len(updates))
	skus := make([]string, len(updates))
	for i, u := range updates {
		results[i].SKU = u.SKU
		skus[i] = u.SKU
	}
	ids, err := c.resolve(ctx, skus)
	if err != nil {
		return nil, err
	}
	pending := make([]int, 0, len(updates))
	seen := map[string]bool{}
	for i, u := range updates {
		switch {
		case ids[u.SKU] == "":
			results[i].Err = ErrUnknownSKU
		case seen[u.SKU]:
			results[i].Err = fmt.Errorf("shopify: SKU repeated in one batch: %w", connector.ErrPermanent)
		case u.Available < 0:
			results[i].Err = fmt.Errorf("shopify: negative quantity: %w", connector.ErrPermanent)
		default:
			seen[u.SKU] = true
			pending = append(pending, i)
		}
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		quantities := make([]map[string]any, len(pending))
		for j, i := range pending {
			u := updates[i]
			q := map[string]any{"inventoryItemId": ids[u.SKU], "locationId": c.cfg.LocationID, "quantity": u.Available, "changeFromQuantity": nil}
			if u.Compare != nil {
				q["changeFromQuantity"] = *u.Compare
			}
			quantities[j] = q
		}
		input := map[string]any{"name": "available", "reason": c.cfg.StockReason, "quantities": quantities,
			"referenceDocumentUri": "tobira://stock"}
		var data struct {
			InventorySetQuantities struct {
				InventoryAdjustmentGroup *struct {
					ID string `json:"id"`
				} `json:"inventoryAdjustmentGroup"`
				UserErrors []userError `json:"userErrors"`
			} `json:"inventorySetQuantities"`
		}
		key := stockKey(c.cfg.LocationID, updates, pending)
		err := c.do(ctx, op{name: "SetStock", query: setQuantities, vars: map[string]any{"input": input, "key": key}, estimate: 10, mutation: true, idemKey: key}, &data)
		if err != nil {
			return nil, err
		}
		ues := data.InventorySetQuantities.UserErrors
		if len(ues) == 0 {
			return results, nil
		}
		// Split the refusal by item; a refusal that names no item fails the whole call.
		bad := map[int]error{}
		for _, ue := range ues {
			j, ok := quantityIndex(ue.Field)
			if !ok || j >= len(pending) {
				return nil, userErrorsErr("SetStock", ues)
			}
			switch ue.Code {
			case "CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE":
				bad[j] = fmt.Errorf("shopify: available quantity differs from Compare: %w", connector.ErrConflict)
			default:
				bad[j] = userErrorsErr("SetStock", []userError{ue})
			}
		}
		if attempt > 0 && len(bad) == 0 {
			return nil, userErrorsErr("SetStock", ues)
		}
		next := pending[:0:0]
		for j, i := range pending {
			if e, ok := bad[j]; ok {
				results[i].Err = e
			} else {
				next = append(next, i)
			}
		}
		pending = next
	}
	return results, nil
}

// quantityIndex reads the item index from a userError field path ["input","quantities","3",…].
func quantityIndex(field []string) (int, bool) {
	for k := 0; k+1 < len(field); k++ {
		if field[k] == "quantities" {
			n, err := strconv.Atoi(field[k+1])
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

// stockKey is the @idempotent key of a call that sends the pending updates: derived from their
// keys, in order, so that the same writes sent again make the same call, and random when one of
// them has no key, since an update without identity must never be answered from an earlier call.
func stockKey(location string, updates []connector.StockUpdate, pending []int) string {
	h := sha256.New()
	h.Write([]byte(location))
	for _, i := range pending {
		if updates[i].Key == "" {
			return "tobira-stock-" + rand.Text()
		}
		fmt.Fprintf(h, "|%d:%s", len(updates[i].Key), updates[i].Key)
	}
	return "tobira-stock-" + hex.EncodeToString(h.Sum(nil))[:32]
}

const readStock = `query ReadStock($ids: [ID!]!, $location: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem { id sku inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } } }
  }
}`

// ReadStock implements connector.StockReader: the available quantity of each SKU at the
// location. SKUs the shop does not carry, or does not stock there, are absent from the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	if c.cfg.LocationID == "" {
		return nil, fmt.Errorf("shopify: Config.LocationID is empty: %w", connector.ErrPermanent)
	}
	ids, err := c.resolve(ctx, skus)
	if err != nil {
		return nil, err
	}
	var list []string
	for _, s := range skus {
		if id := ids[s]; id != "" && !contains(list, id) {
			list = append(list, id)
		}
	}
	out := map[string]int{}
	for len(list) > 0 {
		n := min(len(list), 100)
		batch := list[:n]
		list = list[n:]
		var data struct {
			Nodes []*struct {
				ID             string  `json:"id"`
				SKU            *string `json:"sku"`
				InventoryLevel *struct {
					Quantities []struct {
						Name     string `json:"name"`
						Quantity int    `json:"quantity"`
					} `json:"quantities"`
				} `json:"inventoryLevel"`
			} `json:"nodes"`
		}
		if err := c.do(ctx, op{name: "ReadStock", query: readStock, vars: map[string]any{"ids": batch, "location": c.cfg.LocationID}, estimate: 3 * n}, &data); err != nil {
			return nil, err
		}
		for _, node := range data.Nodes {
			if node == nil || node.SKU == nil || node.InventoryLevel == nil {
				continue
			}
			for _, q := range node.InventoryLevel.Quantities {
				if q.Name == "available" {
					out[*node.SKU] = q.Quantity
				}
			}
		}
	}
	return out, nil
}
