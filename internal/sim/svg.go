package sim

import "io"

// WriteSVG draws the chart.
func (r *Report) WriteSVG(w io.Writer) error { return nil }
