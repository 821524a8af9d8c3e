package sim

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"time"
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

// WriteSVG draws the report as a standalone SVG: on top, the stock each channel shows of the
// chart's product over time under the baseline and under tobira-webhook, against what truly
// remains; below, the distribution of order-to-warehouse latency per strategy (a CDF on a log
// time axis).
func (r *Report) WriteSVG(out io.Writer) error {
	w := bufio.NewWriter(out)
	const width, height = 1100, 820
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="20" y="24" font-size="16">Tobira flash-sale simulation: seed %d, %d channels, %s (sale %s to %s)</text>`+"\n",
		r.Config.Seed, len(r.Channels), r.Config.Duration, r.Sale.Start, r.Sale.End)
	panels := []Strategy{Baseline, Webhook}
	for i, s := range panels {
		if res := r.Result(s); res != nil {
			r.stockPanel(w, res, 60+float64(i)*530, 60, 470, 320)
		}
	}
	r.latencyPanel(w, 60, 460, 980, 300)
	fmt.Fprintln(w, "</svg>")
	return w.Flush()
}

func (r *Report) stockPanel(w io.Writer, res *Result, x0, y0, pw, ph float64) {
	span := r.Config.Duration + drain
	top := 1
	for _, p := range res.Truth {
		top = max(top, p.Value)
	}
	for _, ps := range res.Series {
		for _, p := range ps {
			top = max(top, p.Value)
		}
	}
	sx := func(d time.Duration) float64 { return x0 + pw*float64(d)/float64(span) }
	sy := func(v int) float64 { return y0 + ph - ph*float64(v)/float64(top) }
	fmt.Fprintf(w, `<text x="%g" y="%g" font-size="14">%s: %s shown per channel (units)</text>`+"\n", x0, y0-10, html.EscapeString(string(res.Strategy)), html.EscapeString(r.Chart))
	axes(w, x0, y0, pw, ph)
	fmt.Fprintf(w, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fff3c4"/>`+"\n", sx(r.Sale.Start), y0, sx(r.Sale.End)-sx(r.Sale.Start), ph)
	for h := time.Duration(0); h <= span; h += 4 * time.Hour {
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle">%dh</text>`+"\n", sx(h), y0+ph+16, int(h.Hours()))
	}
	for _, v := range []int{0, top / 2, top} {
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="end">%d</text>`+"\n", x0-4, sy(v)+4, v)
	}
	line := func(ps []Point, color string, dash string, wdt float64) {
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="%g" stroke-dasharray="%s" points="`, color, wdt, dash)
		for _, p := range ps {
			fmt.Fprintf(w, "%.1f,%.1f ", sx(p.At), sy(p.Value))
		}
		fmt.Fprintln(w, `"/>`)
	}
	for i, c := range r.Channels {
		line(res.Series[c], palette[i%len(palette)], "", 1.2)
		fmt.Fprintf(w, `<text x="%g" y="%g" fill="%s">%s</text>`+"\n", x0+pw-90, y0+14+float64(i)*14, palette[i%len(palette)], html.EscapeString(c))
	}
	line(res.Truth, "black", "4 3", 2)
	fmt.Fprintf(w, `<text x="%g" y="%g">- - - really left</text>`+"\n", x0+pw-90, y0+14+float64(len(r.Channels))*14)
}

func (r *Report) latencyPanel(w io.Writer, x0, y0, pw, ph float64) {
	lo, hi := math.Log10(0.05), math.Log10(3600)
	sx := func(d time.Duration) float64 {
		s := math.Max(d.Seconds(), 0.05)
		return x0 + pw*(math.Log10(s)-lo)/(hi-lo)
	}
	sy := func(f float64) float64 { return y0 + ph - ph*f }
	fmt.Fprintf(w, `<text x="%g" y="%g" font-size="14">Order-to-warehouse latency: share of orders that arrived within t (log scale)</text>`+"\n", x0, y0-10)
	axes(w, x0, y0, pw, ph)
	for _, t := range []time.Duration{100 * time.Millisecond, time.Second, 10 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour} {
		fmt.Fprintf(w, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n", sx(t), y0, sx(t), y0+ph)
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="middle">%s</text>`+"\n", sx(t), y0+ph+16, t)
	}
	for _, f := range []float64{0, 0.5, 0.95, 1} {
		fmt.Fprintf(w, `<text x="%g" y="%g" text-anchor="end">%g%%</text>`+"\n", x0-4, sy(f)+4, f*100)
	}
	for i, res := range r.Results {
		color := palette[i%len(palette)]
		n := len(res.Latencies)
		if n == 0 {
			continue
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="`, color)
		step := max(1, n/400)
		for j := 0; j < n; j += step {
			fmt.Fprintf(w, "%.1f,%.1f ", sx(res.Latencies[j]), sy(float64(j+1)/float64(n)))
		}
		fmt.Fprintf(w, "%.1f,%.1f", sx(res.Latencies[n-1]), sy(1))
		fmt.Fprintln(w, `"/>`)
		fmt.Fprintf(w, `<text x="%g" y="%g" fill="%s">%s (p95 %s)</text>`+"\n", x0+10, y0+16+float64(i)*15, color, html.EscapeString(string(res.Strategy)), Round(res.P95))
	}
}

func axes(w io.Writer, x0, y0, pw, ph float64) {
	fmt.Fprintf(w, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#888"/>`+"\n", x0, y0, pw, ph)
}
