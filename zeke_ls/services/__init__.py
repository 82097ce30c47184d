"""The services layer: what every handler would otherwise redo, owned by the Session."""
