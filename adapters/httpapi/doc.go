// Package httpapi is the HTTP adapter: it serves the API described by openapi.yaml with Echo.
//
// Requests pass, in order: a request id, the request metrics, the access log, panic recovery,
// the 64 KiB body limit, the JSON content-type check, and the OpenAPI validator, which also
// authenticates the bearer token for every operation whose spec demands it and charges the
// request to that token's rate limit. Only then does the generated strict handler decode the
// body and call Server, which turns the request into an app command and the result into a
// response object. Every failure, wherever it arises, leaves through writeError as the one
// error body of the contract; the one exception is a request net/http cannot parse, which
// never reaches Echo: the front door (NewFrontDoor) rewrites net/http's own plain-text answer
// into the same body.
package httpapi
