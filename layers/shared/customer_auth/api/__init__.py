"""The HTTP edge shared by every function: resolver, caller checks, errors, responseFields."""
