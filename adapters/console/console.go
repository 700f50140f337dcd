// Package console serves bucketd's console, the pages for people at /console: the files built
// from web/ into dist/ and embedded in the binary. It is a driving adapter that only serves
// files; the pages reach bucketd through the public API, like any other client, so the console
// holds no rule and no credential of its own.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Path is where the console is served; web/vite.config.ts builds the pages for this base.
const Path = "/console"

// dist is the output of `make generate` (npm ci and vite build in web/), committed like gen/.
//
//go:embed all:dist
var dist embed.FS

// Policy is the Content-Security-Policy of every answer: scripts, styles and everything else
// from bucketd only, no inline script or style, no plugin, no framing, and forms and <base>
// that cannot send a person elsewhere.
const Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Cache-Control values: a file under assets/ is named after a hash of its content, so it never
// changes under its name; everything else (index.html above all, which names the current
// assets) is checked with the server before each use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// assetsDir holds the hashed files.
const assetsDir = "assets"

// contentTypes are the types of the files the build writes, fixed here rather than taken from
// the machine's MIME tables, which differ between systems.
var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".json":  "application/json",
	".png":   "image/png",
	".woff2": "font/woff2",
}

// Handler serves the console's files. Build it with New.
type Handler struct {
	// files are the build's files by their path under dist/, read once.
	files map[string]file
	index file
}

// file is one file of the build and how it is answered.
type file struct {
	name  string
	body  []byte
	etag  string
	cache string
}

// New returns the handler of the embedded console.
func New() (*Handler, error) {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	return newHandler(files)
}

// newHandler reads every file of files whose type is known, and requires an index.html.
func newHandler(files fs.FS) (*Handler, error) {
	h := &Handler{files: map[string]file{}}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, ok := contentTypes[path.Ext(name)]; !ok {
			return nil
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := file{name: name, body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`, cache: cacheRevalidate}
		if strings.HasPrefix(name, assetsDir+"/") {
			f.cache = cacheImmutable
		}
		h.files[name] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: read the build: %w", err)
	}
	index, ok := h.files["index.html"]
	if !ok {
		return nil, errors.New("console: the build has no index.html (run make generate)")
	}
	h.index = index
	// The page is answered at the console's routes only, never under its file name.
	delete(h.files, "index.html")
	return h, nil
}

// ServeHTTP answers GET and HEAD for Path and what is under it: a file of the build, or
// index.html for a route of the console (a path of plain words outside assets/), so that a
// page's address can be reloaded or shared. Any other path is 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	header := w.Header()
	header.Set("Content-Security-Policy", Policy)
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("Referrer-Policy", "no-referrer")
	header.Set("Cross-Origin-Opener-Policy", "same-origin")
	header.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		header.Set("Allow", "GET, HEAD")
		http.Error(w, "only GET and HEAD are served under "+Path, http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.lookup(r.URL.Path)
	if !ok {
		header.Set("Cache-Control", cacheRevalidate)
		http.NotFound(w, r)
		return
	}
	header.Set("Content-Type", contentTypes[path.Ext(f.name)])
	header.Set("Cache-Control", f.cache)
	header.Set("ETag", f.etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}

// lookup finds the file a request's path is answered with.
func (h *Handler) lookup(urlPath string) (file, bool) {
	name, ok := strings.CutPrefix(urlPath, Path)
	if !ok || (name != "" && name[0] != '/') {
		return file{}, false
	}
	name = strings.TrimPrefix(name, "/")
	if isRoute(name) {
		return h.index, true
	}
	f, ok := h.files[name]
	return f, ok
}

// isRoute reports whether name is one of the console's own pages: the root, or a path of
// lowercase words (such as sign-in or buckets/ID) outside assets/, with no file extension.
func isRoute(name string) bool {
	if name == "" {
		return true
	}
	if name == assetsDir || strings.HasPrefix(name, assetsDir+"/") {
		return false
	}
	for _, segment := range strings.Split(strings.TrimSuffix(name, "/"), "/") {
		if segment == "" || strings.Trim(segment, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}
