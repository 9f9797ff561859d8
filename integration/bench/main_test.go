//go:build linux

package bench

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sshshare/sshshare/integration/harness"
)

var (
	docsPath    = flag.String("docs", "", "Write the report to this Markdown file (make bench: docs/benchmarks.md).")
	warmSamples = flag.Int("samples", 20, "Warm samples per method.")
	coldSamples = flag.Int("cold-samples", 10, "Cold samples per method.")
	burstSize   = flag.Int("burst", 50, "Simultaneous cold starts per method.")
	bulkMB      = flag.Int("bulk-mb", 300, "Size of each bulk transfer in MB (10^6 bytes).")
	bulkSamples = flag.Int("bulk-samples", 5, "Samples per bulk transfer and method.")
	sessions    = flag.Int("sessions", 100, "Concurrent sessions for the master memory figure.")
)

// TestMain prints the collected tables after the benchmarks and writes
// the Markdown report when -docs names a file and nothing failed.
func TestMain(m *testing.M) {
	start := time.Now()
	results.loadStart = loadAvg()
	results.cpuStart = readCPUTimes()
	code := m.Run()
	results.loadEnd = loadAvg()
	harness.RemoveBinary()
	if results.empty() {
		os.Exit(code)
	}
	results.writeText(os.Stdout)
	if *docsPath != "" {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "benchmarks failed; %s left as it was\n", *docsPath)
		} else {
			var b bytes.Buffer
			results.writeMarkdown(&b, time.Since(start))
			if err := os.WriteFile(*docsPath, b.Bytes(), 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "write %s: %v\n", *docsPath, err)
				code = 1
			} else {
				fmt.Printf("wrote %s\n", *docsPath)
			}
		}
	}
	os.Exit(code)
}
