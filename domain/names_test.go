package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

func TestNormalizeNameRefusesInvisibleCharacters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the whole message
	}{
		{"My bucket\u200b", "name: character 10 is U+200B ZERO WIDTH SPACE, an invisible format character; remove it"},
		// Positions count the characters as given, leading spaces included.
		{"  My\u200bbucket", "name: character 5 is U+200B ZERO WIDTH SPACE, an invisible format character; remove it"},
		{"Ünï\u200dcødé", "name: character 4 is U+200D ZERO WIDTH JOINER, an invisible format character; remove it"},
		{"\u202egnp.exe", "name: character 1 is U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control, which reorders how the text around it is shown; remove it"},
		{"tab\tinside", "name: character 4 is U+0009 CHARACTER TABULATION, a control character; remove it"},
		{"a\u2028b", "name: character 2 is U+2028 LINE SEPARATOR, a line or paragraph break; remove it"},
		{"x\ue000", "name: character 2 is U+E000 (category Co), a private-use character, which has no agreed appearance; remove it"},
		{"x\uffff", "name: character 2 is U+FFFF (category Cn), a noncharacter; remove it"},
		{"x\u0378", "name: character 2 is U+0378 (category Cn), unassigned in Unicode 15.0.0; remove it"},
		{"\u3164", "name: character 1 is U+3164 HANGUL FILLER, an invisible character; remove it"},
		{"a\U000e0041", "name: character 2 is U+E0041 (category Cf), an invisible format character; remove it"},
		{"\ufe0fabc", "name: character 1 is U+FE0F VARIATION SELECTOR-16, a variation selector that follows no letter, digit, punctuation mark or symbol it could change; remove it"},
	} {
		_, err := domain.NormalizeName(tc.in)
		if err == nil || err.Error() != tc.want || !domain.IsKind(err, domain.KindInvalidInput) {
			t.Errorf("NormalizeName(%+q) = %v (%v); want invalid input %q", tc.in, err, domain.KindOf(err), tc.want)
		}
	}

	// Every other invisible trick is refused, naming the character and where it is.
	for _, r := range []rune{
		0x00ad, 0x061c, 0x180e, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
		0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0x206a, 0xfeff, 0xfff9, 0xfffb,
		0xe0001, 0xe007f, 0x110bd, // format characters (Cf)
		'\n', '\r', 0x1b, 0x7f, 0x85, // controls
		0x2029,                    // paragraph separator
		0xf8ff, 0xf0000, 0x10fffd, // private use
		0xfdd0, 0xfdef, 0x1fffe, 0x10ffff, // noncharacters
		0x0380, 0x1faf9, 0xe0080, // unassigned in Unicode 15.0
		0x034f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0xffa0, 0x2800, // default-ignorable letters and marks, braille blank
	} {
		in := "Photos " + string(r) + " 2024"
		_, err := domain.NormalizeName(in)
		if want := fmt.Sprintf("name: character 8 is %U", r); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("NormalizeName(%+q) = %v; want an error starting %q", in, err, want)
		}
	}

	// A variation selector needs a character it can change right before it.
	for _, in := range []string{"a \ufe0e", "❤\ufe0f\ufe0f", "a\u0301\ufe0f", "\U000e0100x"} {
		if _, err := domain.NormalizeName(in); err == nil || !strings.Contains(err.Error(), "a variation selector that follows no") {
			t.Errorf("NormalizeName(%+q) = %v; want the misplaced variation selector refused", in, err)
		}
	}
}

func TestNormalizeNameAcceptsNamesInEveryScript(t *testing.T) {
	for _, name := range []string{
		"My S3 Bucket",
		"Sauvegarde été – № 2 (copie)",
		"Ünïcødé 桶",
		"Αντίγραφα ασφαλείας",
		"Резервные копии",
		"النسخ الاحتياطية",
		"גיבויים",
		"बैकअप फ़ाइलें",       // Devanagari: spacing and non-spacing combining marks
		"สำรองข้อมูล",         // Thai: non-spacing vowel and tone marks
		"夜間バックアップ",            // Japanese
		"每日备份",                // Chinese
		"백업 저장소",              // Korean
		"ምትኬ",                 // Ethiopic
		"e\u0301te\u0301",     // decomposed accents: combining marks on their letters
		"📸 Photos",            // an emoji
		"❤\ufe0f Favourites",  // emoji presentation: a variation selector after a symbol
		"1\ufe0f\u20e3 First", // keycap: a variation selector after a digit, then an enclosing mark
		"葛\U000e0100飾区",       // an ideographic variation sequence
		"My\u00a0bucket",      // a no-break space shows as a space and compares as one
		"夜間\u3000バックアップ",      // so does an ideographic space
		"Ｍｙ ｂｕｃｋｅｔ",           // fullwidth letters are visible; NameKey makes them collide
		"\u0301 mark first",   // a combining mark with nothing to combine with is still visible
	} {
		got, err := domain.NormalizeName("  " + name + " ")
		if err != nil || got != name {
			t.Errorf("NormalizeName(%+q) = %+q, %v; want it accepted and trimmed", name, got, err)
		}
	}
}

