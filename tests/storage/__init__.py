"""Object store tests; a package so this folder's conftest does not shadow the top-level one."""
