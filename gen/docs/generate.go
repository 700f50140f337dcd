package docs

// The page is rendered by Redocly's build-docs, pinned in ../ts/package.json: --inlineBundle
// puts Redoc's scripts into the page instead of a CDN link, template.hbs adds the page's
// Content-Security-Policy, and ../../.redocly.yaml turns Redoc's telemetry off.
//go:generate ../ts/node_modules/.bin/redocly build-docs ../../openapi.yaml --config ../../.redocly.yaml --inlineBundle --template template.hbs --output index.html