func TestNameKeyMakesLookalikesCollide(t *testing.T) {
	for _, group := range [][]string{
		{"My bucket", "my bucket", "MY BUCKET", "Ｍｙ bucket", "Ｍｙ　ｂｕｃｋｅｔ", "My  bucket", "My\u00a0bucket", "My\u2003bucket",
			" My bucket ", "My bucket\u200b", "My\u202e bucket", "\ufeffMy bucket"}, // the last three as stored before they were refused
		{"Straße", "STRASSE", "strasse", "STRAẞE", "ＳＴＲＡＳＳＥ"},
		{"café", "cafe\u0301", "CAFÉ", "CAFE\u0301"},
		{"ﬁle", "FILE", "file"},
		{"❤\ufe0f", "❤"},
		{"Ω", "\u2126", "ω"}, // the ohm sign is an omega
		{"k", "\u212a", "K"}, // so is the kelvin sign a K
		{"㎒", "MHz", "mhz"},
		{"①", "1", "¹"},
		{"Ǆ", "ǆ", "ǅ", "DŽ"},
	} {
		want := domain.NameKey(group[0])
		for _, name := range group[1:] {
			if got := domain.NameKey(name); got != want {
				t.Errorf("NameKey(%+q) = %+q; want %+q, the key of %+q", name, got, want, group[0])
			}
		}
		if again := domain.NameKey(want); again != want {
			t.Errorf("NameKey of the key %+q = %+q; want it unchanged", want, again)
		}
	}
	for _, pair := range [][2]string{
		{"My bucket", "Mybucket"},
		{"My bucket", "My bucket 2"},
		{"café", "cafe"},
		{"resume", "résumé"},
		{"Photos", "Fotos"},
		{"Резерв", "Pезерв"}, // Latin P and Cyrillic Р differ: NFKC does not map confusables
	} {
		if a, b := domain.NameKey(pair[0]), domain.NameKey(pair[1]); a == b {
			t.Errorf("NameKey(%+q) = NameKey(%+q) = %+q; want different keys", pair[0], pair[1], a)
		}
	}
}

// A name of 128 characters that NFKC expands 18 times (U+FDFA becomes a phrase) still has a key
// that fits an index, and the keys of two such names differ.
func TestNameKeyOfHugeExpansionsIsBounded(t *testing.T) {
	long := strings.Repeat("\ufdfa", domain.MaxNameLength)
	if _, err := domain.NormalizeName(long); err != nil {
		t.Fatalf("NormalizeName of %d × U+FDFA: %v", domain.MaxNameLength, err)
	}
	other := strings.Repeat("\ufdfa", domain.MaxNameLength-1) + "x"
	a, b := domain.NameKey(long), domain.NameKey(other)
	if len(a) > 1024 || len(b) > 1024 || !utf8.ValidString(a) || !strings.Contains(a, "\x1f") {
		t.Errorf("NameKey of a huge expansion is %d bytes (%q...); want at most 1024 bytes of UTF-8 with the hash marker", len(a), a[:40])
	}
	if a == b || domain.NameKey(a) != a {
		t.Errorf("keys of two huge expansions: equal %v, stable %v; want different and stable", a == b, domain.NameKey(a) == a)
	}
	if short := domain.NameKey(strings.Repeat("a", domain.MaxNameLength)); strings.Contains(short, "\x1f") {
		t.Errorf("the key of an ordinary name carries the hash marker: %q", short)
	}
}

func FuzzNameKey(f *testing.F) {
	for _, s := range []string{"My Bucket", "Ｍｙ　ｂｕｃｋｅｔ", "Straße", "㎒", "❤\ufe0f", "\ufdfa\ufdfa", "e\u0301", "a\u200bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		key := domain.NameKey(in)
		if domain.NameKey(key) != key || len(key) > 1024 || key != strings.TrimSpace(key) || strings.Contains(key, "  ") {
			t.Fatalf("NameKey(%+q) = %+q: not stable, over 1024 bytes, or with spaces at an end or in a run", in, key)
		}
		if name, err := domain.NormalizeName(in); err == nil {
			if key == "" || domain.NameKey(name) != key {
				t.Fatalf("accepted name %+q has the key %+q, empty or unlike the key of what it was given as", name, key)
			}
		}
	})
}
