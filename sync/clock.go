package sync

import "time"

// Clock is where the engine reads time. Hosts replace it in tests and the simulator runs the
// engine in virtual time with it. The zero Options use the system clock.
type Clock interface {
	Now() time.Time
	// After is time.After on this clock; Run waits on it between flows.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the Clock of the machine.
type SystemClock struct{}

// Now returns time.Now in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
