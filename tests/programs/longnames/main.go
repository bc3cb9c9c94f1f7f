// Command longnames has functions whose full names are longer than a terminal is wide: a long
// module path, a deep package and methods that differ only at the end. The explain tables must
// show each one's identifying end at 80 columns.
package main

import (
	"fmt"
	"os"

	"example.com/an-organisation-with-a-rather-long-name/a-service-with-an-even-longer-name-than-that/internal/transport/authentication"
)

func main() {
	v := &authentication.TokenValidator{Seed: len(os.Args)}
	fmt.Println(v.ValidateSignatureAlpha(os.Args), v.ValidateSignatureBravo(os.Args),
		v.ValidateSignatureCharlie(os.Args), v.ValidateSignatureDelta(os.Args))
}
