package sim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result returns the result of one strategy, or nil.
func (r *Report) Result(s Strategy) *Result {
	for i := range r.Results {
		if r.Results[i].Strategy == s {
			return &r.Results[i]
		}
	}
	return nil
}

// Round makes durations readable without hiding their scale.
func Round(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// WriteTable prints the comparison: one row per strategy, then per-channel figures.
func (r *Report) WriteTable(out io.Writer) {
	fmt.Fprintf(out, "Flash sale: seed %d, %d channels (%s), %s, %d buyer visits; sale %s-%s at %gx\n",
		r.Config.Seed, len(r.Channels), strings.Join(r.Channels, ", "), r.Config.Duration, r.Intents,
		r.Sale.Start, r.Sale.End, r.Sale.Factor)
	fmt.Fprintf(out, "recommended safety stock (units held back per channel): with pushes %s; polling only %s\n\n",
		buffers(r.Channels, r.Buffers), buffers(r.Channels, r.PollBuffers))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "strategy\toversold\taccepted\treached WH\tp50\tp95\tmax\thandling p95\tcancels stopped\tAPI calls\tbusiest limit\tthrottled\tlost\t")
	for _, x := range r.Results {
		busy := Usage{}
		for _, u := range x.Usage {
			if u.Budget > 0 && u.Used/u.Budget > busy.Used/max(busy.Budget, 1) {
				busy = u
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%s %.0f%%\t%d\t%d\t\n", x.Strategy, x.Oversold, x.Accepted, x.Reached,
			Round(x.P50), Round(x.P95), Round(x.Max), Round(x.HandlingP95), x.CancelsReached, x.Cancels, x.Calls, busy.Channel, 100*busy.Used/max(busy.Budget, 1), x.Throttled, x.Lost)
	}
	tw.Flush()
	fmt.Fprintln(out, "\np95 order-to-warehouse latency per channel / p95 stock staleness of hot products per channel:")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "strategy\t")
	for _, c := range r.Channels {
		fmt.Fprintf(tw, "%s\t", c)
	}
	fmt.Fprintln(tw)
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t", x.Strategy)
		for _, c := range r.Channels {
			fmt.Fprintf(tw, "%s / %s\t", Round(x.ChannelP95[c]), Round(x.Staleness[c]))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func buffers(names []string, b map[string]int) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, b[n])
	}
	return strings.Join(parts, " ")
}
