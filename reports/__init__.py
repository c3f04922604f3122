"""Weekly reports: the past ISO week as a PDF and a workbook, from the KPI engine's numbers."""
