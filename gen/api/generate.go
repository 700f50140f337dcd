// Package api is generated from openapi.yaml: the models, the strict Echo server interface the
// HTTP adapter implements, and the embedded spec. Never edit api.gen.go; run `make generate`.
package api

//go:generate go tool oapi-codegen -config config.yaml ../../openapi.yaml
