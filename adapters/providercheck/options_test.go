package providercheck_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/adapters/providercheck"
)

func TestNormalizeRefusesUnusableOptions(t *testing.T) {
	for name, c := range map[string]struct {
		opts providercheck.Options
		says string
	}{
		"no HTTP client":   {providercheck.Options{Timeout: time.Second}, "examplevalidator: Config.HTTPClient is required"},
		"negative timeout": {providercheck.Options{HTTPClient: &http.Client{}, Timeout: -time.Second}, "examplevalidator: Config.Timeout must not be negative"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.opts.Normalize("examplevalidator"); err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("Normalize error = %v, want one saying %q", err, c.says)
			}
		})
	}
}

func TestNormalizeFillsDefaults(t *testing.T) {
	client := &http.Client{}
	got, err := providercheck.Options{HTTPClient: client}.Normalize("examplevalidator")
	if err != nil {
		t.Fatal(err)
	}
	if got.HTTPClient != client || got.Timeout != providercheck.DefaultTimeout || got.Logger == nil {
		t.Errorf("Normalize = %+v, want the client kept, DefaultTimeout and a logger", got)
	}
	if got.Logger.Enabled(context.Background(), slog.LevelError) {
		t.Error("the default logger writes; want it to discard every line")
	}

	logger := slog.New(slog.NewTextHandler(&strings.Builder{}, nil))
	got, err = providercheck.Options{HTTPClient: client, Timeout: time.Second, Logger: logger}.Normalize("examplevalidator")
	if err != nil {
		t.Fatal(err)
	}
	if got.Timeout != time.Second || got.Logger != logger {
		t.Errorf("Normalize = %+v, want the given timeout and logger kept", got)
	}
}
