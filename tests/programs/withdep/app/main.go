// Command app depends on a replaced module, so its build info has a "dep" and a "=>" line.
package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println(lib.Greeting()) }
