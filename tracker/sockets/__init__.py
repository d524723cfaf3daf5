"""Socket.IO namespaces: parse an event, call one service, ack the result."""
