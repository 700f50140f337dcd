package httpapi

import (
	"bytes"
	"context"

	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/docs"
	"github.com/bucketd/bucketd/gen/spec"
)

// GetOpenAPISpec serves the OpenAPI document the server was built from (GET /openapi.yaml).
func (s *Server) GetOpenAPISpec(context.Context, api.GetOpenAPISpecRequestObject) (api.GetOpenAPISpecResponseObject, error) {
	return api.GetOpenAPISpec200ApplicationyamlResponse{Body: bytes.NewReader(spec.YAML), ContentLength: int64(len(spec.YAML))}, nil
}

// docsPolicy adds to the page's own policy what only a header can carry: no framing.
var docsPolicy = docs.ContentSecurityPolicy + "; frame-ancestors 'none'"

// GetDocs serves the API reference page built into the binary (GET /docs).
func (s *Server) GetDocs(context.Context, api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	page := docs.HTML()
	return api.GetDocs200TexthtmlResponse{Body: bytes.NewReader(page), ContentLength: int64(len(page)),
		Headers: api.GetDocs200ResponseHeaders{ContentSecurityPolicy: &docsPolicy}}, nil
}
