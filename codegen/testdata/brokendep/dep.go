// Package brokendep does not compile, on purpose: the error test
// dependency_error imports it (testdata is outside ./... patterns).
package brokendep

// X refers to a name that does not exist.
func X() int { return undefinedName }
