"""azsim: a local HTTPS simulator of Azure Resource Manager + Microsoft Entra ID.

Two clouds ("gov" = AzureUSGovernment, "public" = AzureCloud) are served at once,
each with its own ARM listener and its own login (Entra) listener, plus one admin
listener. Only the standard library and `cryptography` are used.
"""
__version__ = "0.1.0"
