package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tobira-commerce/tobira/connector"
)

// TestMain lets the test binary play the program: TestFleet runs it again with FLEET_RUN set, so
// the test sees the real output and exit status.
func TestMain(m *testing.M) {
	if os.Getenv("FLEET_RUN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var summaryLine = regexp.MustCompile(`^fleet: merchants=(\d+) channels=(\d+) heap_per_merchant=(\d+\.\d)KB idle_cpu=(\d+\.\d\d)% p99_order_to_warehouse=([0-9.]+[mµn]?s) throttled=(\d+) lost=(\d+)$`)

// TestFleet runs a short version of the program: a small fleet polled every two seconds.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 15 s")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-merchants=50", "-every=2s", "-warmup=3s", "-idle=3s",
		"-trickle=3s", "-speed=30", "-rate=10", "-active=5", "-drain=10s")
	cmd.Env = append(os.Environ(), "FLEET_RUN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fleet failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("fleet printed %d lines, want exactly the summary:\n%s", len(lines), out)
	}
	m := summaryLine.FindStringSubmatch(lines[0])
	if m == nil {
		t.Fatalf("the summary line %q is not in the expected form", lines[0])
	}
	if m[1] != "50" || m[2] != "250" || m[6] != "0" || m[7] != "0" {
		t.Errorf("summary %q: want 50 merchants, 250 channels, nothing throttled or lost", lines[0])
	}
	p99, err := time.ParseDuration(m[5])
	if err != nil || p99 <= 0 || p99 > 2*time.Second+time.Second+time.Second {
		t.Errorf("summary %q: p99 %s, want within the 2 s poll interval plus a second (and a second of slack for a loaded machine)", lines[0], m[5])
	}
}

// TestBrokenChannelsDelayNoOther: in one merchant a channel answers after 20 s and another fails
// every call; in another merchant a channel's credentials are refused. Orders on every other
// channel, those merchants' included, still reach the warehouse within the poll interval plus a
// second.
func TestBrokenChannelsDelayNoOther(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 15 s")
	}
	cfg := defaultConfig()
	cfg.Merchants, cfg.Every = 8, 2*time.Second
	cfg.Warmup, cfg.Idle, cfg.Trickle, cfg.Drain = 4*time.Second, 0, 6*time.Second, 10*time.Second
	cfg.Rate, cfg.Active, cfg.Speed = 10, 8, 30
	f := newFleet(cfg)
	slow, failing, refused := f.tenants[0].accounts[1], f.tenants[0].accounts[3], f.tenants[1].accounts[0]
	broken := map[[2]int]bool{{0, 1}: true, {0, 3}: true, {1, 0}: true}
	f.measured = func(m, c int) bool { return !broken[[2]int{m, c}] }
	// Broken after the warm-up's first runs, so the channels had their first listing and stock.
	go func() {
		time.Sleep(cfg.Warmup / 2)
		slow.slow.Store(int64(20 * time.Second))
		failing.FailNext(1<<30, nil)
		refused.FailNext(1<<30, connector.ErrUnauthorized)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var log strings.Builder
	res, err := f.run(ctx, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	t.Logf("%s (%d orders placed)", res, res.Placed)
	if res.Lost > 0 || res.Duplicates > 0 || res.Throttled > 0 {
		t.Errorf("lost %d, doubled %d, throttled %d; want none", res.Lost, res.Duplicates, res.Throttled)
	}
	if limit := cfg.Every + time.Second; res.P99 > limit || res.Lost > 0 {
		for k, p := range f.placed {
			if d, ok := f.latency[k]; f.counts(p) && (!ok || d > limit) {
				t.Logf("%s: placed %s, at the warehouse after %s (%v)", k, p.at.Format("15:04:05.000"), d, ok)
			}
		}
	}
	if limit := cfg.Every + time.Second; res.P99 > limit {
		t.Errorf("p99 order to warehouse on the healthy channels is %s; want at most %s", res.P99, limit)
	}
	// The faults did bite: the broken channels' orders are not at the warehouse.
	for _, b := range []struct {
		m, c int
	}{{0, 1}, {0, 3}, {1, 0}} {
		got := 0
		for _, r := range f.tenants[b.m].wh.Requests() {
			if r.Channel == f.channelID(b.c) {
				got++
			}
		}
		if got > 0 {
			t.Errorf("merchant %d channel %d: %d orders reached the warehouse through a broken channel", b.m, b.c, got)
		}
	}
}
