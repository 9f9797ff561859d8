package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// manDescription is the man page's DESCRIPTION: what sshshare is for and
// the Host block that puts it to work. DEFAULT stands for the default
// command's name.
const manDescription = `.PP
ssh starts
.B sshshare
as its ProxyCommand. The first connection to a host starts a detached
master that logs in once; every later ssh, scp, sftp, rsync and git to the
host rides that login, through the ProxyCommand or, with the ControlPath
below, in\-process as with OpenSSH's own multiplexing. The master leaves
when its last client has been gone for the persist time.
.PP
A Host block of
.BR ssh_config (5)
puts a set of hosts behind it:
.PP
.RS
.nf
Host PATTERN
    ProxyCommand sshshare \-\-alias %n %r %h %p
    ControlPath ~/.ssh/sshshare/%r@%h\-%p.mux
    ControlMaster no
    GlobalKnownHostsFile /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2 ~/.ssh/sshshare/known_hosts
.fi
.RE
.PP
With no command,
.B sshshare
runs the
.B DEFAULT
command with the arguments given.
`

// manFiles is the man page's FILES section.
const manFiles = `.SH FILES
.TP
.I ~/.ssh/sshshare/
The state directory: masters' sockets, locks and logs. It must belong to
the user and be closed to others (mode 0700).
.TP
.I ~/.ssh/sshshare/%r@%h\-%p
A master's control socket (the default \-\-control\-path); the mux door
listens at the same path plus
.IR .mux .
.TP
.I ~/.ssh/sshshare/%r@%h\-%p.log
A master's log, rotated to
.I .log.old
at 1 MiB.
.TP
.I ~/.ssh/sshshare/known_hosts
The lines that let ssh accept the masters' local host keys for any host
name (the GlobalKnownHostsFile line above).
.TP
.I ~/.ssh/sshshare/hostkey\fR,\fP ~/.ssh/sshshare/hostkey\-ecdsa
The masters' local host keys.
.TP
.I ~/.ssh/sshshare/masters/
The registry of running masters, read by
.B status
and
.BR stop .
.TP
.I ~/.ssh/config
The user's ssh configuration, which masters read as ssh would (through
.BR "ssh \-G" ).
`

// manTail is the man page's EXIT STATUS and SEE ALSO sections.
const manTail = `.SH EXIT STATUS
0 on success; 255 on any failure, as
.BR ssh (1)
uses it, with one
.RB \(lq sshshare: \(rq
line on standard error, and a
.RB \(lq "sshshare: hint:" \(rq
line when the fix is known.
.SH SEE ALSO
.BR ssh (1),
.BR ssh_config (5)
`

// writeMan writes the man page sshshare(1) for m in roff (man macros).
func writeMan(w io.Writer, m *cliModel, version string) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH SSHSHARE 1 \"\" \"sshshare %s\" \"User Commands\"\n", roff(version))
	fmt.Fprintf(&b, ".SH NAME\nsshshare \\- %s\n", roff(strings.TrimSuffix(lowerFirst(m.Description), ".")))
	manSynopsis(&b, m)
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(strings.Replace(manDescription, ".B DEFAULT\n", ".B "+roff(m.Default)+"\n", 1))
	manCommands(&b, m)
	b.WriteString(".SH OPTIONS\nEvery command takes these:\n")
	for _, f := range m.Flags {
		manFlag(&b, f)
	}
	b.WriteString(manFiles)
	manEnvironment(&b, m)
	b.WriteString(manTail)
	_, err := io.WriteString(w, b.String())
	return err
}

// manSynopsis writes the SYNOPSIS: the default command's line, then one
// for the commands.
func manSynopsis(b *strings.Builder, m *cliModel) {
	b.WriteString(".SH SYNOPSIS\n")
	for _, c := range m.Commands {
		if c.Name == m.Default {
			fmt.Fprintf(b, ".B sshshare\n[\\fIflags\\fR] %s\n.br\n", manArgs(c.Args))
		}
	}
	b.WriteString(".B sshshare\n\\fICOMMAND\\fR [\\fIflags\\fR] [\\fIargs\\fR]\n")
}

