// Package lib is a local dependency, pulled in through a replace directive.
package lib

// Greeting returns the greeting the app prints.
func Greeting() string { return "hello from lib" }
