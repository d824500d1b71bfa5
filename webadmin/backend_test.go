package webadmin

import "xmppbox/admin"

// The control plane is the Backend the server wires in.
var _ Backend = (*admin.Service)(nil)
