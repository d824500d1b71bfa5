"""Publish a vCard with a photo (XEP-0054, XEP-0153), read it back, and store and read one
private XML element (XEP-0049), with slixmpp's xep_0054 and xep_0049 plugins.

usage: slixmpp_vcard.py CA_FILE JID PASSWORD HOST PORT FN

The photo is a fixed set of bytes; its SHA-1 is printed as "photo sha1: HEX" so that the
caller can look for it in presence. Exit status: 0 when everything read back as written,
1 on any failure, 3 when slixmpp is missing. Pattern: shared/LIBRARIES.md section 7.
"""
import hashlib
import logging
import sys

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
    from slixmpp.xmlstream import ElementBase
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)

# A stand-in image: the server hashes the decoded BINVAL, whatever the bytes are.
PHOTO = bytes(range(256)) * 8


class Prefs(ElementBase):
    """A private element of our own, <prefs xmlns='urn:xmppbox:test:prefs'><theme/></prefs>."""
    name = "prefs"
    namespace = "urn:xmppbox:test:prefs"
    plugin_attrib = "prefs"
    interfaces = {"theme"}
    sub_interfaces = interfaces


class VCardClient(slixmpp.ClientXMPP):
    def __init__(self, jid, password, fn):
        super().__init__(jid, password)
        self.fn = fn
        self.ok = False
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0054")
        self.register_plugin("xep_0049")
        self["xep_0049"].register(Prefs)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_all_auth", self.failed)
        self.add_event_handler("connection_failed", self.failed)

    async def start(self, _):
        try:
            await self.run()
        except (IqError, IqTimeout) as err:
            print("iq failed:", err, file=sys.stderr, flush=True)
        finally:
            self.disconnect()

    async def run(self):
        self.send_presence()
        vcard = self["xep_0054"].make_vcard()
        vcard["FN"] = self.fn
        vcard["NICKNAME"] = "slix"
        vcard["PHOTO"]["TYPE"] = "image/png"
        vcard["PHOTO"]["BINVAL"] = PHOTO
        await self["xep_0054"].publish_vcard(vcard)
        print("vcard published", flush=True)
        # As XEP-0153 §4.2 has clients do after an upload; the server adds the hash.
        self.send_presence(pstatus="avatar uploaded")

        # To the bare JID, so the plugin asks the server rather than its own cache.
        iq = await self["xep_0054"].get_vcard(self.boundjid.bare)
        got = iq["vcard_temp"]
        if got["FN"] != self.fn or got["PHOTO"]["BINVAL"] != PHOTO:
            print("vcard read back differs:", got, file=sys.stderr, flush=True)
            return
        print("vcard read back, FN", got["FN"], flush=True)
        print("photo sha1:", hashlib.sha1(PHOTO).hexdigest(), flush=True)

        prefs = Prefs()
        prefs["theme"] = "dark"
        await self["xep_0049"].store(prefs)
        iq = await self["xep_0049"].retrieve("prefs")
        theme = iq["private"]["prefs"]["theme"]
        if theme != "dark":
            print("private XML read back differs:", iq, file=sys.stderr, flush=True)
            return
        print("private XML read back, theme", theme, flush=True)
        self.ok = True

    def failed(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, fn = sys.argv[1:7]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    xmpp = VCardClient(jid, password, fn)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
