"""The LSP core: server, JSON-RPC plumbing, session, logging."""
