package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"xmppbox/admin"
	"xmppbox/admin/api"
	"xmppbox/admin/apitype"
)

// RoomAdmin is what the room commands need. Rooms live in the running server's memory,
// so only *api.Client serves them; *admin.Service implements it too (for the web page).
type RoomAdmin interface {
	ListRooms(ctx context.Context) ([]admin.Room, error)
	CreateRoom(ctx context.Context, name, owner string) (admin.Room, error)
	DestroyRoom(ctx context.Context, name, reason string) (string, error)
	SetRoomAffiliation(ctx context.Context, name, nameOrJID, affiliation string) (admin.RoomAffiliation, error)
}

var (
	_ RoomAdmin = (*admin.Service)(nil)
	_ RoomAdmin = (*api.Client)(nil)
)

// errRoomsNeedServer is the answer of the room commands when no server answers.
var errRoomsNeedServer = errors.New("room commands need the running server: start xmppbox serve")

// withRooms runs fn with the running server's admin API; there is no offline fallback.
func (e *env) withRooms(cmd *cobra.Command, fn func(RoomAdmin) error) error {
	dir, err := e.data()
	if err != nil {
		return err
	}
	c, err := probe(cmd.Context(), filepath.Join(dir, api.SocketName))
	if errors.Is(err, api.ErrNotRunning) {
		return fmt.Errorf("%w (no server answers on %s)", errRoomsNeedServer, filepath.Join(dir, api.SocketName))
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func newRoomCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "room",
		Short: "Manage group chat rooms (XEP-0045)",
		Long: `Manage the group chat rooms of the conference service (conference.DOMAIN unless
configured otherwise). A room is given by its name, the part of its JID before the @
("office" for office@conference.example.org); names are normalised (RFC 7622), so "Office"
is "office".

Rooms live in the running server, so these commands need it: they talk to it through
DATA/admin.sock.`,
	}
	cmd.AddCommand(newRoomListCmd(e), newRoomCreateCmd(e), newRoomDestroyCmd(e), newRoomAffiliationCmd(e))
	return cmd
}

func newRoomListCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list [--json]",
		Aliases: []string{"ls"},
		Short:   "List rooms",
		Long: `List every room, live or stored, sorted by JID: its JID, occupants, persistent or
temporary, public or hidden, and its name. --json prints {"rooms": [{"jid", "name",
"persistent", "public", "occupants"}, ...]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withRooms(cmd, func(ra RoomAdmin) error {
				rooms, err := ra.ListRooms(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					out := apitype.RoomList{Rooms: make([]apitype.Room, 0, len(rooms))}
					for _, r := range rooms {
						out.Rooms = append(out.Rooms, apitype.Room{JID: r.JID, Name: r.Name,
							Persistent: r.Persistent, Public: r.Public, Occupants: r.Occupants})
					}
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(out)
				}
				if len(rooms) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no rooms")
					return nil
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "JID\tOCCUPANTS\tKIND\tLISTED\tNAME")
				for _, r := range rooms {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.JID, strconv.Itoa(r.Occupants),
						choose(r.Persistent, "persistent", "temporary"), choose(r.Public, "public", "hidden"), r.Name)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print JSON: {"rooms": [{"jid": ..., "occupants": ...}, ...]}`)
	return cmd
}

func choose(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func newRoomCreateCmd(e *env) *cobra.Command {
	var owner string
	cmd := &cobra.Command{
		Use:   "create NAME [--owner NAME|JID]",
		Short: "Create a persistent room",
		Long: `Create a persistent, public room that anyone may join, with the default
configuration; --owner makes an account its owner, who can then configure it from a
client. Prints "room: JID".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withRooms(cmd, func(ra RoomAdmin) error {
				r, err := ra.CreateRoom(cmd.Context(), args[0], owner)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "room: %s\n", r.JID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&owner, "owner", "", "the account that owns the room (name or bare JID)")
	return cmd
}

func newRoomDestroyCmd(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "destroy NAME [--reason TEXT]",
		Aliases: []string{"rm"},
		Short:   "Destroy a room (its occupants are told, with the reason)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withRooms(cmd, func(ra RoomAdmin) error {
				n, err := ra.DestroyRoom(cmd.Context(), args[0], reason)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "destroyed %s\n", n)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "the reason shown to the occupants")
	return cmd
}

func newRoomAffiliationCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:     "affiliation NAME JID AFFILIATION",
		Aliases: []string{"aff"},
		Short:   "Set someone's affiliation in a room: owner, admin, member, outcast (banned) or none",
		Long: `Set the affiliation of a user (a name of this box, or a bare JID) in a room:
owner, admin, member, outcast or none. An outcast is banned, and removed from the room if
present; occupants of that user see their new role. Prints "ROOM: JID is now AFFILIATION".`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withRooms(cmd, func(ra RoomAdmin) error {
				a, err := ra.SetRoomAffiliation(cmd.Context(), args[0], args[1], args[2])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s is now %s\n", a.Room, a.JID, a.Affiliation)
				return nil
			})
		},
	}
}
