package integration

import (
	"os"
	"testing"

	"github.com/sshshare/sshshare/integration/harness"
)

func TestMain(m *testing.M) {
	harness.RunHelper()
	code := m.Run()
	harness.RemoveBinary()
	os.Exit(code)
}
