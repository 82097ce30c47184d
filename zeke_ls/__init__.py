"""zeke_ls: the Zeke AI coding daemon, a language server with zeke/* extensions."""

__version__ = "0.1.0"
