package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The request validator decodes every JSON request body exactly once, after it has
// authenticated the caller (so an anonymous caller learns nothing about the body rules) and
// before it validates the body against the spec. Replacing its decoder is therefore the one
// place where the strict rules run once per request, on the bytes the client sent: a
// middleware after the validator would see the body the validator re-encodes when it fills in
// defaults. kin-openapi keeps decoders in a process-wide registry: in bucketd only this
// validator decodes request bodies through it (the contract tests check the JSON bucketd
// writes with it, which follows the rules too).
func init() {
	openapi3filter.RegisterBodyDecoder("application/json", strictJSONBodyDecoder)
}

// strictJSONBodyDecoder is the validator's decoder for application/json bodies; see
// decodeStrictJSON and refuseNullForDefault. A syntax error is reported as kin-openapi
// reports it (requestProblem words it), a broken strict rule as an INVALID_REQUEST.
func strictJSONBodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	v, err := decodeStrictJSON(raw)
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		return nil, err
	case err != nil:
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return v, refuseNullForDefault(v, schema)
}

// refuseNullForDefault refuses a null member whose property has a default and is not nullable.
// The validator would silently replace the null with the default, where it refuses a null for
// every other property that is not nullable.
func refuseNullForDefault(v any, schema *openapi3.SchemaRef) error {
	obj, ok := v.(map[string]any)
	if !ok || schema == nil || schema.Value == nil {
		return nil
	}
	for name, member := range obj {
		p := schema.Value.Properties[name]
		if member != nil || p == nil || p.Value == nil || p.Value.Default == nil || p.Value.Nullable {
			continue
		}
		return domain.Errorf(domain.KindInvalidInput,
			"invalid request body at %q: the value must not be null; leave it out to use the default %q", name, fmt.Sprint(p.Value.Default))
	}
	return nil
}

// decodeStrictJSON decodes exactly one JSON value as the validator expects it (objects as
// map[string]any, numbers as json.Number) and refuses what encoding/json lets through
// silently but a service holding credentials should not guess about: invalid UTF-8 (which it
// turns into U+FFFD), data after the value, and what checkStrictJSON refuses. encoding/json
// checks the syntax; the strict rules are then one pass over bytes known to be valid JSON,
// made before any value is built, so that a body they refuse costs that pass and not the
// maps of the 10,000 nested objects encoding/json would build first.
func decodeStrictJSON(raw []byte) (any, error) {
	if at := invalidUTF8At(raw); at >= 0 {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"the request body is not valid UTF-8 (at byte %d); send JSON encoded as UTF-8", at+1)
	}
	if !json.Valid(raw) {
		return nil, notOneJSONValue(raw)
	}
	if err := checkStrictJSON(raw); err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// notOneJSONValue explains why raw, which json.Valid refuses, is not one JSON value: the
// syntax error encoding/json finds in its first value, or the data after that value.
func notOneJSONValue(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(new(json.RawMessage)); err != nil {
		return err
	}
	rest := bytes.TrimLeft(raw[dec.InputOffset():], jsonSpace)
	return domain.Errorf(domain.KindInvalidInput,
		"the request body goes on after its JSON value (at byte %d); send one JSON object and nothing after it", len(raw)-len(rest)+1)
}

// invalidUTF8At returns the offset of the first byte of raw that is not valid UTF-8, or -1.
func invalidUTF8At(raw []byte) int {
	if utf8.Valid(raw) {
		return -1
	}
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1 // unreachable: utf8.Valid found an invalid byte
}
