package shopify

import (
	"strings"

	"github.com/tobira-commerce/tobira/order"
)

// AttributeKeys names the custom attributes a shop's checkout, theme or apps store the buyer's
// delivery request and gift wishes in: the order's note attributes (customAttributes, REST
// note_attributes) and each line's properties (LineItem.customAttributes, REST
// line_items[].properties). Core Shopify has no field for 配送希望日, 時間帯, のし or a gift
// message, so each app picks its own keys and the host configures them per shop. Keys are
// matched case-insensitively; the order's attributes are read before the lines', and the first
// usable value of each kind wins.
//
// The two groups default separately: when Date and Slot are both empty they take
// DefaultAttributeKeys' (delivery-date apps), and when every gift key is empty those take
// DefaultAttributeKeys' (gift and のし apps and themes).
type AttributeKeys struct {
	// Date and Slot hold the requested delivery date (2026/07/10, 2026-07-10, full-width
	// digits too) and time slot (order.ParseSlot).
	Date []string
	Slot []string
	// Gift marks a gift order: any value but a refusal (なし, 不要, no, false …) makes it one.
	Gift []string
	// Wrapping asks for gift wrapping, with the same reading of values as Gift.
	Wrapping []string
	// GiftMessage holds the message card's text.
	GiftMessage []string
	// Noshi holds the のし type (表書き: 御歳暮, 内祝 …); NoshiName the name written under it
	// (名入れ). The order's Gift.Noshi is the type, followed by the name in brackets:
	// "御歳暮（山田）". A type of "その他" gives way to another key's free text.
	Noshi     []string
	NoshiName []string
}

// DeliveryKeys is the former name of AttributeKeys.
//
// Deprecated: use AttributeKeys and Config.Attributes.
type DeliveryKeys = AttributeKeys

// DefaultAttributeKeys are the keys popular Japanese delivery-date apps, gift apps and themes
// write. The delivery keys are those of the common delivery-date apps (配送希望日 / お届け希望日
// and their 時間帯, or delivery_date / delivery_time in English themes). The gift keys follow
// what public Japanese Shopify themes send as cart attributes (メッセージカード/のし, ギフトカー
// ドメッセージ, のし表書, "のし表書 (その他)", のし名入れ) or as line item properties
// (properties[のし], properties[メッセージカード]), and the English gift-wrap apps'
// gift_message / gift_wrap.
var DefaultAttributeKeys = AttributeKeys{
	Date:        []string{"配送希望日", "お届け希望日", "配達希望日", "お届け日", "delivery_date", "Delivery Date", "delivery-date"},
	Slot:        []string{"配送希望時間帯", "お届け希望時間帯", "配達希望時間帯", "配送時間帯", "お届け時間帯", "delivery_time", "Delivery Time", "delivery-time"},
	Gift:        []string{"ギフト", "ギフト希望", "ギフト対応", "メッセージカード/のし", "gift", "is_gift"},
	Wrapping:    []string{"ギフトラッピング", "ギフト包装", "ラッピング", "包装", "gift_wrap", "Gift Wrap", "gift-wrap", "wrapping"},
	GiftMessage: []string{"ギフトメッセージ", "ギフトカードメッセージ", "メッセージカード", "メッセージ", "gift_message", "Gift Message", "gift-message"},
	Noshi:       []string{"のし", "熨斗", "のし表書", "のし表書き", "表書き", "のし種類", "のし表書 (その他)", "noshi", "noshi_type"},
	NoshiName:   []string{"のし名入れ", "名入れ", "のし名前", "noshi_name"},
}

// DefaultDeliveryKeys is DefaultAttributeKeys, under its former name.
//
// Deprecated: use DefaultAttributeKeys.
var DefaultDeliveryKeys = DefaultAttributeKeys

func (k AttributeKeys) orDefault() AttributeKeys {
	if len(k.Date) == 0 && len(k.Slot) == 0 {
		k.Date, k.Slot = DefaultAttributeKeys.Date, DefaultAttributeKeys.Slot
	}
	if len(k.Gift) == 0 && len(k.Wrapping) == 0 && len(k.GiftMessage) == 0 && len(k.Noshi) == 0 && len(k.NoshiName) == 0 {
		d := DefaultAttributeKeys
		k.Gift, k.Wrapping, k.GiftMessage, k.Noshi, k.NoshiName = d.Gift, d.Wrapping, d.GiftMessage, d.Noshi, d.NoshiName
	}
	return k
}

type attribute struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// wishes is what an order's attributes ask of the warehouse.
type wishes struct {
	delivery order.DeliveryRequest
	gift     *order.Gift
}

// read reads the delivery request and the gift from attribute lists, in order (the order's
// attributes first, then each line's). A value it cannot read is left out rather than guessed:
// the warehouse then ships without a slot, which the host can see.
func (k AttributeKeys) read(lists ...[]attribute) wishes {
	k = k.orDefault()
	var w wishes
	var g order.Gift
	gift := false
	noshi, name := "", ""
	for _, attrs := range lists {
		for _, a := range attrs {
			if a.Value == nil {
				continue
			}
			v := strings.TrimSpace(*a.Value)
			if v == "" {
				continue
			}
			switch {
			case matchKey(k.Date, a.Key):
				if w.delivery.Date.IsZero() {
					if date, err := order.ParseDate(order.FoldWidth(v)); err == nil && date.Valid() {
						w.delivery.Date = date
					}
				}
			case matchKey(k.Slot, a.Key):
				if w.delivery.Slot == order.SlotNone {
					w.delivery.Slot = order.ParseSlot(v)
				}
			case matchKey(k.Wrapping, a.Key):
				if affirmative(v) {
					g.Wrapping, gift = true, true
				}
			case matchKey(k.GiftMessage, a.Key):
				if g.Message == "" && affirmative(v) {
					g.Message, gift = v, true
				}
			case matchKey(k.Noshi, a.Key):
				if (noshi == "" || noshi == "その他") && affirmative(v) {
					noshi, gift = v, true
				}
			case matchKey(k.NoshiName, a.Key):
				if name == "" && affirmative(v) {
					name, gift = v, true
				}
			case matchKey(k.Gift, a.Key):
				if affirmative(v) {
					gift = true
				}
			}
		}
	}
	if noshi == "" && name != "" {
		noshi = "のし" // a name to write asks for のし even when no type was chosen
	}
	g.Noshi = noshi
	if name != "" {
		g.Noshi += "（" + name + "）"
	}
	if gift {
		w.gift = &g
	}
	return w
}

// affirmative reports whether an attribute's value asks for something: buyers and apps answer
// "no" in many ways, and a gift flag of "なし" is no gift.
func affirmative(v string) bool {
	switch strings.ToLower(strings.TrimSpace(order.FoldWidth(v))) {
	case "", "なし", "無し", "不要", "いいえ", "希望しない", "しない", "無", "no", "none", "false", "0", "off", "指定なし":
		return false
	}
	return true
}

func matchKey(keys []string, k string) bool {
	for _, want := range keys {
		if strings.EqualFold(strings.TrimSpace(k), want) {
			return true
		}
	}
	return false
}

// ParseSlot reads a time slot as buyers and apps write it.
//
// Deprecated: use order.ParseSlot, which every connector shares.
func ParseSlot(s string) order.TimeSlot { return order.ParseSlot(s) }
