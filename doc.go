// Package tobira connects online shops to the warehouses that ship their orders.
//
// Tobira (扉, "door") is an embeddable library. A merchant sells on several channels (malls such
// as Rakuten, Amazon and Yahoo! Shopping; carts such as Shopify, BASE and WooCommerce) and a
// fulfillment company (3PL, 発送代行) ships the goods. Three flows run between them without a
// person in the loop:
//
//   - Orders: every order of every channel reaches the warehouse once, with its later changes and
//     cancellations and the warehouse's answer to each, routed line by line.
//   - Shipments: each shipment reaches its channel once, with carrier and tracking numbers.
//   - Stock: one pool per merchant; every sale lowers every channel at once.
//
// The packages:
//
//   - order, shipment, inventory: the domain (orders with Japanese delivery requests, shipments
//     and carriers, the stock pool and each channel's availability).
//   - connector: the interfaces channels and warehouses implement (OrderSource, ShipmentSink,
//     StockTarget; Fulfiller, ShipmentSource, StockSource), their errors, and reference connectors
//     in subpackages, each with a fake of its platform; connector/memory for tests and examples.
//   - sync: the engine the host embeds and drives with its own scheduler, over a Store the host
//     owns (sync/memstore in memory, sync/sqlstore on the host's database).
//
// Start with examples/quickstart, then the sync package's documentation.
package tobira
