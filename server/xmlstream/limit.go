package xmlstream

import (
	"errors"
	"io"
)

// errOverLimit is returned by limitReader once the current budget is spent. The decoder
// passes it up unchanged, and Reader turns it into a policy-violation stream error.
var errOverLimit = errors.New("xmlstream: read limit reached")

// limitReader sits under the bufio.Reader and counts every byte taken from the
// connection. Reader moves limit forward at each top-level element; because the buffer
// above reads at most its own size ahead of the decoder, refusing to read past limit caps
// what the decoder can hold for one token, however the peer shapes its input.
type limitReader struct {
	r     io.Reader
	n     int64 // bytes read from r so far
	limit int64 // Read fails with errOverLimit once n reaches it
	eof   bool  // r returned io.EOF

	// record keeps a copy of what is read while Header runs, so the header can be replayed
	// into a fresh decoder (see Reader.renewDecoder). nil when not recording.
	record []byte
}

// readError marks an error of the underlying reader, so Reader can tell it apart from
// errors the decoder makes up, and return it unchanged in kind.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

func (lr *limitReader) Read(p []byte) (int, error) {
	if lr.n >= lr.limit {
		return 0, errOverLimit
	}
	if rest := lr.limit - lr.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := lr.r.Read(p)
	lr.n += int64(n)
	if lr.record != nil {
		lr.record = append(lr.record, p[:n]...)
	}
	switch {
	case err == nil:
	case err == io.EOF:
		lr.eof = true
	default:
		err = &readError{err}
	}
	return n, err
}
