package invoke

import "testing"

func TestPromptRoute(t *testing.T) {
	for _, tc := range []struct {
		env  PromptEnv
		want string
	}{
		{PromptEnv{}, PromptNone},
		{PromptEnv{TTY: true}, PromptTTY},
		{PromptEnv{TTY: true, Askpass: true}, PromptTTY},
		{PromptEnv{TTY: true, Askpass: true, AskpassRequire: "force"}, PromptAskpass},
		{PromptEnv{AskpassRequire: "force"}, PromptNone},
		{PromptEnv{Askpass: true}, PromptNone},
		{PromptEnv{Askpass: true, Display: true}, PromptAskpass},
		{PromptEnv{Askpass: true, AskpassRequire: "prefer"}, PromptAskpass},
		{PromptEnv{Askpass: true, Display: true, AskpassRequire: "never"}, PromptNone},
	} {
		if got := tc.env.Route(); got != tc.want {
			t.Errorf("%+v.Route() = %q; want %q", tc.env, got, tc.want)
		}
	}
}
