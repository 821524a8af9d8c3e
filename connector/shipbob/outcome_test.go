package shipbob_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shipbob"
)

// TestShipbobOutcomeUnknown proves that a create whose answer was lost, or that answered 5xx
// after it landed, is connector.ErrOutcomeUnknown, and that the retry reads the order back by
// reference_id instead of sending it again.
func TestShipbobOutcomeUnknown(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		fault func(r *rig)
	}{
		{"connection dropped after the write", func(r *rig) { r.fake.LoseNextAnswer() }},
		{"500 after the write", func(r *rig) { r.fake.FailNextWrite(http.StatusInternalServerError) }},
		{"503 after the write", func(r *rig) { r.fake.FailNextWrite(http.StatusServiceUnavailable) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			tc.fault(r)
			err := r.client.Submit(ctx, request("k1"))
			if !errors.Is(err, connector.ErrOutcomeUnknown) {
				t.Fatalf("Submit after %s returned %v, want connector.ErrOutcomeUnknown", tc.name, err)
			}
			if r.fake.Creates() != 1 {
				t.Fatalf("the fake created %d orders, want 1 (the write landed)", r.fake.Creates())
			}
			posts := r.fake.Calls(http.MethodPost, "/2026-01/order")
			reads := r.fake.Calls(http.MethodGet, "/2026-01/order")
			if err := r.client.Submit(ctx, request("k1")); err != nil {
				t.Fatalf("the retry: %v", err)
			}
			if n := r.fake.Calls(http.MethodPost, "/2026-01/order") - posts; n != 0 {
				t.Errorf("the retry sent the create %d more times; it must read back first and find it", n)
			}
			if n := r.fake.Calls(http.MethodGet, "/2026-01/order") - reads; n != 1 {
				t.Errorf("the retry read back %d times, want 1", n)
			}
			if h := r.fake.Held(shipbob.ReferenceID("k1")); h.Copies != 1 {
				t.Errorf("ShipBob holds %d orders for k1, want 1", h.Copies)
			}
		})
	}
	t.Run("5xx on the read-back: nothing written, the create goes once", func(t *testing.T) {
		r := newRig(t, nil)
		r.fake.FailNext(http.StatusServiceUnavailable) // the read-back, a GET the HTTP layer may retry
		err := r.client.Submit(ctx, request("k1"))
		if errors.Is(err, connector.ErrOutcomeUnknown) {
			t.Fatalf("got %v: a failed read sent nothing, its outcome is known", err)
		}
		if err := r.client.Submit(ctx, request("k1")); err != nil {
			t.Fatal(err)
		}
		if r.fake.Creates() != 1 || r.fake.Calls(http.MethodPost, "/2026-01/order") != 1 {
			t.Errorf("created %d with %d POSTs, want 1 and 1", r.fake.Creates(), r.fake.Calls(http.MethodPost, "/2026-01/order"))
		}
	})
}
