//go:build !linux && !darwin

package sysio

// processArgs is not implemented here: the master's view leaves out the
// invoking ssh's command line.
func processArgs(int) ([]string, error) { return nil, ErrNoParentArgs }

// processDir is not implemented here.
func processDir(int) (string, error) { return "", ErrNoParentArgs }

// processEnv is not implemented here.
func processEnv(int, string) (string, bool, error) { return "", false, ErrNoParentArgs }

// processParent is not implemented here.
func processParent(int) (int, error) { return -1, ErrNoParentArgs }
