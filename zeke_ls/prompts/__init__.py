"""Prompt building: fill-in-the-middle templates and chat prompts, with answer extraction."""
