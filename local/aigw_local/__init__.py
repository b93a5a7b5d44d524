"""Local mode: the whole gateway in one process, with an embedded moto server for AWS state."""
