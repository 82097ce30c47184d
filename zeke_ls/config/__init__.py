"""zeke.toml: schema (pydantic models), store (layers, reload, watch)."""
