//go:build linux

package bench

import "testing"

// The order in which a round samples the methods. Each sample runs right
// after another method's, and pays for what that one left running: the
// teardown of a plain login, a master refilling its spare, a ProxyCommand
// invocation exiting. A fixed order, even rotated round to round, keeps
// the same neighbours (the method after plain ssh is always the same one),
// so one method could pay for its predecessor in every round. The rounds
// follow the rows of a Williams square instead: over n rounds (2n for an
// odd number of methods) each method comes right after each other method
// equally often.

// williams returns round's order of n methods, as indices: the row
// round mod n of the square whose first row is 0, 1, n-1, 2, n-2, ...,
// each next row adding 1 mod n; for odd n, the rounds from n on take
// those rows reversed.
func williams(n, round int) []int {
	row := make([]int, n)
	shift := round % n
	mirror := n%2 == 1 && round%(2*n) >= n
	for k := range n {
		v := (k + 1) / 2
		if k > 0 && k%2 == 0 {
			v = n - k/2
		}
		pos := k
		if mirror {
			pos = n - 1 - k
		}
		row[pos] = (v + shift) % n
	}
	return row
}

// ordered returns the methods in round's order (see williams).
func (e *env) ordered(round int) []method {
	out := make([]method, 0, len(e.methods))
	for _, i := range williams(len(e.methods), round) {
		out = append(out, e.methods[i])
	}
	return out
}

func TestWilliamsBalanced(t *testing.T) {
	for n := 1; n <= 7; n++ {
		rounds := n
		if n%2 == 1 {
			rounds = 2 * n
		}
		after := make(map[[2]int]int)
		for r := range rounds {
			row := williams(n, r)
			seen := make(map[int]bool)
			for k, m := range row {
				if m < 0 || m >= n || seen[m] {
					t.Fatalf("n=%d round %d: %v is not an order of %d methods", n, r, row, n)
				}
				seen[m] = true
				if k > 0 {
					after[[2]int{row[k-1], m}]++
				}
			}
		}
		want := -1
		for i := range n {
			for j := range n {
				if i == j {
					continue
				}
				got := after[[2]int{i, j}]
				if want == -1 {
					want = got
				}
				if got != want || got == 0 {
					t.Fatalf("n=%d: method %d came right after %d %d times, others %d times", n, j, i, got, want)
				}
			}
		}
	}
}
