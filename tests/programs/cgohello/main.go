// Command cgohello calls a C function through cgo, so its .text holds non-Go code.
package main

/*
#include <stdio.h>
#include <stdlib.h>

static int add_and_greet(int a, int b) {
	printf("hello from C\n");
	fflush(stdout);
	return a + b;
}
*/
import "C"

import (
	"flag"
	"fmt"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("cgohello dev")
		return
	}
	fmt.Println("sum:", int(C.add_and_greet(2, 3)))
}
