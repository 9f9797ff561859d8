package share

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// socksConn is a client's side of a SOCKS exchange as the master sees it:
// what the client sent, and what the master wrote back.
type socksConn struct {
	io.Reader
	out bytes.Buffer
}

func (c *socksConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// socks5Greeting offers the no-authentication method only.
var socks5Greeting = []byte{5, 1, 0}

// socks5Request is a SOCKS5 request of cmd for an address of type typ.
func socks5Request(cmd, typ byte, addr []byte, port uint16) []byte {
	b := append([]byte{5, cmd, 0, typ}, addr...)
	return append(b, byte(port>>8), byte(port))
}

// join concatenates byte slices.
func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestReadSocksRequest(t *testing.T) {
	methodOK := []byte{5, 0}
	tests := []struct {
		name    string
		in      []byte
		want    socksRequest
		reply   []byte // what the master writes while reading
		wantErr string
	}{
		{"socks4", []byte{4, 1, 0, 80, 10, 0, 0, 1, 'u', 0},
			socksRequest{4, "10.0.0.1", 80}, nil, ""},
		{"socks4a", []byte{4, 1, 0x1f, 0x90, 0, 0, 0, 1, 0, 'd', 'b', '.', 'i', 'n', 't', 'e', 'r', 'n', 0},
			socksRequest{4, "db.intern", 8080}, nil, ""},
		{"socks4 bind", []byte{4, 2, 0, 80, 10, 0, 0, 1, 0},
			socksRequest{}, []byte{0, 91, 0, 0, 0, 0, 0, 0}, "socks4 command 2 not supported"},
		{"socks4 user id too long", join([]byte{4, 1, 0, 80, 10, 0, 0, 1}, bytes.Repeat([]byte{'u'}, 300), []byte{0}),
			socksRequest{}, nil, "longer than 255"},
		{"socks5 domain", join(socks5Greeting, socks5Request(1, 3, append([]byte{11}, "example.com"...), 443)),
			socksRequest{5, "example.com", 443}, methodOK, ""},
		{"socks5 ipv4", join(socks5Greeting, socks5Request(1, 1, []byte{192, 0, 2, 7}, 22)),
			socksRequest{5, "192.0.2.7", 22}, methodOK, ""},
		{"socks5 ipv6", join(socks5Greeting, socks5Request(1, 4, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}, 22)),
			socksRequest{5, "2001:db8::1", 22}, methodOK, ""},
		{"socks5 among methods", join([]byte{5, 3, 2, 1, 0}, socks5Request(1, 3, append([]byte{1}, 'h'), 1)),
			socksRequest{5, "h", 1}, methodOK, ""},
		{"socks5 authentication only", []byte{5, 1, 2},
			socksRequest{}, []byte{5, 0xff}, "no method without authentication"},
		{"socks5 bind", join(socks5Greeting, socks5Request(2, 1, []byte{192, 0, 2, 7}, 22)),
			socksRequest{}, join(methodOK, []byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0}), "socks5 command 2 not supported"},
		{"socks5 udp associate", join(socks5Greeting, socks5Request(3, 1, []byte{0, 0, 0, 0}, 0)),
			socksRequest{}, join(methodOK, []byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0}), "socks5 command 3 not supported"},
		{"socks5 unknown address type", join(socks5Greeting, []byte{5, 1, 0, 9}),
			socksRequest{}, join(methodOK, []byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0}), "unknown socks5 address type 9"},
		{"socks5 truncated", join(socks5Greeting, []byte{5, 1, 0, 3, 20, 'a'}),
			socksRequest{}, methodOK, "read socks5 host name"},
		{"socks5 wrong request version", join(socks5Greeting, []byte{4, 1, 0, 1}),
			socksRequest{}, methodOK, "socks5 request of version 4"},
		{"http", []byte("GET / HTTP/1.1\r\n"), socksRequest{}, nil, "unknown socks version 71"},
		{"empty", nil, socksRequest{}, nil, "read socks version: EOF"},
		{"socks4 truncated", []byte{4, 1, 0, 80, 10, 0}, socksRequest{}, nil, "read socks4 request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := tt.in
			if tt.wantErr == "" {
				sent = append(sent, "rest"...)
			}
			in := bytes.NewReader(sent)
			c := &socksConn{Reader: in}
			got, err := readSocksRequest(c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %+v, %v; want an error containing %q", got, err, tt.wantErr)
				}
			} else {
				if err != nil || got != tt.want {
					t.Errorf("got %+v, %v; want %+v, nil", got, err, tt.want)
				}
				if rest, _ := io.ReadAll(in); string(rest) != "rest" {
					t.Errorf("left unread: got %q; want %q (nothing past the request read)", rest, "rest")
				}
			}
			if !bytes.Equal(c.out.Bytes(), tt.reply) {
				t.Errorf("written: got %v; want %v", c.out.Bytes(), tt.reply)
			}
		})
	}
}

func TestSocksAnswer(t *testing.T) {
	refused := &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "Connection refused"}
	prohibited := &ssh.OpenChannelError{Reason: ssh.Prohibited}
	tests := []struct {
		name    string
		version byte
		err     error
		want    []byte
	}{
		{"socks4 granted", 4, nil, []byte{0, 90, 0, 0, 0, 0, 0, 0}},
		{"socks4 rejected", 4, refused, []byte{0, 91, 0, 0, 0, 0, 0, 0}},
		{"socks5 succeeded", 5, nil, []byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}},
		{"socks5 refused", 5, refused, []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}},
		{"socks5 prohibited", 5, prohibited, []byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0}},
		{"socks5 upstream lost", 5, errors.New("upstream stopped answering"), []byte{5, 1, 0, 1, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := (socksRequest{version: tt.version}).answer(&out, tt.err); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), tt.want) {
				t.Errorf("got %v; want %v", out.Bytes(), tt.want)
			}
		})
	}
}

// FuzzSocksRequest: any bytes give a request or an error, never a panic,
// and a request names a host.
func FuzzSocksRequest(f *testing.F) {
	f.Add([]byte{4, 1, 0, 80, 10, 0, 0, 1, 'u', 0})
	f.Add([]byte{4, 1, 0, 80, 0, 0, 0, 1, 0, 'h', 0})
	f.Add(join(socks5Greeting, socks5Request(1, 3, append([]byte{1}, 'h'), 1)))
	f.Add(join(socks5Greeting, socks5Request(1, 4, make([]byte, 16), 1)))
	f.Fuzz(func(t *testing.T, in []byte) {
		req, err := readSocksRequest(&socksConn{Reader: bytes.NewReader(in)})
		if err == nil && req.version != 4 && req.version != 5 {
			t.Errorf("got %+v with no error; want version 4 or 5", req)
		}
	})
}
