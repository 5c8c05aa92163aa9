"""The tenant: projects and their members, who sees which project (access) and who may
do what (permissions). Depends on core/ only; every area builds on it."""
