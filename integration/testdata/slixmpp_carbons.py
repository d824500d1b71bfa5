"""Enable XEP-0280 message carbons with slixmpp's xep_0280 plugin and report the copies.

usage: slixmpp_carbons.py CA_FILE JID PASSWORD HOST PORT

Prints one line per event on stdout, for the Go test that drives it:
  FEATURE urn:xmpp:carbons:2   the server's disco#info lists carbons
  READY                        carbons enabled, initial presence sent
  RECEIVED <from> <to> <body>  a <received/> copy (the plugin checked it comes from our bare JID)
  SENT <from> <to> <body>      a <sent/> copy
It exits 0 after a <sent/> copy with body "done", 1 on any failure or after 60 s, and 3
when slixmpp is missing. Trusts only CA_FILE, as slixmpp_send.py does.
"""
import sys

try:
    import slixmpp
except ImportError as err:  # not installed: a distinct status, so no test mistakes it for a refusal
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)

NS_CARBONS = "urn:xmpp:carbons:2"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.ok = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0297")
        self.register_plugin("xep_0280")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("carbon_received", self.received)
        self.add_event_handler("carbon_sent", self.sent)
        self.add_event_handler("failed_all_auth", self.fail)
        self.add_event_handler("connection_failed", self.fail)

    async def start(self, _):
        info = await self.plugin["xep_0030"].get_info(jid=self.boundjid.domain)
        if NS_CARBONS not in info["disco_info"]["features"]:
            print("the server does not announce", NS_CARBONS, file=sys.stderr, flush=True)
            self.disconnect()
            return
        print("FEATURE", NS_CARBONS, flush=True)
        await self.plugin["xep_0280"].enable()
        self.send_presence()
        print("READY", flush=True)

    def received(self, msg):
        inner = msg["carbon_received"]
        print("RECEIVED", inner["from"], inner["to"], inner["body"], flush=True)

    def sent(self, msg):
        inner = msg["carbon_sent"]
        print("SENT", inner["from"], inner["to"], inner["body"], flush=True)
        if inner["body"] == "done":
            self.ok = True
            self.disconnect()

    def fail(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port = sys.argv[1:6]
    xmpp = Client(jid, password)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.loop.call_later(60, xmpp.disconnect)
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
