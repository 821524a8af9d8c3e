package yahootest

import "encoding/xml"

// The XML documents of the order APIs, as the sources cited in the package doc show them. Only
// the elements the fake serves are declared; a request element the fake does not know is
// ignored, as Yahoo! ignores fields it does not use.

// searchReq is orderList's request: /Req/Search/{Result,Start,Sort,Condition,Field}, /Req/SellerId.
type searchReq struct {
	XMLName xml.Name `xml:"Req"`
	Search  struct {
		Result    string `xml:"Result"`
		Start     string `xml:"Start"`
		Sort      string `xml:"Sort"`
		Condition struct {
			OrderID       string `xml:"OrderId"`
			OrderTimeFrom string `xml:"OrderTimeFrom"`
			OrderTimeTo   string `xml:"OrderTimeTo"`
			OrderStatus   string `xml:"OrderStatus"`
		} `xml:"Condition"`
		Field string `xml:"Field"`
	} `xml:"Search"`
	SellerID string `xml:"SellerId"`
}

// targetReq is orderInfo's and orderShipStatusChange's request.
type targetReq struct {
	XMLName xml.Name `xml:"Req"`
	Target  struct {
		OrderID       string `xml:"OrderId"`
		Field         string `xml:"Field"`
		IsPointFix    string `xml:"IsPointFix"`
		OperationUser string `xml:"OperationUser"`
	} `xml:"Target"`
	Order struct {
		Ship *shipReq `xml:"Ship"`
	} `xml:"Order"`
	SellerID string `xml:"SellerId"`
}

type shipReq struct {
	ShipStatus                   string `xml:"ShipStatus"`
	ShipMethod                   string `xml:"ShipMethod"`
	ShipNotes                    string `xml:"ShipNotes"`
	ShipCompanyCode              string `xml:"ShipCompanyCode"`
	ShipInvoiceNumber1           string `xml:"ShipInvoiceNumber1"`
	ShipInvoiceNumber2           string `xml:"ShipInvoiceNumber2"`
	ShipInvoiceNumberEmptyReason string `xml:"ShipInvoiceNumberEmptyReason"`
	ShipURL                      string `xml:"ShipUrl"`
	ShipDate                     string `xml:"ShipDate"`
	ArrivalDate                  string `xml:"ArrivalDate"`
}

// errorBody is Yahoo!'s error document: <Error><Message/><Code/></Error>.
type errorBody struct {
	XMLName xml.Name `xml:"Error"`
	Message string   `xml:"Message"`
	Code    string   `xml:"Code,omitempty"`
}

// resultSet wraps every successful answer.
type resultSet struct {
	XMLName   xml.Name `xml:"ResultSet"`
	Available int      `xml:"totalResultsAvailable,attr"`
	Returned  int      `xml:"totalResultsReturned,attr"`
	First     int      `xml:"firstResultPosition,attr"`
	Result    any      `xml:"Result"`
}

type statusResult struct {
	Status string `xml:"Status"`
}

type listResult struct {
	Status string `xml:"Status"`
	Search struct {
		TotalCount int         `xml:"TotalCount"`
		OrderInfo  []listEntry `xml:"OrderInfo"`
	} `xml:"Search"`
}

// listEntry holds the fields orderList returns; fields not asked for in Field are left out.
type listEntry struct {
	Index          int    `xml:"Index"`
	OrderID        string `xml:"OrderId,omitempty"`
	Version        string `xml:"Version,omitempty"`
	OrderTime      string `xml:"OrderTime,omitempty"`
	LastUpdateTime string `xml:"LastUpdateTime,omitempty"`
	OrderStatus    string `xml:"OrderStatus,omitempty"`
	ShipStatus     string `xml:"ShipStatus,omitempty"`
}

type infoResult struct {
	Status    string  `xml:"Status"`
	OrderInfo infoDoc `xml:"OrderInfo"`
}

