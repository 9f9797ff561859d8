// Package bench holds sshshare's benchmarks: plain ssh, OpenSSH's
// ControlMaster and sshshare's two doors (the mux door, which stock ssh
// reaches as a ControlPath, and the ProxyCommand door) measured side by
// side, interleaved in one run, against a throwaway sshd on 127.0.0.1
// (behind the harness's delaying relay where a round-trip time is set),
// keystroke echo latency and `ssh -O check` included; the tunnel-mode
// benchmark adds a second sshd, a target behind that one as bastion, and
// compares sshshare --via with ProxyJump with and without ControlMaster on
// the bastion. They measure; they never assert a speed. `make bench` runs them all, prints
// the tables and rewrites docs/benchmarks.md:
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./integration/bench \
//	    -args -docs "$PWD/docs/benchmarks.md"
//
// Each benchmark runs its scenario once whatever b.N is: the samples are
// taken inside, round-robin across the methods, so that a change in the
// machine's load affects all of them alike. The benchmarks read /proc
// and run on Linux only.
package bench
