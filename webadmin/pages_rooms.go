package webadmin

import (
	"errors"
	"net/http"
	"strings"

	"xmppbox/admin"
)

type roomsData struct {
	Rooms []admin.Room
	Off   bool // the server runs without chat rooms
}

// roomsPage lists the chat rooms.
func (h *Handler) roomsPage(w http.ResponseWriter, r *http.Request, v viewer) {
	h.showRooms(w, r, v, http.StatusOK, nil)
}

func (h *Handler) showRooms(w http.ResponseWriter, r *http.Request, v viewer, status int, errs map[string]string) {
	var d roomsData
	list, err := h.backend.ListRooms(r.Context())
	switch {
	case errors.Is(err, admin.ErrNoRooms):
		d.Off = true
	case err != nil:
		h.fail(w, r, v, err)
		return
	}
	d.Rooms = list
	p := newPage(v, "Chat rooms", "/rooms")
	p.Errors = errs
	p.Error = errs[""]
	if r.Method == http.MethodPost {
		p.Form = r.PostForm
	}
	p.Data = d
	h.render(w, r, status, "rooms", p)
}

// roomCreate makes a persistent room owned by the administrator who made it, so they can
// configure it from their chat app.
func (h *Handler) roomCreate(w http.ResponseWriter, r *http.Request, v viewer) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if name == "" {
		h.showRooms(w, r, v, http.StatusBadRequest, map[string]string{"create-room": "Enter a name for the room."})
		return
	}
	room, err := h.backend.CreateRoom(r.Context(), name, v.JID)
	if err != nil {
		status, text := h.formFailure(r, err)
		h.showRooms(w, r, v, status, map[string]string{"create-room": text})
		return
	}
	h.done(w, r, v, "/rooms", "Created the room "+room.JID+".")
}

// roomDestroy ends a room, once the confirmation box is ticked.
func (h *Handler) roomDestroy(w http.ResponseWriter, r *http.Request, v viewer) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	var err error
	switch {
	case name == "" || len(name) > 1023:
		err = inputError("The form did not say which room.")
	case r.PostForm.Get("confirm") != "yes":
		err = inputErrorf("Tick the box to confirm that the room %s should be destroyed.", name)
	default:
		var j string
		j, err = h.backend.DestroyRoom(r.Context(), name, "The room was closed by an administrator.")
		if err == nil {
			h.done(w, r, v, "/rooms", "Destroyed the room "+j+".")
			return
		}
	}
	status, text := h.formFailure(r, err)
	h.showRooms(w, r, v, status, map[string]string{"": text})
}

// roomName is the name DestroyRoom takes for a room JID: its localpart.
func roomName(roomJID string) string {
	name, _, _ := strings.Cut(roomJID, "@")
	return name
}
