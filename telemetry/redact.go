package telemetry

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// challengePath is the path prefix of http-01 validation requests.
// RFC 8555 §8.3
const challengePath = "/.well-known/acme-challenge/"

// redactMarker starts every replacement; eight hex digits follow it.
const redactMarker = "REDACTED-"

// thumbprintLen is the length of a base64url SHA-256 JWK thumbprint, the
// part of a key authorization after the dot. RFC 8555 §8.1, RFC 7638
const thumbprintLen = 43

// minTokenLen is the shortest token taken for one: 128 bits of entropy in
// base64url. RFC 8555 §8.3
const minTokenLen = 22

// RedactURL returns u with the secrets of http-01 validation hidden:
//
//   - the token after /.well-known/acme-challenge/ (up to the next "/",
//     "?", "#" or character that cannot be in a URL), and
//   - every key authorization, token "." thumbprint (RFC 8555 §8.1), found
//     anywhere in u, so it also serves for response bodies,
//
// are each replaced by "REDACTED-" and the first eight hex digits of the
// SHA-256 of the token. The same token therefore always gives the same
// text, in a challenge URL and in its key authorization alike, and log
// lines can be correlated without showing it. Tokens are random (at least
// 128 bits, RFC 8555 §8.3), so the 32-bit hash does not reveal them.
// Anything else in u is kept as it is; RedactURL(RedactURL(u)) equals
// RedactURL(u).
func RedactURL(u string) string {
	if !strings.Contains(u, challengePath) && !strings.Contains(u, ".") {
		return u
	}
	return redactKeyAuthorizations(redactChallengePaths(u))
}

// redactChallengePaths replaces the token of every challenge path in s.
func redactChallengePaths(s string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, challengePath)
		if i < 0 {
			break
		}
		i += len(challengePath)
		b.WriteString(rest[:i])
		rest = rest[i:]
		n := 0
		for n < len(rest) && tokenPathByte(rest[n]) {
			n++
		}
		token := rest[:n]
		if n > 0 && !isMarker(token) {
			token = redacted(token)
		}
		b.WriteString(token)
		rest = rest[n:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

// tokenPathByte reports whether c can be part of a path segment: any
// printable ASCII but the delimiters that end it and the characters that
// end a URL in running text.
func tokenPathByte(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	return !strings.ContainsRune(`/?#"'<>\`+"`", rune(c))
}

// redactKeyAuthorizations replaces every key authorization in s: a maximal
// run of base64url characters and dots that is exactly TOKEN.THUMBPRINT
// once dots at its ends are set aside. Runs with more dots (a compact JWS,
// a host name) are left alone.
func redactKeyAuthorizations(s string) string {
	var b strings.Builder
	last := 0 // s[:last] is in b
	for i := 0; i < len(s); {
		if !keyAuthByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && keyAuthByte(s[j]) {
			j++
		}
		// Dots around the run are punctuation, as in "… TOKEN.THUMB."
		start, end := i, j
		for start < end && s[start] == '.' {
			start++
		}
		for end > start && s[end-1] == '.' {
			end--
		}
		if token, ok := splitKeyAuthorization(s[start:end]); ok {
			b.WriteString(s[last:start])
			b.WriteString(redacted(token))
			last = end
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func keyAuthByte(c byte) bool { return base64URLByte(c) || c == '.' }

func base64URLByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// splitKeyAuthorization returns the token of run when run has the shape of
// a key authorization.
func splitKeyAuthorization(run string) (string, bool) {
	token, thumb, ok := strings.Cut(run, ".")
	if !ok || len(thumb) != thumbprintLen || len(token) < minTokenLen || strings.Contains(thumb, ".") {
		return "", false
	}
	return token, true
}

// redacted is the replacement text for token.
func redacted(token string) string {
	sum := sha256.Sum256([]byte(token))
	return redactMarker + hex.EncodeToString(sum[:4])
}

// isMarker reports whether s is already a replacement.
func isMarker(s string) bool {
	if len(s) != len(redactMarker)+8 || !strings.HasPrefix(s, redactMarker) {
		return false
	}
	_, err := hex.DecodeString(s[len(redactMarker):])
	return err == nil
}
