"""Register an account in-band with slixmpp (XEP-0077), or cancel one.

usage: slixmpp_register.py CA_FILE JID PASSWORD HOST PORT register NEW_PASSWORD
       slixmpp_register.py CA_FILE JID PASSWORD HOST PORT remove

register: creates JID with PASSWORD on the unauthenticated stream (plugin xep_0077), logs
in with it on the same connection, changes the password to NEW_PASSWORD and logs out.
remove: logs in and cancels the registration, which deletes the account.

Trusts only CA_FILE. Prints "registered", "logged in", "password changed" or "removed" as
each step succeeds. Exit status: 0 when every step of the action succeeded, 1 otherwise,
3 when slixmpp is missing. Pattern: slixmpp_send.py.
"""
import logging
import sys

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)


class Registrant(slixmpp.ClientXMPP):
    def __init__(self, jid, password, action, new_password):
        super().__init__(jid, password)
        self.action, self.new_password = action, new_password
        self.ok = False
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0066")
        self.register_plugin("xep_0077")
        # Registration only when asked: the plugin's feature handler runs when a "register"
        # handler exists.
        self.plugin["xep_0077"].create_account = action == "register"
        # slixmpp 1.8.3 queues every stanza sent before the session starts, except the bind
        # and session IQs (XMLStream.send), so the plugin's own registration IQs would wait
        # for a session that needs the account first. Its test harness sets this flag to let
        # everything through; start() clears it.
        self._always_send_everything = action == "register"
        self.add_event_handler("register", self.register)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_all_auth", self.failed)
        self.add_event_handler("connection_failed", self.failed)

    async def register(self, form):
        print("form:", form["register"], flush=True)
        iq = self.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = self.boundjid.user
        iq["register"]["password"] = self.password
        try:
            await iq.send()
            print("registered", flush=True)
        except (IqError, IqTimeout) as err:
            print("registration failed:", err, file=sys.stderr, flush=True)
            self.disconnect()

    async def start(self, _):
        self._always_send_everything = False
        print("logged in", flush=True)
        try:
            if self.action == "register":
                await self.plugin["xep_0077"].change_password(self.new_password)
                print("password changed", flush=True)
            else:
                await self.plugin["xep_0077"].cancel_registration()
                print("removed", flush=True)
            self.ok = True
        except (IqError, IqTimeout) as err:
            print(self.action, "failed:", err, file=sys.stderr, flush=True)
        self.disconnect()

    def failed(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, action = sys.argv[1:7]
    new_password = sys.argv[7] if action == "register" else None
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    xmpp = Registrant(jid, password, action, new_password)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
