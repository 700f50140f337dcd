// Package spec embeds openapi.yaml exactly as written, for GET /openapi.yaml. The copy beside
// this file is made by `make generate`; never edit it.
package spec

import _ "embed"

//go:generate cp ../../openapi.yaml openapi.yaml

// YAML is the OpenAPI document the server was built from.
//
//go:embed openapi.yaml
var YAML []byte
