package shipbob_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/shipbob"
	"github.com/tobira-commerce/tobira/connector/shipbob/shipbobtest"
	"github.com/tobira-commerce/tobira/order"
)

// TestShipbobChangeAfterPicking walks the fake warehouse through its steps and proves each
// change and cancellation is answered from the statuses ShipBob reports.
func TestShipbobChangeAfterPicking(t *testing.T) {
	ctx := context.Background()
	moved := func(key string) connector.ChangeRequest {
		o := request(key).Order
		o.ShipTo.Line1 = "神宮前9-9-9"
		return connector.ChangeRequest{Key: key, IdempotencyKey: key + "/change", Order: o}
	}
	for _, tc := range []struct {
		name   string
		step   func(f *shipbobtest.Server, ref string) error
		status string // the shipment's status after the step
		reason string // "" when changes are accepted
	}{
		{"received", func(*shipbobtest.Server, string) error { return nil }, "Processing", ""},
		{"picked", func(f *shipbobtest.Server, ref string) error { return f.Pick(ref) }, "Processing", connector.RefusedPicked},
		{"packed", func(f *shipbobtest.Server, ref string) error {
			if err := f.Pick(ref); err != nil {
				return err
			}
			return f.Pack(ref)
		}, "Processing", connector.RefusedPicked},
		{"shipped", func(f *shipbobtest.Server, ref string) error { return f.Ship(ref, "USPS", "9400111") }, "Completed", connector.RefusedShipped},
		{"refused by the warehouse", func(f *shipbobtest.Server, ref string) error { return f.Refuse(ref) }, "Exception", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			if err := r.client.Submit(ctx, request("k1")); err != nil {
				t.Fatal(err)
			}
			if err := tc.step(r.fake, "k1"); err != nil {
				t.Fatal(err)
			}
			if h := r.fake.Held("k1"); h.ShipmentStatus != tc.status {
				t.Fatalf("the shipment is %s, want %s", h.ShipmentStatus, tc.status)
			}
			a, err := r.client.Change(ctx, moved("k1"))
			if err != nil {
				t.Fatalf("Change: %v", err)
			}
			if a.Accepted != (tc.reason == "") || a.Reason != tc.reason {
				t.Errorf("Change answered %+v, want accepted %v reason %q", a, tc.reason == "", tc.reason)
			}
			wantLine1 := "神宮前1-2-3"
			if tc.reason == "" {
				wantLine1 = "神宮前9-9-9"
			}
			if h := r.fake.Held("k1"); h.Address1 != wantLine1 {
				t.Errorf("ShipBob ships to %q, want %q", h.Address1, wantLine1)
			}
			a, err = r.client.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/cancel"})
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			if a.Accepted != (tc.reason == "") || a.Reason != tc.reason {
				t.Errorf("Cancel answered %+v, want accepted %v reason %q", a, tc.reason == "", tc.reason)
			}
			if h := r.fake.Held("k1"); (h.Status == "Cancelled") != (tc.reason == "") {
				t.Errorf("after the cancellation the order is %s", h.Status)
			}
		})
	}
	t.Run("lines", func(t *testing.T) {
		r := newRig(t, nil)
		if err := r.client.Submit(ctx, request("k1")); err != nil {
			t.Fatal(err)
		}
		change := func(id string, edit func(o *order.Order)) connector.Answer {
			t.Helper()
			o := request("k1").Order
			o.Lines = append([]order.Line(nil), o.Lines...)
			edit(&o)
			a, err := r.client.Change(ctx, connector.ChangeRequest{Key: "k1", IdempotencyKey: id, Order: o})
			if err != nil {
				t.Fatalf("change %s: %v", id, err)
			}
			return a
		}
		lines := func() []shipbobtest.Line { return r.fake.Held("k1").Lines }
		more := func(o *order.Order) { o.Lines[0].Quantity = 5 }
		if a := change("more", more); !a.Accepted {
			t.Fatalf("raising a quantity was refused: %+v", a)
		}
		if got := lines(); len(got) != 2 || got[0] != (shipbobtest.Line{SKU: "TEA-01", Quantity: 5}) {
			t.Errorf("ShipBob holds %v after raising TEA-01 to 5", got)
		}
		fewer := func(o *order.Order) { o.Lines[0].Quantity = 5; o.Lines[1].Cancelled = 1 }
		if a := change("drop", fewer); !a.Accepted {
			t.Fatalf("dropping a line was refused: %+v", a)
		}
		if a := change("drop-again", fewer); !a.Accepted {
			t.Fatalf("repeating the same content was refused: %+v", a)
		}
		if got := lines(); len(got) != 1 || got[0] != (shipbobtest.Line{SKU: "TEA-01", Quantity: 5}) {
			t.Errorf("ShipBob holds %v after dropping CUP-02 (twice), want TEA-01×5", got)
		}
		added := change("add", func(o *order.Order) { o.Lines = append(o.Lines, order.Line{ID: "3", SKU: "NEW-9", Quantity: 1}) })
		if added.Accepted || added.Reason == "" {
			t.Errorf("adding a SKU answered %+v, want a refusal the host can read", added)
		}
		a, err := r.client.Cancel(ctx, connector.CancelRequest{Key: "k1", IdempotencyKey: "k1/part",
			Lines: []connector.LineQuantity{{LineID: "1", SKU: "TEA-01", Quantity: 1}}})
		if err != nil || a.Accepted || a.Reason == "" {
			t.Errorf("a partial cancellation answered %+v, %v; want a refusal", a, err)
		}
		if err := r.fake.Pick("k1"); err != nil {
			t.Fatal(err)
		}
		if a := change("late", func(o *order.Order) { o.Lines[0].Quantity = 1 }); a.Accepted || a.Reason != connector.RefusedPicked {
			t.Errorf("a line change after picking answered %+v", a)
		}
		if h := r.fake.Held("k1"); h.Status != "Processing" || len(h.Lines) != 1 || h.Lines[0].Quantity != 5 {
			t.Errorf("a refused change took effect: %+v", h.Lines)
		}
	})
	t.Run("cash on delivery", func(t *testing.T) {
		r := newRig(t, nil)
		req := request("k1")
		req.Order.Payment = order.Payment{Method: order.PaymentCashOnDelivery, CollectAmount: order.Yen(6100)}
		if err := r.client.Submit(ctx, req); !errors.Is(err, connector.ErrPermanent) {
			t.Errorf("a COD request: %v, want ErrPermanent", err)
		}
		if r.fake.Requests() != 0 {
			t.Errorf("a COD request reached ShipBob")
		}
	})
}

