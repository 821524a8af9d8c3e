package conformance

import (
	gosync "sync"
	"time"
)

// SeedClock is the clock a seeder gives its fake platform, so that an order can be placed or
// changed "at" the time a suite asks for while the connector under test runs on the real clock.
// Its zero value reads the real time. Seeders embed it and pass Now as the fake's clock.
type SeedClock struct {
	mu  gosync.Mutex
	now time.Time // while At runs; zero means real time
}

// Now returns the time At set, or the real time outside At.
func (c *SeedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

// At runs f with the clock at t. Calls to At must not overlap: the suites seed one action at a
// time.
func (c *SeedClock) At(t time.Time, f func()) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.now = time.Time{}
		c.mu.Unlock()
	}()
	f()
}
