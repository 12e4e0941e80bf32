"""The shop's tools for other agents, over the Model Context Protocol.

The tool list comes from the tool specs (tools/registry.py) and every call goes through
the one guarded entry, ``Toolbox.call``: MCP adds a transport, never a second list of
tools or a second guard.
"""
