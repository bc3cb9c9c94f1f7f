// Command httpserver serves a greeting over HTTP; with -version it prints its version and exits.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
)

var version = "dev"

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("httpserver", version)
		return
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"hello": r.URL.Path})
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
