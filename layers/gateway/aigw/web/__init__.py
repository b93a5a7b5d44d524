"""HTTP glue shared by the three function apps: error rendering and app construction."""
