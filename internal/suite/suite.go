// Package suite holds what the conformance suites (connector/conformance, sync/storetest) share:
// a check that names the sentence it proves, subtests that work on a *testing.T and on a
// Recorder, and the Recorder itself, with which the suites' own tests run them against broken
// implementations and assert that they fail.
package suite

import (
	"fmt"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
)

// Check is the testing.TB a check runs with. Failures are prefixed with the sentence the check
// proves, so a failing implementation reads what it broke, not only where (as testing/slogtest
// does). Harnesses get the plain TB, so that a harness written for *testing.T keeps working.
type Check struct {
	testing.TB
	// Proves is the sentence the check proves.
	Proves string
}

func (c *Check) prefix(msg string) string { return c.Proves + ":\n\t" + msg }

// Error reports a failure and goes on.
func (c *Check) Error(args ...any) {
	c.TB.Helper()
	c.TB.Error(c.prefix(strings.TrimSuffix(fmt.Sprintln(args...), "\n")))
}

// Errorf reports a failure and goes on.
func (c *Check) Errorf(format string, args ...any) {
	c.TB.Helper()
	c.TB.Error(c.prefix(fmt.Sprintf(format, args...)))
}

// Fatal reports a failure and stops the check.
func (c *Check) Fatal(args ...any) {
	c.TB.Helper()
	c.TB.Fatal(c.prefix(strings.TrimSuffix(fmt.Sprintln(args...), "\n")))
}

// Fatalf reports a failure and stops the check.
func (c *Check) Fatalf(format string, args ...any) {
	c.TB.Helper()
	c.TB.Fatal(c.prefix(fmt.Sprintf(format, args...)))
}

// SubRunner is implemented by TBs that are not *testing.T but can still run named subtests, such
// as Recorder.
type SubRunner interface {
	RunTB(name string, f func(t testing.TB)) bool
}

// Run runs f as the subtest name of t, proving the sentence proves. On a *testing.T it is t.Run,
// so `go test -run 'Suite/name'` selects one check; on a SubRunner it is its RunTB.
func Run(t testing.TB, name, proves string, f func(c *Check)) bool {
	t.Helper()
	switch p := t.(type) {
	case *testing.T:
		return p.Run(name, func(t *testing.T) { f(&Check{TB: t, Proves: proves}) })
	case SubRunner:
		return p.RunTB(name, func(t testing.TB) { f(&Check{TB: t, Proves: proves}) })
	default:
		// A *testing.B or a foreign TB: run in place, the failure still names the sentence.
		f(&Check{TB: t, Proves: name + ": " + proves})
		return !t.Failed()
	}
}

// Recorder is a testing.TB that records failures instead of reporting them, so a suite can be
// run against an implementation that must fail it. It embeds the real test for Context, Cleanup,
// TempDir and Setenv; everything that reports goes to the recorder. It is safe for concurrent use.
type Recorder struct {
	testing.TB
	name string

	mu       gosync.Mutex
	failures []string // "subtest: message"
	skips    []string
	failed   bool
	skipped  bool
}

// NewRecorder returns a recorder whose Context, Cleanup and TempDir are t's.
func NewRecorder(t testing.TB) *Recorder { return &Recorder{TB: t} }

// Name returns the recorder's subtest path.
func (r *Recorder) Name() string { return r.name }

func (r *Recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.failures = append(r.failures, r.name+": "+msg)
}

// Helper does nothing: recorded failures carry no file positions.
func (r *Recorder) Helper() {}

// Log discards its arguments; a recorder is quiet.
func (r *Recorder) Log(args ...any) {}

// Logf discards its arguments; a recorder is quiet.
func (r *Recorder) Logf(format string, args ...any) {}

// Error records a failure.
func (r *Recorder) Error(args ...any) { r.record(strings.TrimSuffix(fmt.Sprintln(args...), "\n")) }

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }

// Fail records a failure without a message.
func (r *Recorder) Fail() { r.record("failed") }

// FailNow records a failure and stops the calling goroutine, as testing.T does.
func (r *Recorder) FailNow() {
	r.record("failed")
	runtime.Goexit()
}

// Fatal records a failure and stops the calling goroutine.
func (r *Recorder) Fatal(args ...any) {
	r.Error(args...)
	runtime.Goexit()
}

// Fatalf records a failure and stops the calling goroutine.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// Failed reports whether a failure was recorded here or in a subtest.
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// Skip records a skip and stops the calling goroutine.
func (r *Recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipped = true
	r.skips = append(r.skips, r.name+": "+strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	r.mu.Unlock()
	runtime.Goexit()
}

// Skipf records a skip and stops the calling goroutine.
func (r *Recorder) Skipf(format string, args ...any) { r.Skip(fmt.Sprintf(format, args...)) }

// SkipNow records a skip and stops the calling goroutine.
func (r *Recorder) SkipNow() { r.Skip("skipped") }

// Skipped reports whether the test itself was skipped.
func (r *Recorder) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}

// RunTB implements SubRunner: f runs on its own goroutine, so that Fatal and Skip stop only it,
// and its failures are recorded under name.
func (r *Recorder) RunTB(name string, f func(t testing.TB)) bool {
	child := &Recorder{TB: r.TB, name: strings.TrimPrefix(r.name+"/"+name, "/")}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(child)
	}()
	<-done
	child.mu.Lock()
	defer child.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, child.failures...)
	r.skips = append(r.skips, child.skips...)
	r.failed = r.failed || child.failed
	return !child.failed
}

// Failures returns every failure recorded, each prefixed with its subtest path.
func (r *Recorder) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

// Skips returns every skip recorded, each prefixed with its subtest path.
func (r *Recorder) Skips() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.skips...)
}

// FailedIn reports whether a failure was recorded in a subtest whose path contains name.
func (r *Recorder) FailedIn(name string) bool {
	for _, f := range r.Failures() {
		path, _, _ := strings.Cut(f, ": ")
		if strings.Contains(path, name) {
			return true
		}
	}
	return false
}
