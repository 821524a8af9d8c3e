package sim

import (
	"fmt"
	"testing"
	"time"
)

func TestDebugSeries(t *testing.T) {
	debugOversold = true
	debugChart = "SET-4"
	rep, err := Run(Config{Seed: 1, Duration: 24 * time.Hour, Strategies: []Strategy{Webhook}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(rep.Catalogue.Initial, rep.Sale, rep.Catalogue.Restocks)
	for _, r := range rep.Results {
		fmt.Println(r.Strategy, r.Oversold, r.Accepted)
		for i, p := range r.Truth {
			if i%3 != 0 || p.At < 9*time.Hour || p.At > 14*time.Hour {
				continue
			}
			fmt.Print(p.At, " truth=", p.Value)
			for _, c := range rep.Channels {
				fmt.Print(" ", c, "=", r.Series[c][i].Value)
			}
			fmt.Println()
		}
	}
}
