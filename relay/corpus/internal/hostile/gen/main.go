// Command gen writes the project's hostile corpus:
//
//	go run ./relay/corpus/internal/hostile/gen
//
// from the module root, into relay/anonymize/testdata/hostile.
package main

import (
	"flag"
	"log"

	"leak/relay/corpus/internal/hostile"
)

func main() {
	out := flag.String("out", "relay/anonymize/testdata/hostile", "directory to write")
	flag.Parse()
	if err := hostile.Write(*out); err != nil {
		log.Fatal(err)
	}
}
