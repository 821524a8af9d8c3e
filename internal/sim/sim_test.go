package sim

import (
	"testing"
	"time"
)

func TestProfileRun(t *testing.T) {
	rep, err := Run(Config{Seed: 1, Duration: 6 * time.Hour, Strategies: []Strategy{Ideal}})
	if err != nil {
		t.Fatal(err)
	}
	_ = rep
}
