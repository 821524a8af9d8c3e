package csvfile_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/csvfile"
	"github.com/tobira-commerce/tobira/connector/csvfile/csvfiletest"
	"github.com/tobira-commerce/tobira/order"
)

// A cart plugin sends an order to a partner that works with files: the connector writes a
// Shift_JIS order file into the shared directory, the partner (here the fake) takes it, ships,
// and writes a shipment file and a stock file, which the connector reads back.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "csvfile-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	conn, err := csvfile.New(csvfile.Config{Dir: dir}) // Shift_JIS, the default layout
	if err != nil {
		panic(err)
	}
	partner, err := csvfiletest.New(dir, csvfile.ShiftJIS)
	if err != nil {
		panic(err)
	}
	partner.Now = func() time.Time { return time.Date(2026, 12, 7, 1, 15, 0, 0, time.UTC) }

	o := order.Order{ID: "1001", Number: "#1001", Status: order.StatusOpen,
		Lines:    []order.Line{{ID: "1", SKU: "SENCHA", Name: "煎茶 特上", Quantity: 2}},
		ShipTo:   order.Address{Name: "山田 花子", PostalCode: "150-0001", Prefecture: "東京都", City: "渋谷区", Line1: "神宮前1-2-3"},
		Delivery: order.DeliveryRequest{Date: order.Date{Year: 2026, Month: 12, Day: 24}, Slot: order.Slot1416}}
	req := connector.FulfillmentRequest{Key: "sakura-tea-1001", Merchant: "sakura-tea", Channel: "shop", Order: o}
	for range 2 { // a retry writes nothing more
		if err := conn.Submit(ctx, req); err != nil {
			panic(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "orders", "*.csv"))
	raw, _ := os.ReadFile(files[0])
	text, _ := japanese.ShiftJIS.NewDecoder().Bytes(raw)
	header, _, _ := strings.Cut(string(text), "\r\n")
	fmt.Println("order files:", len(files))
	fmt.Println("columns:", strings.Join(strings.Split(header, ",")[:8], " "), "…")

	if err := partner.Receive(); err != nil {
		panic(err)
	}
	if _, err := partner.Ship("sakura-tea-1001"); err != nil {
		panic(err)
	}
	if err := partner.SetOnHand("SENCHA", 38); err != nil {
		panic(err)
	}

	ships, err := conn.ListShipments(ctx, "")
	if err != nil {
		panic(err)
	}
	for _, s := range ships.Shipments {
		fmt.Println("shipped:", s.ID, "order", s.OrderID, s.Parcels[0].Carrier, s.Parcels[0].TrackingNumber)
	}
	stock, err := conn.ListStock(ctx, "")
	if err != nil {
		panic(err)
	}
	for _, l := range stock.Levels {
		fmt.Println("stock:", l.SKU, l.OnHand, "as of", l.AsOf.Format(time.RFC3339))
	}
	// Output:
	// order files: 1
	// columns: 出荷指示番号 指示区分 指示ID 荷主コード 店舗コード 受注番号 受注日 お届け先名 …
	// shipped: SHP-000001 order 1001 yamato 400000000001
	// stock: SENCHA 38 as of 2026-12-07T01:15:00Z
}
