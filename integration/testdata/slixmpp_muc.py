"""Join a Multi-User Chat room with slixmpp's XEP-0045 plugin, talk and listen.

usage: slixmpp_muc.py CA_FILE JID PASSWORD HOST PORT ROOM NICK

Prints one line per event on stdout, for the Go test that drives it:
  JOINED <nick> <codes>   the self-presence arrived (codes: sorted status codes, comma-separated)
  OCCUPANT <nick>         another occupant was in the room when we joined
  ECHO <body>             our own groupchat message came back from the room
  MSG <nick> <body>       a groupchat message from another occupant arrived
  JOIN ERROR <condition>  the room refused us
After joining it sends the groupchat message "hello from slixmpp". It leaves the room and
exits 0 after a groupchat message with body "quit". Exit status 3 when slixmpp is missing.
"""
import sys

try:
    import slixmpp
    from slixmpp.exceptions import PresenceError
except ImportError as err:
    print("slixmpp is not installed:", err, file=sys.stderr)
    sys.exit(3)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, room, nick):
        super().__init__(jid, password)
        self.room = slixmpp.JID(room)
        self.nick = nick
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.groupchat)
        self.add_event_handler("disconnected", lambda _: self.loop.stop())

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        muc = self.plugin["xep_0045"]
        try:
            pres, _subject, occupants, _history = await muc.join_muc_wait(
                self.room, self.nick, maxstanzas=0, timeout=30)
        except PresenceError as err:
            print("JOIN ERROR", err.condition, flush=True)
            self.disconnect()
            return
        codes = ",".join(str(c) for c in sorted(pres["muc"]["status_codes"]))
        print("JOINED", pres["from"].resource, codes, flush=True)
        for p in occupants:
            print("OCCUPANT", p["from"].resource, flush=True)
        self.send_message(mto=self.room, mbody="hello from slixmpp", mtype="groupchat")

    def groupchat(self, msg):
        if msg["from"].bare != self.room.bare or not msg["body"]:
            return
        if msg.get_plugin("delay", check=True) is not None:
            return  # history
        nick = msg["from"].resource
        if nick == self.nick:
            print("ECHO", msg["body"], flush=True)
            return
        print("MSG", nick, msg["body"], flush=True)
        if msg["body"] == "quit":
            self.plugin["xep_0045"].leave_muc(self.room, self.nick, "bye")
            self.disconnect()


def main():
    ca, jid, password, host, port, room, nick = sys.argv[1:8]
    c = Client(jid, password, room, nick)
    c.ca_certs = ca
    c.connect(address=(host, int(port)))
    c.process(forever=False)


main()
