"""Transport: HTTP (urllib3), WebSocket (websocket-client) and safe downloads.

Imported only by commands that talk to a server, never on the ``--help`` path.
"""
