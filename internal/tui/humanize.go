package tui

import (
	"fmt"
	"time"
)

// Bytes prints n in binary units, three significant figures.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f %ciB", v, "KMGTPE"[exp])
	case v < 100:
		return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[exp])
}

// HitRatio is hits (fresh and stale) over all answered requests, as "93.1%",
// or "–" before any.
func HitRatio(c Counters) string {
	total := c.Hits + c.Stale + c.Misses
	if total == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(c.Hits+c.Stale)/float64(total))
}

// Saved is the bandwidth the cache saved: bytes served that were not
// fetched from an upstream, and their share of all bytes served.
func Saved(c Counters) (int64, string) {
	saved := max(c.BytesServed-c.BytesFetched, 0)
	if c.BytesServed == 0 {
		return 0, "–"
	}
	return saved, fmt.Sprintf("%.1f%%", 100*float64(saved)/float64(c.BytesServed))
}

// Duration prints d the way a person reads a request time.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}
