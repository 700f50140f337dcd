// Package client is the Go client generated from openapi.yaml. The end-to-end tests drive the
// real binary through it. Never edit client.gen.go; run `make generate`.
package client

//go:generate go tool oapi-codegen -config config.yaml ../../openapi.yaml
