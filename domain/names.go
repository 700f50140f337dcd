package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// MaxNameLength is the longest display name, counted in characters, not bytes.
const MaxNameLength = 128

// NormalizeName trims a bucket's display name and checks it: 1 to 128 characters of valid
// UTF-8, none of them one that a person cannot see or that changes how the characters around it
// are shown (invisibleReason). A refusal names the first such character and its position,
// counted in characters from 1 in the name as given, leading spaces included. The name is
// otherwise kept exactly as given; uniqueness compares NameKey and is checked by the store.
func NormalizeName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", Errorf(KindInvalidInput, "name is not valid UTF-8")
	}
	trimmed := strings.TrimSpace(name)
	n := utf8.RuneCountInString(trimmed)
	if n == 0 {
		return "", Errorf(KindInvalidInput, "name must not be empty")
	}
	if n > MaxNameLength {
		return "", Errorf(KindInvalidInput, "name is %d characters long; the limit is %d", n, MaxNameLength)
	}
	position := utf8.RuneCountInString(name) - utf8.RuneCountInString(strings.TrimLeftFunc(name, unicode.IsSpace))
	prev := ' ' // the start of the name modifies nothing, as a space does not
	for _, r := range trimmed {
		position++
		if why := invisibleReason(r, prev); why != "" {
			return "", Errorf(KindInvalidInput, "name: character %d is %s, %s; remove it", position, describeRune(r), why)
		}
		prev = r
	}
	return trimmed, nil
}

// invisibleReason says why r may not appear in a display name right after prev, or "" when it
// may. Refused are the characters that can make two names look alike, or one name look like
// another text, while they differ:
//   - control characters (Cc) and line and paragraph separators (Zl, Zp);
//   - format characters (Cf): zero-width spaces and joiners, the bidirectional marks, embeddings,
//     overrides and isolates, the byte order mark, the soft hyphen, tags, ...;
//   - the other default-ignorable characters that render as nothing (the Hangul fillers, the
//     combining grapheme joiner, the Khmer inherent vowels) and U+2800 BRAILLE PATTERN BLANK;
//   - private-use characters (Co), which look like whatever a font makes of them;
//   - noncharacters, and code points unassigned in the Unicode version Go was built with: they
//     show as nothing or a box, and their comparison form could change once assigned;
//   - a variation selector that does not follow a letter, digit, punctuation mark or symbol,
//     the only characters it can change the look of (after one, as in the emoji ❤️, it is fine).
//
// Surrogates cannot occur: valid UTF-8 has none. Spaces other than U+0020 (no-break space,
// ideographic space, ...) are accepted: they show as spaces, and NameKey compares every run of
// spaces as one U+0020.
func invisibleReason(r, prev rune) string {
	switch {
	case r >= ' ' && r <= '~':
		return "" // printable ASCII: most names, decided at once
	case unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || r == brailleBlank:
		return "an invisible character"
	case unicode.Is(unicode.Variation_Selector, r):
		if !unicode.In(prev, unicode.L, unicode.N, unicode.P, unicode.S) {
			return "a variation selector that follows no letter, digit, punctuation mark or symbol it could change"
		}
		return ""
	case unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Zs):
		return ""
	case unicode.IsControl(r):
		return "a control character"
	case unicode.Is(unicode.Bidi_Control, r):
		return "a bidirectional control, which reorders how the text around it is shown"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character"
	case unicode.In(r, unicode.Zl, unicode.Zp):
		return "a line or paragraph break"
	case unicode.Is(unicode.Co, r):
		return "a private-use character, which has no agreed appearance"
	case unicode.Is(unicode.Noncharacter_Code_Point, r):
		return "a noncharacter"
	}
	return "unassigned in Unicode " + unicode.Version // category Cn, all that is left
}

// brailleBlank is U+2800 BRAILLE PATTERN BLANK, a symbol that shows as an empty space, and a
// well-known way to make a name that looks blank.
const brailleBlank = '\u2800'

