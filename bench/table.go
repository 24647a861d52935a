package main

import (
	"fmt"
	"strings"
	"time"
)

// table collects rows of figures with their ratio to nginx-cache.
type table struct {
	rows  []string
	notes []string
}

// higher is a row where more is better (throughput): ratio ours/nginx.
func (t *table) higher(name string, nginx, ours float64, target string) {
	t.rows = append(t.rows, fmt.Sprintf("| %s | %.0f | %.0f | %.2f× | %s |", name, nginx, ours, ours/nginx, target))
}

// lower is a row where less is better (time): ratio ours/nginx.
func (t *table) lower(name string, nginx, ours time.Duration, target string) {
	t.rows = append(t.rows, fmt.Sprintf("| %s | %s | %s | %.2f× | %s |", name, nginx, ours, ours.Seconds()/nginx.Seconds(), target))
}

func (t *table) note(s string) { t.notes = append(t.notes, "- "+s) }

func (t *table) String() string {
	return "| workload | nginx-cache | ArtifactAPI | ratio | target |\n|---|---|---|---|---|\n" +
		strings.Join(t.rows, "\n") + "\n\n" + strings.Join(t.notes, "\n") + "\n"
}
