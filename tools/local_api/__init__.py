"""``make run``: the functions of template.yaml served over HTTP on an embedded DynamoDB."""
