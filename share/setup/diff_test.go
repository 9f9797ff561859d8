package setup

import "testing"

func TestDiff(t *testing.T) {
	for _, tt := range []struct{ name, old, new, want string }{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"insert at top", "1\n2\n3\n4\n5\n", "x\ny\n1\n2\n3\n4\n5\n",
			"--- f\n+++ f\n@@ -1,3 +1,5 @@\n+x\n+y\n 1\n 2\n 3\n"},
		{"remove at top", "x\ny\n1\n2\n", "1\n2\n",
			"--- f\n+++ f\n@@ -1,4 +1,2 @@\n-x\n-y\n 1\n 2\n"},
		{"new file", "", "a\nb\n",
			"--- f\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"change in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n",
			"--- f\n+++ f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n"},
		{"crlf", "a\r\n", "b\r\n", "--- f\n+++ f\n@@ -1,1 +1,1 @@\n-a\n+b\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff("f", []byte(tt.old), []byte(tt.new)); got != tt.want {
				t.Errorf("Diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
