package pep

import "xmppbox/server/stanza"

// pubsubError is a stanza error with a pubsub-specific condition (XEP-0060 §12).
func pubsubError(typ, condition, app string, attrs ...string) stanza.Error {
	return stanza.Error{Type: typ, Condition: condition, App: stanza.New(NSErrors, app, attrs...)}
}

// unsupported is feature-not-implemented for a pubsub feature this service lacks.
func unsupported(feature string) stanza.Error {
	return pubsubError(stanza.Cancel, stanza.FeatureNotImplemented, "unsupported", "feature", feature)
}

var (
	errForbidden = stanza.Error{Type: stanza.Auth, Condition: stanza.Forbidden,
		Text: "only the account owner may change its PEP nodes"}
	errNodeNotFound = stanza.Error{Type: stanza.Cancel, Condition: stanza.ItemNotFound}
	// errNodeRequired is XEP-0060 §7.2.3.3 and §8.2.3.3 (bad-request); node creation uses
	// not-acceptable instead (§8.1.2, no instant nodes).
	errNodeRequired       = pubsubError(stanza.Modify, stanza.BadRequest, "nodeid-required")
	errItemRequired       = pubsubError(stanza.Modify, stanza.BadRequest, "item-required")
	errPayloadRequired    = pubsubError(stanza.Modify, stanza.BadRequest, "payload-required")
	errInvalidPayload     = pubsubError(stanza.Modify, stanza.BadRequest, "invalid-payload")
	errPreconditionNotMet = pubsubError(stanza.Cancel, stanza.Conflict, "precondition-not-met")
	// The access-model refusals of XEP-0060 §6.5.9.
	errPresenceRequired = pubsubError(stanza.Auth, stanza.NotAuthorized, "presence-subscription-required")
	errNotInRosterGroup = pubsubError(stanza.Auth, stanza.NotAuthorized, "not-in-roster-group")
	errClosedNode       = pubsubError(stanza.Cancel, stanza.NotAllowed, "closed-node")
)
