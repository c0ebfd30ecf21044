"""Clinical knowledge as data: packs (decision tables), their sources, and the fact space."""
