package mux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxPacketSize bounds the body of one packet (the bytes after the length
// word). It is OpenSSH's own limit for packets reaching a master
// (CHANNEL_MUX_MAX_PACKET, 256 KiB, channels.c): a stock client never sends
// more, since what it sends must also fit an SSH packet, and a packet an
// OpenSSH master would refuse is refused here too, before its body is
// allocated.
const MaxPacketSize = 256 << 10

// ErrPacketTooLarge is returned, wrapped, for a packet whose length word
// exceeds MaxPacketSize. Nothing past the length word has been read.
var ErrPacketTooLarge = errors.New("mux packet too large")

// ReadPacket reads one packet from r and returns its body (the message
// type and its fields). It reads exactly the 4-byte length and then the
// body, never more, so r may be the control socket itself: the
// one-byte messages carrying file descriptors that follow a NEW_SESSION or
// NEW_STDIO_FWD packet must stay unread (a plain read of them drops the
// descriptor), and r must not be buffered for the same reason.
//
// An io.EOF before the first byte is returned wrapped, so that
// errors.Is(err, io.EOF) tells a client that left between packets.
func ReadPacket(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("read mux packet length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxPacketSize {
		return nil, fmt.Errorf("read mux packet of %d bytes: %w", n, ErrPacketTooLarge)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read mux packet body of %d bytes: %w", n, err)
	}
	return body, nil
}

// WritePacket writes body as one packet, its length first, in a single
// Write call. It refuses a body over MaxPacketSize, which OpenSSH's own
// master would refuse too.
func WritePacket(w io.Writer, body []byte) error {
	if len(body) > MaxPacketSize {
		return fmt.Errorf("write mux packet of %d bytes: %w", len(body), ErrPacketTooLarge)
	}
	b := make([]byte, 0, 4+len(body))
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	b = append(b, body...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write mux packet: %w", err)
	}
	return nil
}

// The field encodings of §2.1: big-endian uint32; string as a uint32
// length and the bytes, not NUL-terminated; and PROTOCOL.mux's "bool" as a
// whole uint32, not SSH's one byte. A message's layout is the list of
// pointers its fields method returns; a list (*[]string, *[]Extension)
// runs to the end of the packet, so it comes last.

// appendFields appends the fields that fields points at to b.
func appendFields(b []byte, fields []any) []byte {
	for _, f := range fields {
		switch f := f.(type) {
		case *uint32:
			b = appendUint32(b, *f)
		case *ForwardType:
			b = appendUint32(b, uint32(*f))
		case *bool:
			var v uint32
			if *f {
				v = 1
			}
			b = appendUint32(b, v)
		case *string:
			b = appendString(b, *f)
		case *[]string:
			for _, s := range *f {
				b = appendString(b, s)
			}
		case *[]Extension:
			for _, e := range *f {
				b = appendString(appendString(b, e.Name), e.Value)
			}
		default:
			panic(fmt.Sprintf("mux: no encoding for a field of type %T", f))
		}
	}
	return b
}

func appendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func appendString(b []byte, s string) []byte {
	b = appendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// errTruncated is the cause of every decoding error of a known message
// that runs past the end of its packet.
var errTruncated = errors.New("truncated")

// decoder reads fields from a packet body; the first failure sticks, so a
// layout is read whole and err checked once, by Unmarshal.
type decoder struct {
	b   []byte
	err error
}

// fields decodes into what fields points at, the mirror of appendFields.
// A bool is any non-zero word, as OpenSSH's master takes it
// (mux_master_process_new_session); re-encoding writes 1. A list item cut
// short is an error: a truncated Hello extension fails OpenSSH's hello.
func (d *decoder) fields(fields []any) {
	for _, f := range fields {
		switch f := f.(type) {
		case *uint32:
			*f = d.uint32()
		case *ForwardType:
			*f = ForwardType(d.uint32())
		case *bool:
			*f = d.uint32() != 0
		case *string:
			*f = d.string()
		case *[]string:
			for d.err == nil && len(d.b) > 0 {
				*f = append(*f, d.string())
			}
		case *[]Extension:
			for d.err == nil && len(d.b) > 0 {
				*f = append(*f, Extension{Name: d.string(), Value: d.string()})
			}
		default:
			panic(fmt.Sprintf("mux: no decoding for a field of type %T", f))
		}
	}
}

func (d *decoder) uint32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 4 {
		d.err = errTruncated
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

// string checks the length against what is left of the packet before it
// copies, so a forged length allocates nothing.
func (d *decoder) string() string {
	n := d.uint32()
	if d.err != nil {
		return ""
	}
	if uint64(n) > uint64(len(d.b)) {
		d.err = errTruncated
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
