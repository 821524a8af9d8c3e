package sim

import "time"

// Platform is what the simulator knows of one sales platform: how buyers reach it, how fast its
// API answers, what its published rate limits and batch sizes are, and whether it pushes
// orders. Every figure cites its section of shared/research/channel-apis.md; figures the
// research does not give are marked "assumed" and say why the value is plausible.
type Platform struct {
	Name string
	// Share is the platform's part of the merchant's orders (relative weight).
	Share float64
	// Push says the platform can push new and changed orders (webhooks, queues); PushDelay is
	// the typical delivery delay of a push (each delivery draws from 0.5x to 1.5x of it).
	Push      bool
	PushDelay time.Duration
	// Latency is one API round trip (assumed for every platform: the research has no
	// measurements; a few hundred milliseconds is what hosted commerce APIs answer in).
	Latency time.Duration
	// PageSize is the most orders one listing call returns.
	PageSize int
	// StockBatch is the most SKUs one stock call sets.
	StockBatch int
	// CompareStock: the stock call can refuse an update when the platform holds another value.
	CompareStock bool
	// Orders, Stock and Ship are the limits of the listing, stock and shipment APIs. Shared
	// limits (one per platform account) are listed in each; a call must pass all of its limits.
	Orders, Stock, Ship []Limit
	// ListCost, StockCost and ShipCost are what one call takes from its limits (query cost
	// points for Shopify, 1 elsewhere); ListCost is per page of PageSize orders.
	ListCost, StockCost, ShipCost float64
	// SweepEvery is how often the host has the engine sweep the last day of orders again
	// (ListingPolicy.SweepEvery); 0 keeps the engine's hour.
	SweepEvery time.Duration
}

