package shipbobtest

// The JSON shapes of ShipBob's 2026-01 API the fake serves, field for field from the OpenAPI
// file's component schemas (names in the comments). They are the fake's own, written from the
// spec, not shared with the connector, so that a connector mistake is not mirrored here.

// createOrder is Orders.CreateOrderModel.
type createOrder struct {
	ReferenceID    *string      `json:"reference_id"`
	OrderNumber    *string      `json:"order_number,omitempty"`
	Type           *string      `json:"type"`
	ShippingMethod *string      `json:"shipping_method"`
	Recipient      *recipient   `json:"recipient"`
	Products       []newProduct `json:"products"`
	PurchaseDate   *string      `json:"purchase_date,omitempty"`
	GiftMessage    *string      `json:"gift_message,omitempty"`
	Tags           []tag        `json:"tags,omitempty"`
	LocationID     *int         `json:"location_id,omitempty"`
	Financials     *financials  `json:"financials,omitempty"`
}

// newProduct is Orders.AddProductToOrderByReferenceIdModel or ...ByProductIdModel.
type newProduct struct {
	ID             *int     `json:"id,omitempty"`
	ReferenceID    *string  `json:"reference_id,omitempty"`
	Name           *string  `json:"name,omitempty"`
	Quantity       *int     `json:"quantity"`
	UnitPrice      *float64 `json:"unit_price,omitempty"`
	SKU            *string  `json:"sku,omitempty"`
	ExternalLineID *int     `json:"external_line_id,omitempty"`
	GTIN           *string  `json:"gtin,omitempty"`
	UPC            *string  `json:"upc,omitempty"`
	UOM            *string  `json:"quantity_unit_of_measure_code,omitempty"`
}

// recipient is Orders.RecipientInfoViewModel.
type recipient struct {
	Name        string  `json:"name"`
	Address     address `json:"address"`
	Email       *string `json:"email,omitempty"`
	PhoneNumber *string `json:"phone_number,omitempty"`
}

// address is Orders.AddressViewModel.
type address struct {
	Address1    string  `json:"address1"`
	Address2    *string `json:"address2,omitempty"`
	City        string  `json:"city"`
	CompanyName *string `json:"company_name,omitempty"`
	Country     string  `json:"country"`
	State       *string `json:"state,omitempty"`
	ZipCode     *string `json:"zip_code,omitempty"`
}

// tag is Orders.TagViewModel.
type tag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// financials is Orders.Financials.
type financials struct {
	TotalPrice *float64 `json:"total_price,omitempty"`
}

// orderView is Orders.OrderViewModel.
type orderView struct {
	ID             int            `json:"id"`
	CreatedDate    string         `json:"created_date"`
	PurchaseDate   *string        `json:"purchase_date"`
	ReferenceID    string         `json:"reference_id"`
	OrderNumber    *string        `json:"order_number"`
	Status         string         `json:"status"`
	Type           string         `json:"type"`
	Channel        channelInfo    `json:"channel"`
	ShippingMethod string         `json:"shipping_method"`
	Recipient      recipient      `json:"recipient"`
	Products       []productInfo  `json:"products"`
	Tags           []tag          `json:"tags"`
	Shipments      []shipmentView `json:"shipments"`
	GiftMessage    *string        `json:"gift_message"`
	Financials     *financials    `json:"financials,omitempty"`
}

// channelInfo is Orders.ChannelInfoViewModel.
type channelInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// productInfo is Orders.ProductInfoViewModel.
type productInfo struct {
	ID          *int     `json:"id"`
	ReferenceID *string  `json:"reference_id"`
	Quantity    int      `json:"quantity"`
	SKU         *string  `json:"sku"`
	UnitPrice   *float64 `json:"unit_price"`
}

// shipmentView is Orders.ShipmentViewModel.
type shipmentView struct {
	ID                    int               `json:"id"`
	OrderID               int               `json:"order_id"`
	ReferenceID           string            `json:"reference_id"`
	Recipient             recipientView     `json:"recipient"`
	CreatedDate           string            `json:"created_date"`
	LastUpdateAt          *string           `json:"last_update_at"`
	LastTrackingUpdateAt  *string           `json:"last_tracking_update_at"`
	Status                string            `json:"status"`
	StatusDetails         []statusDetail    `json:"status_details"`
	Location              *fulfillmentCtr   `json:"location,omitempty"`
	InvoiceAmount         *float64          `json:"invoice_amount"`
	InsuranceValue        *float64          `json:"insurance_value"`
	ShipOption            *string           `json:"ship_option"`
	Tracking              *trackingView     `json:"tracking,omitempty"`
	Products              []shipmentProduct `json:"products"`
	RequireSignature      bool              `json:"require_signature"`
	IsTrackingUploaded    bool              `json:"is_tracking_uploaded"`
	ActualFulfillmentDate *string           `json:"actual_fulfillment_date"`
	GiftMessage           *string           `json:"gift_message"`
}

