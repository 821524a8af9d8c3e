// Command flashsale simulates a 24-hour flash sale across several channels in virtual time and
// compares the seed article's 15-minute integration with Tobira driven by polling, by pushes,
// with a safety buffer, and an ideal that hears of every sale at once. It prints a table, a
// summary line, and writes an SVG chart.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/tobira-commerce/tobira/internal/sim"
)

func main() {
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same run")
	channels := flag.Int("channels", 5, "number of channels")
	hours := flag.Float64("hours", 24, "length of the simulated sale in hours")
	out := flag.String("out", "flashsale.svg", "where to write the SVG chart")
	flag.Parse()

	start := time.Now()
	rep, err := sim.Run(sim.Config{Seed: *seed, Channels: *channels, Duration: time.Duration(*hours * float64(time.Hour))})
	if err != nil {
		log.Fatal(err)
	}
	rep.WriteTable(os.Stdout)
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteSVG(f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nchart written to %s; simulated in %s\n", *out, time.Since(start).Round(time.Millisecond))
	get := func(s sim.Strategy) *sim.Result {
		if r := rep.Result(s); r != nil {
			return r
		}
		return &sim.Result{}
	}
	throttled, lost := 0, 0
	for _, r := range rep.Results {
		if r.Strategy.Tobira() {
			throttled += r.Throttled
			lost += r.Lost
		}
	}
	fmt.Printf("flashsale: baseline_oversold=%d poll_oversold=%d webhook_oversold=%d buffered_oversold=%d webhook_p95=%s ideal_p95=%s throttled=%d lost=%d\n",
		get(sim.Baseline).Oversold, get(sim.Poll).Oversold, get(sim.Webhook).Oversold, get(sim.Buffered).Oversold,
		get(sim.Webhook).P95, get(sim.Ideal).P95, throttled, lost)
}
