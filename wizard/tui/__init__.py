"""The Textual wizard: a thin face over the domain modules (see `wizard.tui.app.make_app`)."""
