//go:build race

package harness

// raceEnabled is set when built with -race, so Binary builds with it too.
const raceEnabled = true
