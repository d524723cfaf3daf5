"""Turning archives and reports into JSON documents, CSV, XLSX and PDF."""
