//go:build race

package main_test

// raceEnabled is true when the tests run with -race; TestMain builds bucketd the same way.
const raceEnabled = true
