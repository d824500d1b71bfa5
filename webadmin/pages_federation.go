package webadmin

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"

	"xmppbox/admin"
	"xmppbox/server/s2s"
)

// maxDomainBytes bounds a domain in the forms (RFC 7622 §3.2: a domainpart has at most
// 1023 bytes); the Backend checks the rest.
const maxDomainBytes = 1023

type federationData struct {
	Peers      []peerRow
	Components []admin.Component
	Policies   []policyChoice
	// Added is the component just added, with its secret: shown this once, never stored
	// by the page.
	Added *addedComponent
}

type peerRow struct {
	admin.PeerStatus
	LinkRows []linkRow
}

type linkRow struct {
	s2s.LinkInfo
	// Failure: not a link but the last failure to make one (s2s.Manager.Links reports
	// those with only Remote and LastError).
	Failure  bool
	CertLeft string // "in 20 days"; "" when the expiry is unknown
}

type addedComponent struct{ Domain, Secret string }

// policyChoice is one choice of a peer's policy.
type policyChoice struct{ Value, Label, Help string }

var peerPolicies = []policyChoice{
	{"", "Default", "the [s2s] policy of the configuration file applies."},
	{string(s2s.RequireValidCert), string(s2s.RequireValidCert),
		"the server must show a certificate valid for its domain, from the CA given above or from one this box trusts. The safest choice."},
	{string(s2s.DialbackOK), string(s2s.DialbackOK),
		"also accepts the server when its certificate cannot be verified, if Server Dialback proves through DNS that it speaks for its domain. For servers without a proper certificate."},
}

// federationPage lists the peers with their links, and the components.
func (h *Handler) federationPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showFederation(w, r, v, http.StatusOK, nil, nil)
}

func (h *Handler) showFederation(w http.ResponseWriter, r *http.Request, v viewer, status int, added *addedComponent, errs map[string]string) {
	peers, err := h.backend.ListPeers(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	comps, err := h.backend.ListComponents(r.Context())
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := federationData{Components: comps, Policies: peerPolicies, Added: added}
	now := h.now()
	for _, p := range peers {
		row := peerRow{PeerStatus: p}
		for _, l := range p.Links {
			lr := linkRow{LinkInfo: l, Failure: l.LastError != "" && l.TLSVersion == "" && l.Since.IsZero()}
			if !l.CertExpiry.IsZero() {
				lr.CertLeft = relative(l.CertExpiry, now)
			}
			row.LinkRows = append(row.LinkRows, lr)
		}
		d.Peers = append(d.Peers, row)
	}
	p := newPage(v, "Federation", "/federation")
	p.Errors = errs
	p.Error = errs[""]
	if r.Method == http.MethodPost && added == nil {
		p.Form = r.PostForm
	}
	p.Data = d
	h.render(w, r, status, "federation", p)
}

// peerAdd configures a peer, or replaces the configuration of its domain.
func (h *Handler) peerAdd(w http.ResponseWriter, r *http.Request, v viewer) {
	c, err := peerConfig(r)
	if err == nil {
		var done string
		if done, err = h.addPeer(r, c); err == nil {
			h.done(w, r, v, "/federation", done)
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showFederation(w, r, v, status, nil, map[string]string{"add-peer": text})
}

// addPeer stores c and says what it did. The list before tells adding from updating, as
// "xmppbox peer add" does; a race with another administrator only changes that word.
func (h *Handler) addPeer(r *http.Request, c s2s.PeerConfig) (string, error) {
	before, err := h.backend.ListPeers(r.Context())
	if err != nil {
		return "", err
	}
	c, err = h.backend.AddPeer(r.Context(), c)
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(before, func(p admin.PeerStatus) bool { return p.Configured && p.Domain == c.Domain }) {
		return "Updated the server " + c.Domain + ": the next link with it uses the new settings.", nil
	}
	return "Added the server " + c.Domain + ".", nil
}

// peerConfig reads the form for a peer. The Backend checks the values; this only catches
// what needs no knowledge of them.
func peerConfig(r *http.Request) (s2s.PeerConfig, error) {
	f := r.PostForm
	c := s2s.PeerConfig{
		Domain: strings.TrimSpace(f.Get("domain")),
		Addr:   strings.TrimSpace(f.Get("addr")),
		// Browsers send a textarea's lines ending in CRLF.
		CAPEM:  strings.TrimSpace(strings.ReplaceAll(f.Get("ca_pem"), "\r\n", "\n")),
		Policy: s2s.Policy(f.Get("policy")),
	}
	switch {
	case c.Domain == "":
		return c, inputError("Enter the domain of the other server, such as other.example.org.")
	case len(c.Domain) > maxDomainBytes:
		return c, inputError("The domain is too long.")
	case !slices.ContainsFunc(peerPolicies, func(p policyChoice) bool { return p.Value == string(c.Policy) }):
		return c, inputError("Choose a policy from the list.")
	}
	if c.CAPEM != "" {
		c.CAPEM += "\n"
	}
	return c, nil
}

// peerDelete removes a configured peer, once the confirmation box is ticked.
func (h *Handler) peerDelete(w http.ResponseWriter, r *http.Request, v viewer) {
	domain := strings.TrimSpace(r.PostForm.Get("domain"))
	var err error
	switch {
	case domain == "" || len(domain) > maxDomainBytes:
		err = inputError("The form did not say which server.")
	case r.PostForm.Get("confirm") != "yes":
		err = inputErrorf("Tick the box to confirm that the server %s should be deleted.", domain)
	default:
		if err = h.backend.DeletePeer(r.Context(), domain); err == nil {
			h.done(w, r, v, "/federation", "Deleted the server "+domain+".")
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showFederation(w, r, v, status, nil, map[string]string{"": text})
}

// componentAdd configures a component with a secret the page makes, and shows the secret
// right away: this is the only time it is shown.
func (h *Handler) componentAdd(w http.ResponseWriter, r *http.Request, v viewer) {
	domain := strings.TrimSpace(r.PostForm.Get("component"))
	var err error
	switch {
	case domain == "":
		err = inputError("Enter the domain of the gateway, such as irc." + h.domain + ".")
	case len(domain) > maxDomainBytes:
		err = inputError("The domain is too long.")
	default:
		// As "xmppbox component add" makes them: 130 random bits in 26 letters and
		// digits, which any component's configuration file can hold.
		secret := rand.Text()
		var d string
		if d, err = h.backend.AddComponent(r.Context(), domain, secret); err == nil {
			h.showFederation(w, r, v, http.StatusOK, &addedComponent{Domain: d, Secret: secret}, nil)
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showFederation(w, r, v, status, nil, map[string]string{"add-component": text})
}

// componentDelete removes a component and ends its stream, once the confirmation box is
// ticked.
func (h *Handler) componentDelete(w http.ResponseWriter, r *http.Request, v viewer) {
	domain := strings.TrimSpace(r.PostForm.Get("component"))
	var err error
	switch {
	case domain == "" || len(domain) > maxDomainBytes:
		err = inputError("The form did not say which gateway.")
	case r.PostForm.Get("confirm") != "yes":
		err = inputErrorf("Tick the box to confirm that the gateway %s should be deleted.", domain)
	default:
		var d string
		if d, err = h.backend.DeleteComponent(r.Context(), domain); err == nil {
			h.done(w, r, v, "/federation", "Deleted the gateway "+d+": its secret no longer works.")
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showFederation(w, r, v, status, nil, map[string]string{"": text})
}
