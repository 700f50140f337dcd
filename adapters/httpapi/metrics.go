package httpapi

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Metrics holds the series of the HTTP adapter and serves, on GET /metrics, every series of
// the registry it is given: cmd/bucketd gives the same registry to the other adapters that
// export series (validationmetrics). Labels come from closed sets (route templates, HTTP
// methods, statuses) and never from an organization, user, bucket or credential, so the
// series are safe to serve without a token and their number stays bounded whatever the
// callers send.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	quotaRejections prometheus.Counter
	rateLimited     prometheus.Counter
	rateLimiters    prometheus.Gauge
	// authFailures counts the refused bearer tokens, authFailureLimiters the client addresses
	// whose refusals are counted against a budget.
	authFailures        prometheus.Counter
	authFailureLimiters prometheus.Gauge
}

// latencyBuckets span a cached read (milliseconds) to a provider validation near its deadline
// and the server's write timeout (a minute).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics registers the HTTP adapter's series, the Go runtime's and the process's on
// registry, and serves registry on GET /metrics. dbStats, when not nil, reports the database
// connection pool (sql.DB.Stats); it is a function rather than the *sql.DB so the HTTP adapter
// can read the pool's numbers without holding the database.
func NewMetrics(registry *prometheus.Registry, dbStats func() sql.DBStats) (*Metrics, error) {
	if registry == nil {
		return nil, errors.New("httpapi.NewMetrics: the registry is nil")
	}
	m := &Metrics{
		registry: registry,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bucketd_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bucketd_http_request_duration_seconds",
			Help:    "Time from receiving a request's headers to answering it, by route template and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		quotaRejections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bucketd_quota_rejections_total",
			Help: "Requests refused because the organization is at its bucket limit (QUOTA_EXCEEDED).",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bucketd_rate_limited_total",
			Help: "Requests refused with RATE_LIMITED: their API token exceeded its request rate, or their client address its budget of refused tokens.",
		}),
		rateLimiters: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bucketd_rate_limiters",
			Help: "API tokens whose request rate this process tracks: those that sent a request recently.",
		}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bucketd_auth_failures_total",
			Help: "Bearer tokens refused as unknown, revoked or expired; each cost one database lookup. Tokens refused RATE_LIMITED first are not counted.",
		}),
		authFailureLimiters: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bucketd_auth_failure_limiters",
			Help: "Client addresses (IPv6: /64 prefixes) whose refused tokens this process counts against their budget: those refused recently.",
		}),
	}
	series := []prometheus.Collector{m.requests, m.latency, m.quotaRejections, m.rateLimited, m.rateLimiters,
		m.authFailures, m.authFailureLimiters,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if dbStats != nil {
		series = append(series, dbStatsCollector{stats: dbStats})
	}
	for _, c := range series {
		if err := registry.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi.NewMetrics: %w", err)
		}
	}
	return m, nil
}

// observeRequests counts every request and times it. It runs outside the access log, which
// renders a failure into the response, so it sees the status the caller received.
func (s *Server) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route, method := routeLabel(c.Path()), methodLabel(c.Request().Method)
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
		s.metrics.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}

// routeLabel is the route template Echo matched (from the routing tree, never from the request
// path); a request that matched no route shares one label.
func routeLabel(path string) string {
	if path == "" {
		return "unmatched"
	}
	return path
}

// standardMethods are the methods of RFC 9110 and PATCH; any other method a caller invents
// shares one label, so the number of series stays bounded.
var standardMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true,
}

func methodLabel(method string) string {
	if standardMethods[method] {
		return method
	}
	return "OTHER"
}

// countRefusal counts the refusals operators watch for: organizations at their quota, and
// tokens or client addresses over their rate.
func (m *Metrics) countRefusal(code string) {
	switch code {
	case classOf(domain.KindQuotaExceeded).code:
		m.quotaRejections.Inc()
	case classOf(domain.KindRateLimited).code:
		m.rateLimited.Inc()
	}
}

// GetMetrics serves the metrics in the Prometheus text format (GET /metrics).
func (s *Server) GetMetrics(context.Context, api.GetMetricsRequestObject) (api.GetMetricsResponseObject, error) {
	families, err := s.metrics.registry.Gather()
	if err != nil {
		// As promhttp does by default: a partial scrape would look like series that vanished.
		return nil, fmt.Errorf("gather metrics: %w", err)
	}
	var body bytes.Buffer
	enc := expfmt.NewEncoder(&body, expfmt.FmtText)
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return nil, fmt.Errorf("encode metric family %s: %w", f.GetName(), err)
		}
	}
	return api.GetMetrics200TextplainVersion004CharsetUtf8Response{Body: &body, ContentLength: int64(body.Len())}, nil
}
