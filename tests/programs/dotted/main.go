// Command dotted imports a package whose import path has a dot in its last element.
package main

import (
	"fmt"
	"os"

	"example.com/x/dotted.v2/yaml.v3"
)

func main() {
	t := &yaml.T{A: len(os.Args)}
	fmt.Println(yaml.Fields("a b c"), t.Triple())
}
