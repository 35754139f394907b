"""Conversation stories shipped with Keepcart (YAML; played by `keepcart test conversations`)."""