// manCommands writes COMMANDS: each visible command's usage, help, and
// its own flags.
func manCommands(b *strings.Builder, m *cliModel) {
	b.WriteString(".SH COMMANDS\n")
	for _, c := range m.visibleCommands() {
		fmt.Fprintf(b, ".SS \\fBsshshare %s\\fR %s\n", roff(c.Name), manArgs(c.Args))
		fmt.Fprintf(b, "%s\n", roff(c.Help))
		for _, a := range c.Args {
			fmt.Fprintf(b, ".TP\n.I %s\n%s\n", a.Name, roff(a.Help))
		}
		for _, f := range c.Flags[len(m.Flags):] {
			manFlag(b, f)
		}
	}
}

// manArgs is a usage line's arguments: HOST, [HOST], HOST... in italics.
func manArgs(args []cliArg) string {
	var parts []string
	for _, a := range args {
		s := "\\fI" + roff(a.Name) + "\\fR"
		if a.Repeated {
			s += "\\&..."
		}
		if a.Optional {
			s = "[" + s + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// manFlag writes a flag as a tagged paragraph: its spellings, its value,
// its help, its default and its environment variables.
func manFlag(b *strings.Builder, f cliFlag) {
	tag := "\\fB\\-\\-" + roff(f.Long) + "\\fR"
	if f.Short != 0 {
		tag = "\\fB\\-" + roff(string(f.Short)) + "\\fR, " + tag
	}
	if f.Value != nil {
		tag += "=\\fI" + roff(f.Placeholder) + "\\fR"
	}
	text := roff(f.Help)
	if f.Default != "" && f.Value != nil {
		text += "\nDefault: " + roff(f.Default) + "."
	}
	if len(f.Envs) > 0 {
		text += "\nEnvironment: \\fB" + roff(strings.Join(f.Envs, ", ")) + "\\fR."
	}
	fmt.Fprintf(b, ".TP\n%s\n%s\n", tag, text)
}

// manEnvironment writes ENVIRONMENT: every variable a flag reads, with the
// flag's help and the commands that read it.
func manEnvironment(b *strings.Builder, m *cliModel) {
	type variable struct {
		flag     cliFlag
		commands []string
	}
	vars := map[string]*variable{}
	var order []string
	for _, c := range m.visibleCommands() {
		for _, f := range c.Flags {
			for _, env := range f.Envs {
				if vars[env] == nil {
					vars[env] = &variable{flag: f}
					order = append(order, env)
				}
				vars[env].commands = append(vars[env].commands, c.Name)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	slices.Sort(order)
	b.WriteString(".SH ENVIRONMENT\n")
	for _, env := range order {
		v := vars[env]
		fmt.Fprintf(b, ".TP\n.B %s\nThe default of \\fB\\-\\-%s\\fR (%s): %s\n",
			roff(env), roff(v.flag.Long), roff(strings.Join(v.commands, ", ")), roff(lowerFirst(v.flag.Help)))
	}
}

// roff escapes text for a roff line: backslashes, minus signs (so that
// flags copy as ASCII hyphens), and a leading dot or quote that would
// make the line a request.
func roff(text string) string {
	text = strings.NewReplacer(`\`, `\e`, "-", `\-`, "\n", " ").Replace(text)
	if strings.HasPrefix(text, ".") || strings.HasPrefix(text, "'") {
		text = `\&` + text
	}
	return text
}

// lowerFirst is s with its first letter lower case, for a sentence that
// continues another; a word in capitals (HOST) is kept.
func lowerFirst(s string) string {
	if len(s) < 2 || strings.ToUpper(s[1:2]) == s[1:2] {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