// invisibleNames are the names of the characters invisibleReason refuses that people meet most,
// for the refusal message; the Go standard library has no table of character names.
var invisibleNames = map[rune]string{
	0: "NULL", '\t': "CHARACTER TABULATION", '\n': "LINE FEED", '\r': "CARRIAGE RETURN", 0x1b: "ESCAPE", 0x7f: "DELETE",
	0x85: "NEXT LINE", 0xad: "SOFT HYPHEN", 0x34f: "COMBINING GRAPHEME JOINER", 0x61c: "ARABIC LETTER MARK",
	0x115f: "HANGUL CHOSEONG FILLER", 0x1160: "HANGUL JUNGSEONG FILLER", 0x17b4: "KHMER VOWEL INHERENT AQ",
	0x17b5: "KHMER VOWEL INHERENT AA", 0x180e: "MONGOLIAN VOWEL SEPARATOR",
	0x200b: "ZERO WIDTH SPACE", 0x200c: "ZERO WIDTH NON-JOINER", 0x200d: "ZERO WIDTH JOINER",
	0x200e: "LEFT-TO-RIGHT MARK", 0x200f: "RIGHT-TO-LEFT MARK",
	0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR",
	0x202a: "LEFT-TO-RIGHT EMBEDDING", 0x202b: "RIGHT-TO-LEFT EMBEDDING", 0x202c: "POP DIRECTIONAL FORMATTING",
	0x202d: "LEFT-TO-RIGHT OVERRIDE", 0x202e: "RIGHT-TO-LEFT OVERRIDE",
	0x2060: "WORD JOINER", 0x2061: "FUNCTION APPLICATION", 0x2062: "INVISIBLE TIMES", 0x2063: "INVISIBLE SEPARATOR",
	0x2064: "INVISIBLE PLUS", 0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE",
	0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE",
	brailleBlank: "BRAILLE PATTERN BLANK", 0x3164: "HANGUL FILLER", 0xfeff: "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
	0xffa0: "HALFWIDTH HANGUL FILLER", 0xfff9: "INTERLINEAR ANNOTATION ANCHOR", 0xfffa: "INTERLINEAR ANNOTATION SEPARATOR",
	0xfffb: "INTERLINEAR ANNOTATION TERMINATOR", 0xe0001: "LANGUAGE TAG",
}

// describeRune is r's code point and name, as "U+200B ZERO WIDTH SPACE"; a character missing
// from invisibleNames gets its general category instead, as "U+E000 (category Co)".
func describeRune(r rune) string {
	if name, ok := invisibleNames[r]; ok {
		return fmt.Sprintf("%U %s", r, name)
	}
	switch {
	case r >= 0xfe00 && r <= 0xfe0f:
		return fmt.Sprintf("%U VARIATION SELECTOR-%d", r, r-0xfe00+1)
	case r >= 0xe0100 && r <= 0xe01ef:
		return fmt.Sprintf("%U VARIATION SELECTOR-%d", r, r-0xe0100+17)
	}
	return fmt.Sprintf("%U (category %s)", r, generalCategory(r))
}

// generalCategory is r's two-letter Unicode general category, such as "Cf".
func generalCategory(r rune) string {
	for _, name := range slices.Sorted(maps.Keys(unicode.Categories)) {
		// LC (cased letter) is a union of Ll, Lt and Lu, not a category of its own.
		if len(name) == 2 && name != "LC" && unicode.Is(unicode.Categories[name], r) {
			return name
		}
	}
	return "Cn"
}

// NameKey is what bucket display names are compared by: two names with one key are the same
// name to bucketd, so they cannot both belong to live buckets of one organization. It is the
// name with its default-ignorable characters removed (format characters, variation selectors,
// fillers: what NormalizeName refuses, except variation selectors, can still be in names stored
// before it did), then case-folded (Unicode full case folding) and normalized to NFKC until
// neither changes it, like Unicode's NFKC_Casefold; then every run of white space becomes one
// U+0020, none at either end. So "Ｍｙ bucket", "MY  BUCKET" and "My bucket" share a key, as do
// "Straße" and "STRASSE", "ﬁle" and "FILE", and "❤️" and "❤". Case folding and NFKC are stable
// for assigned characters across Unicode versions, and NormalizeName refuses unassigned ones, so
// a new name's key does not change when Go's Unicode tables do.
//
// A key longer than maxNameKeyBytes, which only names packed with characters NFKC expands many
// times over reach, is shortened to its first bytes, U+001F and a SHA-256 of the whole key: it
// stays unique and fits a database index. No other key contains U+001F, a control character.
func NameKey(name string) string {
	key := norm.NFKC.String(strings.Map(dropIgnorable, name))
	for range maxFoldRounds {
		folded := norm.NFKC.String(cases.Fold().String(key))
		if folded == key {
			break
		}
		key = folded
	}
	key = strings.Join(strings.Fields(key), " ")
	if len(key) <= maxNameKeyBytes {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	digest := hex.EncodeToString(sum[:])
	cut := maxNameKeyBytes - len("\x1f") - len(digest)
	for !utf8.RuneStart(key[cut]) {
		cut--
	}
	return key[:cut] + "\x1f" + digest
}

// maxFoldRounds bounds NameKey's alternation of case folding and NFKC. One round settles
// almost every string; a second one the few whose NFKC form has capitals (㎒ becomes MHz).
const maxFoldRounds = 4

// maxNameKeyBytes keeps a key, with the organization id beside it, well inside PostgreSQL's
// limit of about 2.7 kB for an index entry.
const maxNameKeyBytes = 1024

// dropIgnorable removes the default-ignorable characters from a name on its way to NameKey.
func dropIgnorable(r rune) rune {
	if unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
		return -1
	}
	return r
}

