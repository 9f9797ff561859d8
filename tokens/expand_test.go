package tokens

import (
	"errors"
	"os"
	"os/user"
	"strings"
	"testing"
)

// testValues are fixed Values; their %C was computed by ssh -G for the same
// %l %h %p %r.
var testValues = Values{
	RemoteUser: "bob",
	Host:       "myhost.example.com",
	Port:       "2222",
	Alias:      "MyHost",
	LocalUser:  "alice",
	Home:       "/home/alice",
	UID:        "1000",
	LocalHost:  "vm",
	ShortHost:  "vm",
}

const testConnHash = "c414beb146127557cebd62e89a591e8eef96f2aa"

func TestExpand(t *testing.T) {
	dotted := testValues
	dotted.LocalHost, dotted.ShortHost = "laptop.lan.example", ""
	noAlias := testValues
	noAlias.Alias = ""
	keyAlias := testValues
	keyAlias.HostKeyAlias = "key-alias"
	rootHome := testValues
	rootHome.Home = "/"
	slashHome := testValues
	slashHome.Home = "/home/alice/"
	t.Setenv("SSHSHARE_TEST_VAR", "/var dir")
	t.Setenv("SSHSHARE_TEST_TOKENS", "%r~${SSHSHARE_TEST_VAR}")

	tests := []struct {
		name, template string
		v              Values
		want           string
	}{
		{"plain", "/tmp/sock", testValues, "/tmp/sock"},
		{"empty", "", testValues, ""},
		{"default", DefaultControlPath, testValues, "/home/alice/.ssh/sshshare/bob@myhost.example.com-2222"},
		{"remote tokens", "%r@%h:%p", testValues, "bob@myhost.example.com:2222"},
		{"local tokens", "%u %i %d %l %L", testValues, "alice 1000 /home/alice vm vm"},
		{"conn hash", "%C", testValues, testConnHash},
		{"percent", "%%%%r%%", testValues, "%%r%"},
		{"alias", "%n %k", testValues, "MyHost MyHost"},
		{"alias defaults to host", "%n %k", noAlias, "myhost.example.com myhost.example.com"},
		{"key alias", "%n %k", keyAlias, "MyHost key-alias"},
		{"short host derived", "%l %L", dotted, "laptop.lan.example laptop"},
		{"tilde", "~", testValues, "/home/alice/"},
		{"tilde slash", "~/", testValues, "/home/alice/"},
		{"tilde path", "~/x/%r", testValues, "/home/alice/x/bob"},
		{"tilde extra slashes", "~///x//y", testValues, "/home/alice/x//y"},
		{"tilde root home", "~/x", rootHome, "/x"},
		{"tilde home with slash", "~/x", slashHome, "/home/alice/x"},
		{"tilde not leading", "/a/~/b~", testValues, "/a/~/b~"},
		{"env", "${SSHSHARE_TEST_VAR}/%r", testValues, "/var dir/bob"},
		{"env value is literal", "${SSHSHARE_TEST_TOKENS}", testValues, "%r~${SSHSHARE_TEST_VAR}"},
		{"dollar without brace", "$HOME/$", testValues, "$HOME/$"},
		{"brace after percent", "$%%{x}", testValues, "$%{x}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.template, tt.v)
			if err != nil || got != tt.want {
				t.Errorf("Expand(%q): got %q, %v; want %q", tt.template, got, err, tt.want)
			}
		})
	}
}

func TestExpandTildeUser(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	home := strings.TrimSuffix(me.HomeDir, "/")
	tests := []struct{ template, want string }{
		{"~" + me.Username, home + "/"},
		{"~" + me.Username + "/", home + "/"},
		{"~" + me.Username + "//%r", home + "/bob"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			got, err := Expand(tt.template, testValues)
			if err != nil || got != tt.want {
				t.Errorf("Expand(%q): got %q, %v; want %q", tt.template, got, err, tt.want)
			}
		})
	}
}

