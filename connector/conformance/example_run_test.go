package conformance_test

import (
	"testing"

	"github.com/tobira-commerce/tobira/connector/conformance"
)

// TestExampleHarness keeps the package example honest: its harness passes the suite.
func TestExampleHarness(t *testing.T) {
	conformance.TestOrderSource(t, harness{})
}
