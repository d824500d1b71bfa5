"""PEP (XEP-0163) with slixmpp's xep_0060, xep_0163, xep_0084 and xep_0115 plugins.

usage: slixmpp_pep.py CA_FILE JID PASSWORD HOST PORT publish
       slixmpp_pep.py CA_FILE JID PASSWORD HOST PORT listen OWNER STOP_ID

publish: publishes avatar data and metadata (xep_0084), an OMEMO device list with
publish-options access_model=open (xep_0060), then the same node with
access_model=whitelist, which must fail; reads the device list back. Prints
"AVATAR <id>", "PUBLISHED avatar", "PRECONDITION <condition> <pubsub condition>",
"ITEM <node> <id>".

listen: advertises urn:xmpp:avatar:metadata+notify in its XEP-0115 caps (xep_0084 does
through xep_0163), sends presence, prints "EVENT <id>" for each avatar metadata
notification and "ITEM <node> <id>" for OWNER's device list, and exits after the
notification with STOP_ID.

Exit status 0 on success, 1 on failure, 3 when slixmpp is missing. Pattern and pitfalls:
shared/LIBRARIES.md section 7.
"""
import asyncio
import logging
import sys
import xml.etree.ElementTree as ET

try:
    import slixmpp
    from slixmpp.exceptions import IqError, IqTimeout
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)

DEVICES = "urn:xmpp:omemo:2:devices"
PUBSUB_ERRORS = "{http://jabber.org/protocol/pubsub#errors}"


class PEP(slixmpp.ClientXMPP):
    def __init__(self, jid, password, mode, owner=None, stop_id=None):
        super().__init__(jid, password)
        self.mode, self.owner, self.stop_id = mode, owner, stop_id
        self.ok = False
        for plugin in ("xep_0030", "xep_0004", "xep_0060", "xep_0115", "xep_0163", "xep_0084"):
            self.register_plugin(plugin)
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("avatar_metadata_publish", self.avatar_event)
        self.add_event_handler("failed_all_auth", self.failed)
        self.add_event_handler("connection_failed", self.failed)

    def options(self, **fields):
        form = self["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", ftype="hidden",
                       value="http://jabber.org/protocol/pubsub#publish-options")
        for var, value in fields.items():
            form.add_field(var="pubsub#" + var, value=value)
        return form

    async def start(self, _):
        try:
            await self.get_roster()
            if self.mode == "publish":
                await self.publish()
                self.ok = True
                self.disconnect()
            else:
                # Caps are computed asynchronously after add_interest; let the update
                # finish before the presence that carries them.
                await self["xep_0115"].update_caps(broadcast=False)
                self.send_presence()
                items = await self["xep_0060"].get_items(self.owner, DEVICES, timeout=10)
                for item in items["pubsub"]["items"]:
                    print("ITEM", DEVICES, item["id"], flush=True)
        except (IqError, IqTimeout) as err:
            print("failed:", err, file=sys.stderr, flush=True)
            self.disconnect()

    async def publish(self):
        data = b"\x89PNG not really an image"
        avatar_id = self["xep_0084"].generate_id(data)
        await self["xep_0084"].publish_avatar(data, timeout=10)
        await self["xep_0084"].publish_avatar_metadata(
            {"id": avatar_id, "type": "image/png", "bytes": len(data)}, timeout=10)
        print("AVATAR", avatar_id, flush=True)
        print("PUBLISHED avatar", flush=True)
        devices = ET.fromstring("<devices xmlns='urn:xmpp:omemo:2'><device id='4242'/></devices>")
        await self["xep_0060"].publish(None, DEVICES, id="current", payload=devices,
                                       options=self.options(access_model="open"), timeout=10)
        try:
            await self["xep_0060"].publish(None, DEVICES, id="current", payload=devices,
                                           options=self.options(access_model="whitelist"), timeout=10)
            print("PRECONDITION none", flush=True)
        except IqError as err:
            app = [c.tag[len(PUBSUB_ERRORS):] for c in err.iq["error"].xml if c.tag.startswith(PUBSUB_ERRORS)]
            print("PRECONDITION", err.iq["error"]["condition"], " ".join(app), flush=True)
        items = await self["xep_0060"].get_items(None, DEVICES, timeout=10)
        for item in items["pubsub"]["items"]:
            print("ITEM", DEVICES, item["id"], flush=True)

    def avatar_event(self, msg):
        item = msg["pubsub_event"]["items"]["item"]
        print("EVENT", item["id"], flush=True)
        if item["id"] == self.stop_id:
            self.ok = True
            self.disconnect()

    def failed(self, event):
        print("failed:", event, file=sys.stderr, flush=True)
        self.disconnect()


def main():
    ca_file, jid, password, host, port, mode = sys.argv[1:7]
    owner, stop_id = (sys.argv[7], sys.argv[8]) if mode == "listen" else (None, None)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    xmpp = PEP(jid, password, mode, owner, stop_id)
    xmpp.ca_certs = ca_file
    xmpp.connect(address=(host, int(port)))
    xmpp.process(forever=False)
    sys.exit(0 if xmpp.ok else 1)


if __name__ == "__main__":
    main()
