package csvfile

import (
	"errors"
	"fmt"
)

// Field is what a column holds, independent of the header text a partner uses for it.
type Field string

// Fields of the order file (出荷指示), one row per order line; the request's own fields repeat on
// every row of the request, as the WMS imports in the package documentation take them.
const (
	FieldKey            Field = "key"             // 出荷指示番号: the request key, the partner's duplicate check
	FieldKind           Field = "kind"            // 指示区分: 新規, 変更 or 取消
	FieldInstructionID  Field = "instruction_id"  // 指示ID: the change's or cancellation's idempotency key
	FieldMerchant       Field = "merchant"        // 荷主コード
	FieldChannel        Field = "channel"         // 店舗コード
	FieldOrderNumber    Field = "order_number"    // 受注番号 (the number people see)
	FieldOrderDate      Field = "order_date"      // 受注日
	FieldName           Field = "name"            // お届け先名
	FieldCompany        Field = "company"         // お届け先会社名
	FieldPostalCode     Field = "postal_code"     // お届け先郵便番号
	FieldPrefecture     Field = "prefecture"      // お届け先都道府県
	FieldCity           Field = "city"            // お届け先市区町村
	FieldAddress1       Field = "address1"        // お届け先住所1
	FieldAddress2       Field = "address2"        // お届け先住所2
	FieldPhone          Field = "phone"           // お届け先電話番号
	FieldDeliveryDate   Field = "delivery_date"   // 配達指定日
	FieldDeliverySlot   Field = "delivery_slot"   // 配達時間帯 (0812, 1214, 1416, 1618, 1820, 1921, 2021)
	FieldCODAmount      Field = "cod_amount"      // 代引金額
	FieldGiftWrapping   Field = "gift_wrapping"   // ギフト包装 (1 or 0)
	FieldNoshi          Field = "noshi"           // のし
	FieldGiftMessage    Field = "gift_message"    // ギフトメッセージ
	FieldLineID         Field = "line_id"         // 明細番号
	FieldSKU            Field = "sku"             // 商品コード
	FieldProductName    Field = "product_name"    // 商品名
	FieldQuantity       Field = "quantity"        // 数量 (for 取消, the quantity cancelled)
	FieldUnitPrice      Field = "unit_price"      // 単価
	FieldNote           Field = "note"            // 備考 (a cancellation's reason)
	FieldShipmentID     Field = "shipment_id"     // 出荷番号
	FieldShippedAt      Field = "shipped_at"      // 出荷日
	FieldCarrier        Field = "carrier"         // 配送業者
	FieldTrackingNumber Field = "tracking_number" // 送り状番号
	FieldOnHand         Field = "on_hand"         // 在庫数 (physical stock, not 引当可能数)
	FieldAsOf           Field = "as_of"           // 基準日時
	FieldStatus         Field = "status"          // 状態
	FieldResult         Field = "result"          // 結果 (OK or NG)
	FieldReason         Field = "reason"          // 理由
)

// Column is one column of a file: the header text the partner uses and the field it holds.
type Column struct {
	Name  string
	Field Field
}

// Layout is the columns of one kind of file, in the order they are written. Files with a header
// row are read by header name, so a partner may reorder or add columns; files without one are
// read by position.
type Layout struct {
	Columns []Column
	// NoHeader says the files carry no header row.
	NoHeader bool
}

// Layouts holds the layout of each kind of file; a zero Layout takes the default of its kind.
type Layouts struct {
	Orders    Layout // written: fulfilment requests, changes, cancellations (出荷指示)
	Shipments Layout // read: what the partner shipped (出荷実績)
	Stock     Layout // read: stock levels (在庫)
	Status    Layout // read: the partner's work status and answers (作業状況)
}

