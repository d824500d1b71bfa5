"""Stay online with XEP-0198 stream management, survive a cut connection by resuming.

usage: slixmpp_sm.py CA_FILE JID PASSWORD HOST PORT

Prints one line per event on stdout, for the Go test that drives it:
  READY                 session started, SM enabled, initial presence sent
  RESUMED               the stream was resumed after a cut
  MSG <body>            a chat message arrived
It reconnects by itself when the TCP connection is lost and exits 0 after receiving a
message with body "quit". Exit status 3 when slixmpp is missing.
"""
import asyncio
import sys

try:
    import slixmpp
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, addr):
        super().__init__(jid, password)
        self.addr = addr
        self.quitting = False
        self.register_plugin("xep_0198")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("sm_enabled", lambda _: print("SM ENABLED", flush=True))
        self.add_event_handler("session_resumed", lambda _: print("RESUMED", flush=True))
        self.add_event_handler("message", self.message)
        self.add_event_handler("disconnected", self.lost)

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        print("READY", flush=True)

    def message(self, msg):
        if msg["type"] not in ("chat", "normal"):
            return
        print("MSG", msg["body"], flush=True)
        if msg["body"] == "quit":
            self.quitting = True
            self.disconnect()

    async def lost(self, _):
        if self.quitting:
            self.loop.stop()
            return
        print("DISCONNECTED", flush=True)
        await asyncio.sleep(0.2)
        self.connect(address=self.addr)


def main():
    ca, jid, password, host, port = sys.argv[1:6]
    c = Client(jid, password, (host, int(port)))
    c.ca_certs = ca
    c.connect(address=(host, int(port)))
    # forever: process(forever=False) returns at the first disconnect, and this client
    # must outlive one.
    c.process(forever=True)


main()
