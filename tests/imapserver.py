"""A small IMAP4rev1 server for tests (a real TCP server speaking the protocol ``imaplib`` uses).

It knows what the tip inbox reader sends: CAPABILITY, LOGIN, SELECT/EXAMINE (with UIDVALIDITY),
UID SEARCH UID n:*, UID FETCH uid (BODY.PEEK[]), NOOP, LOGOUT. Messages are raw bytes kept in
``server.messages`` (uid → bytes); a test adds messages between polls or changes ``uidvalidity``.
"""

from __future__ import annotations

import re
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        srv = self.server
        self.send("* OK IMAP4rev1 test server ready")
        authed = False
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            srv.log.append(line)
            tag, _, rest = line.partition(" ")
            cmd, _, args = rest.partition(" ")
            cmd = cmd.upper()
            if cmd == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                self.send(f"{tag} OK CAPABILITY completed")
            elif cmd == "LOGIN":
                user, pw = [p.strip('"') for p in args.split(" ", 1)]
                if (user, pw) == (srv.user, srv.password):
                    authed = True
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] bad credentials")
            elif cmd in ("SELECT", "EXAMINE"):
                if not authed:
                    self.send(f"{tag} NO not authenticated")
                    continue
                self.send(f"* {len(srv.messages)} EXISTS")
                self.send(f"* OK [UIDVALIDITY {srv.uidvalidity}] UIDs valid")
                self.send(f"{tag} OK [READ-ONLY] {cmd} completed")
            elif cmd == "UID":
                sub, _, uargs = args.partition(" ")
                sub = sub.upper()
                if sub == "SEARCH":
                    m = re.search(r"UID (\d+):\*", uargs)
                    low = int(m.group(1)) if m else 1
                    uids = sorted(u for u in srv.messages if u >= low)
                    if not uids and srv.messages:  # n:* always includes the highest UID (RFC 3501)
                        uids = [max(srv.messages)]
                    self.send("* SEARCH " + " ".join(str(u) for u in uids))
                    self.send(f"{tag} OK SEARCH completed")
                elif sub == "FETCH":
                    uid = int(uargs.split(" ", 1)[0])
                    data = srv.messages.get(uid)
                    if data is not None:
                        seq = sorted(srv.messages).index(uid) + 1
                        self.send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(data)}}}".encode() + b"\r\n" + data
                                  + b")\r\n")
                    self.send(f"{tag} OK FETCH completed")
                else:
                    self.send(f"{tag} BAD unknown UID command")
            elif cmd == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif cmd == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unknown command")


class IMAPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, user: str = "tinbao", password: str = "matkhau") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.user, self.password = user, password
        self.messages: dict[int, bytes] = {}
        self.uidvalidity = 1
        self.log: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def add(self, raw: bytes) -> int:
        uid = max(self.messages, default=0) + 1
        self.messages[uid] = raw
        return uid

    def __enter__(self) -> IMAPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
