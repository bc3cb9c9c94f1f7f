// Command hello prints a greeting; with -version it prints its version and exits.
package main

import (
	"flag"
	"fmt"
)

var version = "dev"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("hello", version)
		return
	}
	fmt.Println("hello, world")
}
