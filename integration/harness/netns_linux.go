package harness

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// NetNS is a network namespace whose only ways out are forwarded ports:
// 127.0.0.1:P inside reaches 127.0.0.1:P outside for each port given, and
// nothing else is reachable. Commands run in it through nsenter; the
// processes they start (sshshare's masters) stay in it.
type NetNS struct {
	holder *Proc
}

// NewNetNS makes the namespace, forwarding ports. It needs root (a new
// network namespace) and nsenter (util-linux); err says which is missing,
// for the test to skip with. A cleanup ends it.
func NewNetNS(tb TB, ports ...int) (*NetNS, error) {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("not root: a network namespace needs root")
	}
	if _, err := exec.LookPath("nsenter"); err != nil {
		return nil, fmt.Errorf("nsenter (util-linux) not found: %w", err)
	}
	probe := exec.Command(selfPath(tb), netnsHelper, "--probe")
	probe.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if out, err := probe.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("new network namespace: %w: %s", err, out)
	}
	dir, err := os.MkdirTemp("", "ns") // short: sun_path holds 108 bytes
	if err != nil {
		tb.Fatalf("netns dir: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	args := []string{netnsHelper}
	for _, port := range ports {
		path := filepath.Join(dir, strconv.Itoa(port))
		ln, err := net.Listen("unix", path)
		if err != nil {
			tb.Fatalf("netns forward: %v", err)
		}
		tb.Cleanup(func() { ln.Close() })
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		go forward(ln, func() (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) })
		args = append(args, strconv.Itoa(port)+"="+path)
	}
	cmd := exec.Command(selfPath(tb), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	p, stdin, stdout := StartPiped(tb, cmd)
	tb.Cleanup(func() { stdin.Close() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if strings.TrimSpace(line) != "ready" {
			tb.Fatalf("netns helper: %q\n%s", line, p.Stderr())
		}
	case <-time.After(10 * time.Second):
		tb.Fatalf("netns helper not ready after 10s\n%s", p.Stderr())
	}
	return &NetNS{holder: p}, nil
}

// Command makes cmd run inside the namespace.
func (n *NetNS) Command(cmd *exec.Cmd) *exec.Cmd {
	path, _ := exec.LookPath("nsenter")
	cmd.Args = append([]string{path, "--net=/proc/" + strconv.Itoa(n.holder.Pid()) + "/ns/net", "--"}, cmd.Args...)
	cmd.Path = path
	return cmd
}

// runNetNS is the namespace's holder, started in it: it brings up the
// loopback interface, forwards each PORT=PATH given from 127.0.0.1:PORT
// to the Unix socket PATH, says "ready" and serves until stdin ends.
// --probe only checks that it could be started.
func runNetNS(args []string) error {
	if len(args) == 1 && args[0] == "--probe" {
		return nil
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	for _, a := range args {
		port, path, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("want PORT=PATH, got %q", a)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			return err
		}
		go forward(ln, func() (net.Conn, error) { return net.DialTimeout("unix", path, 5*time.Second) })
	}
	fmt.Println("ready")
	buf := make([]byte, 1)
	for {
		if _, err := os.Stdin.Read(buf); err != nil {
			return nil
		}
	}
}

// loopbackUp sets lo up, as `ip link set lo up` does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}
