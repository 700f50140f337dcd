package httpapi

import (
	"bytes"
	"context"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/gen/api"
	"github.com/bucketd/bucketd/gen/spec"
)

// GetOpenAPISpec serves the OpenAPI document the server was built from (GET /openapi.yaml).
func (s *Server) GetOpenAPISpec(context.Context, api.GetOpenAPISpecRequestObject) (api.GetOpenAPISpecResponseObject, error) {
	return api.GetOpenAPISpec200ApplicationyamlResponse{Body: bytes.NewReader(spec.YAML), ContentLength: int64(len(spec.YAML))}, nil
}

// GetDocs is replaced by the embedded reference page once gen/docs exists. TODO(issue4): wire gen/docs.
func (s *Server) GetDocs(context.Context, api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	return nil, domain.Errorf(domain.KindNotFound, "the reference page is not built into this binary")
}
