"""Exams: authoring (settings, question bank, sheet import), attempts, and results."""
