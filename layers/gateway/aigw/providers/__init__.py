"""Provider declarations and translations, one module per provider (registered by slug)."""
