"""A fake mail relay: a real SMTP server on loopback that records the messages it accepts
and refuses the recipients a test names (550), as an organisation's relay would."""

from __future__ import annotations

import socketserver
import threading


class FakeRelay:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.refuse: set[str] = set()
        relay = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 fake relay")
                envelope: dict = {"to": []}
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command[:4].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.reply("250 fake relay")
                    elif verb == "MAIL":
                        envelope = {"from": command[10:].strip("<>"), "to": []}
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command[8:].strip("<>")
                        if address in relay.refuse:
                            self.reply("550 No such user")
                        else:
                            envelope["to"].append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End with .")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(data.decode())
                        envelope["data"] = "".join(lines)
                        relay.received.append(envelope)
                        self.reply("250 OK queued")
                    elif verb == "RSET":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeRelay:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
