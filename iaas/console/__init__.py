"""Remote consoles: one-time tokens (tokens.py), the websocket protocol
(websocket.py) and the serial console proxy (serialproxy.py)."""
