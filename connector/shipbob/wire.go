package shipbob

import (
	"encoding/json"
	"time"
)

// The JSON the client sends and reads, named as in ShipBob's OpenAPI file (schema names in the
// comments). Reads are lenient about fields they do not know: ShipBob's answers grow.

// createOrderReq is Orders.CreateOrderModel.
type createOrderReq struct {
	ReferenceID    string       `json:"reference_id"`
	OrderNumber    string       `json:"order_number,omitempty"`
	Type           string       `json:"type"`
	ShippingMethod string       `json:"shipping_method"`
	Recipient      recipientReq `json:"recipient"`
	Products       []productReq `json:"products"`
	PurchaseDate   string       `json:"purchase_date,omitempty"`
	GiftMessage    string       `json:"gift_message,omitempty"`
	Tags           []tagJSON    `json:"tags,omitempty"`
}

// productReq is Orders.AddProductToOrderByReferenceIdModel.
type productReq struct {
	ReferenceID string   `json:"reference_id"`
	Name        string   `json:"name"`
	Quantity    int      `json:"quantity"`
	UnitPrice   *float64 `json:"unit_price,omitempty"`
}

// recipientReq is Orders.RecipientInfoViewModel.
type recipientReq struct {
	Name        string     `json:"name"`
	Address     addressReq `json:"address"`
	Email       string     `json:"email,omitempty"`
	PhoneNumber string     `json:"phone_number,omitempty"`
}

// addressReq is Orders.AddressViewModel.
type addressReq struct {
	Address1    string `json:"address1"`
	Address2    string `json:"address2,omitempty"`
	City        string `json:"city"`
	CompanyName string `json:"company_name,omitempty"`
	Country     string `json:"country"`
	State       string `json:"state,omitempty"`
	ZipCode     string `json:"zip_code,omitempty"`
}

// tagJSON is Orders.TagViewModel.
type tagJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// updateAddressReq is Orders.UpdateAddressRequest.
type updateAddressReq struct {
	StreetAddress1 string `json:"street_address1"`
	StreetAddress2 string `json:"street_address2,omitempty"`
	City           string `json:"city"`
	State          string `json:"state,omitempty"`
	ZipCode        string `json:"zip_code,omitempty"`
	CountryCode    string `json:"country_code,omitempty"`
	CompanyName    string `json:"company_name,omitempty"`
	RecipientName  string `json:"recipient_name,omitempty"`
	PhoneNumber    string `json:"phone_number,omitempty"`
	Email          string `json:"email,omitempty"`
}

// orderJSON is the part of Orders.OrderViewModel the client reads.
type orderJSON struct {
	ID          int64          `json:"id"`
	ReferenceID *string        `json:"reference_id"`
	Status      *string        `json:"status"`
	Tags        []tagJSON      `json:"tags"`
	Recipient   *recipientJSON `json:"recipient"`
	Products    []struct {
		ReferenceID *string `json:"reference_id"`
		SKU         *string `json:"sku"`
		Quantity    int     `json:"quantity"`
	} `json:"products"`
	Shipments []shipmentJSON `json:"shipments"`
}

// recipientJSON is Orders.RecipientInfoViewModel as read.
type recipientJSON struct {
	Name    string `json:"name"`
	Address struct {
		Address1 string  `json:"address1"`
		Address2 *string `json:"address2"`
		City     string  `json:"city"`
	} `json:"address"`
}

// shipmentJSON is the part of Orders.ShipmentViewModel the client reads.
type shipmentJSON struct {
	ID            int64   `json:"id"`
	OrderID       int64   `json:"order_id"`
	ReferenceID   *string `json:"reference_id"`
	Status        *string `json:"status"`
	StatusDetails []struct {
		Name *string `json:"name"`
	} `json:"status_details"`
	Tracking *struct {
		Carrier        *string    `json:"carrier"`
		TrackingNumber *string    `json:"tracking_number"`
		ShippingDate   *time.Time `json:"shipping_date"`
	} `json:"tracking"`
	Products []struct {
		ReferenceID    *string `json:"reference_id"`
		SKU            *string `json:"sku"`
		InventoryItems []struct {
			Quantity int `json:"quantity"`
		} `json:"inventory_items"`
	} `json:"products"`
	ActualFulfillmentDate *time.Time `json:"actual_fulfillment_date"`
	LastUpdateAt          *time.Time `json:"last_update_at"`
	Recipient             *struct {
		Address *struct {
			Address1 string `json:"address1"`
		} `json:"address"`
	} `json:"recipient"`
}

// shipmentAPIResp is Orders.ShipmentApiResponse.
type shipmentAPIResp struct {
	IsSuccess bool `json:"is_success"`
	Error     *struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	} `json:"error"`
}

// errorResp is Orders.ErrorResponse.
type errorResp struct {
	Code    *string `json:"code"`
	Message *string `json:"message"`
}

// canceledOrderResp is Orders.CanceledOrderViewModel.
type canceledOrderResp struct {
	Status  *string `json:"status"`
	Results []struct {
		IsSuccess bool    `json:"is_success"`
		Reason    *string `json:"reason"`
	} `json:"canceled_shipment_results"`
}

// levelsPageJSON is Inventory.InventoryQuantityResponsePagedResponse.
type levelsPageJSON struct {
	Items []json.RawMessage `json:"items"`
	Next  *string           `json:"next"`
}

// levelJSON is Inventory.InventoryQuantityResponse as read.
type levelJSON struct {
	InventoryID int64   `json:"inventory_id"`
	SKU         *string `json:"sku"`
	OnHand      *int    `json:"total_on_hand_quantity"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// lineItemJSON is the part of Orders.ShipmentLineItemDetail the client reads.
type lineItemJSON struct {
	InventoryID    int64 `json:"inventory_id"`
	Quantity       int   `json:"quantity"`
	ProductVariant *struct {
		SKU *string `json:"sku"`
	} `json:"product_variant"`
	Lot *struct {
		LotNumber *string `json:"lot_number"`
	} `json:"lot"`
}

// updateLineItemsReq is Orders.UpdateLineItemsRequest.
type updateLineItemsReq struct {
	Items []lineItemReq `json:"items"`
}

// lineItemReq is Orders.ShipmentLineItemsViewModel.
type lineItemReq struct {
	InventoryID int64  `json:"inventory_id"`
	Quantity    int    `json:"quantity"`
	LotNumber   string `json:"lot_number,omitempty"`
}

// lineItemsResp is Orders.ShipmentLineItemsApiResponse.
type lineItemsResp struct {
	IsSuccess bool `json:"is_success"`
}
