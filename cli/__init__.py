"""The `keepcart` command line: a composition root like `web/`, one module per command group."""
