//go:build linux

package bench

import "testing"

func TestTargetRatio(t *testing.T) {
	for _, c := range []struct {
		a, b, limit float64
		want        string
	}{
		{220.6, 316.9, 0.7, "0.696x"}, // rounds onto the limit: a third decimal
		{73, 117, 0.65, "0.62x"},
		{0.7, 1, 0.7, "0.70x"}, // on the limit itself
		{21, 12.5, 2, "1.68x"},
		{1, 0, 2, "-"},
	} {
		if got := targetRatio(c.a, c.b, c.limit); got != c.want {
			t.Errorf("targetRatio(%v, %v, %v) = %q, want %q", c.a, c.b, c.limit, got, c.want)
		}
	}
}
