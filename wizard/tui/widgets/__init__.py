"""Reusable widgets of the wizard (and of the review screen).

The names below load their module when first used (`from wizard.tui.widgets import NavBar`), so
that importing one widget does not import them all (the certificate panel pulls in certinfo).
"""

from wizard.lazy_exports import lazy_exports

_HOMES = {
    "CertificatePanel": "certificate_panel",
    "HangingIndent": "hanging_indent",
    "KeysFooter": "footer",
    "HostField": "host_list",
    "HostListEditor": "host_list",
    "MAX_FIELD_LENGTH": "fields",
    "NavBar": "nav_bar",
    "Note": "fields",
    "ProblemList": "problems",
    "StepIndicator": "step_indicator",
    "TextField": "fields",
    "WordGrid": "word_grid",
}

__all__ = sorted(_HOMES)

__getattr__ = lazy_exports(__name__, _HOMES)
