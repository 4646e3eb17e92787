package decode_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// TestDeferredVerification: decoding every recording with verification
// deferred, then verifying the messages afterwards in reverse order, gives
// the same messages, byte for byte, as decoding with verification in line.
func TestDeferredVerification(t *testing.T) {
	checked := 0
	for _, path := range corpus(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := decodeJournalLines(t, path)
			msgs := decodeDeferred(t, path)
			for i := len(msgs) - 1; i >= 0; i-- {
				msgs[i].Verify()
				msgs[i].Verify() // a second call changes nothing
			}
			var got bytes.Buffer
			for _, m := range msgs {
				if m.JWS != nil && m.JWS.Verification != "" && m.JWS.Verification != decode.VerifyTruncated {
					checked++
				}
				b, err := json.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				got.Write(b)
				got.WriteByte('\n')
			}
			if !bytes.Equal(want, got.Bytes()) {
				t.Errorf("deferred verification differs:\n%s", messageDiff(want, got.Bytes()))
			}
		})
	}
	if checked < 100 {
		t.Errorf("only %d signatures checked across the corpus", checked)
	}
}

// TestDeferredVerificationPending: until Verify, a deferred message's
// signature is not checked.
func TestDeferredVerificationPending(t *testing.T) {
	msgs := decodeDeferred(t, filepath.Join(recordingsDir, "v2-happy.jsonl"))
	pending := 0
	for _, m := range msgs {
		if m.JWS != nil && m.JWS.KeySource != "" && m.JWS.Verification == "" {
			pending++
		}
	}
	if pending == 0 {
		t.Fatal("no signed message left unchecked by a deferring decoder")
	}
}

func decodeDeferred(t *testing.T, path string) []*decode.Message {
	t.Helper()
	d := decode.NewDecoder()
	d.DeferVerification()
	var msgs []*decode.Message
	journaltest.Each(t, path, func(e *journal.Exchange) { msgs = append(msgs, d.Decode(e)) })
	return msgs
}
