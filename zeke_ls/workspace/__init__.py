"""Files under the workspace roots: confinement, the one walker."""
