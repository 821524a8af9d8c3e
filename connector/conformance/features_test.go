package conformance

import (
	"strings"
	"testing"

	"github.com/tobira-commerce/tobira/connector"
	"github.com/tobira-commerce/tobira/internal/suite"
)

// noThrottler hides the memory channel's Throttler, as a seeder that forgot it would.
type noThrottler struct{ OrderSeeder }

type plainHarness struct{ f OrderSourceFeatures }

func (h plainHarness) New(testing.TB) (connector.OrderSource, OrderSeeder) {
	s := newMemChannel()
	return s.ch, noThrottler{s}
}
func (h plainHarness) Features() OrderSourceFeatures { return h.f }

func TestFeaturesSkipWithAReason(t *testing.T) {
	r := suite.NewRecorder(t)
	TestOrderSource(r, plainHarness{OrderSourceFeatures{PageSize: 3}})
	if f := r.Failures(); len(f) != 0 {
		t.Fatalf("failures: %q", f)
	}
	s := r.Skips()
	if len(s) != 1 || !strings.HasPrefix(s[0], "Throttled: ") || !strings.Contains(s[0], "Features.Throttles is false") {
		t.Errorf("skips = %q, want Throttled skipped with its reason", s)
	}
}

func TestFeaturesThatPromiseTooMuchFail(t *testing.T) {
	r := suite.NewRecorder(t)
	TestOrderSource(r, plainHarness{OrderSourceFeatures{PageSize: 3, Throttles: true}})
	if !r.FailedIn("Throttled") || !strings.Contains(strings.Join(r.Failures(), "\n"), "does not implement conformance.Throttler") {
		t.Errorf("failures = %q, want Throttled to fail naming the missing Throttler", r.Failures())
	}
}

func TestMissingPageSizeStopsTheSuite(t *testing.T) {
	r := suite.NewRecorder(t)
	r.RunTB("suite", func(t testing.TB) { TestOrderSource(t, plainHarness{}) })
	if f := r.Failures(); len(f) != 1 || !strings.Contains(f[0], "PageSize must be set") {
		t.Errorf("failures = %q, want one saying PageSize must be set", f)
	}
}
