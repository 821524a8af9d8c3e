package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
)

// TestLogsCarryNoPersonalData runs a full scenario (orders with names, addresses, phone numbers
// and gift messages on two channels; a warehouse that refuses an address for good and quotes it,
// one that fails for a while quoting the recipient, a channel listing that fails, an invalid order,
// shipments, stock) with a JSON handler, and scans the logs for the scenario's personal data.
// Every run and every failure is logged with the merchant, the channel or warehouse, and the flow.
func TestLogsCarryNoPersonalData(t *testing.T) {
	r := newRig(t, "shop", "mall")
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.eng = tobirasync.New(r.store, tobirasync.Options{Clock: r.clock, Settle: time.Second, Overlap: time.Minute,
		PageLimit: 3, Observer: tobirasync.ObserverFunc(r.observe), Logger: logger})
	r.apply()
	r.setOnHand("TEA", 50)

	people := []order.Address{
		{Name: "佐藤 花子", Company: "花子商店株式会社", Phone: "090-9876-5432", Email: "hanako.sato@example.jp", PostalCode: "530-0001", Prefecture: "大阪府", City: "大阪市北区", Line1: "梅田2-2-2", Line2: "梅田タワー1203"},
		{Name: "鈴木 一郎", Phone: "011-222-3333", Email: "ichiro@example.com", PostalCode: "060-0001", Prefecture: "北海道", City: "札幌市中央区", Line1: "北一条西3-3"},
		{Name: "田中 美咲", Phone: "092-444-5555", PostalCode: "810-0001", Prefecture: "福岡県", City: "福岡市中央区", Line1: "天神4-4-4", Line2: "天神ハイツ202"},
		addr(),
	}
	var secrets []string
	for _, p := range people {
		secrets = append(secrets, p.Name, p.Company, p.Phone, strings.ReplaceAll(p.Phone, "-", ""), p.Email, p.PostalCode, p.City, p.Line1, p.Line2)
	}
	gift := "お誕生日おめでとう、花子さん"
	secrets = append(secrets, gift)

	mk := func(id string, p order.Address) order.Order {
		o := newOrder(id, "TEA", 1)
		o.ShipTo = p
		return o
	}
	// A good order with a gift message.
	o1 := mk("o1", people[0])
	o1.Gift = &order.Gift{Message: gift}
	r.place("shop", o1)
	r.syncOrders("shop")

	// The warehouse refuses an address for good, quoting it.
	r.place("shop", mk("o2", people[1]))
	r.whs["wh"].FailNext(1, fmt.Errorf("cannot deliver to %s %s %s: %w", people[1].City, people[1].Line1, people[1].Name, connector.ErrPermanent))
	r.syncOrders("shop")
	require.Len(t, eventsOf[tobirasync.ItemQuarantined](r), 1)

	// It fails for a while, quoting the recipient and the phone number.
	r.place("mall", mk("o3", people[2]))
	r.whs["wh"].FailNext(1, fmt.Errorf("recipient %s (%s) not accepted yet: %w", people[2].Name, people[2].Phone, connector.ErrTemporary))
	_, err := r.eng.SyncOrders(r.ctx, "m1", "mall")
	require.Error(t, err)
	require.Contains(t, err.Error(), "[redacted]", "the error the host gets is scrubbed too")
	require.ErrorIs(t, err, connector.ErrTemporary)

	// An invalid order (bad postal code) with personal data, pushed by a webhook.
	bad := mk("o4", people[3])
	bad.ShipTo.PostalCode = "1500001"
	require.NoError(t, r.eng.IngestOrder(r.ctx, "m1", "mall", bad))

	// The channel's listing fails once.
	r.chans["shop"].FailNext(1, nil)
	_, err = r.eng.SyncOrders(r.ctx, "m1", "shop")
	require.Error(t, err)

	// Everything else goes on: shipments, stock, the retried order, a recorded shipment.
	r.catchUp()
	r.ship("wh", "shop", "o1")
	r.ship("wh", "mall", "o3")
	r.catchUp()
	require.NoError(t, r.eng.RecordShipment(r.ctx, "m1", "wh", shipment.Shipment{ID: "host-1", Channel: "shop", OrderID: "nope"}))
	require.NoError(t, r.eng.Close(context.Background()))

	logs := buf.String()
	for _, s := range secrets {
		if s != "" {
			require.NotContains(t, logs, s, "personal data in the logs")
		}
	}

	// Every run and failure is logged with the same attributes.
	var runs, failures int
	flows := map[string]bool{}
	for line := range strings.Lines(logs) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		msg := rec["msg"].(string)
		if !strings.HasPrefix(msg, "tobira: run") && rec["level"] != "WARN" && rec["level"] != "ERROR" {
			continue
		}
		if rec["merchant"] == nil {
			continue // the engine's own shutdown
		}
		require.Equal(t, "m1", rec["merchant"], line)
		require.NotEmpty(t, rec["flow"], line)
		if rec["flow"] != "stock" {
			require.True(t, rec["channel"] != nil || rec["warehouse"] != nil, line)
		}
		flows[rec["flow"].(string)] = true
		if strings.HasPrefix(msg, "tobira: run") {
			runs++
		}
		if rec["err"] != nil {
			failures++
		}
	}
	require.Greater(t, runs, 10)
	require.GreaterOrEqual(t, failures, 2, "the failed runs are logged with their errors")
	for _, f := range []string{"orders", "intake", "shipments", "shipment", "stock"} {
		require.True(t, flows[f], "flow %s logged", f)
	}
	require.Contains(t, logs, `"quarantined"`)
}