// recipientView is Orders.RecipientViewModel.
type recipientView struct {
	Name        *string  `json:"name"`
	FullName    *string  `json:"full_name"`
	Address     *address `json:"address"`
	Email       *string  `json:"email"`
	PhoneNumber *string  `json:"phone_number"`
}

// statusDetail is Orders.StatusDetailViewModel.
type statusDetail struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	InventoryID *int   `json:"inventory_id"`
}

// fulfillmentCtr is Orders.FulfillmentCenterViewModel.
type fulfillmentCtr struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// trackingView is Orders.TrackingViewModel.
type trackingView struct {
	Carrier        *string `json:"carrier"`
	CarrierService *string `json:"carrier_service"`
	TrackingNumber *string `json:"tracking_number"`
	TrackingURL    *string `json:"tracking_url"`
	ShippingDate   *string `json:"shipping_date"`
}

// shipmentProduct is Orders.ShipmentProductViewModel.
type shipmentProduct struct {
	ID             int             `json:"id"`
	ReferenceID    *string         `json:"reference_id"`
	SKU            *string         `json:"sku"`
	Name           *string         `json:"name"`
	InventoryItems []inventoryItem `json:"inventory_items"`
}

// inventoryItem is Orders.InventoryViewModel.
type inventoryItem struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

// canceledOrder is Orders.CanceledOrderViewModel.
type canceledOrder struct {
	OrderID   int               `json:"order_id"`
	Order     orderView         `json:"order"`
	Status    string            `json:"status"`
	Shipments []canceledShipRes `json:"canceled_shipment_results"`
}

// canceledShipRes is Orders.CanceledShipmentViewModel.
type canceledShipRes struct {
	Action     string  `json:"action"`
	IsSuccess  bool    `json:"is_success"`
	Reason     *string `json:"reason"`
	ShipmentID int64   `json:"shipment_id"`
}

// updateAddress is Orders.UpdateAddressRequest.
type updateAddress struct {
	City           *string `json:"city"`
	StreetAddress1 *string `json:"street_address1"`
	StreetAddress2 *string `json:"street_address2,omitempty"`
	CompanyName    *string `json:"company_name,omitempty"`
	CountryCode    *string `json:"country_code,omitempty"`
	Email          *string `json:"email,omitempty"`
	PhoneNumber    *string `json:"phone_number,omitempty"`
	RecipientName  *string `json:"recipient_name,omitempty"`
	State          *string `json:"state,omitempty"`
	ZipCode        *string `json:"zip_code,omitempty"`
}

// shipmentAPIResponse is Orders.ShipmentApiResponse.
type shipmentAPIResponse struct {
	ID        int64      `json:"id"`
	IsSuccess bool       `json:"is_success"`
	Error     *errorResp `json:"error,omitempty"`
}

// errorResp is Orders.ErrorResponse.
type errorResp struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// inventoryLevel is Inventory.InventoryQuantityResponse.
type inventoryLevel struct {
	InventoryID                   int    `json:"inventory_id"`
	Name                          string `json:"name"`
	SKU                           string `json:"sku"`
	TotalOnHandQuantity           int    `json:"total_on_hand_quantity"`
	TotalCommittedQuantity        int    `json:"total_committed_quantity"`
	TotalFulfillableQuantity      int    `json:"total_fulfillable_quantity"`
	TotalSellableQuantity         int    `json:"total_sellable_quantity"`
	TotalAwaitingQuantity         int    `json:"total_awaiting_quantity"`
	TotalBackorderedQuantity      int    `json:"total_backordered_quantity"`
	TotalExceptionQuantity        int    `json:"total_exception_quantity"`
	TotalInternalTransferQuantity int    `json:"total_internal_transfer_quantity"`
}

// levelsPage is Inventory.InventoryQuantityResponsePagedResponse.
type levelsPage struct {
	Items []inventoryLevel `json:"items"`
	First *string          `json:"first"`
	Last  *string          `json:"last"`
	Next  *string          `json:"next"`
	Prev  *string          `json:"prev"`
}

// channelsPage is Channels.ChannelsV2ViewModel.
type channelsPage struct {
	Items []channelView `json:"items"`
	Next  *string       `json:"next"`
	Prev  *string       `json:"prev"`
}

// channelView is Channels.ChannelViewModel.
type channelView struct {
	ID              int      `json:"id"`
	Name            string   `json:"name"`
	ApplicationName string   `json:"application_name"`
	Scopes          []string `json:"scopes"`
}
