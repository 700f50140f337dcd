package metricstest_test

import (
	"testing"

	"github.com/bucketd/bucketd/testsupport/metricstest"
)

const exposition = `# HELP requests_total Requests.
# TYPE requests_total counter
requests_total{route="/a",status="200"} 3
requests_total{route="/a",status="500"} 1
# HELP pool Connections.
# TYPE pool gauge
pool 7
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{route="/a",le="1"} 2
latency_seconds_bucket{route="/a",le="+Inf"} 4
latency_seconds_sum{route="/a"} 2.5
latency_seconds_count{route="/a"} 4
`

func TestLookup(t *testing.T) {
	scrape := metricstest.Parse(t, []byte(exposition))
	tests := []struct {
		name   string
		family string
		labels []string
		want   float64
		ok     bool
	}{
		{"counter by exact labels", "requests_total", []string{"route", "/a", "status", "500"}, 1, true},
		{"a subset of the labels matches nothing", "requests_total", []string{"route", "/a"}, 0, false},
		{"a label value that differs", "requests_total", []string{"route", "/b", "status", "200"}, 0, false},
		{"gauge without labels", "pool", nil, 7, true},
		{"histogram count", "latency_seconds", []string{"route", "/a"}, 4, true},
		{"unknown family", "nope_total", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := scrape.Lookup(tc.family, tc.labels...)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Lookup(%s, %v) = %g, %t; want %g, %t", tc.family, tc.labels, got, ok, tc.want, tc.ok)
			}
		})
	}
}
