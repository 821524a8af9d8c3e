//go:build !race

package dbtest

// raceEnabled is true under the race detector, which slows the engine enough to scale tests down.
const raceEnabled = false
