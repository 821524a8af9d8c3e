package yahoo

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/tobira-commerce/tobira/connector"
)

// reItemCode is an item code setStock accepts: 商品コード, optionally :個別商品コード.
var reItemCode = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,99}(:[A-Za-z0-9_\-]{1,99})?$`)

type stockAnswer struct {
	XMLName xml.Name `xml:"ResultSet"`
	Results []struct {
		ItemCode string `xml:"ItemCode"`
		SubCode  string `xml:"SubCode"`
		Status   string `xml:"Status"`
		Quantity string `xml:"Quantity"`
	} `xml:"Result"`
}

func decodeStock(data []byte) (*stockAnswer, error) {
	var a stockAnswer
	return &a, decodeXML(data, &a, nil)
}

func code(item, sub string) string {
	item, sub = strings.TrimSpace(item), strings.TrimSpace(sub)
	if sub == "" {
		return item
	}
	return item + ":" + sub
}

// SetStock sets absolute quantities with one setStock call of at most BatchLimit item codes. A
// SKU setStock cannot take (malformed, a negative quantity) fails alone with
// connector.ErrPermanent. Yahoo! takes no idempotency key: the values are absolute, so sending
// a batch again after a lost answer sets the same values; StockUpdate.Key is not sent.
func (c *Client) SetStock(ctx context.Context, updates []connector.StockUpdate) ([]connector.StockResult, error) {
	if len(updates) > BatchLimit {
		return nil, fmt.Errorf("yahoo: setStock takes at most %d item codes, got %d: %w", BatchLimit, len(updates), connector.ErrPermanent)
	}
	res := make([]connector.StockResult, len(updates))
	var codes, qs []string
	var sent []int
	for i, u := range updates {
		res[i].SKU = u.SKU
		switch {
		case !reItemCode.MatchString(u.SKU):
			res[i].Err = fmt.Errorf("yahoo: SKU is not an item code (商品コード[:個別商品コード]): %w", connector.ErrPermanent)
		case u.Available < 0 || u.Available > 999999999:
			res[i].Err = fmt.Errorf("yahoo: quantity %d out of range: %w", u.Available, connector.ErrPermanent)
		default:
			codes = append(codes, u.SKU)
			qs = append(qs, strconv.Itoa(u.Available))
			sent = append(sent, i)
		}
	}
	if len(codes) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return res, nil
	}
	form := url.Values{"seller_id": {c.cfg.SellerID}, "item_code": {strings.Join(codes, ",")}, "quantity": {strings.Join(qs, ",")}}
	data, err := c.do(ctx, call{api: "setStock", method: http.MethodPost, body: []byte(form.Encode()),
		ctype: "application/x-www-form-urlencoded", write: true})
	if err != nil {
		return nil, err
	}
	ans, err := decodeStock(data)
	if err != nil {
		return nil, fmt.Errorf("yahoo: setStock: %w: %w", err, connector.ErrOutcomeUnknown)
	}
	acked := map[string]bool{}
	for _, r := range ans.Results {
		acked[code(r.ItemCode, r.SubCode)] = true
	}
	for _, i := range sent {
		if !acked[updates[i].SKU] {
			res[i].Err = fmt.Errorf("yahoo: setStock did not acknowledge the item code: %w", connector.ErrOutcomeUnknown)
		}
	}
	return res, nil
}

// ReadStock reads quantities back with getStock, BatchLimit codes a call. Codes the store does
// not know are left out of the map.
func (c *Client) ReadStock(ctx context.Context, skus []string) (map[string]int, error) {
	out := make(map[string]int, len(skus))
	for start := 0; start < len(skus); start += BatchLimit {
		batch := skus[start:min(start+BatchLimit, len(skus))]
		var codes []string
		for _, s := range batch {
			if reItemCode.MatchString(s) {
				codes = append(codes, s)
			}
		}
		if len(codes) == 0 {
			continue
		}
		form := url.Values{"seller_id": {c.cfg.SellerID}, "item_code": {strings.Join(codes, ",")}}
		data, err := c.do(ctx, call{api: "getStock", method: http.MethodPost, body: []byte(form.Encode()),
			ctype: "application/x-www-form-urlencoded"})
		if err != nil {
			return nil, err
		}
		ans, err := decodeStock(data)
		if err != nil {
			return nil, fmt.Errorf("yahoo: getStock: %w: %w", err, connector.ErrTemporary)
		}
		for _, r := range ans.Results {
			if strings.TrimSpace(r.Status) != "1" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(r.Quantity))
			if err != nil {
				return nil, fmt.Errorf("yahoo: getStock: Quantity is not a number: %w", connector.ErrTemporary)
			}
			out[code(r.ItemCode, r.SubCode)] = n
		}
	}
	return out, nil
}
