// Command jumptable has a dense switch the compiler lowers to a jump table in .rodata.
package main

import (
	"fmt"
	"os"
)

// Pick returns a different word for each of sixteen cases.
//
//go:noinline
func Pick(n int) string {
	switch n {
	case 0:
		return "zero"
	case 1:
		return "one"
	case 2:
		return "two"
	case 3:
		return "three"
	case 4:
		return "four"
	case 5:
		return "five"
	case 6:
		return "six"
	case 7:
		return "seven"
	case 8:
		return "eight"
	case 9:
		return "nine"
	case 10:
		return "ten"
	case 11:
		return "eleven"
	case 12:
		return "twelve"
	case 13:
		return "thirteen"
	case 14:
		return "fourteen"
	case 15:
		return "fifteen"
	}
	return "many"
}

func main() {
	fmt.Println(Pick(len(os.Args)))
}