// DefaultLayouts returns the documented default layouts (see the package documentation).
func DefaultLayouts() Layouts {
	return Layouts{
		Orders: Layout{Columns: []Column{
			{"出荷指示番号", FieldKey}, {"指示区分", FieldKind}, {"指示ID", FieldInstructionID},
			{"荷主コード", FieldMerchant}, {"店舗コード", FieldChannel},
			{"受注番号", FieldOrderNumber}, {"受注日", FieldOrderDate},
			{"お届け先名", FieldName}, {"お届け先会社名", FieldCompany},
			{"お届け先郵便番号", FieldPostalCode}, {"お届け先都道府県", FieldPrefecture},
			{"お届け先市区町村", FieldCity}, {"お届け先住所1", FieldAddress1}, {"お届け先住所2", FieldAddress2},
			{"お届け先電話番号", FieldPhone},
			{"配達指定日", FieldDeliveryDate}, {"配達時間帯", FieldDeliverySlot},
			{"代引金額", FieldCODAmount}, {"ギフト包装", FieldGiftWrapping}, {"のし", FieldNoshi},
			{"ギフトメッセージ", FieldGiftMessage},
			{"明細番号", FieldLineID}, {"商品コード", FieldSKU}, {"商品名", FieldProductName},
			{"数量", FieldQuantity}, {"単価", FieldUnitPrice}, {"備考", FieldNote},
		}},
		Shipments: Layout{Columns: []Column{
			{"出荷番号", FieldShipmentID}, {"出荷指示番号", FieldKey}, {"受注番号", FieldOrderNumber},
			{"出荷日", FieldShippedAt}, {"配送業者", FieldCarrier}, {"送り状番号", FieldTrackingNumber},
			{"明細番号", FieldLineID}, {"商品コード", FieldSKU}, {"出荷数", FieldQuantity},
		}},
		Stock: Layout{Columns: []Column{
			{"商品コード", FieldSKU}, {"商品名", FieldProductName}, {"在庫数", FieldOnHand}, {"基準日時", FieldAsOf},
		}},
		Status: Layout{Columns: []Column{
			{"出荷指示番号", FieldKey}, {"状態", FieldStatus}, {"指示ID", FieldInstructionID},
			{"結果", FieldResult}, {"理由", FieldReason},
		}},
	}
}

// required lists the fields a file of each kind cannot do without.
var required = map[string][]Field{
	"orders":    {FieldKey, FieldKind, FieldSKU, FieldQuantity},
	"shipments": {FieldKey, FieldShippedAt, FieldSKU, FieldQuantity},
	"stock":     {FieldSKU, FieldOnHand},
	"status":    {FieldKey, FieldStatus},
}

func (l Layout) validate(kind string) error {
	seen := map[Field]bool{}
	names := map[string]bool{}
	for i, c := range l.Columns {
		if c.Field == "" {
			return fmt.Errorf("csvfile: %s layout: column %d has no field", kind, i+1)
		}
		if seen[c.Field] {
			return fmt.Errorf("csvfile: %s layout: field %s appears twice", kind, c.Field)
		}
		seen[c.Field] = true
		if !l.NoHeader {
			if c.Name == "" {
				return fmt.Errorf("csvfile: %s layout: column %d has no header name", kind, i+1)
			}
			if names[c.Name] {
				return fmt.Errorf("csvfile: %s layout: header %q appears twice", kind, c.Name)
			}
			names[c.Name] = true
		}
	}
	var errs []error
	for _, f := range required[kind] {
		if !seen[f] {
			errs = append(errs, fmt.Errorf("csvfile: %s layout: field %s is required", kind, f))
		}
	}
	return errors.Join(errs...)
}

func (ls Layouts) withDefaults() Layouts {
	d := DefaultLayouts()
	if len(ls.Orders.Columns) == 0 {
		ls.Orders = d.Orders
	}
	if len(ls.Shipments.Columns) == 0 {
		ls.Shipments = d.Shipments
	}
	if len(ls.Stock.Columns) == 0 {
		ls.Stock = d.Stock
	}
	if len(ls.Status.Columns) == 0 {
		ls.Status = d.Status
	}
	return ls
}
