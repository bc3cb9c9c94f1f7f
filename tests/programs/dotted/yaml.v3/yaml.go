// Package yaml has a dot in the last element of its import path
// (example.com/x/dotted.v2/yaml.v3), which the linker escapes in symbol names.
package yaml

import "strings"

// Fields splits s; not inlined so that it keeps its own symbol.
//
//go:noinline
func Fields(s string) []string { return strings.Fields(s) }

// T has a method, so the package also owns a method symbol.
type T struct{ A int }

// Triple returns three times A.
//
//go:noinline
func (t *T) Triple() int { return t.A * 3 }
