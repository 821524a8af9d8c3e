package eccube

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// BatchLimit implements connector.StockTarget: Config.StockBatch updates, sent as that many
// updateProductStock fields of one request.
func (c *Client) BatchLimit() int { return c.cfg.StockBatch }

// stockMutation builds one document setting n SKUs, each field under its own alias.
func stockMutation(n int) string {
	var vars, fields strings.Builder
	for i := range n {
		if i > 0 {
			vars.WriteString(", ")
		}
		fmt.Fprintf(&vars, "$code%d: String!, $stock%d: Int", i, i)
		fmt.Fprintf(&fields, "  u%d: updateProductStock(code: $code%d, stock: $stock%d, stock_unlimited: false) { code stock stock_unlimited }\n", i, i, i)
	}
	return "mutation SetStock(" + vars.String() + ") {\n" + fields.String() + "}"
}

// SetStock implements connector.StockTarget. Each update sets its product class's stock to an
// absolute value (a negative Available is sent as 0), with stock_unlimited false; the plugin
// runs the fields one after the other and reports a refused one (an unknown SKU, a code shared
// by several product classes) by its alias, so the others still apply. Keys are not sent: the
// plugin takes none, and an absolute value is safe to send again.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > c.cfg.StockBatch {
		return nil, fmt.Errorf("eccube: SetStock: %d updates, BatchLimit is %d: %w", len(updates), c.cfg.StockBatch, connector.ErrPermanent)
	}
	if len(updates) == 0 {
		return nil, nil
	}
	vars := make(map[string]any, 2*len(updates))
	for i, u := range updates {
		vars["code"+strconv.Itoa(i)] = u.SKU
		vars["stock"+strconv.Itoa(i)] = max(u.Available, 0)
	}
	o := op{name: "SetStock", query: stockMutation(len(updates)), vars: vars, mutation: true}
	env, err := c.call(ctx, o)
	if err != nil {
		return nil, err
	}
	perField := map[string]error{}
	for _, e := range env.Errors {
		if len(e.Path) == 0 {
			return nil, c.graphqlError(o, e) // the document as a whole was refused
		}
		if alias, ok := e.Path[0].(string); ok {
			perField[alias] = c.graphqlError(o, e)
		}
	}
	var data map[string]*struct {
		Code           *string  `json:"code"`
		Stock          *float64 `json:"stock"`
		StockUnlimited bool     `json:"stock_unlimited"`
	}
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, &data); err != nil {
			return nil, fmt.Errorf("eccube: SetStock: unexpected answer: %w", connector.ErrOutcomeUnknown)
		}
	}
	out := make([]connector.StockResult, len(updates))
	for i, u := range updates {
		alias := "u" + strconv.Itoa(i)
		out[i].SKU = u.SKU
		switch got := data[alias]; {
		case perField[alias] != nil:
			out[i].Err = perField[alias]
		case got == nil:
			out[i].Err = fmt.Errorf("eccube: SetStock: no answer for this update: %w", connector.ErrOutcomeUnknown)
		case got.Stock == nil || int(*got.Stock) != max(u.Available, 0):
			out[i].Err = fmt.Errorf("eccube: SetStock: the shop answered another stock: %w", connector.ErrOutcomeUnknown)
		}
	}
	return out, nil
}

// readStockQuery builds one document reading n SKUs through the products search, which
// matches product codes partially: ReadStock keeps exact matches only.
func readStockQuery(n int) string {
	var vars, fields strings.Builder
	for i := range n {
		if i > 0 {
			vars.WriteString(", ")
		}
		fmt.Fprintf(&vars, "$q%d: String", i)
		fmt.Fprintf(&fields, "  p%d: products(id: $q%d, limit: %d) { totalCount nodes { ProductClasses { code stock stock_unlimited } } }\n", i, i, readLimit)
	}
	return "query ReadStock(" + vars.String() + ") {\n" + fields.String() + "}"
}

// readLimit is how many products one SKU's search may match.
const readLimit = 200

// ReadStock implements connector.StockReader. A SKU the shop does not have, or whose stock is
// unlimited (在庫無制限), is left out of the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	for start := 0; start < len(skus); start += c.cfg.StockBatch {
		chunk := skus[start:min(start+c.cfg.StockBatch, len(skus))]
		vars := make(map[string]any, len(chunk))
		for i, s := range chunk {
			vars["q"+strconv.Itoa(i)] = s
		}
		var data map[string]*struct {
			TotalCount int `json:"totalCount"`
			Nodes      []struct {
				ProductClasses []struct {
					Code           *string  `json:"code"`
					Stock          *float64 `json:"stock"`
					StockUnlimited bool     `json:"stock_unlimited"`
				} `json:"ProductClasses"`
			} `json:"nodes"`
		}
		if err := c.do(ctx, op{name: "ReadStock", query: readStockQuery(len(chunk)), vars: vars}, &data); err != nil {
			return nil, err
		}
		for i, sku := range chunk {
			res := data["p"+strconv.Itoa(i)]
			if res == nil {
				continue
			}
			if res.TotalCount > readLimit {
				c.log.WarnContext(ctx, "eccube: ReadStock: a SKU's search matches too many products to read", "matches", res.TotalCount)
			}
			for _, n := range res.Nodes {
				for _, pc := range n.ProductClasses {
					if pc.Code != nil && *pc.Code == sku && !pc.StockUnlimited && pc.Stock != nil {
						out[sku] = int(*pc.Stock)
					}
				}
			}
		}
	}
	return out, nil
}
