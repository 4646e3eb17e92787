package legacyca

import (
	"crypto/x509"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// status is the lifecycle state of a registration, authorization or
// challenge as v1 put it on the wire (acme-reference.md §6.4). Expired
// authorizations are never shown: they answer 404.
type status string

const (
	statusPending     status = "pending"
	statusValid       status = "valid"
	statusInvalid     status = "invalid"
	statusDeactivated status = "deactivated"
	statusRevoked     status = "revoked"
)

// challengeType names the validation methods offered in every authorization.
type challengeType string

const (
	challengeHTTP01 challengeType = "http-01"
	challengeDNS01  challengeType = "dns-01"
)

// offeredChallenges is the order challenges appear in an authorization.
var offeredChallenges = []challengeType{challengeHTTP01, challengeDNS01}

// state is everything the CA remembers; guarded by CA.mu.
type state struct {
	nextRegID       int64
	nextChallengeID int64
	regs            map[int64]*registration
	regsByKey       map[string]*registration // JWK thumbprint → reg
	authzs          map[string]*authorization
	certs           map[string]*certificate // serial hex → cert
}

func newState() state {
	return state{
		nextRegID:       1,
		nextChallengeID: 1,
		regs:            make(map[int64]*registration),
		regsByKey:       make(map[string]*registration),
		authzs:          make(map[string]*authorization),
		certs:           make(map[string]*certificate),
	}
}

// registration is a v1 account, identified by its key.
type registration struct {
	id         int64
	key        *jose.JSONWebKey
	thumbprint string
	contact    []string
	agreement  string
	initialIP  string
	createdAt  time.Time
	status     status
	authzIDs   []string // every authorization created for it, oldest first
}

// authorization is one identifier's authorization for one registration.
type authorization struct {
	id         string
	regID      int64
	identifier string // lower-case DNS name
	status     status
	expires    time.Time
	challenges []*challenge
	validating bool // a validation is in flight
}

// expired reports whether a is past its expiry at now.
func (a *authorization) expired(now time.Time) bool {
	return !now.Before(a.expires)
}

// challenge is one way to prove control of an authorization's identifier.
// Each has its own token, as before Boulder's 2019 "authz2" storage.
type challenge struct {
	id               int64
	typ              challengeType
	token            string
	status           status
	keyAuthorization string
	validated        time.Time
	err              *problem
	record           []validationRecord
}

// certificate is an issued leaf and who asked for it.
type certificate struct {
	serial  string
	der     []byte
	parsed  *x509.Certificate
	regID   int64
	revoked bool
}
