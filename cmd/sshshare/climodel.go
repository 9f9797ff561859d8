package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// The completion scripts and the man page are generated from kong's model
// of the command line, so a new command or flag reaches them without
// anyone editing a list. cliModel is that model reduced to what the
// generators need: one level of commands, each with its flags and
// positional arguments, and what each value completes to.

// cliModel is the command line as the generators see it.
type cliModel struct {
	Name        string
	Description string
	Flags       []cliFlag    // the application's own flags (--help, --version)
	Commands    []cliCommand // every command, hidden ones included
	Default     string       // the command run when the first word names none
}

// cliCommand is one command: its name, help, flags (the application's
// included) and positional arguments in order.
type cliCommand struct {
	Name   string
	Help   string
	Hidden bool
	Flags  []cliFlag
	Args   []cliArg
}

// cliFlag is one flag. Value is nil for a flag that takes no value.
type cliFlag struct {
	Long        string
	Short       rune
	Help        string
	Placeholder string
	Default     string
	Envs        []string
	Repeatable  bool
	Value       *cliValue
}

// cliArg is one positional argument.
type cliArg struct {
	Name     string // upper case, as usage shows it: HOST
	Help     string
	Optional bool
	Repeated bool
	Value    cliValue
}

// cliValue says what a flag's or argument's value completes to.
type cliValue struct {
	Kind  valueKind
	Words []string // the choices, for kindEnum
}

// valueKind is what a value completes to.
type valueKind int

const (
	kindNone  valueKind = iota // anything: nothing to offer
	kindHosts                  // host names: the ssh config's and running masters'
	kindFiles                  // file names
	kindEnum                   // one of Words
)

// hostArgNames are the positional arguments that name a host or a master:
// they complete to host names.
var hostArgNames = []string{"host", "target", "hosts"}

// newCLIModel walks kong's model of the application. Commands nest one
// level, as sshshare's do: a command with commands of its own is shown
// with their names as its first argument's choices.
func newCLIModel(app *kong.Application) (*cliModel, error) {
	m := &cliModel{Name: app.Name, Description: app.Help}
	if app.DefaultCmd != nil {
		m.Default = app.DefaultCmd.Name
	}
	m.Flags = flagsOf(app.Node)
	for _, node := range app.Children {
		if node.Type != kong.CommandNode {
			return nil, fmt.Errorf("completion: %q: only commands are supported at the top level", node.Name)
		}
		m.Commands = append(m.Commands, commandOf(node))
	}
	return m, nil
}

// commandOf is the cliCommand of a command node.
func commandOf(node *kong.Node) cliCommand {
	c := cliCommand{Name: node.Name, Help: node.Help, Hidden: node.Hidden, Flags: flagsOf(node)}
	if len(node.Children) > 0 {
		sub := cliArg{Name: "COMMAND", Help: "One of: " + strings.Join(subcommands(node), ", ") + ".", Value: cliValue{Kind: kindEnum, Words: subcommands(node)}}
		c.Args = append(c.Args, sub)
	}
	for _, p := range node.Positional {
		c.Args = append(c.Args, cliArg{
			Name:     strings.ToUpper(p.Name),
			Help:     p.Help,
			Optional: !p.Required,
			Repeated: p.IsCumulative(),
			Value:    argValue(p),
		})
	}
	return c
}

// subcommands are the names of a command's visible commands.
func subcommands(node *kong.Node) []string {
	var out []string
	for _, child := range node.Children {
		if !child.Hidden && child.Type == kong.CommandNode {
			out = append(out, child.Name)
		}
	}
	return out
}

// flagsOf is every visible flag a command takes, its ancestors' included.
func flagsOf(node *kong.Node) []cliFlag {
	var flags []cliFlag
	for _, group := range node.AllFlags(true) {
		for _, f := range group {
			flags = append(flags, flagOf(f))
		}
	}
	return flags
}

// flagOf is the cliFlag of a kong flag.
func flagOf(f *kong.Flag) cliFlag {
	c := cliFlag{
		Long: f.Name, Short: f.Short, Help: f.Help, Default: f.Default,
		Envs: f.Envs, Repeatable: f.IsCumulative(),
	}
	if f.IsBool() || f.IsCounter() {
		return c
	}
	c.Placeholder = placeholder(f)
	var v cliValue
	switch {
	case f.Enum != "":
		v = cliValue{Kind: kindEnum, Words: f.EnumSlice()}
	case isFileValue(f.Value, c.Placeholder):
		v.Kind = kindFiles
	}
	c.Value = &v
	return c
}

// placeholder names a flag's value in usage: its placeholder tag, or its
// name in capitals (kong's own shows the default instead, which the man
// page lists apart).
func placeholder(f *kong.Flag) string {
	if f.PlaceHolder != "" {
		return f.PlaceHolder
	}
	return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// argValue is what a positional argument completes to.
func argValue(p *kong.Positional) cliValue {
	switch {
	case p.Enum != "":
		return cliValue{Kind: kindEnum, Words: p.EnumSlice()}
	case slices.Contains(hostArgNames, strings.ToLower(p.Name)):
		return cliValue{Kind: kindHosts}
	case isFileValue(p, ""):
		return cliValue{Kind: kindFiles}
	}
	return cliValue{}
}

// isFileValue reports whether a value names a file: by its kong type or
// its placeholder.
func isFileValue(v *kong.Value, placeholder string) bool {
	switch v.Tag.Type {
	case "path", "existingfile", "existingdir", "filecontent":
		return true
	}
	return placeholder == "FILE" || placeholder == "DIR"
}

// visibleCommands are the commands a user is shown.
func (m *cliModel) visibleCommands() []cliCommand {
	var out []cliCommand
	for _, c := range m.Commands {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// names are the names of commands.
func names(commands []cliCommand) []string {
	out := make([]string, len(commands))
	for i, c := range commands {
		out[i] = c.Name
	}
	return out
}
