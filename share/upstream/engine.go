package upstream

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/sshshare/sshshare/share/hint"
)

// The master's upstream login is made by one of two engines. The Go
// engine (golang.org/x/crypto/ssh, the default) logs in itself and maps
// what it can of the config (keywords.go). The OpenSSH engine runs the
// user's own ssh as a ControlMaster on a private socket and attaches to it
// in proxy mode (openssh.go): every keyword is honoured by construction,
// at the cost of one ssh process per upstream connection.

// The engines, as --engine names them.
const (
	// EngineAuto is the Go engine, unless the config needs OpenSSH.
	EngineAuto = "auto"
	// EngineGo logs in with golang.org/x/crypto/ssh.
	EngineGo = "go"
	// EngineOpenSSH runs the user's ssh as the master's upstream.
	EngineOpenSSH = "openssh"
)

// Engines lists the valid engine names.
var Engines = []string{EngineAuto, EngineGo, EngineOpenSSH}

// errNoMux is the OpenSSH engine on a system whose ssh has no
// ControlMaster.
var errNoMux = hint.With(errors.New("--engine openssh: Win32-OpenSSH has no ControlMaster, which the OpenSSH engine attaches to"),
	"leave --engine at auto or go on Windows")

// chooseEngine sets Engine from asked (EngineAuto when "") and what the
// config needs: the Go engine unless asked for OpenSSH, or asked for auto
// and the config has a setting or an algorithm list only OpenSSH can
// honour. Windows keeps the Go engine.
func (c *HostConfig) chooseEngine(asked string) error {
	if asked == "" {
		asked = EngineAuto
	}
	c.EngineAsked = asked
	if err := c.Algorithms.Check(); err != nil {
		c.NeedsOpenSSH = append(c.NeedsOpenSSH, err.Error())
	}
	switch asked {
	case EngineGo:
		c.Engine = EngineGo
	case EngineOpenSSH:
		if runtime.GOOS == "windows" {
			return errNoMux
		}
		c.Engine = EngineOpenSSH
	case EngineAuto:
		c.Engine = EngineGo
		if len(c.NeedsOpenSSH) > 0 && runtime.GOOS != "windows" {
			c.Engine = EngineOpenSSH
		}
	default:
		return fmt.Errorf("--engine %s: not one of %s", asked, strings.Join(Engines, ", "))
	}
	return nil
}

// KeepGo sets the Go engine when the choice was EngineAuto's, for a
// master whose route only the Go engine can take (--via): it returns the
// Go engine's refusal, if the config has one, and an error naming the
// route when OpenSSH was asked for by name.
func (c *HostConfig) KeepGo(route string) error {
	if c.Engine != EngineOpenSSH {
		return nil
	}
	if c.EngineAsked == EngineOpenSSH {
		return hint.With(fmt.Errorf("--engine openssh: the OpenSSH engine cannot go through %s", route),
			"use ProxyJump in the ssh config instead of --via, or --engine go")
	}
	c.Engine = EngineGo
	if c.Refusal != nil {
		return c.Refusal
	}
	return c.Algorithms.Check()
}
