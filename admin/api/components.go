package api

import (
	"context"
	"net/http"
	"net/url"

	"xmppbox/admin"
	"xmppbox/admin/apitype"
)

// The component endpoints: handlers first, then the Client methods that call them.

func (s *Server) listComponents(w http.ResponseWriter, r *http.Request) error {
	l, err := s.backend.ListComponents(r.Context())
	if err != nil {
		return err
	}
	out := apitype.ComponentList{Components: make([]apitype.Component, 0, len(l))}
	for _, c := range l {
		out.Components = append(out.Components, apitype.Component{Domain: c.Domain, Connected: c.Connected})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) addComponent(w http.ResponseWriter, r *http.Request) error {
	var req apitype.AddComponentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := s.backend.AddComponent(r.Context(), req.Domain, req.Secret)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apitype.Component{Domain: d})
}

func (s *Server) deleteComponent(w http.ResponseWriter, r *http.Request) error {
	d, err := s.backend.DeleteComponent(r.Context(), r.PathValue("domain"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitype.Component{Domain: d})
}

// AddComponent configures an external component; see admin.Service.AddComponent.
func (c *Client) AddComponent(ctx context.Context, domain, secret string) (string, error) {
	var out apitype.Component
	err := c.do(ctx, http.MethodPost, "/components", apitype.AddComponentRequest{Domain: domain, Secret: secret}, &out)
	return out.Domain, err
}

// ListComponents returns the configured components; see admin.Service.ListComponents.
func (c *Client) ListComponents(ctx context.Context) ([]admin.Component, error) {
	var l apitype.ComponentList
	if err := c.do(ctx, http.MethodGet, "/components", nil, &l); err != nil {
		return nil, err
	}
	out := make([]admin.Component, 0, len(l.Components))
	for _, x := range l.Components {
		out = append(out, admin.Component{Domain: x.Domain, Connected: x.Connected})
	}
	return out, nil
}

// DeleteComponent removes a component and disconnects it; see admin.Service.DeleteComponent.
func (c *Client) DeleteComponent(ctx context.Context, domain string) (string, error) {
	var out apitype.Component
	err := c.do(ctx, http.MethodDelete, "/components/"+url.PathEscape(domain), nil, &out)
	return out.Domain, err
}
