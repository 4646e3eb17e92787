package acme

import (
	"encoding/json"
	"time"
)

// Timestamp is an RFC 3339 date-time as ACME objects carry it ("expires",
// "validated", RFC 8555 §7.1). Raw keeps the text as received; Time is its
// parsed value, zero when Raw does not parse, so one odd field never loses
// the object around it.
type Timestamp struct {
	Time time.Time
	Raw  string
}

// IsZero reports whether the member was absent or empty; with the omitzero
// tag option such a member is left out when marshalling.
func (t Timestamp) IsZero() bool { return t.Raw == "" && t.Time.IsZero() }

// Valid reports whether Raw parsed as an RFC 3339 date-time.
func (t Timestamp) Valid() bool { return !t.Time.IsZero() }

// MarshalJSON writes the received text, or Time in RFC 3339 when Raw is
// empty.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.Raw == "" && !t.Time.IsZero() {
		return json.Marshal(t.Time.Format(time.RFC3339Nano))
	}
	return json.Marshal(t.Raw)
}

// UnmarshalJSON reads a JSON string; it fails only when the value is not a
// string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = ParseTimestamp(s)
	return nil
}

// ParseTimestamp returns s as a Timestamp; Time is zero when s is not an
// RFC 3339 date-time.
func ParseTimestamp(s string) Timestamp {
	ts := Timestamp{Raw: s}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		ts.Time = v
	}
	return ts
}
