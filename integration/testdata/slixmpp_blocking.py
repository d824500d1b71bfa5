"""Block and unblock a contact with slixmpp's xep_0191 plugin.

usage: slixmpp_blocking.py CA_FILE JID PASSWORD HOST PORT CONTACT

Prints one line per event on stdout, for the Go test that drives it:
  FEATURE urn:xmpp:blocking   the server's disco#info lists blocking
  LIST <jid>...               the block list, sorted, or "(none)" (after login, block, unblock)
  BLOCKED                     the block command succeeded
  PUSH BLOCK <jid>...         a block push arrived
  PUSH UNBLOCK <jid>...       an unblock push arrived
  MSG <from> <body>           a chat message arrived
After BLOCKED it waits for the line "unblock" on stdin, then unblocks CONTACT. It exits 0
after a message with body "hello again", 1 on any failure or after 60 s, and 3 when
slixmpp is missing. Trusts only CA_FILE, as slixmpp_send.py does.
"""
import sys

try:
    import slixmpp
except ImportError as err:  # not installed: a distinct status, so no test mistakes it for a refusal
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)

NS_BLOCKING = "urn:xmpp:blocking"


def jids(items):
    return " ".join(sorted(str(j) for j in items)) or "(none)"


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, contact):
        super().__init__(jid, password)
        self.contact = contact
        self.ok = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0191")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("blocked", lambda iq: print("PUSH BLOCK", jids(iq["block"]["items"]), flush=True))
        self.add_event_handler("unblocked", lambda iq: print("PUSH UNBLOCK", jids(iq["unblock"]["items"]), flush=True))
        self.add_event_handler("message", self.message)
        self.add_event_handler("failed_all_auth", self.fail)
        self.add_event_handler("connection_failed", self.fail)

    async def start(self, _):
        info = await self.plugin["xep_0030"].get_info(jid=self.boundjid.domain)
        if NS_BLOCKING not in info["disco_info"]["features"]:
            print("the server does not announce", NS_BLOCKING, file=sys.stderr, flush=True)
            self.disconnect()
            return
        print("FEATURE", NS_BLOCKING, flush=True)
        self.send_presence()
        await self.print_list()
        await self.plugin["xep_0191"].block(self.contact)
        print("BLOCKED", flush=True)
        await self.print_list()
        self.loop.add_reader(sys.stdin, self.command)

    async def print_list(self):
        iq = await self.plugin["xep_0191"].get_blocked()
        print("LIST", jids(iq["blocklist"]["items"]), flush=True)

    def command(self):
        line = sys.stdin.readline().strip()
        if line == "unblock":
            self.loop.remove_reader(sys.stdin)
            self.loop.create_task(self.unblock())

    async def unblock(self):
        await self.plugin["xep_0191"].unblock(self.contact)
        await self.print_list()

    def message(self, msg):
        if msg["type"] not in ("chat", "normal"):
            return
        print("MSG", msg["from"], msg["body"], flush=True)
        if msg["body"] == "hello again":
            self.ok = True
            self.disconnect()

    def fail(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, contact = sys.argv[1:7]
    xmpp = Client(jid, password, contact)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.loop.call_later(60, xmpp.disconnect)
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
