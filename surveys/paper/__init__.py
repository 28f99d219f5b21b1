"""Paper forms: the data-entry workbook, double-entry reconciliation and OMR sentinels (docs/formats.md §11).

Three stages of the paper route, each a function returning a new object:

- :func:`write_entry_template` turns a questionnaire into the workbook clerks key forms into: one row
  per form, ``表单编号`` first, one column per item named by the questionnaire's ``paper`` mapping, a
  drop-down of the allowed codes on each choice item (labels in the input message), a frozen and
  protected header, text-formatted identifier columns, a codebook sheet and a keying-instructions sheet.
- :func:`reconcile_entries` compares two independent keyings of the same forms (double data entry):
  every cell where they differ, the forms keyed only once, form numbers keyed twice within one file,
  and the agreed rows (keyed twice, no difference), which :meth:`Reconciliation.write_agreed` writes
  in the entry layout for ingest. Values are compared canonically (``1`` = ``"1"`` = ``1.0`` =
  ``" 1 "`` = full-width ``"１"``) and reported as keyed.
- :func:`apply_omr_sentinels` turns an OMR export's sentinel cells into missing answers and a
  ``multiple_marks`` / ``invalid_mark`` problem per cell, keeping every row.

Row accounting is an invariant of each stage: a reconciliation accounts for every data row of each
file (:meth:`Reconciliation.accounting`), and the OMR stage returns as many rows as it was given.
"""
from __future__ import annotations

from surveys.lazy import exports

__getattr__, __dir__, __all__ = exports(__name__, {
    "FORM_COLUMN": "surveys.paper.layout",
    "ENTRY_META_COLUMNS": "surveys.paper.layout",
    "ENTRY_SHEET": "surveys.paper.layout",
    "write_entry_template": "surveys.paper.template",
    "read_entry_workbook": "surveys.paper.entry",
    "canonical_values": "surveys.paper.entry",
    "Reconciliation": "surveys.paper.reconcile",
    "reconcile_entries": "surveys.paper.reconcile",
    "OmrSentinels": "surveys.paper.omr",
    "OMR_CONVENTIONS": "surveys.paper.omr",
    "OmrResult": "surveys.paper.omr",
    "apply_omr_sentinels": "surveys.paper.omr",
    "CODEBOOK_SHEET": "surveys.paper.layout",
    "INSTRUCTIONS_SHEET": "surveys.paper.layout",
})
