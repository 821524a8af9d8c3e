package main

import (
	"os"
	"testing"
	"time"
)

// TestRun runs the example end to end on a small scale against TOBIRA_TEST_POSTGRES, so that CI
// notices when it stops settling.
func TestRun(t *testing.T) {
	dsn := os.Getenv("TOBIRA_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TOBIRA_TEST_POSTGRES is not set, and CI is: the example must run in CI")
		}
		t.Skip("TOBIRA_TEST_POSTGRES is not set: skipping the example (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	if err := run(dsn, 400, 90*time.Second, false, &staff{after: 0, seen: map[string]time.Time{}}); err != nil {
		t.Fatal(err)
	}
}
