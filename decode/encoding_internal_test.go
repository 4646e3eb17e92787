package decode

import (
	"encoding/json"
	"testing"
)

// jsonString agrees with encoding/json on every string, taking its
// shortcut only for plain ones, and refuses every other value (null too,
// which encoding/json would take as an empty string).
func TestJSONString(t *testing.T) {
	for _, raw := range []string{
		`"ES256"`, `""`, `"https://ca.example/acme/new-order"`, `"a\"b"`, `"a\\b"`, `"\u00e9t\u00e9"`, `"été"`,
		`"tab\tx"`, `"\ud83d\ude00"`, "\"\x7f\"", `"\/"`, `12`, `null`, `true`, `{"a":"b"}`, `["x"]`, `"`, ``,
	} {
		var want string
		wantOK := len(raw) > 0 && raw[0] == '"' && json.Unmarshal([]byte(raw), &want) == nil
		got, ok := jsonString([]byte(raw))
		if ok != wantOK || got != want {
			t.Errorf("jsonString(%s) = %q, %v; encoding/json: %q, %v", raw, got, ok, want, wantOK)
		}
	}
}
