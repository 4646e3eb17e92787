package journal

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) is the
// interchange format of browsers, mitmproxy and ZAP. WriteHAR exports a
// journal to it and ReadHAR imports it, both streaming one entry at a time.
//
// HAR cannot hold everything a journal does: request bodies have no
// encoding field (postData.text is a string), there is no sequence number,
// connection id, proxy mode or exact end time. WriteHAR therefore adds an
// "_acmeproxy" member to the log (the journal Header) and to each entry
// (harExt); ReadHAR prefers those members when present, so that
// journal → HAR → journal gives back the same exchanges. Tools that do not
// know the members ignore them, as HAR 1.2 requires of custom fields.
//
// Bodies are exported as recorded: a response with a Content-Encoding is
// exported still encoded (in base64), where browsers would show the
// decoded text.

// harVersion is the HAR version WriteHAR writes.
const harVersion = "1.2"

// ErrNotHAR is wrapped by the error ReadHAR returns for input that is not
// a HAR document.
var ErrNotHAR = errors.New("not a HAR file")

// ErrBadEntry is wrapped by the *EntryError that (*HARReader).Next returns
// for an entry that is well-formed JSON but cannot be turned into an
// Exchange. Reading can go on past such an entry.
var ErrBadEntry = errors.New("bad HAR entry")

// EntryError reports a HAR entry, counted from 1, that could not be read.
type EntryError struct {
	File  string
	Entry int
	Err   error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%s: entry %d: %v", e.File, e.Entry, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// harExt is the "_acmeproxy" member of an exported entry: what a journal
// Exchange holds and HAR cannot.
type harExt struct {
	Seq  uint64 `json:"seq"`
	Conn uint64 `json:"conn"`
	Mode string `json:"mode,omitempty"`
	// End is the exact end time; HAR's "time" is in milliseconds.
	End   time.Time `json:"end"`
	Error string    `json:"error,omitempty"`
	// NoResponse marks an exchange without a response; the HAR entry then
	// has status 0.
	NoResponse bool `json:"no_response,omitempty"`
	// RequestBody describes the request body. Its Data is present only
	// when postData.text cannot hold the bytes exactly (not UTF-8).
	RequestBody Body `json:"request_body"`
	// ResponseBody describes the response body; its Data is in
	// content.text and never repeated here.
	ResponseBody *Body `json:"response_body,omitempty"`
}

// isText reports whether b can be exported as HAR text unchanged: valid
// UTF-8 without control characters other than tab, CR and LF.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// timeLayouts are the startedDateTime spellings ReadHAR accepts: RFC 3339
// with or without fractional seconds (browsers, mitmproxy, ZAP), and the
// same without a zone, taken as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05.999999999 -0700",
}

// parseHARTime reads a startedDateTime value.
func parseHARTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		// RFC 3339 (and so a journal) cannot hold offsets of a day or more.
		if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
			return time.Time{}, fmt.Errorf("startedDateTime %q has an offset out of range", s)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("startedDateTime %q is not an ISO 8601 date-time", s)
}
