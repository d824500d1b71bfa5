package webadmin

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"xmppbox/admin"
)

// The chart's drawing area, in SVG user units; the SVG scales to the page width.
const (
	chartWidth   = 600
	chartHeight  = 170
	chartLeft    = 48 // room for the value labels
	chartRight   = 12
	chartTop     = 12
	chartBottom  = 26 // room for the time labels
	chartSpan    = time.Hour
	chartGridFor = 2 // grid lines above zero
)

// chart is a line chart of one value over the last hour, drawn as inline SVG by the
// "chart" template: a page without script cannot draw one any other way. Its Summary says
// the same in words for screen readers and a table under it lists every point.
type chart struct {
	ID      string // prefix for element ids
	Title   string
	Summary string
	Width   int
	Height  int
	// PlotLeft and PlotRight are where the grid lines start and end.
	PlotLeft, PlotRight int
	Line                string // polyline points
	Area                string // polygon points: the line closed along the zero line
	Grid                []chartTick
	Times               []chartTick
	Empty               bool
}

// chartTick is a labelled grid line (Grid: Y is set) or time mark (Times: X is set).
type chartTick struct {
	X, Y   float64
	Label  string
	Anchor string // text-anchor of the label
}

// newChart draws value of samples (one a minute, oldest first) over the hour up to the
// last sample.
func newChart(id, title string, samples []admin.Sample, value func(admin.Sample) float64, summary func([]float64) string) chart {
	c := chart{ID: id, Title: title, Width: chartWidth, Height: chartHeight,
		PlotLeft: chartLeft, PlotRight: chartWidth - chartRight}
	if len(samples) == 0 {
		c.Empty = true
		c.Summary = "No data yet: the server records one point a minute."
		return c
	}
	end := samples[len(samples)-1].Time
	start := end.Add(-chartSpan)
	var vals []float64
	var pts []string
	top := 0.0
	for _, s := range samples {
		if s.Time.Before(start) {
			continue
		}
		v := value(s)
		vals = append(vals, v)
		top = math.Max(top, v)
	}
	top = niceCeil(top)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	base := float64(chartTop) + plotH
	x := func(t time.Time) float64 {
		return round1(chartLeft + plotW*float64(t.Sub(start))/float64(chartSpan))
	}
	y := func(v float64) float64 { return round1(base - plotH*v/top) }
	i := 0
	var firstX, lastX float64
	for _, s := range samples {
		if s.Time.Before(start) {
			continue
		}
		px := x(s.Time)
		if i == 0 {
			firstX = px
		}
		lastX = px
		pts = append(pts, point(px, y(vals[i])))
		i++
	}
	c.Line = strings.Join(pts, " ")
	c.Area = point(firstX, base) + " " + c.Line + " " + point(lastX, base)
	for k := 0; k <= chartGridFor; k++ {
		v := top * float64(k) / chartGridFor
		c.Grid = append(c.Grid, chartTick{X: chartLeft - 6, Y: y(v), Label: strconv.FormatFloat(v, 'f', -1, 64), Anchor: "end"})
	}
	c.Times = []chartTick{
		{X: chartLeft, Label: "60 min ago", Anchor: "start"},
		{X: chartLeft + plotW/2, Label: "30 min ago", Anchor: "middle"},
		{X: chartLeft + plotW, Label: end.Format("15:04"), Anchor: "end"},
	}
	for k := range c.Times {
		c.Times[k].Y = float64(chartHeight - 6)
	}
	c.Summary = summary(vals)
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so the grid labels are round.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= v {
			return f * p
		}
	}
	return 10 * p
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func point(x, y float64) string {
	return strconv.FormatFloat(x, 'f', -1, 64) + "," + strconv.FormatFloat(y, 'f', -1, 64)
}

func stats(vals []float64) (last, lo, hi, sum float64) {
	lo = math.Inf(1)
	for _, v := range vals {
		lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
	}
	return vals[len(vals)-1], lo, hi, sum
}

// connectionCharts draws the dashboard's two charts: connections and messages per minute
// have different scales, so each gets its own.
func connectionCharts(samples []admin.Sample) []chart {
	conns := newChart("chart-connections", "Connections, last hour", samples,
		func(s admin.Sample) float64 { return float64(s.Connections) },
		func(v []float64) string {
			last, lo, hi, _ := stats(v)
			return fmt.Sprintf("Connections over the last hour: %g now, between %g and %g.", last, lo, hi)
		})
	msgs := newChart("chart-messages", "Messages per minute, last hour", samples,
		func(s admin.Sample) float64 { return float64(s.Messages) },
		func(v []float64) string {
			last, _, hi, sum := stats(v)
			return fmt.Sprintf("Messages over the last hour: %g in all, %g in the last minute, at most %g in one minute.", sum, last, hi)
		})
	return []chart{conns, msgs}
}
