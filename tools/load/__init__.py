"""``make load``: the local server under concurrent shoppers (locust), then a check of its sessions."""
