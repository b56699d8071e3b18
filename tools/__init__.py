"""Developer and operator tools: the local API server, the operator CLI, the template reader."""
