// Package api is the local admin API: HTTP over a unix socket in the data directory
// (DATA/admin.sock, mode 0600), so the CLI can manage a running server, since Badger lets
// only one process open the store.
//
// Routes are versioned (/api/v0/...); request and response bodies are in admin/apitype.
// Errors travel as {"error": "..."} with a status code, and [Client] turns them back into
// *[Error] values that match fs.ErrNotExist, fs.ErrExist, admin.ErrInvalid or
// admin.ErrForbidden with errors.Is.
//
// Every request acts as the box's operator (admin.AsOperator): only the owner of the data
// directory can reach the socket.
//
// Requests carrying an Origin or Referer header are refused: they come from a browser,
// which has no business here (and could be driven by a hostile page if the socket were ever
// exposed through a proxy).
package api
