// Package memory holds in-memory connectors: a channel and a warehouse that keep everything in
// maps. Tests, examples and the simulator drive them; the engine cannot tell them from real ones.
//
// Both inject faults on demand: FailNext makes the next calls fail before doing anything,
// FailAfter makes writes take effect and then report failure (the case that breaks naive
// integrations), and RepeatPage returns a page twice.
package memory

import (
	"fmt"
	gosync "sync"

	"github.com/tobira-commerce/tobira/connector"
)

// Faults injects failures into a memory connector. The zero value injects none; it is safe for
// concurrent use.
type Faults struct {
	mu          gosync.Mutex
	failNext    int
	failNextErr error
	failAfter   int
	failAfterE  error
	repeatPages int
	hook        func(op string) error
}

// FailNext makes the next n calls fail with err before they have any effect. A nil err means
// connector.ErrTemporary.
func (f *Faults) FailNext(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext, f.failNextErr = n, orTemporary(err)
}

// FailAfter makes the next n writes take effect and then fail with err, as a write whose answer
// was lost does. A nil err means connector.ErrOutcomeUnknown.
func (f *Faults) FailAfter(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		err = connector.ErrOutcomeUnknown
	}
	f.failAfter, f.failAfterE = n, err
}

// RepeatPage makes the next n listings return their page again on the following call, as a
// platform with an unstable cursor does.
func (f *Faults) RepeatPage(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.repeatPages = n
}

// SetHook installs a function called before every operation with its name ("ListOrders",
// "Submit", ...) and, for writes, again once the write took effect, with ":done" appended
// ("Submit:done"). A non-nil error fails the call at that point: before it has any effect, or
// after, as a write whose answer was lost. Crash tests use it to stop at every step.
func (f *Faults) SetHook(h func(op string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func orTemporary(err error) error {
	if err == nil {
		return connector.ErrTemporary
	}
	return err
}

// before is called at the start of every operation.
func (f *Faults) before(op string) error {
	f.mu.Lock()
	h := f.hook
	var err error
	if f.failNext > 0 {
		f.failNext--
		err = fmt.Errorf("memory: %s: %w", op, f.failNextErr)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if h != nil {
		return h(op)
	}
	return nil
}

// after is called once a write took effect; it returns the error to report instead of success.
func (f *Faults) after(op string) error {
	f.mu.Lock()
	h := f.hook
	var err error
	if f.failAfter > 0 {
		f.failAfter--
		err = fmt.Errorf("memory: %s: %w", op, f.failAfterE)
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if h != nil {
		return h(op + ":done")
	}
	return nil
}

// repeat reports whether this listing must hand its page out again.
func (f *Faults) repeat() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.repeatPages > 0 {
		f.repeatPages--
		return true
	}
	return false
}
