package rakuten

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// BatchLimit is bulk-upsert's limit: 400 rows a call.
func (c *Client) BatchLimit() int { return maxUpsert }

// variant maps a SKU to its Rakuten variant.
func (c *Client) variant(sku string) (Variant, error) {
	if v, ok := c.cfg.Variants[sku]; ok {
		v.ManageNumber = strings.ToLower(v.ManageNumber)
		return v, nil
	}
	i := strings.LastIndexByte(sku, ':')
	if i <= 0 || i == len(sku)-1 {
		return Variant{}, fmt.Errorf("rakuten: SKU %q maps to no Rakuten variant: add it to Config.Variants or name it <manageNumber>:<variantId>: %w", sku, connector.ErrPermanent)
	}
	v := Variant{ManageNumber: strings.ToLower(sku[:i]), VariantID: sku[i+1:]}
	if len(v.ManageNumber) > 32 || len(v.VariantID) > 32 {
		return Variant{}, fmt.Errorf("rakuten: SKU %q: manage number and variant ID are at most 32 bytes: %w", sku, connector.ErrPermanent)
	}
	return v, nil
}

type upsertRow struct {
	ManageNumber string `json:"manageNumber"`
	VariantID    string `json:"variantId"`
	Mode         string `json:"mode"`
	Quantity     int    `json:"quantity"`
}

var rowPath = regexp.MustCompile(`^inventories\[(\d+)\]`)

// SetStock sets absolute quantities with one bulk-upsert (see the package doc). Updates are
// applied in order: a SKU named twice ends at its last value.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > maxUpsert {
		return nil, fmt.Errorf("rakuten: %d stock updates, bulk-upsert takes %d: %w", len(updates), maxUpsert, connector.ErrPermanent)
	}
	results := make([]connector.StockResult, len(updates))
	var rows []upsertRow
	owners := [][]int{} // update indexes each row answers for
	at := map[Variant]int{}
	for i, u := range updates {
		results[i].SKU = u.SKU
		v, err := c.variant(u.SKU)
		if err != nil {
			results[i].Err = err
			continue
		}
		q := min(max(u.Available, 0), maxQuantity)
		if j, ok := at[v]; ok {
			rows[j].Quantity = q
			owners[j] = append(owners[j], i)
			continue
		}
		at[v] = len(rows)
		rows = append(rows, upsertRow{ManageNumber: v.ManageNumber, VariantID: v.VariantID, Mode: "ABSOLUTE", Quantity: q})
		owners = append(owners, []int{i})
	}
	// A refused row fails alone: RMS refuses the whole call, so the rest is sent once more.
	for attempt := 0; len(rows) > 0; attempt++ {
		err := c.call(ctx, c.write, "/es/2.0/inventories/bulk-upsert", map[string]any{"inventories": rows}, true, nil)
		if err == nil {
			return results, nil
		}
		bad := refusedRows(err, len(rows))
		if attempt > 0 || len(bad) == 0 {
			return nil, err
		}
		var keepRows []upsertRow
		var keepOwners [][]int
		for j, r := range rows {
			if code, refused := bad[j]; refused {
				for _, i := range owners[j] {
					results[i].Err = fmt.Errorf("rakuten: bulk-upsert refused %s (%s): %w", updates[i].SKU, code, connector.ErrPermanent)
				}
				continue
			}
			keepRows, keepOwners = append(keepRows, r), append(keepOwners, owners[j])
		}
		rows, owners = keepRows, keepOwners
	}
	return results, nil
}

// refusedRows reads the row indexes an IE error names (metadata.propertyPath
// "inventories[3].quantity"), with their codes.
func refusedRows(err error, n int) map[int]string {
	var se *StatusError
	if !errors.As(err, &se) || !errors.Is(se.Err, connector.ErrPermanent) {
		return nil
	}
	out := map[int]string{}
	for k, p := range se.Paths {
		m := rowPath.FindStringSubmatch(p)
		if m == nil {
			return nil // an error about the call as a whole
		}
		j, convErr := strconv.Atoi(m[1])
		if convErr != nil || j >= n {
			return nil
		}
		out[j] = se.Codes[len(se.Codes)-len(se.Paths)+k]
	}
	return out
}

// ReadStock reads the quantities RMS shows with bulk-get, 1,000 SKUs a call. SKUs RMS has no
// row for, and SKUs that map to no Rakuten variant, are absent from the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	bySKU := map[Variant][]string{}
	var keys []Variant
	for _, sku := range skus {
		v, err := c.variant(sku)
		if err != nil {
			continue
		}
		if _, ok := bySKU[v]; !ok {
			keys = append(keys, v)
		}
		bySKU[v] = append(bySKU[v], sku)
	}
	for len(keys) > 0 {
		chunk := keys[:min(maxBulkGet, len(keys))]
		keys = keys[len(chunk):]
		req := make([]map[string]string, len(chunk))
		for i, v := range chunk {
			req[i] = map[string]string{"manageNumber": v.ManageNumber, "variantId": v.VariantID}
		}
		var resp struct {
			Inventories []struct {
				ManageNumber string `json:"manageNumber"`
				VariantID    string `json:"variantId"`
				Quantity     int    `json:"quantity"`
			} `json:"inventories"`
		}
		if err := c.call(ctx, c.read, "/es/2.0/inventories/bulk-get", map[string]any{"inventories": req}, false, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Inventories {
			for _, sku := range bySKU[Variant{strings.ToLower(r.ManageNumber), r.VariantID}] {
				out[sku] = r.Quantity
			}
		}
	}
	return out, nil
}
