package upstream

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh/agent"
)

// AddKeysToAgent is the AddKeysToAgent setting: whether a key unlocked
// from an identity file is added to the agent, after asking (ask), with
// each use confirmed (confirm), and for how long.
type AddKeysToAgent struct {
	Add      bool
	Ask      bool
	Confirm  bool
	Lifetime uint32 // seconds; 0 is the agent's default
}

// parseAddKeysToAgent parses `ssh -G`'s addkeystoagent value: false,
// true, ask, confirm, "confirm SECONDS" or SECONDS alone (yes, with that
// lifetime).
func parseAddKeysToAgent(v string) (AddKeysToAgent, error) {
	word, life, _ := strings.Cut(strings.TrimSpace(v), " ")
	var a AddKeysToAgent
	switch strings.ToLower(word) {
	case "false", "no":
		return a, nil
	case "true", "yes":
		a.Add = true
	case "ask":
		a.Add, a.Ask = true, true
	case "confirm":
		a.Add, a.Confirm = true, true
	default:
		life, a.Add = word, true
	}
	if life != "" {
		n, err := strconv.ParseUint(life, 10, 32)
		if err != nil {
			return a, fmt.Errorf("lifetime %q: %w", life, err)
		}
		a.Lifetime = uint32(n)
	}
	return a, nil
}

// addToAgent adds a key just unlocked to the agent the login uses, as ssh
// does under AddKeysToAgent: after asking for `ask` (an empty answer or
// "yes" agrees, as with ssh's askpass confirmation), with
// ConfirmBeforeUse for `confirm`, and the lifetime. Failures are logged:
// the login goes on with the key either way.
func (k *keyring) addToAgent(id identity, raw any) {
	add := k.cfg.AddKeysToAgent
	if !add.Add || k.agent == nil {
		return
	}
	comment := id.comment // as ssh-add names the key: its comment, else its path
	if comment == "" {
		comment = id.path
	}
	if add.Ask && !k.agreed(fmt.Sprintf("Add key %s (%s) to agent? ", id.path, comment)) {
		k.log.Info("key not added to the agent: the user declined", "path", id.path)
		return
	}
	err := k.agent.Add(agent.AddedKey{PrivateKey: raw, Comment: comment,
		LifetimeSecs: add.Lifetime, ConfirmBeforeUse: add.Confirm})
	if err != nil {
		k.log.Warn("add key to agent", "path", id.path, "err", err)
		return
	}
	k.log.Info("key added to the agent", "path", id.path, "confirm", add.Confirm, "lifetime", add.Lifetime)
}

// agreed asks a yes/no question the way ssh's ask_permission reads it.
func (k *keyring) agreed(prompt string) bool {
	if k.prompter == nil {
		return false
	}
	answers, err := k.prompter.Ask(Question{Prompts: []string{local(prompt)}, Echos: []bool{true}})
	if err != nil || len(answers) != 1 {
		return false
	}
	a := strings.TrimSpace(answers[0])
	return a == "" || strings.EqualFold(a, "yes")
}
