package apitype

// Component is one external component (XEP-0114): an item of ComponentList, and the
// response to POST /api/v0/components and DELETE /api/v0/components/{domain}.
type Component struct {
	Domain    string `json:"domain"`    // normalised
	Connected bool   `json:"connected"` // connected to the running server now
}

// ComponentList is the response to GET /api/v0/components, and the shape of
// `component list --json`.
type ComponentList struct {
	Components []Component `json:"components"` // sorted by domain; never null
}

// AddComponentRequest is the body of POST /api/v0/components.
type AddComponentRequest struct {
	Domain string `json:"domain"`
	Secret string `json:"secret"` // the shared secret; at least 16 bytes
}
