package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/domain"
)

const plaintext = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// holder has the shapes a Secret travels in: exported, unexported, pointer, slice, map.
type holder struct {
	Exported domain.Secret
	hidden   domain.Secret
	Ptr      *domain.Secret
	List     []domain.Secret
	ByName   map[string]domain.Secret
}

func TestSecretNeverPrintsItself(t *testing.T) {
	s := domain.NewSecret(plaintext)
	h := holder{Exported: s, hidden: s, Ptr: &s, List: []domain.Secret{s}, ByName: map[string]domain.Secret{"k": s}}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintln(h), s.String(), s.GoString())
	for _, v := range []any{s, h} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(j))
	}
	var logs bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		slog.New(handler).Info("msg", "secret", s, "holder", h)
	}
	outputs = append(outputs, logs.String(), fmt.Errorf("wrapped: %v", s).Error())
	for _, out := range outputs {
		if strings.Contains(out, plaintext) || strings.Contains(out, fmt.Sprintf("%x", plaintext)) {
			t.Errorf("output leaks the secret: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprint(s), "[REDACTED]") {
		t.Errorf("Secret prints as %q, want [REDACTED]", fmt.Sprint(s))
	}
}

func TestSecretRevealAndZero(t *testing.T) {
	if got := domain.NewSecret(plaintext).Reveal(); got != plaintext {
		t.Errorf("Reveal() = %q", got)
	}
	var zero domain.Secret
	if !zero.IsZero() || zero.Reveal() != "" || !domain.NewSecret("").IsZero() {
		t.Error("the zero Secret and an empty Secret must be zero")
	}
	if domain.NewSecret("x").IsZero() {
		t.Error("a non-empty Secret is not zero")
	}
}

func TestSecretEqual(t *testing.T) {
	a, b, c := domain.NewSecret("same"), domain.NewSecret("same"), domain.NewSecret("other")
	if !a.Equal(b) || a.Equal(c) || !(domain.Secret{}).Equal(domain.NewSecret("")) {
		t.Error("Equal must compare the values, not the holders")
	}
}

func TestSecretHint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AKIAIOSFODNN7EXAMPLE", "AKIA…MPLE"},
		{"0123456789abcdef", "0123…cdef"},
		{"short-key-15chr", "…"},
		{"", "…"},
		{"ключключключключ", "ключ…ключ"},
	} {
		if got := domain.NewSecret(tc.in).Hint(); got != tc.want {
			t.Errorf("Hint(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	cause := errors.New("dial tcp: connection refused")
	err := fmt.Errorf("create: %w", domain.Wrap(domain.KindUnavailable, cause, "database unavailable"))
	if domain.KindOf(err) != domain.KindUnavailable || !domain.IsKind(err, domain.KindUnavailable) {
		t.Errorf("KindOf(%v) = %v", err, domain.KindOf(err))
	}
	if !errors.Is(err, cause) {
		t.Error("the cause must stay reachable with errors.Is")
	}
	if domain.KindOf(errors.New("plain")) != domain.KindInternal {
		t.Error("an unclassified error is internal")
	}
	if got := domain.Errorf(domain.KindNameTaken, "name %q", "x").Error(); got != `name "x"` {
		t.Errorf("Error() = %q", got)
	}
	if s := domain.Kind(999).String(); s != "kind(999)" {
		t.Errorf("unknown kind prints %q", s)
	}
}
