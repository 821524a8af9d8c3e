//go:build !race

package sqlstore_test

// raceEnabled is true under the race detector, which slows the engine enough to scale tests down.
const raceEnabled = false
