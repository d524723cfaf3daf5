"""Pure domain core: crediting rules as plain values in, frozen results out (stdlib only)."""
