package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf16"

	"github.com/bucketd/bucketd/domain"
)

// maxJSONDepth is the deepest nesting of objects and arrays a request body may have. Every
// documented body is one flat object (depth 1); the headroom is for the unknown members
// Flashback's client adds. encoding/json alone allows 10,000 levels.
const maxJSONDepth = 64

// maxQuotedMember bounds how much of a member's name an error message quotes: the name comes
// from the caller and may be nearly as long as the body.
const maxQuotedMember = 64

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\r\n"

// checkStrictJSON walks value, a JSON text encoding/json has accepted, for the rules it does
// not enforce: nesting no deeper than maxJSONDepth, no member repeated in one object, no
// unpaired UTF-16 surrogate escape (decoded as U+FFFD) and no control character in a string
// but tab, line feed and carriage return: no credential, name or id has another, while a PEM
// key or a service-account JSON sent as `secret` has line breaks.
func checkStrictJSON(value []byte) error {
	var stack [8]*memberNames // spares the usual shallow bodies an allocation
	open := stack[:0]         // one per enclosing container; nil for an array
	var member []byte         // the name of the member seen last, for messages
	for i := 0; i < len(value); i++ {
		switch value[i] {
		case '{', '[':
			if len(open) == maxJSONDepth {
				return domain.Errorf(domain.KindInvalidInput,
					"the request body nests objects and arrays more than %d levels deep (at byte %d)", maxJSONDepth, i+1)
			}
			var names *memberNames
			if value[i] == '{' {
				names = &memberNames{}
			}
			open = append(open, names)
		case '}', ']':
			open = open[:len(open)-1]
		case '"':
			s := scanString(value, i)
			// In valid JSON a string followed by ':' is a member name of the innermost object.
			rest := bytes.TrimLeft(value[s.end+1:], jsonSpace)
			isName := len(rest) > 0 && rest[0] == ':'
			if s.badAt >= 0 {
				return s.refusal(isName, member)
			}
			if isName {
				name, err := open[len(open)-1].add(value[i:s.end+1], s.end+1)
				if err != nil {
					return err
				}
				member = name
			}
			i = s.end
		}
	}
	return nil
}

// jsonString is what scanString found in one string of a JSON text.
type jsonString struct {
	end int // offset of the closing quote
	// badAt is the offset of the first character or escape the strict rules refuse, or -1;
	// it is the control character bad, or an unpaired surrogate escape when surrogate is set.
	badAt     int
	bad       rune
	surrogate bool
}

// scanString scans the string that opens at value[start], which encoding/json has accepted:
// its control characters can only be escapes, DEL and the C1 range (U+0080 to U+009F).
func scanString(value []byte, start int) jsonString {
	s := jsonString{badAt: -1}
	for i := start + 1; i < len(value); i++ {
		at, r := i, rune(-1)
		switch c := value[i]; {
		case c == '"':
			s.end = i
			return s
		case c == 0x7f:
			r = 0x7f
		case c == 0xc2 && value[i+1] < 0xa0: // in valid UTF-8, 0xc2 leads a two-byte rune
			r = rune(value[i+1]) // U+0080 to U+009F
		case c == '\\':
			i++
			switch value[i] {
			case 'b':
				r = '\b'
			case 'f':
				r = '\f'
			case 'u':
				r = hexRune(value[i+1 : i+5])
				i += 4
				if utf16.IsSurrogate(r) {
					if i+6 < len(value) && value[i+1] == '\\' && value[i+2] == 'u' &&
						utf16.DecodeRune(r, hexRune(value[i+3:i+7])) != unicode.ReplacementChar {
						i += 6
						continue
					}
					if s.badAt < 0 {
						s.badAt, s.surrogate = at, true
					}
					continue
				}
			}
		}
		if s.badAt < 0 && r >= 0 && unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			s.badAt, s.bad = at, r
		}
	}
	s.end = len(value) // unreachable for valid JSON, whose strings are closed
	return s
}

// refusal explains what s holds that the strict rules refuse: in a member name when isName,
// else in the value of the member seen last (none for a string outside any object).
func (s jsonString) refusal(isName bool, member []byte) error {
	where := "in a string"
	switch {
	case isName:
		where = "in a member name"
	case member != nil:
		where = fmt.Sprintf("in the value of %.*q", maxQuotedMember, member)
	}
	if s.surrogate {
		return domain.Errorf(domain.KindInvalidInput,
			"the request body has an unpaired UTF-16 surrogate escape %s (at byte %d); escape a character outside the BMP as a surrogate pair or send it as UTF-8",
			where, s.badAt+1)
	}
	return domain.Errorf(domain.KindInvalidInput,
		"the request body has the control character %U %s (at byte %d); remove it (tab, line feed and carriage return are the only ones allowed)",
		s.bad, where, s.badAt+1)
}

// hexRune decodes the four hex digits of a \u escape that encoding/json has already accepted.
func hexRune(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case c >= 'a':
			c -= 'a' - 10
		case c >= 'A':
			c -= 'A' - 10
		default:
			c -= '0'
		}
		r = r<<4 | rune(c)
	}
	return r
}

// fewMembers is how many member names of one object memberNames compares one by one before it
// indexes them: the documented bodies have at most ten, a hostile one thousands.
const fewMembers = 16

// memberNames is the names of the members of one object seen so far.
type memberNames struct {
	few  [fewMembers][]byte
	n    int // of few in use
	many map[string]struct{}
}

// add records the member name quoted (its JSON string, quotes included, ending at byte at) and
// returns it unescaped; it refuses a name the object already has, however either is escaped.
func (m *memberNames) add(quoted []byte, at int) ([]byte, error) {
	name := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		var s string
		_ = json.Unmarshal(quoted, &s) // a string encoding/json has already accepted
		name = []byte(s)
	}
	if m.seen(name) {
		return nil, domain.Errorf(domain.KindInvalidInput,
			"the request body repeats the member %.*q in one object (at byte %d); send each member once", maxQuotedMember, name, at)
	}
	return name, nil
}

// seen reports whether name was recorded before, and records it.
func (m *memberNames) seen(name []byte) bool {
	if m.many == nil {
		for _, n := range m.few[:m.n] {
			if bytes.Equal(n, name) {
				return true
			}
		}
		if m.n < fewMembers {
			m.few[m.n] = name
			m.n++
			return false
		}
		m.many = make(map[string]struct{}, 2*fewMembers)
		for _, n := range m.few {
			m.many[string(n)] = struct{}{}
		}
	}
	if _, ok := m.many[string(name)]; ok {
		return true
	}
	m.many[string(name)] = struct{}{}
	return false
}
