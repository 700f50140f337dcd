package domain

import (
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLength is the longest display name, counted in characters, not bytes.
const MaxNameLength = 128

// NormalizeName trims a bucket's display name and checks it: 1 to 128 characters of valid
// UTF-8 without control characters. Uniqueness is case-insensitive and checked by the store.
func NormalizeName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", Errorf(KindInvalidInput, "name is not valid UTF-8")
	}
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", Errorf(KindInvalidInput, "name must not be empty")
	}
	if n > MaxNameLength {
		return "", Errorf(KindInvalidInput, "name is %d characters long; the limit is %d", n, MaxNameLength)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", Errorf(KindInvalidInput, "name must not contain control characters (found %U)", r)
		}
	}
	return name, nil
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
