package conformance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/connector/conformance"
	"github.com/tobira-commerce/tobira/connector/memory"
	"github.com/tobira-commerce/tobira/order"
)

// harness proves memory.Channel as an OrderSource. A reference connector's harness starts its
// fake server in New (closing it with t.Cleanup), points the connector at it, and seeds through
// the fake's own controls.
type harness struct{}

func (harness) New(t testing.TB) (connector.OrderSource, conformance.OrderSeeder) {
	s := &seeder{}
	// The channel stamps orders with the seeder's clock, so orders land at the suite's times.
	s.ch = &memory.Channel{PageSize: 5, Now: func() time.Time { return s.now }}
	return s.ch, s
}

// Features declares the page size the suite must exceed, and that this platform cannot be made
// to throttle: the Throttled check is skipped, saying so.
func (harness) Features() conformance.OrderSourceFeatures {
	return conformance.OrderSourceFeatures{PageSize: 5}
}

type seeder struct {
	ch  *memory.Channel
	now time.Time
	n   int
}

func (s *seeder) Place(_ context.Context, at time.Time, lines []order.Line) (string, error) {
	s.n++
	s.now = at
	o := s.ch.Place(order.Order{ID: fmt.Sprint(1000 + s.n), Lines: lines})
	return o.ID, nil
}

func (s *seeder) Change(_ context.Context, id string, at time.Time) error {
	s.now = at
	if !s.ch.Change(id, func(o *order.Order) { o.ShipTo.Line1 = "神宮前9-9-9" }) {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

func (s *seeder) Cancel(_ context.Context, id string, at time.Time) error {
	s.now = at
	if !s.ch.Cancel(id) {
		return fmt.Errorf("no order %s", id)
	}
	return nil
}

// This is all a connector's test needs: a harness, and one call per interface it implements. The
// call goes in a test function of the connector's package:
//
//	func TestConformance(t *testing.T) {
//		conformance.TestOrderSource(t, harness{})
//	}
func Example() {
	var _ conformance.OrderSourceHarness = harness{}
}
