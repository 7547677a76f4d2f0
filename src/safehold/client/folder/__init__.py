"""The folder vault: layout, record framing and header (spec/folder.md)."""
