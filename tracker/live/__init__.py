"""Live state that can be rebuilt at any time: presence of viewers and fan-out to sockets."""
