"""The inference function: provider passthrough and the universal endpoint."""
