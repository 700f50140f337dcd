// Package domain holds bucketd's pure types and rules: buckets, storage types, the redacting
// Secret, name rules, quotas, principals and the error kinds every other layer speaks.
//
// It imports the standard library and golang.org/x/text's Unicode tables only, so every rule
// here can be tested without a database, a network or a framework.
package domain
