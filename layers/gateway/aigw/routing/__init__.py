"""Dynamic routing: route graphs (`graph`), their conditions (`conditions`) and the engine
that runs a deployed graph for one request (`engine`). Used by management (validation) and by
the compat surface (`model: "dynamic/{name}"`)."""
