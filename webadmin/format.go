package webadmin

import (
	"fmt"
	"strconv"
	"time"
)

// humanBytes writes n bytes in binary units: "512 B", "3.4 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// humanDuration writes d in the two largest units that matter: "3 days, 4 hours",
// "25 minutes". It is for reading, not for parsing.
func humanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < day:
		return join(plural(int(d/time.Hour), "hour"), plural(int(d%time.Hour/time.Minute), "minute"))
	}
	return join(plural(int(d/day), "day"), plural(int(d%day/time.Hour), "hour"))
}

func plural(n int, unit string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + ", " + b
}

// relative says how far t is from now: "in 3 days", "2 hours ago".
func relative(t, now time.Time) string {
	if d := t.Sub(now); d >= 0 {
		return "in " + humanDuration(d)
	}
	return humanDuration(now.Sub(t)) + " ago"
}
