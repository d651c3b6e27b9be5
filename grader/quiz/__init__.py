"""The concepts quiz: question bank, answers file, keys, scoring and terminal quiz."""
