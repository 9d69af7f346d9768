"""Small typed modal dialogs: confirm (bool), a file path (Path | None), the key help."""
