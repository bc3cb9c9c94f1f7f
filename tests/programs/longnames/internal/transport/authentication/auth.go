// Package authentication has four methods whose names differ only in their last word.
package authentication

import "strings"

// TokenValidator holds a seed the methods mix into their result.
type TokenValidator struct{ Seed int }

//go:noinline
func (v *TokenValidator) ValidateSignatureAlpha(args []string) int {
	return v.mix(args, 3) + strings.Count(strings.Join(args, ","), "a")
}

//go:noinline
func (v *TokenValidator) ValidateSignatureBravo(args []string) int {
	return v.mix(args, 5) * strings.Index(strings.Join(args, ";"), "b")
}

//go:noinline
func (v *TokenValidator) ValidateSignatureCharlie(args []string) int {
	return v.mix(args, 7) - strings.LastIndex(strings.Join(args, ":"), "c")
}

//go:noinline
func (v *TokenValidator) ValidateSignatureDelta(args []string) int {
	return v.mix(args, 11) ^ len(strings.Fields(strings.Join(args, " ")))
}

//go:noinline
func (v *TokenValidator) mix(args []string, k int) int {
	n := v.Seed
	for i, a := range args {
		n = n*k + len(a) + i
	}
	return n
}
