// Command sleeper sleeps for -ms milliseconds, optionally after allocating and touching -touch-mb
// megabytes, then exits with -exit; the start-up latency probe's tests measure it.
package main

import (
	"flag"
	"os"
	"runtime"
	"time"
)

func main() {
	ms := flag.Int("ms", 0, "milliseconds to sleep before exiting")
	touchMB := flag.Int("touch-mb", 0, "MiB to allocate and touch (one write per 4 KiB page)")
	exit := flag.Int("exit", 0, "exit status")
	flag.Parse()
	buf := make([]byte, *touchMB<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	time.Sleep(time.Duration(*ms) * time.Millisecond)
	runtime.KeepAlive(buf)
	os.Exit(*exit)
}
