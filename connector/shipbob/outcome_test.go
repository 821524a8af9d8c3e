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
	t.Run("5xx without effect: unknown, then read back and created once", func(t *testing.T) {
		r := newRig(t, nil)
		r.fake.FailNext(http.StatusServiceUnavailable) // the create, which the server never applied
		if err := r.client.Submit(ctx, request("k1")); !errors.Is(err, connector.ErrOutcomeUnknown) {
			t.Fatalf("got %v: a 5xx on a create may have landed", err)
		}
		if r.fake.Creates() != 0 {
			t.Fatalf("the fault applied the create")
		}
		if err := r.client.Submit(ctx, request("k1")); err != nil {
			t.Fatal(err)
		}
		if r.fake.Creates() != 1 || r.fake.Calls(http.MethodGet, "/2026-01/order") != 1 {
			t.Errorf("created %d after %d read-backs, want 1 and 1", r.fake.Creates(), r.fake.Calls(http.MethodGet, "/2026-01/order"))
		}
		// Once created, the key is no longer uncertain: the next submit goes straight to ShipBob,
		// which refuses the duplicate, and the refusal is read back.
		if err := r.client.Submit(ctx, request("k1")); err != nil {
			t.Fatal(err)
		}
		if h := r.fake.Held(shipbob.ReferenceID("k1")); h.Copies != 1 {
			t.Errorf("%d copies", h.Copies)
		}
	})
	t.Run("ReadBackFirst", func(t *testing.T) {
		r := newRig(t, func(c *shipbob.Config) { c.ReadBackFirst = true })
		for range 2 {
			if err := r.client.Submit(ctx, request("k1")); err != nil {
				t.Fatal(err)
			}
		}
		if p := r.fake.Calls(http.MethodPost, "/2026-01/order"); p != 1 {
			t.Errorf("%d creates sent with ReadBackFirst, want 1", p)
		}
	})
}
