//go:build windows

package invoke

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// detach starts the master without a console of its own, outside the
// caller's process group: Ctrl-C in ssh's console does not reach it, and
// nothing of it depends on the invocation, which Win32-OpenSSH ends with
// TerminateProcess when ssh exits.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP,
	}
}

// hand lets the master inherit files, which Windows cannot number as
// ExtraFiles: each handle is made inheritable and listed in
// AdditionalInheritedHandles (Go passes an explicit handle list, so the
// master inherits these and its stdio only), and its value goes in the
// environment variable that names it.
func hand(cmd *exec.Cmd, files []*os.File) ([]string, error) {
	ids := make([]string, len(files))
	for i, f := range files {
		h := windows.Handle(f.Fd())
		if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT); err != nil {
			return nil, fmt.Errorf("hand %s to the master: %w", f.Name(), err)
		}
		cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, syscall.Handle(h))
		ids[i] = strconv.FormatUint(uint64(h), 10)
	}
	return ids, nil
}

// reportPipe is the pipe a master reports its start-up on. An os.Pipe
// takes no read deadline on Windows, so the invocation's end r is an
// overlapped named pipe, which does (see readReport); the master gets w,
// an ordinary synchronous handle.
func reportPipe() (r, w *os.File, err error) {
	return localPipe(windows.PIPE_ACCESS_INBOUND, windows.GENERIC_WRITE, "ready")
}

// environPipe is the pipe the invocation writes ssh's environment on,
// with a write deadline: its end w is the overlapped one.
func environPipe() (r, w *os.File, err error) {
	w, r, err = localPipe(windows.PIPE_ACCESS_OUTBOUND, windows.GENERIC_READ, "environ")
	return r, w, err
}

// localPipe makes a pipe between this process and a child: ours, an
// overlapped named pipe that Go's poller serves (so deadlines work), and
// theirs, the synchronous client end for the child to inherit. The pipe
// has a random name, one instance, a DACL for this user alone and no
// remote clients, and the client that connected must be this process.
func localPipe(access uint32, theirAccess uint32, what string) (ours, theirs *os.File, err error) {
	var nonce [12]byte
	rand.Read(nonce[:])
	name := `\\.\pipe\sshshare-` + what + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(nonce[:])
	path, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, nil, fmt.Errorf("%s pipe: %w", what, err)
	}
	sa, err := ownerOnlyAttributes()
	if err != nil {
		return nil, nil, fmt.Errorf("%s pipe: %w", what, err)
	}
	server, err := windows.CreateNamedPipe(path,
		access|windows.FILE_FLAG_OVERLAPPED|windows.FILE_FLAG_FIRST_PIPE_INSTANCE,
		windows.PIPE_TYPE_BYTE|windows.PIPE_READMODE_BYTE|windows.PIPE_WAIT|windows.PIPE_REJECT_REMOTE_CLIENTS,
		1, 64<<10, 64<<10, 0, sa)
	if err != nil {
		return nil, nil, fmt.Errorf("%s pipe: create %s: %w", what, name, err)
	}
	client, err := windows.CreateFile(path, theirAccess, 0, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		windows.CloseHandle(server)
		return nil, nil, fmt.Errorf("%s pipe: open %s: %w", what, name, err)
	}
	var pid uint32
	if err := windows.GetNamedPipeClientProcessId(server, &pid); err != nil || pid != uint32(os.Getpid()) {
		windows.CloseHandle(server)
		windows.CloseHandle(client)
		return nil, nil, fmt.Errorf("%s pipe %s: connected by process %d, not this one (%v)", what, name, pid, err)
	}
	return os.NewFile(uintptr(server), "|"+what), os.NewFile(uintptr(client), what), nil
}

// ownerOnlyAttributes are security attributes that grant this process's
// user alone access.
func ownerOnlyAttributes() (*windows.SecurityAttributes, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;GA;;;" + tu.User.Sid.String() + ")")
	if err != nil {
		return nil, fmt.Errorf("owner-only access list: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

// lendable is the stderr to lend the master, or nil when it is a
// console: a master started DETACHED_PROCESS is attached to none, so a
// console handle would be no use to it. A pipe or file (what ssh under
// VS Code or a script has) is lent.
func lendable(stderr *os.File) *os.File {
	if stderr == nil {
		return nil
	}
	if t, err := windows.GetFileType(windows.Handle(stderr.Fd())); err != nil || t == windows.FILE_TYPE_CHAR {
		return nil
	}
	return stderr
}

// start starts cmd out of the caller's job object when it is in one
// (CREATE_BREAKAWAY_FROM_JOB): a terminal or IDE that ends its job's
// processes when it closes must not end the master with them. A job that
// allows no breakaway refuses with ERROR_ACCESS_DENIED; the master then
// starts inside it, as it would have without the flag.
func start(cmd *exec.Cmd) error {
	plain := *cmd.SysProcAttr
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_BREAKAWAY_FROM_JOB
	err := cmd.Start()
	if !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return err
	}
	retry := exec.Command(cmd.Path, cmd.Args[1:]...)
	retry.Env, retry.SysProcAttr = cmd.Env, &plain
	*cmd = *retry
	return cmd.Start()
}
