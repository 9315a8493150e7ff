"""The transcript workspace: the edited transcript and its revisions, on top of the machine's
result file (which edits never change)."""
