package domain

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
)

// redacted is what a Secret shows wherever it could leak: fmt verbs, JSON, text marshalling, slog.
const redacted = "[REDACTED]"

// Secret holds a credential in memory. It refuses to print itself: every formatting verb,
// JSON and text marshalling and slog render it as [REDACTED], so a secret that ends up in a log
// line, an error or a response by mistake leaks nothing. Only Reveal hands out the value, and
// only adapters that must send it to a provider or a cipher call it.
//
// The plaintext sits behind a pointer because fmt cannot call the methods of a value held in an
// unexported struct field: printing such a struct with %v would otherwise show the plaintext,
// while a pointer nested in a struct prints as an address.
type Secret struct {
	value *string
}

// NewSecret wraps a plaintext credential.
func NewSecret(plaintext string) Secret { return Secret{value: &plaintext} }

// Reveal returns the plaintext. Call it only at the edge that needs the real value.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// Equal reports whether two secrets hold the same value, in constant time, so comparing them
// leaks nothing through timing and needs no Reveal.
func (s Secret) Equal(other Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(other.Reveal())) == 1
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v of a struct holding a Secret stays redacted.
func (Secret) GoString() string { return redacted }

// Format implements fmt.Formatter, covering every verb (%s, %v, %q, %x, %d ...).
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON implements json.Marshaler.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Hint shows enough of a key for a person to recognise it ("AKIA…MPLE") and no more: the first
// and last four characters, and only when at least half of the key stays hidden.
func (s Secret) Hint() string {
	r := []rune(s.Reveal())
	if len(r) < 16 {
		return "…"
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}