// Platforms returns the platforms the simulator knows, in the order channels are given them.
// With more channels than platforms, the list repeats (a merchant's second Shopify shop).
func Platforms() []Platform {
	// Shopify's cost bucket is per app and store, shared by every call (§1(g)).
	shopifyBucket := Limit{Name: "shopify cost bucket", Rate: 100, Burst: 1000}
	// Yahoo! caps each API at 10 req/s and the application at 50,000 a day (§4(g)).
	yahooDay := Limit{Name: "yahoo 50,000/day", Window: 24 * time.Hour, PerWindow: 50000}
	// BASE counts every call of the user against 5,000 an hour, reset at minute 00 (§5(g)).
	baseHour := Limit{Name: "base 5,000/hour", Window: time.Hour, PerWindow: 5000}
	return []Platform{
		{
			Name: "shopify", Share: 0.30,
			// §1(h): ORDERS_CREATE / ORDERS_UPDATED / ORDERS_CANCELLED webhooks. Delivery delay
			// assumed: Shopify documents none; seconds are typical.
			Push: true, PushDelay: 2 * time.Second,
			Latency:  300 * time.Millisecond,
			PageSize: 250, // §1(a): orders(first: ≤250)
			// §1(e): inventorySetQuantities takes at most 250 quantities, with compareQuantity.
			StockBatch: 250, CompareStock: true,
			// §1(g): Standard plan restores 100 points/s; the 1,000-point bucket size is from
			// third-party posts [C].
			Orders: []Limit{shopifyBucket}, Stock: []Limit{shopifyBucket}, Ship: []Limit{shopifyBucket},
			// §1(g): objects cost 1 and connections scale with `first`, so a page of orders
			// costs about one point per order. Mutations are assumed at 10 points, Shopify's
			// usual mutation cost (not in the research).
			ListCost: 251, StockCost: 10, ShipCost: 10,
		},
		{
			Name: "rakuten", Share: 0.30,
			// §3(h): no push the engine can use here (only an XML notice of unclear terms [C]).
			Latency:  500 * time.Millisecond,
			PageSize: 100, // §3(a)/(b): getOrder takes up to 100 order numbers per call
			// §3(e): inventories/bulk-upsert takes 1..400 inventories; absolute, no compare.
			StockBatch: 400,
			// §3(g): no official figures; integrators' transcriptions [C] give 1 req/s for the
			// order API and for inventories.bulk.upsert. Burst assumed 1 (no burst documented).
			Orders: []Limit{{Name: "rakuten order API 1/s", Rate: 1, Burst: 1}},
			Stock:  []Limit{{Name: "rakuten bulk-upsert 1/s", Rate: 1, Burst: 1}},
			// Shipping reports go through the same order API (§3(d), §3(g)).
			Ship:     []Limit{{Name: "rakuten order API 1/s (ship)", Rate: 1, Burst: 1}},
			ListCost: 1, StockCost: 1, ShipCost: 1,
		},
		{
			Name: "amazon", Share: 0.15,
			// §2(h): Notifications API (ORDER_CHANGE) over SQS/EventBridge. Delivery delay
			// assumed: queue delivery is seconds, 10 s leaves room for Amazon's own lag.
			Push: true, PushDelay: 10 * time.Second,
			Latency:  500 * time.Millisecond,
			PageSize: 100, // §2(a): getOrders MaxResultsPerPage (assumed 100, the API maximum)
			// §2(e): patchListingsItem sets one SKU per call (the feed takes 25,000 but reports
			// asynchronously; a stock push that must land now uses the listing patch).
			StockBatch: 1,
			// §2(g): getOrders 0.0167/s burst 20; patchListingsItem 5/s burst 5; confirmShipment
			// 2/s burst 10.
			Orders:   []Limit{{Name: "amazon getOrders 0.0167/s burst 20", Rate: 0.0167, Burst: 20}},
			Stock:    []Limit{{Name: "amazon patchListingsItem 5/s burst 5", Rate: 5, Burst: 5}},
			Ship:     []Limit{{Name: "amazon confirmShipment 2/s burst 10", Rate: 2, Burst: 10}},
			ListCost: 1, StockCost: 1, ShipCost: 1,
			// Polled every minute, getOrders has no call to spare: an hourly sweep of the last
			// day (a dozen pages) would hold fresh orders back a quarter of every hour.
			SweepEvery: 6 * time.Hour,
		},
		{
			Name: "yahoo", Share: 0.15,
			// §4(h): no order push; polling orderCount/orderList is the documented pattern.
			Latency:  400 * time.Millisecond,
			PageSize: 100, // §4(a): orderList pages (assumed 100 per page)
			// §4(e): setStock takes up to 1,000 item codes per call.
			StockBatch: 1000,
			// §4(g): 10 req/s per API, 50,000 requests a day per application.
			Orders:   []Limit{{Name: "yahoo orderList 10/s", Rate: 10, Burst: 10}, yahooDay},
			Stock:    []Limit{{Name: "yahoo setStock 10/s", Rate: 10, Burst: 10}, yahooDay},
			Ship:     []Limit{{Name: "yahoo orderShipStatusChange 10/s", Rate: 10, Burst: 10}, yahooDay},
			ListCost: 1, StockCost: 1, ShipCost: 1,
		},
		{
			Name: "base", Share: 0.10,
			// §5(h): no webhooks.
			Latency:  300 * time.Millisecond,
			PageSize: 100, // §5(a): GET /1/orders limit (assumed 100)
			// §5(e): items/edit_stock sets one item per call; no bulk endpoint.
			StockBatch: 1,
			// §5(g): 5,000 calls an hour per user, every API together.
			Orders: []Limit{baseHour}, Stock: []Limit{baseHour}, Ship: []Limit{baseHour},
			ListCost: 1, StockCost: 1, ShipCost: 1,
		},
		{
			Name: "woocommerce", Share: 0.10,
			// §6(h): order.created / order.updated webhooks, sent from wp-cron: latency is not
			// guaranteed; 30 s assumed.
			Push: true, PushDelay: 30 * time.Second,
			Latency:  400 * time.Millisecond,
			PageSize: 100, // §6(a): per_page up to 100
			// §6(e): products/batch takes up to 100 objects.
			StockBatch: 100,
			// §6(g): no limit in core (host-dependent); 5 req/s assumed for a shared host.
			Orders:   []Limit{{Name: "woocommerce host 5/s (assumed)", Rate: 5, Burst: 5}},
			Stock:    []Limit{{Name: "woocommerce host 5/s (assumed)", Rate: 5, Burst: 5}},
			Ship:     []Limit{{Name: "woocommerce host 5/s (assumed)", Rate: 5, Burst: 5}},
			ListCost: 1, StockCost: 1, ShipCost: 1,
		},
	}
}
