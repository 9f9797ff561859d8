//go:build linux || darwin

package sysio

import (
	"os"
	"reflect"
	"testing"
)

// TestProcessArgs reads this test binary's own command line back.
func TestProcessArgs(t *testing.T) {
	got, err := processArgs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, os.Args) {
		t.Errorf("got %q; want %q", got, os.Args)
	}
}

// TestProcessParent reads this test binary's parent.
func TestProcessParent(t *testing.T) {
	got, err := ProcessParent(os.Getpid())
	if err != nil || got != os.Getppid() {
		t.Errorf("got %d, %v; want %d", got, err, os.Getppid())
	}
}