// TestExpandTilde: only the leading ~ is expanded; tokens stay as written.
func TestExpandTilde(t *testing.T) {
	tests := []struct{ path, want string }{
		{"~/.ssh/sshshare/known_hosts", "/home/alice/.ssh/sshshare/known_hosts"},
		{"~//x_%h", "/home/alice/x_%h"},
		{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts"},
		{"a~b", "a~b"},
	}
	for _, tt := range tests {
		got, err := ExpandTilde(tt.path, testValues)
		if err != nil || got != tt.want {
			t.Errorf("ExpandTilde(%q): got %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
	if _, err := ExpandTilde("~nosuchuser-sshshare/x", testValues); err == nil {
		t.Error("ExpandTilde(~nosuchuser-sshshare/x): no error")
	}
}

func TestExpandErrors(t *testing.T) {
	_ = os.Unsetenv("SSHSHARE_TEST_UNSET")
	t.Setenv("SSHSHARE_TEST_VAR", "v")
	noHome := testValues
	noHome.Home = ""
	tests := []struct {
		name, template string
		v              Values
		want           string // the whole message
	}{
		{"unknown token", "~/%z", testValues, `unknown token %z in "~/%z"`},
		{"unknown token after env", "${SSHSHARE_TEST_VAR}%j", testValues, `unknown token %j in "${SSHSHARE_TEST_VAR}%j"`},
		{"unknown non-ASCII token", "%é", testValues, `unknown token %é in "%é"`},
		{"unknown control token", "%\n", testValues, `unknown token "%\n" in "%\n"`},
		{"unknown invalid UTF-8 token", "%\xff", testValues, `unknown token "%\xff" in "%\xff"`},
		{"percent dollar", "%${HOME}", testValues, `unknown token %$ in "%${HOME}"`},
		{"lone percent", "/s/%r%", testValues, `lone % at the end in "/s/%r%"`},
		{"only percent", "%", testValues, `lone % at the end in "%"`},
		{"unset env", "/${SSHSHARE_TEST_UNSET}/x", testValues,
			`env var ${SSHSHARE_TEST_UNSET} has no value in "/${SSHSHARE_TEST_UNSET}/x"`},
		{"unclosed env", "${HOME", testValues, `env var ${HOME missing closing '}' in "${HOME"`},
		{"empty env name", "a${}", testValues, `empty env var name ${} in "a${}"`},
		{"tilde without home", "~/x", noHome, `~ with no home directory in "~/x"`},
		{"NUL", "/a\x00b", testValues, `NUL byte in "/a\x00b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.template, tt.v)
			var te *TemplateError
			if !errors.As(err, &te) || te.Template != tt.template {
				t.Fatalf("Expand(%q): got %q, %v; want a *TemplateError", tt.template, got, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Expand(%q): got error %q; want %q", tt.template, err, tt.want)
			}
		})
	}
}

func TestExpandUnknownUser(t *testing.T) {
	const template = "~sshshare-no-such-user/x"
	_, err := Expand(template, testValues)
	var unknown user.UnknownUserError
	if !errors.As(err, &unknown) {
		t.Fatalf("Expand(%q): got %v; want a user.UnknownUserError", template, err)
	}
	if want := `expand ~sshshare-no-such-user in "` + template + `": `; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Expand(%q): got error %q; want it to start with %q", template, err, want)
	}
}

func TestExpandNULInValue(t *testing.T) {
	v := testValues
	v.RemoteUser = "b\x00b"
	if got, err := Expand("%r", v); err == nil {
		t.Errorf("Expand with a NUL in %%r: got %q; want an error", got)
	}
}

func TestLocal(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	v, err := Local("bob", "host", "22", "")
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	want := Values{
		RemoteUser: "bob", Host: "host", Port: "22",
		LocalUser: me.Username, Home: me.HomeDir, UID: me.Uid,
		LocalHost: hostname, ShortHost: strings.Split(hostname, ".")[0],
	}
	if v != want {
		t.Errorf("Local: got %+v; want %+v", v, want)
	}
}

// TestExpandTokens: no ~ expansion, and extra tokens take precedence over
// the common ones.
func TestExpandTokens(t *testing.T) {
	v := Values{Host: "h", Port: "22", RemoteUser: "r"}
	got, err := ExpandTokens("~/%h %H %p %%", v, map[byte]string{'H': "[h]:2", 'p': "x"})
	if want := "~/h [h]:2 x %"; err != nil || got != want {
		t.Errorf("ExpandTokens = %q, %v; want %q", got, err, want)
	}
	if _, err := ExpandTokens("%H", v, nil); err == nil {
		t.Error("%H without extra tokens: got nil error; want unknown token")
	}
}
