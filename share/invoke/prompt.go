package invoke

// Prompt routes: how a question can reach the user.
const (
	PromptNone    = ""        // no way to ask
	PromptAskpass = "askpass" // run SSH_ASKPASS
	PromptTTY     = "tty"     // the controlling terminal
)

// PromptEnv is what decides how ssh would ask its user a question: parts
// of its environment and whether it has a controlling terminal. The
// command line reads them; this package only applies ssh's rule.
type PromptEnv struct {
	Askpass        bool   // SSH_ASKPASS is set
	AskpassRequire string // SSH_ASKPASS_REQUIRE
	Display        bool   // DISPLAY or WAYLAND_DISPLAY is set
	TTY            bool   // /dev/tty opens
}

// Route tells how ssh, run in e, would ask its user a question, by the
// rules of its read_passphrase: askpass when SSH_ASKPASS_REQUIRE=force,
// else the controlling terminal, else askpass when a display is set (or
// SSH_ASKPASS_REQUIRE=prefer) and askpass is not "never".
func (e PromptEnv) Route() string {
	switch {
	case e.AskpassRequire == "force" && e.Askpass:
		return PromptAskpass
	case e.TTY:
		return PromptTTY
	case e.Askpass && e.AskpassRequire != "never" && (e.AskpassRequire == "prefer" || e.Display):
		return PromptAskpass
	}
	return PromptNone
}