// orderInfo is orderInfo's answer, grouped as Yahoo! groups it: order fields, Pay, Ship, Item.
type orderInfo struct {
	OrderID        string   `xml:"OrderId"`
	Version        int      `xml:"Version"`
	ParentOrderID  string   `xml:"ParentOrderId,omitempty"`
	IsSplit        string   `xml:"IsSplit"`
	OrderTime      string   `xml:"OrderTime"`
	LastUpdateTime string   `xml:"LastUpdateTime"`
	OrderStatus    int      `xml:"OrderStatus"`
	Pay            payInfo  `xml:"Pay"`
	Ship           shipInfo `xml:"Ship"`
	Items          []item   `xml:"Item"`
}

type payInfo struct {
	PayMethod  string `xml:"PayMethod"`
	TotalPrice int64  `xml:"TotalPrice"`
}

type shipInfo struct {
	ShipStatus         int    `xml:"ShipStatus"`
	ShipMethod         string `xml:"ShipMethod,omitempty"`
	ShipMethodName     string `xml:"ShipMethodName,omitempty"`
	ShipRequestDate    string `xml:"ShipRequestDate,omitempty"`
	ShipRequestTime    string `xml:"ShipRequestTime,omitempty"`
	ShipNotes          string `xml:"ShipNotes,omitempty"`
	ShipCompanyCode    string `xml:"ShipCompanyCode,omitempty"`
	ShipInvoiceNumber1 string `xml:"ShipInvoiceNumber1,omitempty"`
	ShipInvoiceNumber2 string `xml:"ShipInvoiceNumber2,omitempty"`
	ShipURL            string `xml:"ShipUrl,omitempty"`
	ShipDate           string `xml:"ShipDate,omitempty"`
	ShipFirstName      string `xml:"ShipFirstName"`
	ShipLastName       string `xml:"ShipLastName"`
	ShipZipCode        string `xml:"ShipZipCode"`
	ShipPrefecture     string `xml:"ShipPrefecture"`
	ShipCity           string `xml:"ShipCity"`
	ShipAddress1       string `xml:"ShipAddress1"`
	ShipAddress2       string `xml:"ShipAddress2,omitempty"`
	ShipPhoneNumber    string `xml:"ShipPhoneNumber"`
}

type item struct {
	LineID    int    `xml:"LineId"`
	ItemID    string `xml:"ItemId"`
	Title     string `xml:"Title"`
	SubCode   string `xml:"SubCode,omitempty"`
	Quantity  int    `xml:"Quantity"`
	UnitPrice int64  `xml:"UnitPrice"`
}

type historyResult struct {
	Status  string         `xml:"Status"`
	History []historyEntry `xml:"OrderChangeHistory"`
}

// historyEntry is one operation in orderChangeHistory; OrderInfo carries the order's fields as
// the operation left them ("取得した注文情報を履歴IDの順番に上書き").
type historyEntry struct {
	HistoryID     int      `xml:"HistoryId"`
	OperationType string   `xml:"OperationType"`
	UpdateTime    string   `xml:"UpdateTime"`
	OrderInfo     *infoDoc `xml:"OrderInfo,omitempty"`
}

type countResult struct {
	Status string `xml:"Status"`
	Count  struct {
		NewOrder   int `xml:"NewOrder"`
		NewReserve int `xml:"NewReserve"`
	} `xml:"Count"`
}

// stockResult is one item of setStock's and getStock's answers.
type stockResult struct {
	ItemCode string `xml:"ItemCode"`
	SubCode  string `xml:"SubCode,omitempty"`
	Status   string `xml:"Status,omitempty"`
	Quantity string `xml:"Quantity,omitempty"`
}

type stockSet struct {
	XMLName   xml.Name      `xml:"ResultSet"`
	Available int           `xml:"totalResultsAvailable,attr"`
	Returned  int           `xml:"totalResultsReturned,attr"`
	First     int           `xml:"firstResultPosition,attr"`
	Results   []stockResult `xml:"Result"`
}
