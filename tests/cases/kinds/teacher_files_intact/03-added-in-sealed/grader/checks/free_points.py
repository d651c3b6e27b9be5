"""A module the student added: it would register a kind."""
