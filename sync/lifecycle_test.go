package sync_test

import (
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
	"github.com/tobira-commerce/tobira/shipment"
	tobirasync "github.com/tobira-commerce/tobira/sync"
	"github.com/tobira-commerce/tobira/sync/ledger"
)

// The lifecycle of an order after it was first sent: changes, cancellations, routing, holds and
// shipments. Each subtest checks what the warehouses and the channels end up holding, the events
// the host saw and the ledger.

func okey(ch, id string) ledger.OrderKey {
	return ledger.OrderKey{Merchant: "m1", Channel: ch, OrderID: id}
}

func reqKey(wh, ch, id string) string { return tobirasync.RequestKey(okey(ch, id), wh) }

// ledger returns the engine's record of an order.
func (r *rig) ledger(ch, id string) *ledger.OrderRecord {
	r.t.Helper()
	rec, err := r.eng.Order(r.ctx, okey(ch, id))
	if err != nil {
		r.t.Fatalf("Order(%s/%s): %v", ch, id, err)
	}
	return rec
}

// request returns the warehouse's request for an order, failing if it has none.
func (r *rig) request(wh, ch, id string) memory.Request {
	r.t.Helper()
	q, ok := r.requestFor(wh, ch, id)
	if !ok {
		r.t.Fatalf("warehouse %s holds no request for %s/%s", wh, ch, id)
	}
	return q
}

// change edits an order on its channel; the clock passes the settle delay at the next sync.
func (r *rig) change(ch, id string, edit func(o *order.Order)) {
	r.t.Helper()
	if !r.chans[ch].Change(id, edit) {
		r.t.Fatalf("no order %s on %s", id, ch)
	}
}

// shipLines ships some lines of a request in the given parcels.
func (r *rig) shipLines(wh, ch, id string, lines []shipment.Line, parcels ...shipment.Parcel) shipment.Shipment {
	r.t.Helper()
	s, err := r.whs[wh].Ship(reqKey(wh, ch, id), lines, parcels...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	return s
}

// clearEvents forgets the events seen so far.
func (r *rig) clearEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = nil
}

// callCounter counts a memory connector's calls by operation.
type callCounter struct {
	mu gosync.Mutex
	n  map[string]int
}

func countCalls(f *memory.Faults) *callCounter {
	c := &callCounter{n: map[string]int{}}
	f.SetHook(func(op string) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n[op]++
		return nil
	})
	return c
}

func (c *callCounter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// open returns what a warehouse request still wants of each line.
func open(q memory.Request) map[string]int {
	out := map[string]int{}
	for _, l := range q.Order.Lines {
		if n := l.Open(); n > 0 {
			out[l.ID] = n
		}
	}
	return out
}

func lq(id, sku string, n int) connector.LineQuantity {
	return connector.LineQuantity{LineID: id, SKU: sku, Quantity: n}
}

func parcel(n string) shipment.Parcel {
	return shipment.Parcel{Carrier: shipment.Yamato, TrackingNumber: n}
}

// TestLifecycle runs every lifecycle scenario under its name (TestLifecycle/change_before_pick);
// the scenarios live in lifecycle_<theme>_test.go.
func TestLifecycle(t *testing.T) {
	for _, s := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"change_before_pick", lifecycleChangeBeforePick},
		{"change_after_pick_refused", lifecycleChangeAfterPickRefused},
		{"cancel_before_pick_releases_stock", lifecycleCancelBeforePickReleasesStock},
		{"restored_after_cancel_sent_again", lifecycleRestoredAfterCancelSentAgain},
		{"cancel_after_ship_refused", lifecycleCancelAfterShipRefused},
		{"partial_cancel", lifecyclePartialCancel},
		{"duplicate_change_sent_once", lifecycleDuplicateChangeSentOnce},
		{"route_merchant_lines_not_sent", lifecycleRouteMerchantLinesNotSent},
		{"split_two_warehouses", lifecycleSplitTwoWarehouses},
		{"dropship_event", lifecycleDropshipEvent},
		{"hold_until_paid", lifecycleHoldUntilPaid},
		{"manual_hold_release", lifecycleManualHoldRelease},
		{"partial_shipment_two_parcels", lifecyclePartialShipmentTwoParcels},
		{"shipment_for_unknown_order_quarantined", lifecycleShipmentForUnknownOrderQuarantined},
		{"crash_during_cancel_converges", lifecycleCrashDuringCancelConverges},
		{"change_then_cancel", lifecycleChangeThenCancel},
		{"cancel_before_sent", lifecycleCancelBeforeSent},
		{"change_delivery_slot", lifecycleChangeDeliverySlot},
		{"partial_cancel_after_pick_refused", lifecyclePartialCancelAfterPickRefused},
		{"cancel_refused_then_shipped", lifecycleCancelRefusedThenShipped},
		{"change_refused_then_shipped", lifecycleChangeRefusedThenShipped},
		{"split_ship_when_complete", lifecycleSplitShipWhenComplete},
		{"hold_then_cancel", lifecycleHoldThenCancel},
		{"split_cancel_one_warehouse_refuses", lifecycleSplitCancelOneWarehouseRefuses},
		{"change_moves_lines_between_warehouses", lifecycleChangeMovesLinesBetweenWarehouses},
		{"hold_delivery_date_far_ahead", lifecycleHoldDeliveryDateFarAhead},
		{"routed_away_lines_changed_later", lifecycleRoutedAwayLinesChangedLater},
		{"cancel_rest_after_partial_shipment_completes", lifecycleCancelRestAfterPartialShipmentCompletes},
		{"change_while_submit_outcome_unknown", lifecycleChangeWhileSubmitOutcomeUnknown},
		{"cancel_while_submit_outcome_unknown", lifecycleCancelWhileSubmitOutcomeUnknown},
		{"rerouted_while_submit_outcome_unknown", lifecycleReroutedWhileSubmitOutcomeUnknown},
		{"hold_lifts_then_cancelled_while_submit_outcome_unknown", lifecycleHoldLiftsThenCancelledWhileSubmitOutcomeUnknown},
		{"partial_cancel_outcome_unknown_then_more_cancelled", lifecyclePartialCancelOutcomeUnknownThenMoreCancelled},
		{"cancel_by_webhook", lifecycleCancelByWebhook},
	} {
		t.Run(s.name, s.run)
	}
}

// mustOrder returns an order as its channel holds it now.
func mustOrder(t *testing.T, r *rig, ch, id string) order.Order {
	t.Helper()
	o, ok := r.chans[ch].Order(id)
	require.True(t, ok)
	return o
}
