"""What a replay found, told for an analyst: the story text and the HTML report."""
