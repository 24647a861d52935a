// Package metrics holds the Prometheus instruments the server exports on
// /metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one registry of instruments; tests make their own.
type Metrics struct {
	reg           *prometheus.Registry
	Requests      *prometheus.CounterVec
	BytesServed   *prometheus.CounterVec
	Fills         *prometheus.CounterVec
	BytesFetched  *prometheus.CounterVec
	FillsInFlight prometheus.Gauge
	FillsRefused  prometheus.Counter
	Waiters       prometheus.Gauge
	Prefetches    *prometheus.CounterVec
	// BudgetRemaining is what each upstream last said of its rate limit;
	// Throttled counts its 429 answers.
	BudgetRemaining *prometheus.GaugeVec
	Throttled       *prometheus.CounterVec
}

// New creates and registers the instruments.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_requests_total", Help: "Proxied requests by remote, cache outcome and status class.",
		}, []string{"remote", "cache", "code"}),
		BytesServed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_served_bytes_total", Help: "Bytes sent to clients by remote.",
		}, []string{"remote"}),
		Fills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_fills_total", Help: "Upstream fills by remote and result.",
		}, []string{"remote", "result"}),
		BytesFetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_fetched_bytes_total", Help: "Bytes read from upstreams by remote.",
		}, []string{"remote"}),
		FillsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "artifactapi_fills_in_flight", Help: "Fills running now.",
		}),
		FillsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "artifactapi_fills_refused_total", Help: "Misses answered 503 because MAX_FILLS fills were in flight.",
		}),
		Waiters: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "artifactapi_fill_waiters", Help: "Clients streaming from a fill in progress.",
		}),
		Prefetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_prefetches_total", Help: "Fills started in the background for a file clients ask for next (a Go module's .mod and .zip after its .info, a Python file after its PEP 658 metadata), by remote.",
		}, []string{"remote"}),
		BudgetRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "artifactapi_upstream_ratelimit_remaining", Help: "Requests left in the upstream's rate limit, as it last said (ratelimit-remaining).",
		}, []string{"remote"}),
		Throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "artifactapi_upstream_throttled_total", Help: "429 answers from upstreams by remote.",
		}, []string{"remote"}),
	}
	m.reg.MustRegister(m.Requests, m.BytesServed, m.Fills, m.BytesFetched, m.FillsInFlight, m.FillsRefused, m.Waiters, m.Prefetches, m.BudgetRemaining, m.Throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CounterFunc exports a counter kept elsewhere.
func (m *Metrics) CounterFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
