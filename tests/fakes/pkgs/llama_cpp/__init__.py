"""A stand-in for llama-cpp-python in the fault tests (see ../README.md)."""
