package suite

import (
	"strings"
	"testing"
)

func TestRecorderCapturesFailuresPerSubtest(t *testing.T) {
	r := NewRecorder(t)
	Run(r, "good", "nothing fails", func(c *Check) {})
	Run(r, "bad", "the sentence is carried", func(c *Check) {
		c.Errorf("first %d", 1)
		c.Fatal("stop")
		c.Errorf("never reached")
	})
	Run(r, "skipped", "skips stop the check", func(c *Check) {
		c.Skip("not promised")
		c.Errorf("never reached")
	})
	got := r.Failures()
	if len(got) != 2 {
		t.Fatalf("failures = %q, want 2", got)
	}
	if !strings.HasPrefix(got[0], "bad: the sentence is carried:") || !strings.Contains(got[0], "first 1") {
		t.Errorf("failure = %q, want it under bad with the sentence", got[0])
	}
	if !r.FailedIn("bad") || r.FailedIn("good") || r.FailedIn("skipped") {
		t.Errorf("FailedIn wrong: %q", got)
	}
	if s := r.Skips(); len(s) != 1 || !strings.Contains(s[0], "not promised") {
		t.Errorf("skips = %q", s)
	}
	if !r.Failed() {
		t.Error("Failed() = false after a failing subtest")
	}
}
