// Package metricstest reads what GET /metrics served, so tests can assert series and values
// instead of matching text. It is a test helper: import it only from _test.go files.
//
//	scrape := metricstest.Parse(t, body)
//	n := scrape.Value(t, "bucketd_http_requests_total", "route", "/bucket", "method", "POST", "status", "200")
package metricstest

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape's metric families by name.
type Scrape map[string]*dto.MetricFamily

// Parse decodes a Prometheus text exposition, failing t when it is malformed.
func Parse(t testing.TB, body []byte) Scrape {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics are not in the Prometheus text format: %v\n%s", err, body)
	}
	return families
}

// Lookup returns the value of the series of family name whose labels are exactly the given
// name/value pairs: a counter's, gauge's or untyped value, or a histogram's number of
// observations. ok is false when no such series exists.
func (s Scrape) Lookup(name string, labelPairs ...string) (value float64, ok bool) {
	family := s[name]
	if family == nil {
		return 0, false
	}
	want := pairs(labelPairs)
	for _, m := range family.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if !maps.Equal(got, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// Value is Lookup that fails t when the series does not exist.
func (s Scrape) Value(t testing.TB, name string, labelPairs ...string) float64 {
	t.Helper()
	v, ok := s.Lookup(name, labelPairs...)
	if !ok {
		t.Fatalf("no series %s%v in the scrape; %s has %s", name, pairs(labelPairs), name, s.describe(name))
	}
	return v
}

// describe lists the label sets of a family's series, for failure messages.
func (s Scrape) describe(name string) string {
	var sets []string
	for _, m := range s[name].GetMetric() {
		labels := make([]string, 0, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		sets = append(sets, "{"+strings.Join(labels, ",")+"}")
	}
	if len(sets) == 0 {
		return "no series"
	}
	slices.Sort(sets)
	return strings.Join(sets, " ")
}

func pairs(labelPairs []string) map[string]string {
	if len(labelPairs)%2 != 0 {
		panic("metricstest: labels must come in name/value pairs")
	}
	m := make(map[string]string, len(labelPairs)/2)
	for i := 0; i < len(labelPairs); i += 2 {
		m[labelPairs[i]] = labelPairs[i+1]
	}
	return m
}