// TestShipbobThrottle proves ShipBob's own limit comes back as a *connector.RateLimitError with
// the x-retry-after wait, after one request, and that the default pacing stays under it.
func TestShipbobThrottle(t *testing.T) {
	if per := float64(shipbob.DefaultRate)*60 + shipbob.DefaultBurst; per > shipbobtest.RatePerMinute {
		t.Errorf("the default pacing allows %v requests in a minute, ShipBob %d", per, shipbobtest.RatePerMinute)
	}
	f := shipbobtest.New(shipbobtest.Options{RatePerMinute: 3})
	defer f.Close()
	c, err := shipbob.New(shipbob.Config{BaseURL: f.URL(), Token: f.Token(), ChannelID: f.ChannelID()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.ListStock(ctx, ""); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	_, err = c.ListStock(ctx, "")
	var rl *connector.RateLimitError
	if !errors.As(err, &rl) || rl.Wait < 50*time.Second || rl.Wait > time.Minute {
		t.Fatalf("the 4th call in a minute returned %v, want a RateLimitError asking about a minute", err)
	}
	if f.Requests() != 4 || time.Since(start) > 5*time.Second {
		t.Errorf("%d requests in %s; the throttle must come back after one request, at once", f.Requests(), time.Since(start))
	}
}

// TestShipbobNoSecretsInErrors proves tokens and personal data stay out of errors and logs.
func TestShipbobNoSecretsInErrors(t *testing.T) {
	var logs strings.Builder
	r := newRig(t, func(c *shipbob.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := context.Background()
	var errs []error
	bad, err := shipbob.New(shipbob.Config{BaseURL: r.fake.URL(), Token: "pat_wrong_token_123", ChannelID: r.fake.ChannelID()})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, bad.Submit(ctx, request("k1")))
	r.fake.FailNextWrite(http.StatusInternalServerError)
	errs = append(errs, r.client.Submit(ctx, request("k2")))
	noCity := request("k3")
	noCity.Order.ShipTo.City = ""
	errs = append(errs, r.client.Submit(ctx, noCity))
	r.fake.LoseNextAnswer()
	errs = append(errs, r.client.Submit(ctx, request("k4")))
	for _, err := range errs {
		if err == nil {
			t.Fatal("a call that should fail succeeded")
		}
		logs.WriteString(err.Error() + "\n")
	}
	for _, secret := range []string{r.fake.Token(), "pat_wrong_token_123", "山田", "神宮前", "03-1234-5678", "taro@example.jp"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("%q appears in errors or logs:\n%s", secret, logs.String())
		}
	}
	if !errors.Is(errs[0], connector.ErrUnauthorized) {
		t.Errorf("a wrong token: %v, want ErrUnauthorized", errs[0])
	}
}

func TestConfigValidate(t *testing.T) {
	for name, c := range map[string]shipbob.Config{
		"empty":     {},
		"no token":  {ChannelID: 1},
		"no chan":   {Token: "t"},
		"bad url":   {Token: "t", ChannelID: 1, BaseURL: "ftp://x"},
		"page size": {Token: "t", ChannelID: 1, PageSize: 251},
		"negative":  {Token: "t", ChannelID: 1, Overlap: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, c)
		}
		if _, err := shipbob.New(c); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if err := (shipbob.Config{Token: "t", ChannelID: 1}).Validate(); err != nil {
		t.Errorf("a minimal config: %v", err)
	}
}
