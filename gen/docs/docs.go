// Package docs holds the API reference page that GET /docs serves: openapi.yaml rendered by
// Redocly's build-docs into one HTML file that carries its scripts, styles and the spec
// inline, so the binary shows it without a CDN or any network access. A Content-Security-
// Policy in the page itself forbids loading anything else, which also keeps Redoc's
// attribution logo (an image on Redocly's CDN) from being fetched. Never edit index.html;
// run `make generate`.
package docs

import _ "embed" // for the page

//go:embed index.html
var page []byte

// ContentSecurityPolicy is the policy the page declares in its meta tag (template.hbs): inline
// scripts and styles, data: fonts and images, and blob: workers for Redoc's search, nothing
// from any host. Serving it as the Content-Security-Policy header too enforces it before the
// browser has parsed the page; the header may add directives a meta tag cannot carry.
const ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"img-src data:; font-src data:; worker-src blob:; connect-src 'none'; base-uri 'none'; form-action 'none'"

// HTML returns the page. The slice is the embedded file itself, shared by every caller, so it
// must not be modified; it is returned without a copy because the page weighs megabytes.
func HTML() []byte { return page }
