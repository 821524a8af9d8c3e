package sim

import (
	"bytes"
	"encoding/xml"
	"reflect"
	"testing"
	"time"
)

// short is a few simulated hours: long enough for a sale to sell hot products out, short
// enough for the race detector.
func short(t *testing.T) *Report {
	t.Helper()
	rep, err := Run(Config{Seed: 7, Duration: 3 * time.Hour, OrdersPerDay: 1500})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestInvariants(t *testing.T) {
	rep := short(t)
	for _, r := range rep.Results {
		if r.Accepted == 0 {
			t.Fatalf("%s: no order accepted; the workload is broken", r.Strategy)
		}
		if !r.Strategy.Tobira() {
			continue
		}
		if r.Throttled != 0 {
			t.Errorf("%s: the engine received %d throttle responses; pacing must keep it within the published limits", r.Strategy, r.Throttled)
		}
		if r.Lost != 0 {
			t.Errorf("%s: %d accepted orders never reached the warehouse", r.Strategy, r.Lost)
		}
	}
	base, hook := rep.Result(Baseline), rep.Result(Webhook)
	if base.Oversold <= hook.Oversold {
		t.Errorf("baseline oversold %d units, tobira-webhook %d: the 15-minute loop must oversell more", base.Oversold, hook.Oversold)
	}
	if hook.P95 >= base.P95 {
		t.Errorf("tobira-webhook p95 %s is not below the baseline's %s", hook.P95, base.P95)
	}
	// What the engine adds once it has an order (the rest is the platforms' push delays and
	// poll waits) is within twice the ideal's whole latency.
	if ideal := rep.Result(Ideal); hook.HandlingP95 <= 0 || hook.HandlingP95 > 2*ideal.P95 {
		t.Errorf("tobira-webhook handling p95 %s; want within 2x ideal's p95 %s", hook.HandlingP95, ideal.P95)
	}
	for _, r := range rep.Results {
		if r.HandlingP95 > r.P95 {
			t.Errorf("%s: handling p95 %s exceeds the whole latency's p95 %s", r.Strategy, r.HandlingP95, r.P95)
		}
	}
	var svg bytes.Buffer
	if err := rep.WriteSVG(&svg); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&svg)
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("chart is not well-formed XML: %v", err)
			}
			break
		}
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 11, Duration: 2 * time.Hour, OrdersPerDay: 1000}
	a, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Results {
		if !reflect.DeepEqual(a.Results[i], b.Results[i]) {
			t.Errorf("%s: two runs with the same seed differ:\n%+v\n%+v", a.Results[i].Strategy, summary(a.Results[i]), summary(b.Results[i]))
		}
	}
}

func summary(r Result) []any {
	return []any{r.Oversold, r.Accepted, r.Reached, r.P50, r.P95, r.Max, r.HandlingP95, r.Calls, r.Throttled, r.Lost}
}

func TestBucketPacingNeverThrottles(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, l := range []Limit{{Name: "rate", Rate: 0.0167, Burst: 20}, {Name: "window", Window: time.Hour, PerWindow: 50}} {
		pacer, platform := newBucket(l, start), newBucket(l, start)
		now := start
		for i := range 200 {
			at := now.Add(pacer.reserve(now, 1))
			if !platform.take(at, 1) {
				t.Fatalf("%s: call %d at %s throttled after pacing", l.Name, i, at.Sub(start))
			}
			now = now.Add(time.Second)
		}
	}
}
