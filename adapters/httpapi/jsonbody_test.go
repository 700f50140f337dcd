package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

// stdDecode decodes the first JSON value of raw as kin-openapi's own decoder does.
func stdDecode(raw []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

// manyMembers is an object with n distinct members, then the members of tail.
func manyMembers(n int, tail string) string {
	var sb strings.Builder
	sb.WriteString("{")
	for i := range n {
		fmt.Fprintf(&sb, `"m%d":%d,`, i, i)
	}
	return sb.String() + tail + "}"
}

func TestDecodeStrictJSONAcceptsWhatEncodingJSONDecodes(t *testing.T) {
	tests := map[string]string{
		"a create request":                  `{"name":"My S3 Bucket","bucket":"b","storageType":"S3","key":"AKIA","secret":"s","region":"us-east-1"}`,
		"white space around":                " \r\n\t{\"a\" : [ 1 , 2 ] }\n",
		"numbers stay json.Number":          `{"n":12345678901234567890,"f":1.5e3}`,
		"nesting exactly 64 deep":           strings.Repeat(`{"a":`, 63) + "[]" + strings.Repeat("}", 63),
		"one name in two objects":           `{"a":{"x":1},"b":{"x":1},"x":1}`,
		"names differing in case":           `{"name":"a","Name":"b","NAME":"c"}`,
		"17 distinct members":               manyMembers(17, `"last":true`),
		"a surrogate pair":                  `{"name":"\ud83d\ude00 and \uD83D\uDE00"}`,
		"escaped white space and quotes":    `{"secret":"-----BEGIN KEY-----\nAB\r\n\tCD\n-----END KEY-----\n","q":"\"\\\/"}`,
		"non-ASCII text":                    `{"name":"Sauvegarde nocturne ✓ 夜間バックアップ"}`,
		"U+FFFD written out":                `{"name":"\ufffd"}`,
		"a backslash before u":              `{"name":"\\ud800"}`,
		"top-level scalar":                  `"x"`,
		"null, true and false":              `{"a":null,"b":true,"c":false}`,
		"an escaped name once":              `{"n\u0061me":"a","nam":"b"}`,
		"C1-lookalike letters are not C1":   `{"name":"\u00a0\u00c2\u00e9"}`,
		"control pictures are not controls": `{"name":"␀␛"}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeStrictJSON([]byte(body))
			if err != nil {
				t.Fatalf("decodeStrictJSON(%q) = %v", body, err)
			}
			want, err := stdDecode([]byte(body))
			if err != nil {
				t.Fatalf("encoding/json refuses %q: %v", body, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decodeStrictJSON(%q) = %#v, want %#v", body, got, want)
			}
		})
	}
}

func TestDecodeStrictJSONRefuses(t *testing.T) {
	tests := []struct {
		name, body string
		// says is part of the message of the INVALID_REQUEST; "" means a syntax error, left
		// for the validator to report as before.
		says string
	}{
		{"truncated", `{"name":"a`, ""},
		{"empty", ``, ""},
		{"a comment", `{/**/"a":1}`, ""},
		{"a raw control character", "{\"a\":\"\x01\"}", ""},
		{"data after the object", `{"a":1} x`, `goes on after its JSON value (at byte 9)`},
		{"a second object", `{"a":1}{"a":2}`, `goes on after its JSON value (at byte 8)`},
		{"a brace too many", `{"a":1}}`, `goes on after its JSON value (at byte 8)`},
		{"NUL after the object", "{\"a\":1}\x00", `goes on after its JSON value`},
		{"a repeated member", `{"name":"a","name":"b"}`, `repeats the member "name" in one object (at byte 18)`},
		{"a repeat written with an escape", `{"name":"a","n\u0061me":"b"}`, `repeats the member "name"`},
		{"a repeat after 16 members", manyMembers(20, `"m3":0`), `repeats the member "m3"`},
		{"a repeat in a nested object", `{"a":[{"x":1,"x":2}]}`, `repeats the member "x"`},
		{"a long repeated name is cut", `{"` + strings.Repeat("n", 100) + `":1,"` + strings.Repeat("n", 100) + `":2}`, `"` + strings.Repeat("n", maxQuotedMember) + `" in one object`},
		{"nesting 65 deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), `more than 64 levels deep (at byte 65)`},
		{"nesting 10,000 deep", `{"a":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`, `more than 64 levels deep (at byte 69)`},
		{"invalid UTF-8", "{\"name\":\"a\xffb\"}", `not valid UTF-8 (at byte 11)`},
		{"a truncated UTF-8 sequence", "{\"name\":\"\xe2\x82\"}", `not valid UTF-8 (at byte 10)`},
		{"a lone high surrogate", `{"name":"a\ud800b"}`, `unpaired UTF-16 surrogate escape in the value of "name" (at byte 11)`},
		{"a lone low surrogate", `{"name":"\udc00"}`, `unpaired UTF-16 surrogate escape`},
		{"a high surrogate at the end", `{"name":"\ud83d"}`, `unpaired UTF-16 surrogate escape`},
		{"two high surrogates", `{"name":"\ud83d\ud83d"}`, `unpaired UTF-16 surrogate escape`},
		{"a surrogate in a name", `{"\udfff":1}`, `unpaired UTF-16 surrogate escape in a member name`},
		{"NUL", `{"key":"AKIA\u0000"}`, `control character U+0000 in the value of "key" (at byte 13)`},
		{"escape", `{"name":"\u001b[2J"}`, `control character U+001B`},
		{"backspace", `{"name":"a\bb"}`, `control character U+0008`},
		{"form feed", `{"name":"a\fb"}`, `control character U+000C`},
		{"DEL", "{\"secret\":\"s\x7f\"}", `control character U+007F in the value of "secret" (at byte 13)`},
		{"escaped DEL", `{"secret":"\u007f"}`, `control character U+007F`},
		{"C1 as UTF-8", "{\"secret\":\"s\u0085\"}", `control character U+0085 in the value of "secret" (at byte 13)`},
		{"escaped C1", `{"secret":"\u009F"}`, `control character U+009F`},
		{"a control character in a name", `{"na\u0000me":1}`, `control character U+0000 in a member name`},
		{"a control character in an array", `{"list":["ok","\u0001"]}`, `in the value of "list"`},
		{"a control character outside any object", `"\u0001"`, `control character U+0001 in a string`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := decodeStrictJSON([]byte(tc.body))
			if err == nil {
				t.Fatalf("decodeStrictJSON(%.80q) = %v, want an error", tc.body, v)
			}
			var de *domain.Error
			isDomain := errors.As(err, &de)
			if tc.says == "" {
				if isDomain {
					t.Fatalf("decodeStrictJSON(%.80q) = %v, want encoding/json's syntax error", tc.body, err)
				}
				return
			}
			if !isDomain || de.Kind != domain.KindInvalidInput {
				t.Fatalf("decodeStrictJSON(%.80q) = %v, want an invalid-input domain error", tc.body, err)
			}
			if !strings.Contains(de.Message, tc.says) {
				t.Errorf("message %q does not say %q", de.Message, tc.says)
			}
		})
	}
}

// strictReference decides, independently of the scanner and much more slowly, whether raw
// follows the strict rules, except for unpaired surrogate escapes: encoding/json's tokens turn
// them into U+FFFD, which the reference cannot tell from one written out.
func strictReference(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if !referenceValue(dec, 0) {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

func referenceValue(dec *json.Decoder, depth int) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if depth == maxJSONDepth {
			return false
		}
		names := map[string]bool{}
		for dec.More() {
			if tok == json.Delim('{') {
				name, err := dec.Token()
				if err != nil || names[name.(string)] || !referenceText(name.(string)) {
					return false
				}
				names[name.(string)] = true
			}
			if !referenceValue(dec, depth+1) {
				return false
			}
		}
		_, err := dec.Token()
		return err == nil
	}
	s, isString := tok.(string)
	return !isString || referenceText(s)
}

func referenceText(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune("\t\n\r", r) {
			return false
		}
	}
	return true
}

// FuzzDecodeStrictJSON holds the scanner to encoding/json and to strictReference: it never
// panics, accepts only what encoding/json decodes, to the same value, and what the reference
// accepts; and it accepts everything the reference does unless a surrogate escape is involved.
func FuzzDecodeStrictJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"My S3 Bucket","secret":"-----BEGIN KEY-----\nAB\n"}`,
		`{"a":{"a":1},"a":2}`, `[[[[]]]]`, `{"a":1} `, `{"a":1}}`, `"\ud83d\ude00"`, `"\ud800"`,
		"\"\x7f\"", "\"\u0085\"", `{"\u0000":1}`, `{"n\u0061me":1,"name":2}`, `1e999`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := decodeStrictJSON(raw)
		reference := strictReference(raw)
		if err != nil {
			if reference && !bytes.Contains(bytes.ToLower(raw), []byte(`\ud`)) {
				t.Fatalf("decodeStrictJSON(%q) = %v, but the reference accepts it", raw, err)
			}
			return
		}
		if !reference {
			t.Fatalf("decodeStrictJSON(%q) accepted what the reference refuses", raw)
		}
		want, err := stdDecode(raw)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeStrictJSON(%q) = %#v, encoding/json decodes %#v (%v)", raw, got, want, err)
		}
	})
}

// BenchmarkDecodeStrictJSON compares the strict decoder with what the validator used before it,
// encoding/json alone, on the body of a create request.
func BenchmarkDecodeStrictJSON(b *testing.B) {
	body := []byte(`{"name":"My S3 Bucket","bucket":"my-bucket-name","storageType":"S3","key":"AKIAIOSFODNN7EXAMPLE",` +
		`"secret":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","region":"us-east-1","endpoint":"https://minio.example.com",` +
		`"workspaceId":"0192f7a4-5b6c-7d8e-9f01-23456789abcd"}`)
	for name, decode := range map[string]func([]byte) (any, error){"strict": decodeStrictJSON, "encoding/json": stdDecode} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
