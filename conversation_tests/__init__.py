"""Conversation tests: YAML stories of what a shopper says and what must be true afterwards.

`format` reads and validates story files (errors name file and line), `shoppers` picks a fresh
customer per story and snapshots the shop's state, `drivers` play turns in process or over HTTP,
`runner` checks every turn and the end state, `report` prints and writes the results. The package
imports neither `web/` nor FastAPI: the CLI builds the components and hands them in.
"""