// ValidateBucketName checks the provider's own naming rules for the bucket (or container), so a
// typo is reported before any network traffic. S3-compatible services reached through a custom
// endpoint get relaxed rules, because many of them accept names AWS does not.
func ValidateBucketName(t StorageType, bucket string, customEndpoint bool) error {
	switch t {
	case StorageS3:
		if customEndpoint {
			return relaxedS3Name(bucket)
		}
		return awsS3Name(bucket)
	case StorageGCS:
		return gcsName(bucket)
	case StorageAzure:
		return azureContainerName(bucket)
	}
	return Errorf(KindInvalidInput, "storageType %q has no bucket naming rule", t)
}

func awsS3Name(b string) error {
	if err := lengthIn(b, 3, 63); err != nil {
		return err
	}
	if err := onlyChars(b, "lowercase letters, digits, '.' and '-'", isLowerDigit, '.', '-'); err != nil {
		return err
	}
	if !isLowerDigit(rune(b[0])) || !isLowerDigit(rune(b[len(b)-1])) {
		return Errorf(KindInvalidInput, "bucket %q must begin and end with a lowercase letter or digit", b)
	}
	if strings.Contains(b, "..") {
		return Errorf(KindInvalidInput, "bucket %q must not contain two adjacent periods", b)
	}
	if _, err := netip.ParseAddr(b); err == nil {
		return Errorf(KindInvalidInput, "bucket %q must not be formatted as an IP address", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return Errorf(KindInvalidInput, "bucket %q must not start with the reserved prefix %q", b, p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"} {
		if strings.HasSuffix(b, s) {
			return Errorf(KindInvalidInput, "bucket %q must not end with the reserved suffix %q", b, s)
		}
	}
	return nil
}

// relaxedS3Name keeps only what every S3-compatible service needs to route the request:
// a name that fits in a URL path segment.
func relaxedS3Name(b string) error {
	if err := lengthIn(b, 1, 255); err != nil {
		return err
	}
	return onlyChars(b, "letters, digits, '.', '-' and '_'", isLetterDigit, '.', '-', '_')
}

func gcsName(b string) error {
	max := 63
	if strings.Contains(b, ".") {
		max = 222
		for _, part := range strings.Split(b, ".") {
			if len(part) == 0 || len(part) > 63 {
				return Errorf(KindInvalidInput, "bucket %q: each dot-separated part must be 1 to 63 characters", b)
			}
		}
	}
	if err := lengthIn(b, 3, max); err != nil {
		return err
	}
	if err := onlyChars(b, "lowercase letters, digits, '-', '_' and '.'", isLowerDigit, '-', '_', '.'); err != nil {
		return err
	}
	if !isLowerDigit(rune(b[0])) || !isLowerDigit(rune(b[len(b)-1])) {
		return Errorf(KindInvalidInput, "bucket %q must begin and end with a lowercase letter or digit", b)
	}
	if strings.HasPrefix(b, "goog") || strings.Contains(b, "google") {
		return Errorf(KindInvalidInput, "bucket %q must not start with \"goog\" or contain \"google\"", b)
	}
	if _, err := netip.ParseAddr(b); err == nil {
		return Errorf(KindInvalidInput, "bucket %q must not be formatted as an IP address", b)
	}
	return nil
}

func azureContainerName(b string) error {
	if b == "$root" || b == "$web" {
		return nil
	}
	if err := lengthIn(b, 3, 63); err != nil {
		return err
	}
	if err := onlyChars(b, "lowercase letters, digits and '-'", isLowerDigit, '-'); err != nil {
		return err
	}
	if b[0] == '-' || b[len(b)-1] == '-' || strings.Contains(b, "--") {
		return Errorf(KindInvalidInput, "container %q must begin and end with a letter or digit and must not contain consecutive hyphens", b)
	}
	return nil
}

func lengthIn(b string, min, max int) error {
	if len(b) < min || len(b) > max {
		return Errorf(KindInvalidInput, "bucket %q must be %d to %d characters long (it is %d)", truncate(b, 80), min, max, len(b))
	}
	return nil
}

func onlyChars(b, allowed string, class func(rune) bool, extra ...rune) error {
	for _, r := range b {
		if class(r) || slices.Contains(extra, r) {
			continue
		}
		return Errorf(KindInvalidInput, "bucket %q may contain only %s (found %q)", truncate(b, 80), allowed, r)
	}
	return nil
}

func isLowerDigit(r rune) bool  { return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') }
func isLetterDigit(r rune) bool { return isLowerDigit(r) || (r >= 'A' && r <= 'Z') }

// truncate keeps error messages short when the input is huge or hostile.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
