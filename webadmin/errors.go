package webadmin

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"xmppbox/admin"
)

// inputError is a mistake in a form that this package finds itself. Its text is a
// sentence for the person who filled the form in; it counts as admin.ErrInvalid.
type inputError string

func (e inputError) Error() string        { return string(e) }
func (e inputError) Is(target error) bool { return target == admin.ErrInvalid }

func inputErrorf(format string, args ...any) error {
	return inputError(fmt.Sprintf(format, args...))
}

// statusOf is the HTTP status for an error from the Backend, following admin's kinds.
func statusOf(err error) int {
	switch {
	case errors.Is(err, admin.ErrForbidden), errors.Is(err, fs.ErrPermission):
		return http.StatusForbidden
	case errors.Is(err, admin.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, fs.ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, fs.ErrExist):
		return http.StatusConflict
	case errors.Is(err, admin.ErrNoRooms):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorText is what a page says about err. The Backend's errors of a known kind are
// written for people ("invalid user name ...: ..."); anything else is the server's
// business and goes to its log instead.
func errorText(err error) string {
	if statusOf(err) == http.StatusInternalServerError {
		return "Something went wrong on the server. Its log has the details."
	}
	return err.Error()
}

// formFailure is how a handler reports a failed action next to its form: the status, and
// the text to show. Failures of the server itself are logged.
func (h *Handler) formFailure(r *http.Request, err error) (int, string) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		h.logFailure(r, err)
	}
	return status, errorText(err)
}
