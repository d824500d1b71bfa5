"""Log in with slixmpp, fetch the roster, send one chat message, log out.

usage: slixmpp_send.py CA_FILE JID PASSWORD HOST PORT TO BODY

Trusts only CA_FILE and checks the certificate against the JID's domain, although it
connects to HOST:PORT. Exit status: 0 when the message was sent, 1 on any failure, 3 when
slixmpp is missing. slixmpp itself exits 0 after a failed login or an untrusted
certificate, so the status is set here; "auth failed" on stderr marks a refused login.
Pattern and pitfalls: shared/LIBRARIES.md section 7 (no process(timeout=...) on Python 3.11).
"""
import logging
import sys

try:
    import slixmpp
except ImportError as err:  # not installed: a distinct status, so no test mistakes it for a refusal
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)


class Sender(slixmpp.ClientXMPP):
    def __init__(self, jid, password, to, body):
        super().__init__(jid, password)
        self.to, self.body = to, body
        self.ok = False
        self.add_event_handler("session_start", self.start)
        # failed_auth fires for each mechanism that fails, and slixmpp then tries the next
        # one it likes; failed_all_auth fires when none is left. Disconnecting on
        # failed_auth (as in LIBRARIES.md section 7) would stop at the first mechanism.
        self.add_event_handler("failed_auth", self.mech_failed)
        self.add_event_handler("failed_all_auth", self.auth_failed)
        self.add_event_handler("connection_failed", self.failed)

    async def start(self, _):
        print("logged in with", self.plugin["feature_mechanisms"].mech.name, flush=True)
        self.send_presence()
        roster = await self.get_roster()
        print("roster:", roster["roster"]["items"], flush=True)
        self.send_message(mto=self.to, mbody=self.body, mtype="chat")
        self.ok = True
        self.disconnect()

    def mech_failed(self, event):
        print("mechanism failed:", self.plugin["feature_mechanisms"].mech.name, event, file=sys.stderr, flush=True)

    def auth_failed(self, event):
        print("auth failed:", event, file=sys.stderr, flush=True)
        self.disconnect()

    def failed(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, to, body = sys.argv[1:8]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    xmpp = Sender(jid, password, to, body)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
