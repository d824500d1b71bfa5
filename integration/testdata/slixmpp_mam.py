"""Read one's message archive with slixmpp's XEP-0313 plugin, then log out.

usage: slixmpp_mam.py CA_FILE JID PASSWORD HOST PORT WITH

Prints one line per event on stdout, for the Go test that drives it:
  FEATURES <var> ...        the account's disco#info features
  MSG <id> <from> <body>    each archived message, oldest first, paged 4 at a time
  REV <id> <body>           the same, newest first, paging backwards from the end
  WITH <id> <body>          the messages exchanged with the JID WITH
  META <first-id> <last-id> the archive's metadata
  DONE
Exit status: 0 when all of that worked, 1 on any failure, 3 when slixmpp is missing.
"""
import logging
import sys

try:
    import slixmpp
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)


class Reader(slixmpp.ClientXMPP):
    def __init__(self, jid, password, with_jid):
        super().__init__(jid, password)
        self.with_jid = with_jid
        self.ok = False
        for plugin in ("xep_0030", "xep_0059", "xep_0297", "xep_0313"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_all_auth", self.failed)
        self.add_event_handler("connection_failed", self.failed)

    async def start(self, _):
        try:
            await self.read()
            self.ok = True
        except Exception as err:  # report, and exit 1 below
            print("error:", repr(err), file=sys.stderr, flush=True)
        self.disconnect()

    async def read(self):
        mam = self.plugin["xep_0313"]
        info = await self.plugin["xep_0030"].get_info(jid=self.boundjid.bare)
        print("FEATURES", " ".join(sorted(info["disco_info"]["features"])), flush=True)
        async for msg in mam.iterate(rsm={"max": 4}):
            fwd = msg["mam_result"]["forwarded"]["stanza"]
            print("MSG", msg["mam_result"]["id"], fwd["from"], fwd["body"], flush=True)
        async for msg in mam.iterate(reverse=True, rsm={"max": 4}):
            fwd = msg["mam_result"]["forwarded"]["stanza"]
            print("REV", msg["mam_result"]["id"], fwd["body"], flush=True)
        async for msg in mam.iterate(with_jid=slixmpp.JID(self.with_jid), rsm={"max": 4}):
            fwd = msg["mam_result"]["forwarded"]["stanza"]
            print("WITH", msg["mam_result"]["id"], fwd["body"], flush=True)
        meta = await mam.get_archive_metadata()
        md = meta["mam_metadata"]
        print("META", md["start"]["id"], md["end"]["id"], flush=True)
        print("DONE", flush=True)

    def failed(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, with_jid = sys.argv[1:7]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    xmpp = Reader(jid, password, with_jid)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
