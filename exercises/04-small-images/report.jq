# Exercise 04: summarise a set's parts list (run: jq -r -f report.jq inventory.json).
"\(.set): \([.parts[].count] | add) parts of \(.parts | length) kinds",
(.parts | sort_by(-.count)[] | "  \(.count) x \(.colour) \(.shape)")
