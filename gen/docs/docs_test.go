package docs_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/bucketd/bucketd/gen/docs"
)

// Attributes and elements that make a browser load something, and the policy's meta tag.
var (
	loadingAttr  = regexp.MustCompile(`(?i)\s(src|srcset|poster|data)\s*=\s*["']?([^"'\s>]*)`)
	linkElement  = regexp.MustCompile(`(?i)<link\b[^>]*>`)
	cspMeta      = regexp.MustCompile(`(?i)<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"`)
	cssRemoteRef = regexp.MustCompile(`(?i)@import|url\(\s*["']?(https?:)?//`)
	remoteImport = regexp.MustCompile("(?i)(\\bfrom|\\bimport\\()\\s*[\"'`](https?:)?//")
)

// rawElement is a script or style element: its content is raw text, not markup.
type rawElement struct {
	tag, attrs, body string
	start            int
}

// splitRaw returns the page's script and style elements in order, and the markup around them.
// It scans with strings.Index: a regular expression over megabytes of script is slow.
func splitRaw(t *testing.T, page string) ([]rawElement, string) {
	t.Helper()
	lower := strings.ToLower(page)
	var elems []rawElement
	var markup strings.Builder
	for pos := 0; ; {
		open := nextRawOpen(lower, pos)
		if open < 0 {
			markup.WriteString(page[pos:])
			return elems, markup.String()
		}
		markup.WriteString(page[pos:open])
		tagEnd := strings.IndexByte(page[open:], '>')
		if tagEnd < 0 {
			t.Fatalf("unterminated tag at byte %d", open)
		}
		tag := "script"
		if strings.HasPrefix(lower[open:], "<style") {
			tag = "style"
		}
		bodyStart := open + tagEnd + 1
		end := strings.Index(lower[bodyStart:], "</"+tag)
		if end < 0 {
			t.Fatalf("<%s> at byte %d is never closed", tag, open)
		}
		elems = append(elems, rawElement{tag: tag, attrs: page[open+1+len(tag) : open+tagEnd],
			body: page[bodyStart : bodyStart+end], start: open})
		closeEnd := strings.IndexByte(page[bodyStart+end:], '>')
		if closeEnd < 0 {
			t.Fatalf("</%s> at byte %d is unterminated", tag, bodyStart+end)
		}
		pos = bodyStart + end + closeEnd + 1
	}
}

// nextRawOpen is the index of the next <script or <style tag at or after pos, or -1.
func nextRawOpen(lower string, pos int) int {
	next := -1
	for _, tag := range []string{"<script", "<style"} {
		if i := strings.Index(lower[pos:], tag); i >= 0 && (next < 0 || pos+i < next) {
			next = pos + i
		}
	}
	return next
}

// TestPageDeclaresThePolicy proves the page carries ContentSecurityPolicy before any script or
// style, and that the policy admits no host: whatever the bundled scripts try to fetch at run
// time (Redoc's attribution logo, icon sets), the browser refuses.
func TestPageDeclaresThePolicy(t *testing.T) {
	page := string(docs.HTML())
	m := cspMeta.FindStringSubmatchIndex(page)
	if m == nil {
		t.Fatal("the page has no Content-Security-Policy meta tag: regenerate it from template.hbs with make generate")
	}
	if got := page[m[2]:m[3]]; got != docs.ContentSecurityPolicy {
		t.Errorf("the page's policy is\n  %s\nwant docs.ContentSecurityPolicy\n  %s\n(template.hbs and docs.go must agree)", got, docs.ContentSecurityPolicy)
	}
	if elems, _ := splitRaw(t, page); len(elems) == 0 || elems[0].start < m[0] {
		t.Error("a script or style comes before the Content-Security-Policy meta tag, or there is none")
	}
	for _, directive := range strings.Split(docs.ContentSecurityPolicy, ";") {
		fields := strings.Fields(directive)
		if len(fields) == 0 {
			t.Fatalf("empty directive in %q", docs.ContentSecurityPolicy)
		}
		for _, source := range fields[1:] {
			switch source {
			case "'none'", "'unsafe-inline'", "data:", "blob:":
			default:
				t.Errorf("directive %s admits source %s; the page may load nothing from a host", fields[0], source)
			}
		}
	}
	if !strings.HasPrefix(strings.TrimSpace(docs.ContentSecurityPolicy), "default-src 'none'") {
		t.Error("the policy must start from default-src 'none'")
	}
}

// TestPageLoadsNothingFromAHost proves the markup itself references no script, style, font or
// image outside the page: everything Redoc needs is inline.
func TestPageLoadsNothingFromAHost(t *testing.T) {
	page := string(docs.HTML())
	scripts := 0
	elems, markup := splitRaw(t, page)
	for _, e := range elems {
		if loadingAttr.MatchString(e.attrs) {
			t.Errorf("<%s%s> loads its content from elsewhere", e.tag, e.attrs)
		}
		if e.tag == "script" {
			scripts++
			if imp := remoteImport.FindString(e.body); imp != "" {
				t.Errorf("an inline script imports a module from a host: %s", imp)
			}
		} else if ref := cssRemoteRef.FindString(e.body); ref != "" {
			t.Errorf("a <style> element imports or references a remote resource: %q", ref)
		}
	}
	if scripts == 0 {
		t.Error("the page has no inline script: Redoc's bundle is missing (build-docs without --inlineBundle?)")
	}
	if l := linkElement.FindString(markup); l != "" {
		t.Errorf("the page has a <link> element, which loads a resource: %s", l)
	}
	for _, m := range loadingAttr.FindAllStringSubmatch(markup, -1) {
		if !strings.HasPrefix(m[2], "data:") {
			t.Errorf("an element loads %s=%q", m[1], m[2])
		}
	}
}

// TestPageDescribesTheAPI checks the page is this API's reference with Redoc's telemetry off,
// so it never reports its readers to Redocly.
func TestPageDescribesTheAPI(t *testing.T) {
	page := string(docs.HTML())
	for _, want := range []string{
		"<title>bucketd API</title>",
		`"operationId":"createBucket"`,
		`"operationId":"listBuckets"`,
		`"operationId":"getQuota"`,
		`"disableTelemetry":true`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not contain %s", want)
		}
	}
}
