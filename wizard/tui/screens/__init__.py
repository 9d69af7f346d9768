"""The five steps of the wizard, one screen each."""
