"""The smallest useful pygls server: the baseline for zeke_ls's start-up and memory."""

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("minimal", "0.0.1")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: types.DidOpenTextDocumentParams) -> None:
    pass


if __name__ == "__main__":
    server.start_io()
